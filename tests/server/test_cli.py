"""The `exam-server` command: init, create-user, demo (idempotent), import-roster."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from exam_server.app import create_app
from exam_server.cli import main
from exam_server.db import session as db
from exam_server.exams.models import Registration, Room


def test_init_demo_create_user_and_import_roster(database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "EXAM_INSTANCE_PATH": str(tmp_path / "inst"),
           "EXAM_SECURITY_PASSWORD_METHOD": "pbkdf2:sha256:1000", "REDIS_URL": "",
           "SECRET_KEY": "cli-test-secret-9d4b2e7a1c6f3e8b5a0d"}
    runner = CliRunner(env=env)
    r = runner.invoke(main, ["init"])
    assert r.exit_code == 0, r.output
    assert runner.invoke(main, ["init"]).exit_code == 0  # migrating twice is harmless

    # The test databases are shared with other tests (not the demo's): --force, see test_demo_refuses_*.
    first = runner.invoke(main, ["demo", "--force"])
    assert first.exit_code == 0, first.output
    assert "khaothi" in first.output and "giamthi1" in first.output and "SBD 0100" in first.output
    again = runner.invoke(main, ["demo", "--force"])
    assert again.exit_code == 0 and again.output == first.output

    r = runner.invoke(main, ["create-user", "gv.toan", "--role", "examiner", "--full-name", "Cô Hạnh"],
                      input="mat-khau-dai\nmat-khau-dai\n")
    assert r.exit_code == 0 and "examiner gv.toan" in r.output, r.output
    r = runner.invoke(main, ["create-user", "gv.toan", "--role", "examiner"], input="mat-khau-dai\nmat-khau-dai\n")
    assert r.exit_code != 0 and "đã tồn tại" in r.output

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "inst"),
                      "SECRET_KEY": env["SECRET_KEY"]})
    with app.app_context():
        from exam_server.exams.models import Exam

        sitting = db.scalar(select(Exam).where(Exam.code == "DEMO-THPT")).sittings[0]
        assert len(sitting.rooms) == 2
        assert db.scalar(select(func.count()).select_from(Registration).where(Registration.sitting_id == sitting.id)) == 30
        sitting_id = sitting.id
        room = db.scalar(select(Room).where(Room.sitting_id == sitting_id, Room.name == "P02"))
        assert room is not None
        db.rollback()

    roster = tmp_path / "ds.csv"
    roster.write_text("SBD,Họ và tên,Ngày sinh,Số CCCD,Trường,Lớp,Phòng,Số máy/Ghế\n"
                      "090001,Đỗ Thị Hoa,02/02/2008,001308777001,THPT Nguyễn Trãi,12C,P02,\n", encoding="utf-8-sig")
    r = runner.invoke(main, ["import-roster", str(roster), "--sitting", str(sitting_id)])
    assert r.exit_code == 0 and "imported 1" in r.output, r.output
    r = runner.invoke(main, ["import-roster", str(roster), "--sitting", str(sitting_id)])
    assert r.exit_code == 1 and "dòng 2" in r.output and "đã có trong ca thi" in r.output
