"""The results page's paper-code selector (issue #13): a GET form whose "code" opens the item
report (HTML or PDF) of one paper code, its candidates only and its options named by that
code's letters; "all codes" keeps the pooled report. Two codes: the bank's correct option is
B on 101 and D on 102 (`tests.results.test_item_report_letters`)."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from exam_server.accounts.models import User
from exam_server.db import session as db
from tests.results.test_item_report_letters import _sitting
from tests.server.conftest import login_staff
from tests.support.seed import STAFF_PASSWORD


def _examiner(app: Flask) -> FlaskClient:
    client = app.test_client()
    examiner = db.scalars(select(User).where(User.role == "examiner").order_by(User.id.desc())).first()
    assert examiner is not None
    login_staff(client, examiner.username, STAFF_PASSWORD)
    return client


def test_results_page_offers_every_code_in_a_get_form(app: Flask) -> None:
    sitting_id, _ = _sitting()
    page = _examiner(app).get(f"/results/sittings/{sitting_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    form = re.search(r'<form method="get"[^>]*action="/results/sittings/\d+/item-analysis">(.*?)</form>', body, re.S)
    assert form is not None
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', form.group(1))
    assert options == [("", "Tất cả mã đề (gộp)"), ("101", "101"), ("102", "102")]
    assert f'formaction="/results/sittings/{sitting_id}/item-analysis.pdf"' in form.group(1)


def test_one_code_report_lists_only_that_codes_letters_and_counts(app: Flask) -> None:
    sitting_id, _ = _sitting()
    client = _examiner(app)
    pooled = client.get(f"/results/sittings/{sitting_id}/item-analysis?code=").get_data(as_text=True)
    assert "Mã đề 101" in pooled and "Mã đề 102" in pooled  # the pooled per-code columns
    assert "<td>B · 3</td>" in pooled and "<td>D · 3</td>" in pooled

    one = client.get(f"/results/sittings/{sitting_id}/item-analysis?code=102")
    assert one.status_code == 200
    html = one.get_data(as_text=True)
    assert "mã đề 102" in html  # the title names the code
    assert "<td>D. Hà Nội</td>" in html and "B. Hà Nội" not in html  # 102's letter, not 101's
    assert "Mã đề 101" not in html and "B · 3" not in html  # no other code's column
    assert "<td>3 (75" in html  # three of the four candidates on 102 chose it (not six of eight)
    assert "Câu 1 (đề 102)" in html and "(đề 101)" not in html

    pdf = client.get(f"/results/sittings/{sitting_id}/item-analysis.pdf?code=101")
    assert pdf.status_code == 200 and "-de-101.pdf" in pdf.headers["Content-Disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "B. Hà Nội" in text and "D. Hà Nội" not in text and "Mã đề 102" not in text


def test_unknown_code_is_a_404_with_a_message(app: Flask) -> None:
    sitting_id, _ = _sitting()
    r = _examiner(app).get(f"/results/sittings/{sitting_id}/item-analysis?code=999")
    assert r.status_code == 404
    assert "999" in r.get_data(as_text=True)
