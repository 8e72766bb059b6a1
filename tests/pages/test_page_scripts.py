"""What the pages' scripts get: their texts from the compiled `js` catalogue (English msgid ->
the page's language, plural entries with every form), and the shared modules at /static/common/."""

from __future__ import annotations

import json
import re

from flask.testing import FlaskClient

from exam_common.assets import script_messages
from exam_server.page_scripts import TRANSLATIONS


def _config(html: str, element_id: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert found, f"page has no #{element_id}"
    return json.loads(found.group(1))


def test_login_page_hands_the_js_catalogue_in_the_pages_language(client: FlaskClient) -> None:
    vi = _config(client.get("/exam/login").get_data(as_text=True), "login-config")
    assert vi["lang"] == "vi"
    assert vi["messages"]["Login failed."] == "Đăng nhập không thành công."
    assert not [k for k in vi["messages"] if k.startswith(("live.", "accounts."))]  # no server keys any more
    en = _config(client.get("/exam/login?lang=en").get_data(as_text=True), "login-config")
    assert en["lang"] == "en" and en["messages"]["Login failed."] == "Login failed."


def test_plural_entries_carry_every_form() -> None:
    assert script_messages(TRANSLATIONS, "vi")["{n} word"] == ["{n} từ"]
    assert script_messages(TRANSLATIONS, "en")["{n} word"] == ["{n} word", "{n} words"]
    assert script_messages(TRANSLATIONS, "xx") == script_messages(TRANSLATIONS, "vi")  # Vietnamese by default


def test_every_vietnamese_text_differs_from_its_english_source() -> None:
    """Texts that read the same in both languages would mean an entry copied, not translated."""
    vi, en = script_messages(TRANSLATIONS, "vi"), script_messages(TRANSLATIONS, "en")
    assert vi.keys() == en.keys() and len(vi) > 100
    same = [k for k in vi if vi[k] == en[k] and re.search(r"[a-z]{3}", str(k))]
    assert same == []


def test_shared_modules_are_served_beside_the_pages_own(client: FlaskClient) -> None:
    for path in ("/static/common/i18n.js", "/static/common/dom.js", "/static/js/lib/socket.js",
                 "/static/js/lib/question_types.js"):
        r = client.get(path)
        assert r.status_code == 200 and r.mimetype == "text/javascript", path
    assert b"export function t(" in client.get("/static/common/i18n.js").data
    assert client.get("/static/common/../../app.py").status_code == 404
