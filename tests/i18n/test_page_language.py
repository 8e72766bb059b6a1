"""Pages are Vietnamese by default and English with ?lang=en or the `lang` cookie; numbers and
dates go through Babel's CLDR data (decimal comma in Vietnamese, dd/mm/yyyy)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from exam_common import i18n as common
from exam_server import i18n
from exam_server.db import db
from tests.pages.conftest import make_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder: Path = tmp_path_factory.mktemp("i18n-pages")
    app = make_app(f"sqlite:///{folder / 'exam.db'}", folder / "instance")
    yield app
    db.engine(app).dispose()


def test_staff_login_page_is_vietnamese_by_default_and_english_on_request(app: Flask) -> None:
    client = app.test_client()
    vi = client.get("/login").get_data(as_text=True)
    assert "Mật khẩu" in vi and "Password" not in vi
    en = client.get("/login?lang=en").get_data(as_text=True)
    assert "Password" in en and "Mật khẩu" not in en
    client.set_cookie("lang", "en")
    assert "Password" in client.get("/login").get_data(as_text=True)
    assert "Mật khẩu" in client.get("/login?lang=vi").get_data(as_text=True)  # ?lang wins over the cookie


def test_candidate_login_page_follows_the_language(app: Flask) -> None:
    client = app.test_client()
    assert "Vào thi" in client.get("/exam/login").get_data(as_text=True)
    assert "Vào thi" not in client.get("/exam/login?lang=en").get_data(as_text=True)


def test_error_pages_and_api_messages_are_translated(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/api/v1/no-such-thing").get_json()["error"]["message"] == \
        "Không tìm thấy trang hoặc dữ liệu yêu cầu."
    assert client.get("/api/v1/no-such-thing?lang=en").get_json()["error"]["message"] == \
        "The requested page or data was not found."


def test_jinja_helpers_escape_parameters_and_use_braces(app: Flask) -> None:
    with app.test_request_context("/?lang=vi"):
        out = render_template_string('{% autoescape true %}{{ _("Candidates") }}|'
                                     '{{ _("accounts.bad_role", role=r) }}|{{ 2.5 | decimal(1) }}|'
                                     '{{ d | date }}{% endautoescape %}', r="<b>", d=date(2026, 6, 27))
    assert out == "Thí sinh|Vai trò không hợp lệ: &lt;b&gt;.|2,5|27/06/2026"
    with app.test_request_context("/?lang=en"):
        out = render_template_string('{{ _("Candidates") }}|{{ 2.5 | decimal(1) }}|{{ 1234.5 | decimal_vn }}')
    assert out == "Candidates|2.5|1,234.50"
    with app.test_request_context("/"):
        assert render_template_string("{{ 8.25 | decimal_vn }}") == "8,25"
        assert i18n.current_language() == "vi"
        from flask_babel import get_locale

        assert str(get_locale()) == "vi"


def test_babel_formats_decimals_and_dates() -> None:
    assert common.format_decimal(8.25, "vi", 2) == "8,25"
    assert common.format_decimal(8.25, "en", 2) == "8.25"
    assert common.format_decimal(22.5, "vi", max_digits=1) == "22,5"
    assert common.format_decimal(22.0, "vi", max_digits=1) == "22"
    assert common.format_decimal(8.0, "vi", min_digits=1, max_digits=2) == "8,0"
    assert common.format_decimal(None, "vi", 2, empty="—") == "—"
    assert common.format_date(date(2008, 9, 5), "en") == "05/09/2008"
    assert common.format_datetime(datetime(2026, 6, 27, 7, 30), "vi") == "27/06/2026 07:30:00"


def test_the_server_formats_through_babel() -> None:
    from exam_server.exams.roster import minutes_text
    from exam_server.results.item_report import _fmt
    from exam_server.results.official import score_figures

    assert minutes_text(1350) == "22,5" and minutes_text(900) == "15" and minutes_text(0) == ""
    assert score_figures(8.25) == "8,25" and score_figures(8.5) == "8,5" and score_figures(8.0) == "8,0"
    assert score_figures(8.25, "en") == "8.25"
    assert _fmt(0.4567) == "0,46" and _fmt(None) == "—"


def test_roster_problems_are_coded_messages() -> None:
    from exam_server.exams.roster import parse_extra_time

    with pytest.raises(ValueError, match="thời gian cộng thêm tối đa"):
        parse_extra_time("500", 3600)
    assert i18n.translate("exams.roster.missing_column", "en", column="'SBD'") == "missing column 'SBD'"
    assert i18n.translate("exams.roster.missing_column", "vi", column="'SBD'") == "thiếu cột 'SBD'"


def test_decimal_formatting_reuses_parsed_locales_and_patterns() -> None:
    # the score table formats every cell: the locale and pattern are parsed once, and the
    # cached ones still give each language and precision its own figure
    assert common.locale("vi") is common.locale("vi") and common.locale("en") is not common.locale("vi")
    for _ in range(2):
        assert common.format_decimal(7.5, "vi", 2) == "7,50" and common.format_decimal(7.5, "en", 2) == "7.50"
        assert common.format_decimal(1234.5, "en", max_digits=1) == "1,234.5"
        assert common.format_decimal(1234.5, "vi", max_digits=1) == "1.234,5"
