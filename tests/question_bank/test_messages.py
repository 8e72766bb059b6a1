"""The question bank reports codes with parameters; the caller picks Vietnamese or English.

Every code is declared once (question_bank/messages.py) and translated in the catalogues
(translations/{vi,en}/LC_MESSAGES/messages.po): a code used without a declaration, or a
declaration without a Vietnamese text, is a test failure, not a bare code on a teacher's screen.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner

import question_bank
from question_bank import messages
from question_bank.cli import language_from_env, main
from question_bank.errors import ImportFailed
from question_bank.formats import read_bytes_any
from question_bank.messages import CATALOGUE, DECLARATIONS, msg

PACKAGE = Path(question_bank.__file__).parent
SERVER = PACKAGE.parent / "exam_server"
TRANSLATIONS = PACKAGE / "translations"
PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)[!}:]")  # a str.format field, not "{1:SA:=…}" or "}}"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)


def catalogue(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh)


# -- an issue is a code with parameters ---------------------------------------------------------
def test_an_issue_carries_a_code_its_params_and_its_place() -> None:
    with pytest.raises(ImportFailed) as failure:
        read_bytes_any(b"Q?\nA. x\nB. y\nANSWER: E\n", "a.txt")
    (issue,) = failure.value.errors
    assert issue.code == "qb.aiken.answer_not_option" and issue.params == {"letter": "E"}
    assert issue.file == "a.txt" and issue.place.code == "qb.where.line" and issue.place.params == {"line": 4}
    assert issue.message("vi") == "a.txt: dòng 4: đáp án 'E' không phải một phương án"
    assert issue.message() == issue.message("vi")  # Vietnamese by default
    assert issue.message("en") == str(issue) == "a.txt: line 4: answer 'E' is not one of the options"
    assert failure.value.code == "qb.aiken.answer_not_option"
    assert issue.to_dict("en")["reason"] == "answer 'E' is not one of the options"
    assert issue.to_dict("vi")["location"] == "dòng 4"


def test_office_97_refusal_reads_naturally_in_both_languages() -> None:
    with pytest.raises(ImportFailed) as failure:
        read_bytes_any(OLE2, "de.docx")
    assert failure.value.code == "qb.input.ole2_refused"
    vi, en = failure.value.message("vi"), failure.value.message("en")
    assert vi.startswith("de.docx: Đây là tệp Office 97-2003") and "refused" not in vi
    assert en.startswith("de.docx: Word 97-2003 / OLE2 file refused") and "tệp" not in en


def test_nested_messages_and_numbers_follow_the_language() -> None:
    grades = msg("qb.moodle.grade_not_allowed", grades=[msg("qb.percent", value=12.5)])
    assert grades.text("vi") == "tỉ lệ điểm không thuộc danh sách Moodle cho phép: 12,5%"
    assert grades.text("en").endswith(": 12.5%")
    nested = msg("qb.blanks.blank_reason", blank="2", reason=msg("qb.cloze.full_marks"))
    assert nested.text("vi") == "ô trống 2: cần một đáp án được 100%"
    assert nested.text("en") == "blank 2: one answer must be worth 100%"
    assert nested.to_dict("en")["params"] == {"blank": "2", "reason": {"code": "qb.cloze.full_marks", "params": {}}}


def test_import_report_notes_are_coded() -> None:
    result = read_bytes_any("Thủ đô?\nA. Huế\nB. Hà Nội\nANSWER: B\n".encode(), "a.txt")
    assert [n.code for n in result.report] == ["qb.import.imported"]
    assert result.report_text("vi") == ["1 câu hỏi đã nhập"] and result.report_text("en") == ["questions imported: 1"]


# -- the CLI speaks the user's language ---------------------------------------------------------
@pytest.fixture
def bank_file(tmp_path: Path) -> Path:
    path = tmp_path / "a.txt"
    path.write_text("Thủ đô?\nA. Huế\nB. Hà Nội\nANSWER: B\n", encoding="utf-8")
    return path


def invoke(*args: str, **env: str | None) -> object:
    base = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}
    return CliRunner().invoke(main, [str(a) for a in args], env={**base, **env}, catch_exceptions=False)


def test_cli_is_vietnamese_by_default(bank_file: Path) -> None:
    result = invoke("validate", bank_file)
    assert result.exit_code == 0 and "a.txt: hợp lệ, 1 câu hỏi" in result.stdout
    assert "ghi chú: 1 câu hỏi đã nhập" in result.stderr


def test_cli_is_english_with_lang_en_or_an_english_locale(bank_file: Path) -> None:
    for result in (invoke("--lang", "en", "validate", bank_file), invoke("validate", bank_file, LANG="en_US.UTF-8")):
        assert result.exit_code == 0 and "a.txt: valid; questions: 1" in result.stdout
        assert "note: questions imported: 1" in result.stderr and "câu" not in result.stderr
    # --lang wins over the environment; LC_ALL over LANG.
    assert "hợp lệ" in invoke("--lang", "vi", "validate", bank_file, LANG="en_US.UTF-8").stdout
    assert "hợp lệ" in invoke("validate", bank_file, LC_ALL="vi_VN.UTF-8", LANG="en_US.UTF-8").stdout


def test_cli_refusals_and_numbers_are_translated(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Q?\nA. x\nB. y\nANSWER: E\n")
    vi, en = invoke("validate", bad), invoke("--lang", "en", "validate", bad)
    assert vi.exit_code == en.exit_code == 1
    assert "bad.txt: dòng 4: đáp án 'E' không phải một phương án" in vi.stderr
    assert "bad.txt: line 4: answer 'E' is not one of the options" in en.stderr
    (tmp_path / "p.csv").write_text("sbd,1,2\nMAX,0.25,1\nc1,\"0,25\",1\nc2,0,\"0,5\"\n", encoding="utf-8")
    assert "trung bình 0,88/1,25" in invoke("analyze", tmp_path / "p.csv").stderr
    assert "mean 0.88/1.25" in invoke("--lang", "en", "analyze", tmp_path / "p.csv").stderr


def test_language_from_env() -> None:
    assert language_from_env({}) == "vi"
    assert language_from_env({"LANG": "C.UTF-8"}) == "vi"
    assert language_from_env({"LANG": "en_GB.UTF-8"}) == "en"
    assert language_from_env({"LC_MESSAGES": "vi_VN", "LANG": "en_US"}) == "vi"
    assert language_from_env({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "vi_VN"}) == "en"


# -- the catalogues -----------------------------------------------------------------------------
def test_every_declared_code_has_a_vietnamese_translation() -> None:
    vi = {m.context: m for m in catalogue("vi") if m.id}
    en = {m.context: m for m in catalogue("en") if m.id}
    declared = dict(DECLARATIONS)
    assert set(vi) == set(declared) == set(en)
    for code, source in declared.items():
        entry = vi[code]
        assert entry.id == source and en[code].id == source and en[code].string == source, code
        assert entry.string and not entry.fuzzy, f"{code} is not translated"
        assert set(PLACEHOLDER.findall(entry.string)) == set(PLACEHOLDER.findall(source)), code
        if PLACEHOLDER.search(source):
            assert "python-brace-format" in entry.flags, code
            assert CATALOGUE.text(code, "vi", **{p: "x" for p in PLACEHOLDER.findall(source)})  # formats
        else:
            assert CATALOGUE.text(code, "vi") == entry.string, code  # shown as written, braces and all


def test_vietnamese_texts_do_not_carry_english_in_brackets() -> None:
    english = re.compile(r"\((?:[a-z]+ ){2,}[a-z]+\)")  # the old "vi (en)" style
    for entry in catalogue("vi"):
        if entry.id:
            assert not english.search(entry.string), (entry.context, entry.string)


def test_compiled_catalogues_match_the_po_files() -> None:
    for lang in ("vi", "en"):
        with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
            compiled = {(m.context, m.id): m.string for m in read_mo(fh) if m.id}
        assert compiled == {(m.context, m.id): m.string for m in catalogue(lang) if m.id}, lang


CODE = re.compile(r"^qb\.[a-z0-9_]+(\.[a-z0-9_]+)*\.?$")


def _used_codes(root: Path, skip: tuple[str, ...] = ()) -> tuple[set[str], set[str]]:
    """(code literals, prefixes of f-string codes such as f"qb.flag.{flag}") in `root`'s sources."""
    literals: set[str] = set()
    prefixes: set[str] = set()
    for path in root.rglob("*.py"):
        if path.name in skip:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                prefix = str(node.values[0].value)
                if CODE.match(prefix) and prefix.endswith("."):
                    prefixes.add(prefix)
            elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value)
                  and not node.value.endswith(".")):
                literals.add(node.value)
    return literals, prefixes


