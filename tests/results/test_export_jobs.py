"""Background result exports: the job builds the same signed package as the direct download in a
child process, reports progress, serves the zip from the database, refuses bad requests without
creating anything, and reads as interrupted when its builder dies. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import subprocess
import time
import zipfile
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from exam_server.results.models import ExportJob
from tests.results.test_results_api import _exam_day
from tests.server.conftest import login_candidate, login_staff
from tests.support.seed import CANDIDATE_PASSWORD, STAFF_PASSWORD, seed_sitting, username


def _poll(client: FlaskClient, url: str, timeout: float = 120) -> dict:
    from exam_server.db import session

    deadline = time.monotonic() + timeout
    while True:
        body = client.get(url).get_json()
        # The test's requests share the fixture's app context and so its session: end its
        # transaction, as a request's teardown would, so the builder (another process) can write.
        session.rollback()
        if body["state"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        assert 0 <= body["percent"] <= 99
        time.sleep(0.3)


def test_pdf_job_builds_the_signed_package_in_the_background(app: Flask) -> None:
    s, examiner, staff = _exam_day(app)
    r = examiner.post(f"/api/v1/sittings/{s.sitting_id}/results/export-jobs", json={"format": "pdf", "by": "room"},
                      headers=staff)
    assert r.status_code == 202, r.get_json()
    job = r.get_json()
    from exam_server.db import session

    session.rollback()
    assert job["state"] in ("queued", "running", "done") and job["total"] == 3 + 3 + 2  # sheets, slips, packing
    done = _poll(examiner, job["status_url"])
    assert done["state"] == "done", done
    assert done["percent"] == 100 and done["download_url"]
    got = examiner.get(done["download_url"])
    assert got.status_code == 200 and got.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(got.data)) as zf:
        names = zf.namelist()
    assert "manifest.json" in names and "manifest.json.p7s" in names
    assert any(n.endswith(".pdf") for n in names)


def test_bad_request_creates_nothing_and_roles_are_checked(app: Flask) -> None:
    s, examiner, staff = _exam_day(app)
    r = examiner.post(f"/api/v1/sittings/{s.sitting_id}/results/export-jobs", json={"format": "doc", "by": "room"},
                      headers=staff)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "results.bad_format"
    from exam_server.db import session

    assert session.query(ExportJob).filter_by(sitting_id=s.sitting_id).count() == 0
    other = seed_sitting(rooms=1, per_room=1, start=True)  # a candidate logged in to an open sitting
    candidate = app.test_client()
    _attempt, headers = login_candidate(candidate, other.sitting_id, other.sbds[0], CANDIDATE_PASSWORD)
    r = candidate.post(f"/api/v1/sittings/{s.sitting_id}/results/export-jobs", json={"format": "csv"}, headers=headers)
    assert r.status_code in (401, 403)
    invigilator = app.test_client()
    inv_headers = login_staff(invigilator, username(s, "inv1"), STAFF_PASSWORD)
    r = invigilator.post(f"/api/v1/sittings/{s.sitting_id}/results/export-jobs", json={"format": "csv"},
                         headers=inv_headers)
    assert r.status_code == 403
    assert examiner.get("/api/v1/export-jobs/" + "0" * 32).status_code == 404


def test_a_builder_that_stopped_reporting_reads_as_interrupted(app: Flask) -> None:
    s, examiner, staff = _exam_day(app)
    from exam_server.db import session, utcnow

    job = ExportJob(id="f" * 32, sitting_id=s.sitting_id, format="pdf", by="room", total=3, state="running",
                    actor="examiner:test", updated_at=utcnow() - timedelta(minutes=5))
    session.add(job)
    session.commit()
    body = examiner.get("/api/v1/export-jobs/" + "f" * 32).get_json()
    assert body["state"] == "failed" and body["error"] == "results.export_interrupted"
    assert "gián đoạn" in body["message"]
    r = examiner.get("/api/v1/export-jobs/" + "f" * 32 + "/download")
    assert r.status_code == 409


# The builder, with result slips that each take a while to lay out (a 10,000-slip package spends
# minutes there); the score sheets before them are written at normal speed.
_SLOW_SLIPS_WORKER = """
import sys, time
from exam_server.results import official

