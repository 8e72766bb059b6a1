"""Export a large sitting's results in every format, signed and zipped as the results page
downloads them: time and peak memory per format.

    .venv/bin/python benchmarks/results_export_bench.py --candidates 10000 --formats pdf

Rows are synthetic (`ResultRow`s in SBD order, 25 per room, a tenth absent), so the figure is
the export itself (writers, signature, zip), not the database query before it.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

from exam_server.results import FORMATS, exports, package
from exam_server.results.exports import ResultRow
from exam_server.results.official import Heading

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
GIVEN = ("Văn Đức", "Thị Bích Ngọc", "Minh Khôi", "Ngọc Ánh", "Quang Huy", "Thu Hà")


def rows(n: int) -> list[ResultRow]:
    out = []
    for i in range(n):
        absent = i % 10 == 7
        score = None if absent else round((i * 37 % 41) / 4, 2)
        out.append(ResultRow(
            sbd=f"01{i:06d}", full_name=f"{FAMILY[i % 8]} {GIVEN[i % 6]}", date_of_birth=date(2008, 1 + i % 12, 1 + i % 28),
            school=f"THPT số {i % 26 + 1}", class_name=f"12A{i % 9 + 1}", room=f"P{i // 25 + 1:03d}",
            paper_code=f"{101 + i % 24:04d}", raw_points=score, max_points=10.0, score=score,
            status="absent" if absent else "submitted"))
    return out


def run(n: int, by: str, formats: list[str]) -> None:
    data = rows(n)
    with tempfile.TemporaryDirectory() as work:
        key, cert = package.generate_demo_signer(Path(work) / "signer")
        heading = Heading(authority="SỞ GIÁO DỤC VÀ ĐÀO TẠO", council="HỘI ĐỒNG THI", exam="Thi thử", subject="Toán",
                          sitting="Ca 1")
        print(f"candidates={n} by={by} load={os.getloadavg()[0]:.1f}")
        for fmt in formats:
            folder = Path(work) / fmt
            started, cpu = time.perf_counter(), time.process_time()
            exports.export(data, by, fmt, folder, title="Thi thử — Ca 1", heading=heading)
            package.sign_package(folder, key.read_bytes(), cert.read_bytes(), {"sitting": 1, "by": by, "format": fmt})
            target = Path(work) / f"{fmt}.zip"
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(folder.rglob("*")):
                    zf.write(path, path.relative_to(folder).as_posix())
            wall, used = time.perf_counter() - started, time.process_time() - cpu
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{fmt:5s} wall {wall:6.1f} s  cpu {used:6.1f} s  max RSS so far {rss:6.0f} MiB  "
                  f"zip {target.stat().st_size / 2**20:6.1f} MiB", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--by", default="room")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated; one per process "
                        "gives each format's own peak memory")
    args = parser.parse_args()
    run(args.candidates, args.by, args.formats.split(","))
