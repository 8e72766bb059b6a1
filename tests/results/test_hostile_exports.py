"""Roster text is data, never markup or a formula (issue #12, items 9 and 10).

A school named `THPT A<br/><b>Điểm (thang 10):</b> 10,00` must not add a score line to a signed
result slip, `<img src=…/>` must not embed a local file, names that are broken markup must not
crash the export, and CSV cells must not start a formula when a spreadsheet opens them.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from exam_server.results.exports import ResultRow, export, neutralise_formula

FAKE_SCORE = "THPT A<br/><b>Điểm (thang 10):</b> 10,00"


def _row(sbd: str, name: str, school: str = "THPT Chu Văn An", klass: str = "12A1") -> ResultRow:
    return ResultRow(sbd, name, date(2008, 5, 3), school, klass, "Phòng 01", "0101", 3.0, 10.0, 3.0, "submitted")


def _text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _images(path: Path) -> int:
    return sum(len(page.images) for page in PdfReader(path).pages)


def test_fake_score_line_in_a_school_name_stays_literal_text(tmp_path: Path) -> None:
    export([_row("010001", "Nguyễn Văn Đức", school=FAKE_SCORE)], "room", "pdf", tmp_path, title="Kỳ thi")
    slip = _text(tmp_path / "phieu-bao-diem.pdf")
    # the markup is shown as typed, on the school's own line; the only score line is the real one
    assert "<br/><b>Điểm (thang 10):</b> 10,00" in slip
    score_lines = [line for line in slip.splitlines() if line.startswith("Điểm")]
    assert score_lines == ["Điểm (thang 10): 3,0 (ba)"]  # the official slip: figures and words


@pytest.mark.parametrize("field", ["full_name", "school", "class_name"])
def test_img_tag_embeds_no_local_file(tmp_path: Path, field: str) -> None:
    picture = tmp_path / "secret.png"
    # a real PNG: before the fix reportlab read it from disk and embedded it in the slip
    Image.new("RGB", (20, 20), "red").save(picture)
    hostile = f'<img src="{picture}" width="50" height="50"/>'
    values = {"full_name": "Lê Văn C", "school": "THPT B", "class_name": "12C", field: hostile}
    row = ResultRow("010003", values["full_name"], date(2008, 1, 1), values["school"], values["class_name"],
                    "Phòng 01", "0101", 1.0, 10.0, 1.0, "submitted")
    out = tmp_path / "out"
    export([row], "room", "pdf", out, title=hostile)
    for pdf in ("phieu-bao-diem.pdf", "bang-diem.pdf"):
        assert _images(out / pdf) == 0
    assert "<img" in _text(out / "phieu-bao-diem.pdf")


@pytest.mark.parametrize("name", [
    "Trần <b>Văn", "A & B", "A &amp B", "Lê </para> Thị", "Ngô\x00Văn\x07D\x1b", "<font size=200>X",
    "Đặng <a href='javascript:x'>E", "]]><![CDATA[", "Phạm\u2028Văn\ufffeF",
])
def test_broken_markup_and_control_characters_do_not_crash_any_pdf(tmp_path: Path, name: str) -> None:
    rows = [_row("010001", name, school=name, klass=name), _row("010002", "Nguyễn Văn Đức")]
    files = export(rows, "school", "pdf", tmp_path, title=name)
    assert {p.name for p in files} >= {"bang-diem.pdf", "phieu-bao-diem.pdf"}
    slip = _text(tmp_path / "phieu-bao-diem.pdf")
    assert "Nguyễn Văn Đức" in slip
    assert re.findall(r"\w+", name)[0] in slip  # the name is printed, control characters aside
    assert "\x00" not in slip and "\x1b" not in slip


@pytest.mark.parametrize(("value", "expected"), [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("Nguyễn Văn Đức", "Nguyễn Văn Đức"),
    (8.25, 8.25),
    (None, None),
])
def test_formula_prefixes_are_neutralised(value: object, expected: object) -> None:
    assert neutralise_formula(value) == expected


def test_csv_export_writes_no_formula(tmp_path: Path) -> None:
    hostile = ["=HYPERLINK(\"http://evil\",\"Xem\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-1+2", "\t=1", "\r=2"]
    rows = [_row(f"0100{i:02d}", name, school=name, klass=name) for i, name in enumerate(hostile)]
    [path] = export(rows, "sitting", "csv", tmp_path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        parsed = list(csv.reader(fh))[1:]
    for line in parsed:
        for cell in line:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), line
    names = {line[1] for line in parsed}
    assert {f"'{h}" for h in hostile} == names
