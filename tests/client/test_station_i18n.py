"""The station translates with its own gettext catalogue, and the packages below the server never
import it: card_reader codes, client codes and the server's check-in reasons in Vietnamese and
English; a code the station does not know shows the server's own text."""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from card_reader import errors
from exam_client.messages import CATALOGUE, describe, error_text, language, reason_text, text
from exam_client.station import create_app
from exam_client.station.views import with_texts
from tests.conftest import ROOT

TRANSLATIONS = ROOT / "exam_client" / "translations"
CODE_PREFIXES = ("card.", "cert.", "cms.", "ml.", "pa.")


def _imports(path: Path) -> list[str]:
    """Every module a file imports, at the top or inside a function."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            names.append(str(node.args[0].value))
    return names


@pytest.mark.parametrize("package", ["card_reader", "exam_client", "question_bank", "exam_common"])
def test_lower_packages_never_import_the_server(package: str) -> None:
    leaks = [f"{path.relative_to(ROOT)} imports {name}" for path in sorted((ROOT / package).rglob("*.py"))
             for name in _imports(path) if name == "exam_server" or name.startswith("exam_server.")]
    assert not leaks, leaks


def test_card_reader_never_imports_the_station() -> None:
    leaks = [f"{path.relative_to(ROOT)} imports {name}" for path in sorted((ROOT / "card_reader").rglob("*.py"))
             for name in _imports(path) if name.split(".")[0] in ("exam_client", "flask", "click", "babel")]
    assert not leaks, leaks


def test_the_import_scan_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from exam_server.i18n import translate\n    import exam_server.app\n"
                      "    importlib.import_module('exam_server.checkin')\n")
    assert _imports(sample) == ["exam_server.i18n", "exam_server.app", "exam_server.checkin"]


def _card_reader_codes() -> set[str]:
    """Every message code card_reader can hand the station: class codes and code literals."""
    codes = {cls.code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.CardError)}
    for path in (ROOT / "card_reader").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and re.fullmatch(r"(card|cert|cms|ml|pa)\.[a-z_]+(\.[a-z_]+)*", node.value):
                codes.add(node.value)
    return codes


def test_every_card_reader_code_is_translated() -> None:
    codes = _card_reader_codes()
    assert {"card.wrong_key", "pa.no_csca", "cert.curve_unknown", "card.check.expected_mismatch"} <= codes
    missing = sorted(code for code in codes if not CATALOGUE.knows(code))
    assert not missing, missing


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_catalogue_files_are_complete_compiled_and_not_fuzzy(lang: str) -> None:
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as fh:
        po = read_po(fh)
    with (folder / "messages.mo").open("rb") as fh:
        mo = read_mo(fh)
    entries = {(m.context, m.id): m for m in po if m.id}
    for code, source in CATALOGUE.codes().items():
        entry = entries.get((code, source))
        assert entry is not None, f"{code}: not in {lang}/messages.po (or its English text changed)"
        assert entry.string and not entry.fuzzy, f"{code}: untranslated or fuzzy in {lang}"
    compiled = {(m.context, m.id): m.string for m in mo if m.id}
    assert compiled == {k: m.string for k, m in entries.items()}, f"{lang}/messages.mo is older than the .po"


def test_vietnamese_texts_contain_no_english_source() -> None:
    """Each Vietnamese text differs from its English source unless it is only names and symbols."""
    same = [code for code, source in CATALOGUE.codes().items()
            if text(code, "vi") == source and re.search(r"[a-z]{4,}", re.sub(r"\{[^}]*\}", "", source))]
    assert same == ["client.virtual.can"] or not same, same  # "CAN (PACE): {can}" reads the same


def test_mixed_language_messages_are_gone() -> None:
    """The example from the issue: the tried expiry dates are a parameter the translation places."""
    error = errors.WrongKeyError(0x6300, "access control", "no key opened the chip", tried=["301231", "311231"])
    assert "301231" in str(error) and str(error).startswith("card.wrong_key")  # the log diagnostic
    vi, en = error_text(error, "vi"), error_text(error, "en")
    assert vi.startswith("Khóa truy cập sai (6300)") and "31/12/2030, 31/12/2031" in vi
    assert "no key" not in vi and "tried" not in vi and "expiry" not in vi
    assert "expiry dates tried: 31/12/2030, 31/12/2031" in en


def test_nested_problems_are_translated_in_place() -> None:
    params = {"signer": "CN=DS", "key": "ECDSA P-256", "problem_code": "cert.signature_invalid",
              "problem_params": {"algorithm": "sha256_ecdsa"}}
    assert describe("pa.sod_signature_failed", params, "vi") == \
        "Chữ ký EF.SOD của CN=DS (khóa ECDSA P-256) không hợp lệ: Chữ ký sha256_ecdsa không đúng"
    assert describe("pa.ds_expired", {"ds": "CN=DS", "not_before": "2020-01-02", "not_after": "2030-12-31"}, "en") \
        == "The document signer CN=DS is outside its validity period (02/01/2020–31/12/2030)"
    assert describe("pa.failed", {"checks": "data_group_hashes, csca_chain"}, "vi") == \
        "Xác thực thụ động không đạt: mã băm nhóm dữ liệu, chuỗi tin cậy CSCA"
    # a parameter a sender left out is shown as "-", never a KeyError
    assert describe("checkin.other_room", {}, "vi") == "Thí sinh thuộc phòng -, không phải phòng này."


def test_server_reasons_known_and_unknown() -> None:
    assert reason_text({"code": "checkin.closed", "params": {"state": "ended"}, "message": "x"}, "vi") == \
        "Ca thi không mở điểm danh lúc này (ca thi đã kết thúc)."
    assert reason_text({"code": "checkin.other_room", "params": {"room": "P02"}}, "en") == \
        "The candidate belongs to room P02, not this one."
    newer = {"code": "checkin.face_expired", "params": {}, "message": "Ảnh thẻ đã quá hạn."}
    assert reason_text(newer, "en") == "Ảnh thẻ đã quá hạn."  # the server's own text, not a bare key
    assert reason_text({"code": "checkin.face_expired", "params": {}}, "vi") == "checkin.face_expired"


def test_cli_language_from_option_then_environment() -> None:
    assert language("en", {"LANG": "vi_VN.UTF-8"}) == "en"
    assert language(None, {"LANG": "en_GB.UTF-8"}) == "en"
    assert language(None, {"LANG": "fr_FR.UTF-8"}) == "vi"
    assert language(None, {}) == "vi"


class _FakeStation:
    """Just what the views read: a logged-in token and a state holding a server answer."""

    token = "device-token"

    def __init__(self, server: dict[str, Any]) -> None:
        self.server = server

    def state(self) -> dict[str, Any]:
        return {"logged_in": True, "card": {"state": "error", "message": {
                    "code": "client.card.error", "cause_code": "card.no_reader", "cause_params": {}}},
                "result": {"status": "refused", "server": self.server, "decision": {"reasons": [
                    {"code": "client.decision.face_mismatch", "params": {"distance": 0.712, "threshold": 0.6}}]}},
                "roster": [], "queue": []}


def _client(station: _FakeStation) -> Any:
    app = create_app(station)  # type: ignore[arg-type]  (a stand-in for the views' reads)
    app.config["TESTING"] = True
    client = app.test_client()
    with client.session_transaction() as session:
        session["device"] = hashlib.sha256(station.token.encode()).hexdigest()
    return client


def test_state_shows_our_text_or_the_servers_message() -> None:
    server = {"status": "refused", "code": "checkin.brand_new", "message": "Lý do mới của máy chủ.",
              "reasons": [{"code": "checkin.brand_new", "params": {}, "message": "Lý do mới của máy chủ."},
                          {"code": "checkin.other_room", "params": {"room": "P02"},
                           "message": "Thí sinh thuộc phòng P02, không phải phòng này."}]}
    client = _client(_FakeStation(server))
    english = client.get("/api/state?lang=en").json
    reasons = english["result"]["server"]["reasons"]
    assert reasons[0]["text"] == "Lý do mới của máy chủ."  # unknown to this station: the server's words
    assert reasons[1]["text"] == "The candidate belongs to room P02, not this one."  # ours, in English
    assert english["card"]["message"]["text"] == "No card reader found."
    assert english["result"]["decision"]["reasons"][0]["text"] == \
        "The face does not match the chip photo (distance 0.712, threshold 0.6)."
    assert "text" not in server["reasons"][0]  # the stored answer is not rewritten per request
    vietnamese = client.get("/api/state").json
    assert vietnamese["card"]["message"]["text"] == "Không tìm thấy đầu đọc thẻ."
    assert vietnamese["result"]["decision"]["reasons"][0]["text"] == \
        "Khuôn mặt không khớp với ảnh trong chip (khoảng cách 0,712, ngưỡng 0,6)."


def test_page_language_from_query_cookie_default() -> None:
    client = _client(_FakeStation({}))
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in page and "Trạm điểm danh phòng thi" in page and "Danh sách phòng" in page
    assert "Room roster" not in page
    page = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page and "Room roster" in page and "Danh sách phòng" not in page
    client.set_cookie("lang", "en")
    assert "Room roster" in client.get("/").get_data(as_text=True)
    assert "Danh sách phòng" in client.get("/?lang=vi").get_data(as_text=True)


def test_with_texts_leaves_a_logged_out_state_alone() -> None:
    assert with_texts({"logged_in": False, "card": {}}, "vi") == {"logged_in": False, "card": {}}