def test_no_code_is_used_without_a_declaration() -> None:
    declared = set(dict(DECLARATIONS))
    literals, prefixes = _used_codes(PACKAGE, skip=("messages.py",))  # the declarations themselves
    server_literals, _ = _used_codes(SERVER)
    assert literals and prefixes  # the scan sees the package's calls
    assert not (literals | server_literals) - declared
    for prefix in prefixes:
        assert any(code.startswith(prefix) for code in declared), prefix
    # every declaration is used: directly, or as a member of an f-string family
    unused = {c for c in declared - literals - server_literals if not any(c.startswith(p) for p in prefixes)}
    assert not unused, unused


def test_no_mixed_language_strings_remain_in_the_package() -> None:
    # An English text in brackets after a Vietnamese one ("… (not a number)") is the old style.
    # Docstrings and comments may mix (they document Vietnamese files); strings in the code may not.
    mixed = re.compile(r"[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ][^\n]*\((?:[a-z]+ ){2,}[a-z]+")
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef)) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                assert not mixed.search(node.value), f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value[:80]}"


def test_server_catalogue_knows_the_question_bank_codes() -> None:
    from exam_server.i18n import CATALOGUE as SERVER_CATALOGUE
    from exam_server.i18n import translate

    assert set(dict(DECLARATIONS)) <= set(SERVER_CATALOGUE.codes())
    assert translate("qb.input.binary", "vi") == "tệp nhị phân, không phải văn bản"
    assert translate("qb.input.binary", "en") == "binary file, not text"


def test_messages_module_is_plain_data() -> None:
    # The library layer: no Flask, no database, no server.
    source = Path(messages.__file__).read_text(encoding="utf-8")
    assert "flask" not in source.lower() and "exam_server" not in source and "sqlalchemy" not in source
    assert json.dumps(msg("qb.where.line", line=3).to_dict("en")) == (
        '{"code": "qb.where.line", "params": {"line": 3}, "message": "line 3"}')
