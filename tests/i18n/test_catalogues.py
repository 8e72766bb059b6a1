"""The catalogue tooling (scripts/i18n.py): the real catalogues are complete, and `check` fails
on each kind of problem a translator or developer can leave behind (on temporary copies)."""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from exam_server.i18n import CATALOGUE
from scripts import i18n as tooling
from tests.conftest import ROOT

SERVER = tooling.Target("exam_server", "messages")
# The modules that declare the server's coded messages (the app factory imports them too).
DECLARING = [f"exam_server.{d}.messages" for d in ("accounts", "attempts", "bank", "checkin", "exams", "monitor",
                                                     "realtime", "results")] + [
    "exam_server.accounts.page_messages", "exam_server.bank.page_messages", "exam_server.exams.page_messages",
    "exam_server.errors", "exam_server.dates", "exam_server.exams.api", "exam_server.exams.roster",
    "exam_server.results.item_report", "exam_server.results.commands"]
for _module in DECLARING:
    importlib.import_module(_module)


@pytest.mark.parametrize("package,domain", tooling.CATALOGUES, ids=[f"{p}:{d}" for p, d in tooling.CATALOGUES])
def test_every_catalogue_is_complete_and_current(package: str, domain: str) -> None:
    assert tooling.check_target(tooling.Target(package, domain)) == []


def test_every_coded_server_message_is_in_the_catalogue_in_vietnamese() -> None:
    vi = CATALOGUE.translations("vi")
    codes = {c: s for c, s in CATALOGUE.codes().items() if not c.startswith("qb.")}  # the server's own
    assert len(codes) > 500
    untranslated = [code for code, source in codes.items() if vi.pgettext(code, source) == source
                    and code not in ("results.col.sbd", "pages.bank.format.moodle")]
    assert [c for c in untranslated if not _same_in_both(c)] == []
    assert CATALOGUE.text("accounts.bad_role", "vi", role="x") == "Vai trò không hợp lệ: x."
    assert CATALOGUE.text("accounts.bad_role", "en", role="x") == "Invalid role: x."


def _same_in_both(code: str) -> bool:
    """Names, abbreviations and texts made only of parameters read the same (SBD, file formats)."""
    source = CATALOGUE.codes()[code]
    words = re.sub(r"\{[^}]*\}", "", source)
    return not any(c.isalpha() for c in words) or source.isupper() or "(." in source or source in ("JSON", "CSV", "PDF", "Excel")


def test_parameters_agree_in_both_languages() -> None:
    """Every Vietnamese text formats with exactly the English text's parameters."""
    for lang in ("vi", "en"):
        with tooling.Target("exam_server", "messages").po(lang).open("rb") as fh:
            catalog = read_po(fh)
        checked = 0
        for message in catalog:
            if message.id and tooling.BRACE in message.flags:
                assert tooling._fields(message.string) == tooling._fields(message.id), (lang, message.id)
                checked += 1
        assert checked > 100


# ------------------------------------------------------------------ check on temporary copies

