"""Each export format is opened back and checked: CSV parsed, XLSX read, PDF text extracted."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from exam_server.results.exports import ResultRow, export
from exam_server.results.scores import round_score

ROWS = [
    ResultRow("010002", "Trần Thị Bích", date(2008, 2, 29), "THPT Chu Văn An", "12A1", "Phòng 01", "0102",
              7.0, 10.0, 7.0, "submitted"),
    ResultRow("010001", "Nguyễn Văn Đức", date(2008, 5, 3), "THPT Chu Văn An", "12A2", "Phòng 01", "0101",
              8.3, 10.0, 8.25, "submitted"),
    ResultRow("020001", "=HYPERLINK(\"x\")", None, "THPT Lê Quý Đôn", "12B", "Phòng 02", "", None, 10.0, None,
              "absent"),
]


@pytest.mark.parametrize(("raw", "maximum", "step", "expected"), [
    (8.3, 10, "0.25", 8.25), (8.375, 10, "0.25", 8.5), (7.12, 10, "0.01", 7.12),
    (23, 40, "0.25", 5.75), (2.6666, 4, "0.01", 6.67), (0, 10, "0.25", 0.0),
])
def test_round_score(raw: float, maximum: float, step: str, expected: float) -> None:
    assert round_score(raw, maximum, step) == expected


def test_csv_has_bom_and_vietnamese_headers(tmp_path: Path) -> None:
    files = export(ROWS, "room", "csv", tmp_path)
    assert sorted(p.name for p in files) == ["Phòng 01.csv", "Phòng 02.csv"]
    raw = (tmp_path / "Phòng 01.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:3] == ["SBD", "Họ và tên", "Ngày sinh"]
    assert [r[0] for r in rows[1:]] == ["010001", "010002"]  # sorted by SBD
    assert rows[2][2] == "29/02/2008"


def test_xlsx_one_sheet_per_room_frozen_values_only(tmp_path: Path) -> None:
    [path] = export(ROWS, "room", "xlsx", tmp_path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Phòng 01", "Phòng 02"]
    ws = wb["Phòng 01"]
    assert ws.freeze_panes == "A2"
    assert ws["B2"].value == "Nguyễn Văn Đức" and ws["J2"].value == 8.25
    injected = wb["Phòng 02"]["B2"]
    assert injected.data_type != "f" and str(injected.value).startswith("'=")


def test_pdf_sheets_and_slips_carry_vietnamese_text(tmp_path: Path) -> None:
    files = export(ROWS, "school", "pdf", tmp_path, title="Kỳ thi thử THPT 2026")
    sheets = PdfReader(files[0])
    assert len(sheets.pages) == 2  # one page per school
    text = sheets.pages[0].extract_text()
    assert "Nguyễn Văn Đức" in text and "8,25" in text and "tám phẩy hai lăm" in text
    assert "Ký, ghi rõ họ tên" in text and "BẢNG GHI ĐIỂM" in text
    slips = PdfReader(files[1])
    assert len(slips.pages) == 3
    assert "PHIẾU BÁO ĐIỂM" in slips.pages[0].extract_text()
    fonts = [f.get_object() for page in sheets.pages for f in page["/Resources"]["/Font"].values()]
    # The text is set in an embedded TrueType subset (the 14 standard fonts lack Vietnamese glyphs).
    dejavu = [f for f in fonts if "DejaVu" in str(f["/BaseFont"])]
    assert dejavu and all("/FontFile2" in f["/FontDescriptor"] for f in dejavu)


def test_json_groups_by_class(tmp_path: Path) -> None:
    [path] = export(ROWS, "class", "json", tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"12A1", "12A2", "12B"}
    assert data["12B"][0]["score"] is None and data["12A1"][0]["date_of_birth"] == "29/02/2008"


def test_bad_grouping_and_format_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="grouping 'desk'"):
        export(ROWS, "desk", "csv", tmp_path)
    with pytest.raises(ValueError, match="format 'doc'"):
        export(ROWS, "room", "doc", tmp_path)
