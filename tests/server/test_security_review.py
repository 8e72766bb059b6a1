"""The rest of the security review (issue #12, item 13): seat-bound codes, no SBD enumeration,
expiring and revocable school tokens, audited token and marking-policy changes, and a demo
that will not add known passwords to a real database. Each test plays the finding first."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.events.log import Actor
from exam_server.events.models import Event
from exam_server.exams.candidate_login import issue_login_code
from exam_server.results.models import ApiToken
from tests.server.conftest import csrf, login_staff
from tests.support.seed import CANDIDATE_PASSWORD, STAFF_PASSWORD, seed_sitting, username

STATION = Actor("station:test")


def _code_login(client: FlaskClient, code: str, seat: str | None = None):  # type: ignore[no-untyped-def]
    body = {"code": code, **({"seat": seat} if seat is not None else {})}
    return client.post("/api/v1/auth/candidate-login", json=body, headers=csrf(client))


def test_station_codes_work_only_at_their_seat(app: Flask, client: FlaskClient) -> None:
    seeded = seed_sitting(start=True)
    reg = seeded.registration_ids[0]  # seat M01
    code, issued = issue_login_code(reg, STATION, bind_seat=True)  # as the check-in station issues it
    assert issued.seat_bound and issued.seat == "M01"
    # the finding: the page never sent a seat, so a code read over a shoulder worked anywhere
    r = _code_login(client, code)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "accounts.code_seat_required"
    r = _code_login(client, code, seat="M02")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "accounts.code_wrong_seat"
    assert "M01" not in r.get_json()["error"]["message"]  # the answer does not tell where it works
    tried = db.scalars(select(Event).where(Event.action == "login_code.wrong_seat",
                                           Event.sitting_id == seeded.sitting_id)).all()
    assert tried and tried[-1].data["seat"] == "M02"
    assert _code_login(client, code, seat=" m01 ").status_code == 200  # as typed at the workstation
    # codes from the room page (not the station) keep working without a seat
    other, _ = issue_login_code(seeded.registration_ids[1], STATION)
    assert _code_login(app.test_client(), other).status_code == 200


def test_the_login_page_sends_the_workstation_seat(client: FlaskClient) -> None:
    page = client.get("/exam/login?seat=M07").get_data(as_text=True)
    assert 'id="seat"' in page and 'value="M07"' in page
    script = (Path(__file__).resolve().parents[2] / "exam_server/static/candidate/login.js").read_text()
    assert "body.seat = seat" in script


def test_candidate_numbers_cannot_be_enumerated(app: Flask, client: FlaskClient) -> None:
    seeded = seed_sitting(allow_password_login=False)

    def attempt(sbd: str, password: str):  # type: ignore[no-untyped-def]
        return client.post("/api/v1/auth/candidate-login", headers=csrf(client),
                           json={"sitting_id": seeded.sitting_id, "sbd": sbd, "password": password})

    unknown, wrong = attempt("999999", "whatever-1"), attempt(seeded.sbds[0], "whatever-1")
    # the finding: a known SBD answered "password login disabled" before the password was checked
    assert unknown.status_code == wrong.status_code == 403
    assert unknown.get_json() == wrong.get_json()
    assert wrong.get_json()["error"]["code"] == "accounts.bad_credentials"
    right = attempt(seeded.sbds[0], CANDIDATE_PASSWORD)  # only the password's holder learns the rule
    assert right.status_code == 403 and right.get_json()["error"]["code"] == "accounts.password_login_disabled"


def test_school_tokens_expire_can_be_listed_and_revoked_and_are_audited(app: Flask, client: FlaskClient) -> None:
    seeded = seed_sitting()
    headers = login_staff(client, username(seeded, "admin"), STAFF_PASSWORD)
    bad = client.post("/api/v1/api-tokens", json={"name": "SMAS", "expires_days": 5000}, headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "accounts.api_token_bad_expiry"
    made = client.post("/api/v1/api-tokens", json={"name": "SMAS Chu Văn An", "school": "THPT Chu Văn An",
                                                   "expires_days": 30}, headers=headers)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    token, token_id = body["token"], body["id"]
    assert body["state"] == "active" and body["expires_at"]
    listed = client.get("/api/v1/api-tokens").get_json()["tokens"]
    row = next(t for t in listed if t["id"] == token_id)
    assert row["state"] == "active" and "token" not in row and "token_hash" not in row
    feed = f"/api/v1/school/sittings/{seeded.sitting_id}/results"
    auth = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get(feed, headers=auth).status_code != 401  # 403 until published: the token is good
    # expired: refused (the finding: tokens never expired)
    stored = db.get(ApiToken, token_id)
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert app.test_client().get(feed, headers=auth).status_code == 401
    stored.expires_at = utcnow() + timedelta(days=1)
    db.commit()
    assert app.test_client().get(feed, headers=auth).status_code != 401
    # revoked: refused at once
    r = client.delete(f"/api/v1/api-tokens/{token_id}", headers=headers)
    assert r.status_code == 200 and r.get_json()["state"] == "revoked"
    assert app.test_client().get(feed, headers=auth).status_code == 401
    assert client.delete("/api/v1/api-tokens/999999999", headers=headers).status_code == 404
    actions = [e.data.get("token_id") for e in db.scalars(select(Event).where(
        Event.action.in_(("api_token.created", "api_token.revoked")))) if e.data.get("token_id") == token_id]
    assert len(actions) == 2


def test_marking_policy_changes_are_audited(app: Flask, client: FlaskClient) -> None:
    seeded = seed_sitting()
    headers = login_staff(client, username(seeded, "examiner"), STAFF_PASSWORD)
    url = f"/api/v1/sittings/{seeded.sitting_id}/marking-policy"
    assert client.put(url, json={"rounding_step": "0.25"}, headers=headers).status_code == 200
    assert client.put(url, json={"rounding_step": "0.5", "double_marking": True}, headers=headers).status_code == 200
    changes = db.scalars(select(Event).where(Event.action == "results.marking_policy_changed",
                                             Event.sitting_id == seeded.sitting_id).order_by(Event.id)).all()
    assert len(changes) == 2
    assert changes[0].data["before"] is None
    assert changes[1].data["before"]["rounding_step"] == "0.25" and changes[1].data["after"]["rounding_step"] == "0.5"
    assert changes[1].actor.startswith("examiner:")


def test_demo_refuses_a_database_with_other_data(tmp_path: Path) -> None:
    from exam_server.cli import main

    db_file = tmp_path / "real.db"
    env = {"DATABASE_URL": f"sqlite:///{db_file}", "EXAM_INSTANCE_PATH": str(tmp_path / "inst"),
           "EXAM_SECURITY_PASSWORD_METHOD": "pbkdf2:sha256:1000", "REDIS_URL": ""}
    runner = CliRunner(env=env)
    assert runner.invoke(main, ["init"]).exit_code == 0
    made = runner.invoke(main, ["create-user", "truongthi", "--role", "admin"], input="mat-khau-dai\nmat-khau-dai\n")
    assert made.exit_code == 0, made.output
    # the finding: `demo` added admin / demo-admin-123 to any database
    refused = runner.invoke(main, ["demo"])
    assert refused.exit_code != 0 and "--force" in refused.output and "truongthi" in refused.output
    from exam_server.accounts.models import User
    from exam_server.app import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{db_file}", "INSTANCE_PATH": str(tmp_path / "inst")})
    with app.app_context():
        assert db.scalars(select(User.username)).all() == ["truongthi"]
    forced = runner.invoke(main, ["demo", "--force"])
    assert forced.exit_code == 0, forced.output
    # an empty database, and one holding only the demo, need no --force
    fresh = CliRunner(env={**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"})
    assert fresh.invoke(main, ["init"]).exit_code == 0
    assert fresh.invoke(main, ["demo"]).exit_code == 0
    assert fresh.invoke(main, ["demo"]).exit_code == 0