@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository root with a small package and the real mappings."""
    shutil.copy(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    pkg = tmp_path / "pkg"
    (pkg / "templates").mkdir(parents=True)
    (pkg / "mod.py").write_text('from x import coded, _\n\nA = coded("pkg.hello", "Hello {name}")\n'
                                'B = _("Goodbye")\n', encoding="utf-8")
    (pkg / "templates" / "page.html").write_text('<p>{{ pgettext("menu", "Open") }}</p>\n', encoding="utf-8")
    monkeypatch.setattr(tooling, "ROOT", tmp_path)
    monkeypatch.setattr(tooling, "MAPPING", tmp_path / "babel.cfg")
    monkeypatch.setattr(tooling, "CATALOGUES", (("pkg", "messages"),))
    return tmp_path


PKG = tooling.Target("pkg", "messages")
VI = {"Hello {name}": "Xin chào {name}", "Goodbye": "Tạm biệt", "Open": "Mở"}


def _edit_vi(change: dict[str, str], fuzzy: str | None = None) -> None:
    path = PKG.po("vi")
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    for message in catalog:
        if message.id in change:
            message.string = change[message.id]
        if message.id == fuzzy:
            message.flags.add("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog)


def _translated(sandbox: Path) -> None:
    assert tooling.main(["update"]) == 0
    _edit_vi(VI)
    assert tooling.main(["compile"]) == 0


def test_a_missing_catalogue_is_named(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert tooling.main(["check"]) == 1
    err = capsys.readouterr().err
    assert "pkg/translations/vi/LC_MESSAGES/messages.po: missing catalogue for pkg:messages" in err


def test_untranslated_entries_fail_with_file_line_and_msgid(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert tooling.main(["update"]) == 0
    assert tooling.main(["compile"]) == 0
    capsys.readouterr()
    assert tooling.main(["check"]) == 1
    err = capsys.readouterr().err
    assert "msgctxt 'pkg.hello' msgid 'Hello {name}': untranslated" in err
    assert "msgctxt 'menu' msgid 'Open': untranslated" in err
    assert "pkg/translations/vi/LC_MESSAGES/messages.po:" in err
    assert "translations/en/" not in err  # the English catalogue repeats the msgids


def test_a_translated_catalogue_passes_and_works(sandbox: Path) -> None:
    _translated(sandbox)
    assert tooling.main(["check"]) == 0
    from exam_common.i18n import Catalogue

    catalogue = Catalogue(sandbox / "pkg" / "translations")
    catalogue.register(("pkg.hello", "Hello {name}"))
    assert catalogue.text("pkg.hello", "vi", name="An") == "Xin chào An"
    assert catalogue.pgettext("menu", "Open", "en") == "Open"


def test_fuzzy_entry_fails(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _translated(sandbox)
    _edit_vi({}, fuzzy="Goodbye")
    assert tooling.main(["compile"]) == 0
    assert tooling.main(["check"]) == 1
    assert "msgid 'Goodbye': fuzzy" in capsys.readouterr().err


def test_parameter_mismatch_fails(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _translated(sandbox)
    _edit_vi({"Hello {name}": "Xin chào {ten}"})
    assert tooling.main(["compile"]) == 0
    assert tooling.main(["check"]) == 1
    assert "msgstr parameters ['ten'] differ from the msgid's ['name']" in capsys.readouterr().err


def test_stale_mo_fails(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _translated(sandbox)
    _edit_vi({"Goodbye": "Chào tạm biệt"})  # edited, not compiled
    assert tooling.main(["check"]) == 1
    assert "messages.mo: not the compile of pkg/translations/vi/LC_MESSAGES/messages.po" in capsys.readouterr().err


def test_sources_ahead_of_or_behind_the_catalogue_fail(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _translated(sandbox)
    (sandbox / "pkg" / "mod.py").write_text('from x import coded, _\n\nA = coded("pkg.hello", "Hello {name}")\n'
                                            'C = _("Welcome")\n', encoding="utf-8")
    assert tooling.main(["check"]) == 1
    err = capsys.readouterr().err
    assert "pkg/mod.py:4: msgid 'Welcome': missing from pkg/translations/vi/LC_MESSAGES/messages.po" in err
    assert "msgid 'Goodbye': obsolete" in err
    # update keeps the translations still used and drops the obsolete one
    assert tooling.main(["update"]) == 0
    with PKG.po("vi").open("rb") as fh:
        catalog = read_po(fh)
    assert catalog.get("Hello {name}", context="pkg.hello").string == "Xin chào {name}"
    assert catalog.get("Goodbye") is None and catalog.get("Welcome").string == ""


def test_update_twice_changes_nothing(sandbox: Path) -> None:
    _translated(sandbox)
    before = PKG.po("vi").read_bytes(), PKG.po("en").read_bytes()
    assert tooling.main(["update"]) == 0
    assert (PKG.po("vi").read_bytes(), PKG.po("en").read_bytes()) == before


def test_a_blanked_entry_in_a_copy_of_the_server_catalogue_fails(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "exam_server"
    shutil.copytree(ROOT / "exam_server", copy, ignore=shutil.ignore_patterns("__pycache__", "static"))
    monkeypatch.setattr(tooling, "ROOT", tmp_path)
    monkeypatch.setattr(tooling, "MAPPING", ROOT / "babel.cfg")
    assert tooling.check_target(SERVER) == []
    po = SERVER.po("vi")
    with po.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    catalog.get("Candidates").string = ""
    catalog.get("Sitting not found.", context="exams.sitting_not_found").flags.add("fuzzy")
    with po.open("wb") as fh:
        write_po(fh, catalog)
    problems = tooling.check_target(SERVER)
    assert any("msgid 'Candidates': untranslated" in p for p in problems)
    assert any("msgctxt 'exams.sitting_not_found' msgid 'Sitting not found.': fuzzy" in p for p in problems)
    assert any("messages.mo: not the compile" in p for p in problems)
