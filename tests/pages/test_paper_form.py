"""The sitting page's paper form builds multi-section blueprints (issue 13): indexed section rows
(`section-<i>-name/type/draw/points/…`), a THPT 2025 template button (Phần I, II, III), refusals
beside the section they concern, and the older one-section fields still read."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import select

from exam_server.db import session as db
from exam_server.exams.models import Paper
from question_bank.formats import write_bytes_any
from question_bank.model import TF_CLUSTER_TABLE
from tests.pages.conftest import BROWSER_TIMEOUT_MS, LiveServer, page_login, sign_in
from tests.question_bank.fixtures.samples import short_answer4, single_choice, tf_cluster
from tests.support.seed import STAFF_PASSWORD, seed_sitting, username

# Math, THPT 2025: I 12 × 0,25, II 4 × up to 1, III 6 × 0,5 (exam-domain.md).
THPT_MATH = [("Phần I", "single_choice", 12, 0.25), ("Phần II", "tf_cluster", 4, 1.0), ("Phần III", "short_answer4", 6, 0.5)]


def thpt_bank() -> bytes:
    """A Moodle XML file with a few more questions of each THPT part than a Math paper draws."""
    made = [replace(make(), stem=f"{make.__name__} {i}", title=f"Câu {i}")
            for make, n in ((single_choice, 14), (tf_cluster, 5), (short_answer4, 7)) for i in range(n)]
    return write_bytes_any(made, "thpt.xml")


def _setup(app: Flask, client: FlaskClient) -> tuple[int, str]:
    with app.app_context():
        seeded = seed_sitting(rooms=1, per_room=1, open_checkin=False)
        name = username(seeded, "examiner")
    return seeded.sitting_id, page_login(client, name, STAFF_PASSWORD)


def _sections(parts: list[tuple[str, str, int, float]]) -> dict[str, str]:
    data: dict[str, str] = {}
    for i, (name, kind, draw, points) in enumerate(parts):
        data |= {f"section-{i}-name": name, f"section-{i}-type": kind, f"section-{i}-draw": str(draw),
                 f"section-{i}-points": f"{points}".replace(".", ","), f"section-{i}-shuffle_questions": "on",
                 f"section-{i}-shuffle_options": "on"}
        if kind == "tf_cluster":
            data[f"section-{i}-tf_table"] = "on"
    return data


def _post(client: FlaskClient, sitting_id: int, token: str, fields: dict[str, str]):  # type: ignore[no-untyped-def]
    data = {"csrf_token": token, "source": "file", "paper_count": "2", "start_code": "0101", "seed": "3",
            "questions": (io.BytesIO(thpt_bank()), "thpt.xml"), **fields}
    return client.post(f"/exams/sittings/{sitting_id}/papers/generate", data=data, content_type="multipart/form-data")


def _snapshots(app: Flask, sitting_id: int) -> dict[str, list[dict]]:
    """The papers this form made (the seeded sitting has a paper "101" of its own)."""
    with app.app_context():
        return {p.code: p.snapshot for p in db.scalars(select(Paper).where(Paper.sitting_id == sitting_id,
                                                                            Paper.code.like("0%")))}


def _assert_thpt_blocks(snapshot: list[dict]) -> None:
    """Three blocks in section order, each of its type, count and points; Part II with the official table."""
    blocks = [(q["type"], q["points"]) for q in snapshot]
    expected = [(kind, points) for _, kind, draw, points in THPT_MATH for _ in range(draw)]
    assert blocks == expected
    tables = {q["scoring"]["table"].get("2") for q in snapshot if q["type"] == "tf_cluster"}
    assert tables == {TF_CLUSTER_TABLE[2]}


def test_three_section_thpt_post_makes_three_blocks(app: Flask, client: FlaskClient) -> None:
    sitting_id, token = _setup(app, client)
    page = client.get(f"/exams/sittings/{sitting_id}").get_data(as_text=True)
    assert 'name="section-0-draw"' in page and 'id="section-template-thpt"' in page
    assert 'src="/static/exams/paper_form.js"' in page and 'id="paper-form-config"' in page

    r = _post(client, sitting_id, token, _sections(THPT_MATH))
    assert r.status_code == 302, r.get_data(as_text=True)
    papers = _snapshots(app, sitting_id)
    assert sorted(papers) == ["0101", "0102"]
    for snapshot in papers.values():
        _assert_thpt_blocks(snapshot)
    # the papers differ in their order within each section (shuffled), never across sections
    assert [q["stem"] for q in papers["0101"]] != [q["stem"] for q in papers["0102"]]
    listing = client.get(f"/exams/sittings/{sitting_id}").get_data(as_text=True)
    assert re.search(r"<tr><th scope=\"row\">0101</th><td class=\"num\">22</td></tr>", listing)


def test_refused_section_names_itself(app: Flask, client: FlaskClient) -> None:
    sitting_id, token = _setup(app, client)
    parts = [THPT_MATH[0], ("Phần II", "tf_cluster", 9, 1.0), THPT_MATH[2]]  # the file has 5 Đúng/Sai
    r = _post(client, sitting_id, token, _sections(parts) | {"section-2-points": "abc"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    # a points field that is no number is refused beside it, before anything is drawn
    assert 'id="f-section-2-points-error"' in page and 'id="f-section-1-draw-error"' not in page
    r = _post(client, sitting_id, token, _sections(parts))
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="generate-problems"' in page
    assert 'id="f-section-1-draw-error"' in page
    assert 'id="f-section-0-draw-error"' not in page and 'id="f-section-2-draw-error"' not in page
    problems = page[page.index('id="generate-problems"'):page.index("</ul>", page.index('id="generate-problems"'))]
    assert "Phần II" in problems and "Phần I:" not in problems
    # the rows come back as posted
    assert 'name="section-1-draw" type="number" value="9"' in page and 'value="Phần III"' in page
    assert _snapshots(app, sitting_id) == {}
    r = _post(client, sitting_id, token, _sections(THPT_MATH) | {"section-1-type": "no_such_type"})
    assert r.status_code == 422 and 'id="f-section-1-type-error"' in r.get_data(as_text=True)


def test_old_one_section_fields_still_work(app: Flask, client: FlaskClient) -> None:
    sitting_id, token = _setup(app, client)
    r = _post(client, sitting_id, token, {"draw": "5", "shuffle_options": "on"})
    assert r.status_code == 302, r.get_data(as_text=True)
    papers = _snapshots(app, sitting_id)
    assert sorted(papers) == ["0101", "0102"] and all(len(s) == 5 for s in papers.values())
    r = _post(client, sitting_id, token, {"draw": "99", "start_code": "0201"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="f-draw-error"' in page and 'value="99"' in page


@pytest.mark.browser
@pytest.mark.slow
def test_thpt_template_button_fills_and_submits(context: BrowserContext, live_server: LiveServer, tmp_path: Path) -> None:
    with live_server.app.app_context():
        seeded = seed_sitting(rooms=1, per_room=1, open_checkin=False)
        examiner = username(seeded, "examiner")
    source = tmp_path / "thpt.xml"
    source.write_bytes(thpt_bank())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, examiner)
    page.goto(f"/exams/sittings/{seeded.sitting_id}")
    rows = page.locator("[data-section-row]")
    expect(rows).to_have_count(1)
    page.get_by_role("button", name="Thêm phần").click()  # add, then remove: back to one row
    expect(rows).to_have_count(2)
    expect(page.locator("#f-section-1-draw")).to_be_visible()
    rows.nth(1).get_by_role("button", name="Xóa phần").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0).get_by_role("button", name="Xóa phần")).to_be_hidden()  # the last row stays

    page.get_by_role("button", name="Mẫu THPT 2025").click()
    expect(rows).to_have_count(3)
    expect(page.locator("#f-section-1-name")).to_have_value("Phần II")
    expect(page.locator("#f-section-1-type")).to_have_value("tf_cluster")
    expect(page.locator("#f-section-0-points")).to_have_value("0,25")
    expect(page.locator("#f-section-2-draw")).to_have_value("6")
    expect(rows.nth(1).locator("[data-tf-note]")).to_contain_text("0,25")
    expect(rows.nth(0).locator("[data-tf-note]")).to_be_hidden()
    expect(page.locator("#section-total")).to_have_text("Mỗi đề: 22 câu, 10 điểm.")

    page.get_by_label("Tệp câu hỏi", exact=True).set_input_files(str(source))
    page.get_by_label("Số mã đề").fill("2")
    page.get_by_label("Mã đề bắt đầu").fill("0801")
    page.get_by_role("button", name="Tạo mã đề").click()
    expect(page.get_by_text("Đã thêm 2 mã đề: 0801, 0802.")).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
    with live_server.app.app_context():
        snapshots = [p.snapshot for p in db.scalars(select(Paper).where(Paper.sitting_id == seeded.sitting_id,
                                                                         Paper.code.in_(["0801", "0802"])))]
    assert len(snapshots) == 2
    for snapshot in snapshots:
        _assert_thpt_blocks(snapshot)
    assert not errors, errors