real_slips, real_paragraph = official.write_result_slips, official.Paragraph

class SlowParagraph(real_paragraph):
    def wrap(self, *args):
        time.sleep(0.3)
        return super().wrap(*args)

def slow_slips(*args, **kwargs):
    official.Paragraph = SlowParagraph
    try:
        return real_slips(*args, **kwargs)
    finally:
        official.Paragraph = real_paragraph

official.write_result_slips = slow_slips
from exam_server.export_worker import main
sys.exit(main(sys.argv[1:]))
"""
_STALE_SECONDS = 6  # more than the builder's start-up (imports) on a busy machine; the slips take longer


def _start_slow_pdf_job(app: Flask, monkeypatch: pytest.MonkeyPatch) -> tuple[FlaskClient, str, list[subprocess.Popen[bytes]]]:
    from exam_server.results import export_jobs

    monkeypatch.setitem(app.config, "EXPORT_STALE_SECONDS", _STALE_SECONDS)
    monkeypatch.setattr(export_jobs, "WORKER_ARGS", ("-c", _SLOW_SLIPS_WORKER))
    children: list[subprocess.Popen[bytes]] = []
    real_spawn = export_jobs._spawn
    monkeypatch.setattr(export_jobs, "_spawn", lambda a, job_id: children.append(real_spawn(a, job_id)))
    s, examiner, staff = _exam_day(app)
    r = examiner.post(f"/api/v1/sittings/{s.sitting_id}/results/export-jobs", json={"format": "pdf", "by": "room"},
                      headers=staff)
    assert r.status_code == 202, r.get_json()
    assert r.get_json()["total"] == 3 + 3 + 2  # score sheets, slips, signing and zipping
    return examiner, r.get_json()["status_url"], children


def _status(client: FlaskClient, url: str) -> dict:
    from exam_server.db import session

    body = client.get(url).get_json()
    session.rollback()  # as in _poll: let the builder write
    return body


def test_slow_slips_never_read_as_interrupted_while_the_builder_works(app: Flask,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    examiner, url, children = _start_slow_pdf_job(app, monkeypatch)
    started, seen = time.monotonic(), list[int]()
    standing, standing_at, moved_at = 0.0, 0, started  # the longest standstill while running, and where
    while True:
        body = _status(examiner, url)
        assert body["error"] != "results.export_interrupted", (body, seen)
        now = time.monotonic()
        if not seen or body["percent"] != seen[-1]:
            moved_at = now
        elif body["state"] == "running" and now - moved_at > standing:
            standing, standing_at = now - moved_at, body["percent"]
        seen.append(body["percent"])
        if body["state"] in ("done", "failed") or now - started > 180:
            break
        time.sleep(0.1)
    assert body["state"] == "done", body
    # The slips really were slow: the percentage stood still longer than the staleness window
    # (what used to read as interrupted), and not at 99 %: the total counts the slips and packing.
    assert standing > _STALE_SECONDS, (standing, seen)
    assert 30 < standing_at < 90, (standing_at, seen)
    assert children[0].wait(10) == 0


def test_a_killed_builder_reads_as_interrupted(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    examiner, url, children = _start_slow_pdf_job(app, monkeypatch)
    deadline = time.monotonic() + 60
    while (body := _status(examiner, url))["percent"] < 40:  # the score sheets are written: in the slips
        assert body["state"] in ("queued", "running") and time.monotonic() < deadline, body
        time.sleep(0.1)
    children[0].kill()
    children[0].wait(10)
    killed = time.monotonic()
    while (body := _status(examiner, url))["state"] == "running":
        assert time.monotonic() - killed < _STALE_SECONDS + 5, body
        time.sleep(0.2)
    assert body["state"] == "failed" and body["error"] == "results.export_interrupted", body
    assert examiner.get(url.rstrip("/") + "/download").status_code == 409
