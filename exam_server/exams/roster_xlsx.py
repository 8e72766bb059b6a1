"""Reading a roster's first sheet from an XLSX file without trusting what the file declares.

openpyxl's read-only mode pads every row to the sheet's declared `<dimension>` and appends empty
rows up to its last row: a 9 KB file declaring `A1:XFD1048576` took 265 MiB. So the archive first
passes the question bank's zip guards (member sizes, compression ratio, member count, paths), the
declared dimension is thrown away, and only the columns the roster needs are read: the header row
(at most `MAX_HEADER_COLUMNS` wide) names them, the data rows are cut after the last of them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

from exam_server.errors import ServiceError
from exam_server.i18n import current_language
from question_bank.errors import ImportFailed
from question_bank.formats.safe_input import SafeZip

MAX_HEADER_COLUMNS = 64  # a school export has ~10 columns; anything past this is not a roster column
HEADER_SCAN_ROWS = 20  # title lines above the header
MAX_ROWS = 100_000  # rows below the header; a sitting of the national exam's size fits in far fewer


def _present_rows(sheet: Any, max_col: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, values up to `max_col`) of the rows the sheet's XML holds, nothing else.

    openpyxl's own iterator invents the rows a file skips (`<row r="1000000">` after row 2 makes
    a million empty rows); its parser below knows each row's number, so gaps cost nothing. This is
    `ReadOnlyWorksheet._cells_by_row` (openpyxl 3.1) without the padding.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    workbook = sheet.parent
    with sheet._get_source() as source:
        parser = WorkSheetParser(source, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
                                 date_formats=workbook._date_formats,
                                 timedelta_formats=workbook._timedelta_formats)
        for number, cells in parser.parse():
            yield number, tuple(sheet._get_row(cells, 1, max_col, values_only=True))


def _blank(row: tuple[Any, ...]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def read_xlsx_rows(data: bytes, filename: str, is_header: Callable[[Any], bool]) -> list[list[Any]]:
    """The sheet's rows (blank leading rows dropped, header first), each cut after the last
    column whose header `is_header` recognises. Raises ServiceError naming the problem."""
    try:
        SafeZip(data, filename)  # bombs, lying sizes and traversal are refused before openpyxl unzips
    except ImportFailed as exc:
        raise ServiceError("exams.roster_unreadable", reason=exc.message(current_language())) from None
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        header_no, header = 0, tuple[Any, ...]()
        for number, row in _present_rows(sheet, MAX_HEADER_COLUMNS):
            if number > HEADER_SCAN_ROWS:
                break
            if not _blank(row):
                header_no, header = number, row
                break
        if not header_no:
            return []
        needed = [i for i, cell in enumerate(header) if is_header(cell)]
        width = needed[-1] + 1 if needed else len(header)
        rows: list[list[Any]] = [list(header[:width])]
        for number, row in _present_rows(sheet, width):
            if number <= header_no or _blank(row):
                continue
            if number - header_no > MAX_ROWS:
                raise ServiceError("exams.roster_too_many_rows", limit=MAX_ROWS)
            # rows the file skips stay as blanks, so row numbers are those the spreadsheet shows
            rows.extend([] for _ in range(number - header_no - len(rows)))
            rows.append(list(row))
        workbook.close()
    except ServiceError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise ServiceError("exams.roster_unreadable", reason=str(exc)[:200]) from exc
    return rows
