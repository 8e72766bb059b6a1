"""Export a large sitting's results as the results page does: every format x grouping, time and
peak memory each, then the background PDF job; writes benchmarks/results/results_export.md.

    .venv/bin/python benchmarks/results_export_bench.py --candidates 10000

A graded sitting (rooms of 25, a tenth absent) is seeded in a private PostgreSQL database. Each
format x grouping runs `bundle.package_zip` — the code behind the download: query, writers,
signature, zip — in a fresh process, so its peak RSS is that export's own. The background job is
started over HTTP on a real server process (`exam-server run`) and its builder process
(`exam_server.export_worker`) is sampled for CPU and RSS while the server's worker is watched.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.large_sitting import load, login_staff, machine_line, private_postgres, seed  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "results_export.md"


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(database: str, instance: str, sitting_id: int, fmt: str, by: str) -> None:
    """Child: one export, printed as a JSON line."""
    from exam_server.events.log import Actor
    from exam_server.results import bundle
    from tests.pages.conftest import make_app

    app = make_app(database, Path(instance))
    with app.app_context():
        from exam_server.authority import signer_paths
        from exam_server.db import session

        signer_paths(app)  # the demo signer exists (made by the parent)
        before = rss_mib()
        started, cpu = time.perf_counter(), time.process_time()
        out = bundle.package_zip(session, sitting_id, fmt, by, Actor("examiner:bench"))
        size = len(out.read())
        wall, used = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"fmt": fmt, "by": by, "wall": wall, "cpu": used, "rss_before": before, "rss_peak": rss_mib(),
                      "zip_mib": size / 2**20}), flush=True)


def run_one(database: str, instance: Path, sitting_id: int, fmt: str, by: str) -> dict[str, float | str]:
    done = subprocess.run([sys.executable, __file__, "--one", f"{fmt}:{by}", "--database", database,
                           "--instance", str(instance), "--sitting", str(sitting_id)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    result: dict[str, float | str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def background_job(database: str, instance: Path, sitting_id: int, examiner: str, fmt: str,
                   by: str) -> dict[str, Any]:
    """Start the job over HTTP on a real server; sample its builder until the package is done."""
    import psutil

    from tests.support.server import ServerProcess

    with ServerProcess(database, instance) as server:
        workers = psutil.Process(server.proc.pid).children(recursive=True) if server.proc else []
        http = login_staff(server.url, examiner)
        server_rss_before = sum(w.memory_info().rss for w in workers) / 2**20
        started = time.perf_counter()
        r = http.post(f"{server.url}/api/v1/sittings/{sitting_id}/results/export-jobs",  # type: ignore[attr-defined]
                      json={"format": fmt, "by": by}, timeout=60)
        answered = time.perf_counter() - started
        assert r.status_code == 202, r.text
        status_url = server.url + r.json()["status_url"]
        peak = cpu = 0.0
        polls: list[float] = []
        misread = ""  # what the status said first if it gave up while the builder still ran
        while True:
            builder = False
            for proc in psutil.Process(server.proc.pid).children(recursive=True):  # type: ignore[union-attr]
                try:
                    if "exam_server.export_worker" in " ".join(proc.cmdline()):
                        builder = True
                        peak = max(peak, proc.memory_info().rss / 2**20)
                        times = proc.cpu_times()
                        cpu = max(cpu, times.user + times.system)
                except psutil.Error:  # it just ended
                    pass
            t0 = time.perf_counter()
            body = http.get(status_url, timeout=60).json()  # type: ignore[attr-defined]
            polls.append(time.perf_counter() - t0)
            if body["state"] == "done" or (body["state"] == "failed" and not builder):
                break
            if body["state"] == "failed" and not misread:
                misread = f"read {body['error']} at {time.perf_counter() - started:.0f} s ({body['percent']} %) " \
                          "while the builder still ran"
                print(misread, flush=True)
            time.sleep(0.5)
        wall = time.perf_counter() - started
        assert body["state"] == "done", (body, misread)
        got = http.get(server.url + body["download_url"], timeout=120)  # type: ignore[attr-defined]
        assert got.status_code == 200
        server_rss_after = sum(w.memory_info().rss for w in workers) / 2**20
    polls.sort()
    return {"answered_ms": answered * 1000, "wall": wall, "cpu": cpu, "rss_peak": peak,
            "zip_mib": len(got.content) / 2**20, "poll_p95_ms": polls[int(len(polls) * 0.95) - 1] * 1000 if polls else 0,
            "server_before": server_rss_before, "server_after": server_rss_after, "misread": misread}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--per-room", type=int, default=25)
    parser.add_argument("--formats", default="csv,xlsx,json,pdf")
    parser.add_argument("--groupings", default="sitting,room,school,class")
    parser.add_argument("--pdf-groupings", default="sitting,room", help="PDF takes minutes each at 10,000")
    parser.add_argument("--job", default="pdf:room", help="format:grouping of the background job ('' for none)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    parser.add_argument("--sitting", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        fmt, by = args.one.split(":")
        one(args.database, args.instance, args.sitting, fmt, by)
        return
    command = " ".join([".venv/bin/python benchmarks/results_export_bench.py", *sys.argv[1:]])
    load_start, begun = load(), datetime.now(UTC)
    rows, job_row = [], ""
    with private_postgres("bench_export") as database, tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        from tests.pages.conftest import make_app

        app = make_app(database, instance)
        with app.app_context():
            from exam_server.authority import signer_paths

            signer_paths(app)
            t0 = time.perf_counter()
            sitting = seed(max(1, args.candidates // args.per_room), args.per_room)
            print(f"seeded {sitting.candidates} candidates in {time.perf_counter() - t0:.0f} s, load {load()}", flush=True)
        from exam_server.db import db

        db.engine(app).dispose()
        for fmt in filter(None, args.formats.split(",")):
            for by in (args.pdf_groupings if fmt == "pdf" else args.groupings).split(","):
                got = run_one(database, instance, sitting.sitting_id, fmt, by)
                rows.append(f"| {fmt.upper()} | {by} | {got['wall']:.1f} | {got['cpu']:.1f} | {got['rss_before']:.0f} "
                            f"| {got['rss_peak']:.0f} | {got['zip_mib']:.1f} |")
                print(rows[-1], f"load {load()}", flush=True)
        if args.job:
            fmt, by = args.job.split(":")
            j = background_job(database, instance, sitting.sitting_id, sitting.examiner, fmt, by)
            job_row = (f"| {fmt.upper()} | {by} | {j['answered_ms']:.0f} | {j['wall']:.1f} | {j['cpu']:.1f} "
                       f"| {j['rss_peak']:.0f} | {j['zip_mib']:.1f} | {j['poll_p95_ms']:.0f} "
                       f"| {j['server_before']:.0f} → {j['server_after']:.0f} |")
            if j["misread"]:
                job_row += f"\n\nStatus while building: {j['misread']}."
            print(job_row, flush=True)
    load_end = load()
    args.out.write_text("\n".join([
        "# Result export (issue #13): a 10,000-candidate sitting in every format",
        "",
        f"Command: `{command}`",
        "",
        machine_line(begun, load_start, load_end) + " Judge by the CPU column; wall times stretch with the load.",
        "",
        f"Data: one graded sitting of {sitting.candidates} candidates in rooms of {args.per_room} "
        "(26 schools, 9 classes, every tenth absent), private PostgreSQL database.",
        "",
        "## Direct download (`bundle.package_zip`, as `/api/v1/sittings/<id>/results/export`)",
        "",
        "Each line is a fresh process: the query (`service.result_rows`), the writers, the CMS signature,",
        "the zip. RSS before = the process with the app loaded, before the export; peak = its maximum RSS.",
        "",
        "| format | by | wall s | CPU s | RSS before MiB | peak RSS MiB | zip MiB |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        "## Background job (`POST /api/v1/sittings/<id>/results/export-jobs`, `exam_server/export_worker.py`)",
        "",
        "On a real server process (`exam-server run`, one gevent worker). Started → answered = the POST;",
        "wall = until the status reads done; CPU and peak RSS of the builder process (sampled every 0.5 s);",
        "status poll p95 while it builds; the server worker's RSS before → after (the download included).",
        "",
        "| format | by | POST ms | wall s | builder CPU s | builder peak RSS MiB | zip MiB | poll p95 ms "
        "| server RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|",
        job_row or "| — | not run | | | | | | | |",
        "",
        "Limiting resource: one core of CPU — reportlab page layout for PDF (score sheets plus one result slip",
        "per candidate), openpyxl cell writing for XLSX; CSV and JSON are bounded by the query and row building.",
        "",
    ]))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
