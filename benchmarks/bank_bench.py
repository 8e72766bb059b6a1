"""Question bank in the web: import 10,000 questions, then browse and filter them.

For each backend (SQLite file; PostgreSQL when reachable) this imports one 10,000-question
Moodle XML file through the page's import endpoint (read, check, store in one transaction),
then renders the browse page (50 rows) REPEAT times per filter through the Flask test client
(in process: the server's own work, no network) and writes benchmarks/results/bank.md.

    .venv/bin/python benchmarks/bank_bench.py [--questions 10000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exam_server.accounts.service import create_user  # noqa: E402
from exam_server.db import db  # noqa: E402
from question_bank.formats import write_bytes_any  # noqa: E402
from question_bank.model import Option, Question  # noqa: E402
from tests.pages.conftest import make_app  # noqa: E402

PG_ADMIN = os.environ.get("TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-password-1"
DIFFICULTIES = ("NB", "TH", "VD", "VDC")


def bank_file(n: int) -> bytes:
    questions = [
        Question(type="single_choice", stem=f"<p>Câu hỏi số <b>{i}</b>: {i} + {i} bằng bao nhiêu?</p>", points=1.0,
                 title=f"Câu {i}", topic=f"Chủ đề {i % 20}", difficulty=DIFFICULTIES[i % 4], tags=[f"thẻ {i % 10}", "lớp 12"],
                 options=[Option("A", str(2 * i), 1.0), Option("B", str(2 * i + 1)), Option("C", str(2 * i - 1))])
        for i in range(n)
    ]
    return write_bytes_any(questions, "bank.xml")


def timed(client, url: str, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def bench(backend: str, url: str, n: int, repeat: int, data: bytes) -> list[str]:
    app = make_app(url, Path(tempfile.mkdtemp()) / "instance")
    with app.app_context():
        user = create_user(f"gv-{uuid.uuid4().hex[:8]}", PASSWORD, "examiner").username
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token})
    token = re.search(r'name="csrf_token" value="([^"]+)"',  # type: ignore[union-attr]
                      client.get("/bank/import").get_data(as_text=True)).group(1)
    start, cpu = time.perf_counter(), time.process_time()
    r = client.post("/bank/import", data={"csrf_token": token, "file": (io.BytesIO(data), "bank.xml")},
                    content_type="multipart/form-data")
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert r.status_code == 200 and f"thêm {n} trên {n}" in r.get_data(as_text=True), r.status_code
    rows = [f"| {backend} | import {n:,} questions (page POST) | {wall:.1f} s wall, {cpu:.1f} s CPU | — |"]
    urls = {
        "browse, no filter, page 1": "/bank/",
        "browse, last page": f"/bank/?page={n // 50}",
        "topic + type + difficulty": "/bank/?topic=Chủ đề 7&type=single_choice&difficulty=VD",
        "tag": "/bank/?tag=thẻ 3",
        "text search": "/bank/?text=số 9999",
        "API list, 200 per page": "/api/v1/bank/questions?per_page=200&difficulty=TH",
        "API facets": "/api/v1/bank/facets",
    }
    for label, u in urls.items():
        p50, p95 = timed(client, u, repeat)
        rows.append(f"| {backend} | {label} | {p50:.0f} ms p50 | {p95:.0f} ms p95 |")
    db.engine(app).dispose()
    return rows


def postgres_url() -> str | None:
    try:
        import psycopg

        name = f"bench_bank_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    except Exception:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    data = bank_file(args.questions)
    load = os.getloadavg()[0]
    rows = bench("sqlite", f"sqlite:///{tempfile.mkdtemp()}/exam.db", args.questions, args.repeat, data)
    pg = postgres_url()
    if pg:
        try:
            rows += bench("postgresql", pg, args.questions, args.repeat, data)
        finally:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg.rsplit("/", 1)[1]}" WITH (FORCE)')
    out = ROOT / "benchmarks" / "results" / "bank.md"
    out.write_text("\n".join([
        "# Question bank in the web",
        "",
        f"Command: `.venv/bin/python benchmarks/bank_bench.py --questions {args.questions} --repeat {args.repeat}`",
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()};"
        f" load average {load:.1f} at the start (shared with other helpers' test runs).",
        f"Data: one Moodle XML file of {args.questions:,} single-choice questions ({len(data) / 2**20:.1f} MiB),"
        " 20 topics, 4 difficulties, 11 tags.",
        "Measured in process through the Flask test client (session, role check, queries, Jinja; no network).",
        "Limiting resource: the import is one core (XML parse, content hashing, then bulk inserts); browsing is",
        "index lookups plus one COUNT over the filtered rows, and rendering 50 rows.",
        "",
        "| backend | operation | figure | |",
        "|---|---|---|---|",
        *rows,
        "",
    ]), encoding="utf-8")
    print(out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
