"""Hostile roster workbooks (issue #12, item 11): the declared size is not believed, bombs are refused.

Memory is compared with a normal file of the same rows (tracemalloc peak), not timed.
"""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile

import pytest
from flask import Flask
from openpyxl import Workbook

from exam_server.db import session as db
from exam_server.errors import ServiceError
from exam_server.exams.models import Registration
from exam_server.exams.roster import import_roster, read_rows
from exam_server.exams.roster_xlsx import MAX_ROWS
from tests.support.seed import EXAMINER, seed_sitting

HEADER = ["STT", "SBD", "Họ và tên", "Ngày sinh", "Số CCCD", "Trường", "Lớp", "Phòng", "Số máy/Ghế"]


def _workbook(rows: int = 300) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(rows):
        ws.append([i + 1, f"03{i:04d}", f"Nguyễn Văn {i}", "05/03/2008", f"0013080{i:05d}", "THPT A", "12A", "P01", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite_sheet(data: bytes, change: object) -> bytes:
    """The same workbook with the first sheet's XML passed through `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = change(body.decode()).encode()  # type: ignore[operator]
            dst.writestr(info.filename, body)
    return out.getvalue()


def _huge_dimension(data: bytes, ref: str = "A1:XFD1048576") -> bytes:
    return _rewrite_sheet(data, lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml))


def _peak(data: bytes) -> tuple[int, list[list[object]]]:
    tracemalloc.start()
    try:
        rows = read_rows("ds.xlsx", data)
        return tracemalloc.get_traced_memory()[1], rows
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("ref", ["A1:XFD2000", "A1:XFD1048576"])
def test_declared_dimension_does_not_blow_up_memory(ref: str) -> None:
    normal = _workbook()
    hostile = _huge_dimension(normal, ref)
    assert len(hostile) < 32 * 1024  # a file of a few KB (before the fix: 265 MiB for XFD2000)
    normal_peak, normal_rows = _peak(normal)
    hostile_peak, hostile_rows = _peak(hostile)
    assert hostile_rows == normal_rows and len(hostile_rows) == 301
    assert all(len(r) <= len(HEADER) for r in hostile_rows)
    assert hostile_peak < 2 * normal_peak + 2 * 1024 * 1024, (hostile_peak, normal_peak)


def test_far_away_cells_and_columns_are_not_read(app: Flask) -> None:
    """A cell at XFD1 and one at row 1,000,000 must not make every row 16,384 wide or a million long."""
    def far(xml: str) -> str:
        xml = xml.replace("</row>", '<c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>', 1)
        return xml.replace("</sheetData>", '<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>y</t></is></c>'
                                            "</row></sheetData>")
    hostile = _rewrite_sheet(_workbook(20), far)
    with pytest.raises(ServiceError) as refused:
        _peak(hostile)
    assert refused.value.code == "exams.roster_too_many_rows"
    assert str(MAX_ROWS) in refused.value.message("en")


def test_zip_bomb_member_is_refused_before_openpyxl_reads_it(app: Flask) -> None:
    def bomb(xml: str) -> str:
        # 4 MiB of padding deflates to a few KB: the compression-ratio guard refuses it
        return xml.replace("<sheetData>", "<sheetData>" + " " * (4 * 1024 * 1024), 1)
    data = _rewrite_sheet(_workbook(2), bomb)
    with pytest.raises(ServiceError) as refused:
        read_rows("ds.xlsx", data)
    assert refused.value.code == "exams.roster_unreadable"
    assert "zip bomb" in refused.value.message("en")


def test_not_a_zip_is_refused_with_a_reason(app: Flask) -> None:
    with pytest.raises(ServiceError) as refused:
        read_rows("ds.xlsx", b"PK\x03\x04 truncated")
    assert refused.value.code == "exams.roster_unreadable" and "zip" in refused.value.message("vi")


def test_hostile_dimension_still_imports_all_or_nothing(app: Flask) -> None:
    s = seed_sitting(open_checkin=True)
    data = _huge_dimension(_workbook(3))
    assert import_roster(s.sitting_id, "ds.xlsx", data, EXAMINER).imported == 3
    assert db.query(Registration).filter(Registration.sitting_id == s.sitting_id,
                                         Registration.sbd.like("03%")).count() == 3
