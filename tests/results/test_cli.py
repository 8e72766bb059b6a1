"""The results commands through the installed `exam-server` script on a real database file."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from exam_server.attempts.autosave import save_answer
from exam_server.attempts.candidate import submit
from exam_server.db import session as db
from exam_server.events.log import Actor
from exam_server.events.models import Event
from exam_server.exams import lifecycle
from question_bank.model import Option, Question
from tests.server.conftest import make_app
from tests.support.seed import EXAMINER, seed_sitting

EXAM_SERVER = str(Path(sys.executable).parent / "exam-server")


@pytest.fixture()
def finished_sitting(tmp_path: Path) -> tuple[dict[str, str], int, str]:
    """A sitting of four candidates, sat and ended, in a SQLite file the CLI can open."""
    url = f"sqlite:///{tmp_path / 'exam.db'}"
    instance = tmp_path / "instance"
    app = make_app(url, instance)
    with app.app_context():
        questions = [Question(type="single_choice", stem=f"Câu {i}", points=2.5,
                              options=[Option("A", "đúng", 1.0), Option("B", "sai")]).with_uid() for i in range(4)]
        seeded = seed_sitting(rooms=2, per_room=2, questions=questions, start=True)
        for n, (attempt_id, reg_id) in enumerate(zip(seeded.attempt_ids, seeded.registration_ids, strict=True)):
            for q in range(1, n + 2):
                save_answer(attempt_id, q, 1, "A", registration_id=reg_id)
            submit(attempt_id, reg_id, Actor("candidate:t", registration_id=reg_id))
        lifecycle.end_sitting(seeded.sitting_id, EXAMINER)
        sitting_id, sbd = seeded.sitting_id, seeded.sbds[0]
    env = dict(os.environ, DATABASE_URL=url, EXAM_INSTANCE_PATH=str(instance),
               SECRET_KEY=app.config["SECRET_KEY"])
    env.pop("REDIS_URL", None)
    return env, sitting_id, sbd


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXAM_SERVER, *args], env=env, capture_output=True, text=True, timeout=120)


def test_export_sign_verify_and_tamper(finished_sitting: tuple[dict[str, str], int, str], tmp_path: Path) -> None:
    env, sitting_id, _ = finished_sitting
    out = tmp_path / "goi-ket-qua"
    done = run(env, "export-results", "--sitting", str(sitting_id), "--by", "room", "--format", "csv", "--out", str(out))
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == ["P01.csv", "P02.csv", "manifest.json", "manifest.json.p7s", "nhat-ky-dau-cay.json"]
    with (out / "P01.csv").open(encoding="utf-8-sig") as fh:
        scores = [row["Điểm (thang 10)"] for row in csv.DictReader(fh)]
    assert scores == ["2.5", "5.0"]  # 1 and 2 correct answers of 4, on the 10-point scale

    verified = run(env, "verify-package", str(out))
    assert verified.returncode == 0, verified.stdout
    assert json.loads(verified.stdout)["ok"] is True

    (out / "P02.csv").write_text((out / "P02.csv").read_text(encoding="utf-8-sig").replace("7.5", "9.5"),
                                 encoding="utf-8-sig")
    tampered = run(env, "verify-package", str(out))
    assert tampered.returncode == 1
    assert json.loads(tampered.stdout)["changed"] == ["P02.csv"]


def test_xlsx_export_one_sheet_per_room(finished_sitting: tuple[dict[str, str], int, str], tmp_path: Path) -> None:
    env, sitting_id, _ = finished_sitting
    out = tmp_path / "xlsx"
    done = run(env, "export-results", "--sitting", str(sitting_id), "--format", "xlsx", "--out", str(out), "--no-sign")
    assert done.returncode == 0, done.stderr
    wb = load_workbook(out / "ket-qua.xlsx")
    assert wb.sheetnames == ["P01", "P02"]
    assert [c.value for c in wb["P02"]["J"]][1:] == [7.5, 10.0]


def test_audit_verify_names_the_edited_entry(finished_sitting: tuple[dict[str, str], int, str],
                                             tmp_path: Path) -> None:
    env, sitting_id, sbd = finished_sitting
    ok = run(env, "audit", "verify")
    assert ok.returncode == 0, ok.stdout
    appeal = tmp_path / "khieu-nai.json"
    exported = run(env, "audit", "export", "--sitting", str(sitting_id), "--sbd", sbd, "--out", str(appeal))
    assert exported.returncode == 0, exported.stderr
    data = json.loads(appeal.read_text(encoding="utf-8"))
    assert data["chain_intact"] and "attempt.submitted" in [e["action"] for e in data["entries"]]

    app = make_app(env["DATABASE_URL"], Path(env["EXAM_INSTANCE_PATH"]))
    with app.app_context():
        event = db.scalars(select(Event).where(Event.chain == sitting_id, Event.action == "attempt.submitted")).first()
        db.execute(update(Event).where(Event.id == event.id).values(data={**event.data, "score": 10.0}))
        db.commit()
        seq = event.seq
    bad = run(env, "audit", "verify", "--sitting", str(sitting_id))
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["problems"] == {str(sitting_id): [f"entry {seq}: content changed"]}


def test_purge_rejects_a_bad_date_and_logs_a_good_one(finished_sitting: tuple[dict[str, str], int, str]) -> None:
    env, _, _ = finished_sitting
    bad = run(env, "purge", "--before", "31/02/2026")
    # a well-formed but impossible date is named as impossible, not as a wrong format
    assert bad.returncode == 2 and "không có thật" in bad.stderr and "28 ngày" in bad.stderr, bad.stderr
    wrong = run(env, "purge", "--before", "hôm qua")
    assert wrong.returncode == 2 and "dd/mm/yyyy" in wrong.stderr
    good = run(env, "purge", "--before", "01/01/2026")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["checkins"] == 0
