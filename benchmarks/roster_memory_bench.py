"""Memory of reading a roster XLSX whose `<dimension>` lies (issue #12, item 11).

Builds a 300-row roster, then the same file declaring `A1:XFD2000`, and prints the tracemalloc
peak of openpyxl's plain read-only iteration (what the roster import did) and of the roster
reader (`exam_server.exams.roster.read_rows`). Run: `.venv/bin/python -m benchmarks.roster_memory_bench`.
"""

from __future__ import annotations

import io
import tracemalloc

from openpyxl import load_workbook

from exam_server.exams.roster import read_rows
from tests.server.test_roster_hostile import _huge_dimension, _workbook


def _peak(fn: object) -> float:
    tracemalloc.start()
    try:
        fn()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    normal = _workbook()
    for label, data in (("normal", normal), ("declares A1:XFD2000", _huge_dimension(normal, "A1:XFD2000"))):
        def plain(data: bytes = data) -> None:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
            [list(r) for r in sheet.iter_rows(values_only=True)]

        print(f"{label}: {len(data):,} bytes; openpyxl read-only {_peak(plain):.1f} MiB; "
              f"roster reader {_peak(lambda data=data: read_rows('ds.xlsx', data)):.2f} MiB")


if __name__ == "__main__":
    main()
