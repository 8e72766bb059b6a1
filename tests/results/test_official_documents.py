"""Official score sheets and result slips: heading, SBD order, score in figures and words,
"Vắng" for absentees, signature blocks; checked by reading the PDFs back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from exam_server.results.exports import ResultRow, export
from exam_server.results.official import Heading, score_figures, score_words

HEADING = Heading(authority="SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI", council="HỘI ĐỒNG THI THPT CHU VĂN AN",
                  exam="Kỳ thi thử tốt nghiệp THPT 2026", subject="Toán", sitting="Ca 1",
                  day=datetime(2026, 5, 20, 1, 30, tzinfo=UTC))
ROWS = [
    ResultRow("010003", "Lê Thị Hoa", date(2008, 3, 1), "THPT Chu Văn An", "12A1", "Phòng 01", "0101",
              None, 0.0, None, "absent"),
    ResultRow("010001", "Nguyễn Văn Đức", date(2008, 5, 3), "THPT Chu Văn An", "12A1", "Phòng 01", "0102",
              8.3, 10.0, 8.25, "submitted"),
    ResultRow("010002", "Trần <b>Bích</b>", date(2008, 2, 29), "THPT Chu Văn An", "12A1", "Phòng 01", "0101",
              10.0, 10.0, 10.0, "submitted"),
]


@pytest.mark.parametrize(("score", "figures", "words"), [
    (8.25, "8,25", "tám phẩy hai lăm"), (8.5, "8,5", "tám phẩy năm"), (10.0, "10,0", "mười"),
    (0.0, "0,0", "không"), (7.75, "7,75", "bảy phẩy bảy lăm"), (9.05, "9,05", "chín phẩy không năm"),
    (6.21, "6,21", "sáu phẩy hai mốt"), (5.1, "5,1", "năm phẩy một"),
])
def test_score_in_figures_and_words(score: float, figures: str, words: str) -> None:
    assert score_figures(score) == figures
    assert score_words(score) == words


def test_score_sheet_heading_order_absent_and_signatures(tmp_path: Path) -> None:
    sheet, slips = export(ROWS, "room", "pdf", tmp_path, title="Kết quả", heading=HEADING)
    [page] = PdfReader(sheet).pages
    text = page.extract_text()
    for expected in ("SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI", "HỘI ĐỒNG THI THPT CHU VĂN AN", "BẢNG GHI ĐIỂM",
                     "Kỳ thi thử tốt nghiệp THPT 2026", "Môn: Toán", "Ca thi: Ca 1", "Ngày thi: 20/05/2026",
                     "Phòng thi: Phòng 01", "Điểm bằng chữ", "CHỦ TỊCH HỘI ĐỒNG THI", "Vắng: 1"):
        assert expected in text, expected
    assert "Trần <b>Bích</b>" in text  # roster text printed as typed, never as markup
    # SBD order, and the absentee reads "Vắng" where the score would be, never 0.
    assert text.index("010001") < text.index("010002") < text.index("010003")
    absent_row = text[text.index("010003"):text.index("Tổng số thí sinh")]
    assert "Vắng" in absent_row and "0,0" not in absent_row
    assert "8,25" in text and "tám phẩy hai lăm" in text and "mười" in text
    slip_pages = PdfReader(slips).pages
    assert len(slip_pages) == 3
    assert "010001" in slip_pages[0].extract_text() and "PHIẾU BÁO ĐIỂM" in slip_pages[0].extract_text()
    assert "Điểm (thang 10): Vắng" in slip_pages[2].extract_text()
