"""Background result exports: the job builds the same signed package as the direct download in a
child process, reports progress, serves the zip from the database, refuses bad requests without
creating anything, and reads as interrupted when its builder dies. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import timedelta

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
    assert job["state"] in ("queued", "running", "done") and job["total"] == 3
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
