"""Regrading after a key change, double marking, publication, the school API, audit, purge.

Runs against SQLite and PostgreSQL (the server suite's `app` fixture is parametrized).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from exam_server.accounts.models import User
from exam_server.accounts.service import create_user
from exam_server.attempts.autosave import save_answer
from exam_server.attempts.candidate import submit
from exam_server.attempts.models import Attempt
from exam_server.checkin.models import CheckIn, Station
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Conflict, ServiceError
from exam_server.events.log import Actor, verify_chain
from exam_server.events.models import Event
from exam_server.exams import lifecycle
from exam_server.results import marking, regrade, service
from exam_server.results.models import MarkingPolicy
from question_bank.model import Option, Question
from tests.server.conftest import login_staff
from tests.support.seed import EXAMINER, STAFF_PASSWORD, seed_sitting


def _questions() -> list[Question]:
    return [
        Question(type="single_choice", stem="2 + 2 = ?", points=1.0,
                 options=[Option("A", "3"), Option("B", "4", 1.0), Option("C", "5"), Option("D", "22")]).with_uid(),
        Question(type="single_choice", stem="Thủ đô của Pháp?", points=1.0,
                 options=[Option("A", "Paris"), Option("B", "Lyon", 1.0), Option("C", "Nice"), Option("D", "Lille")]
                 ).with_uid(),  # miskeyed on purpose: B instead of A
        Question(type="essay", stem="Viết đoạn văn về Hà Nội.", points=4.0).with_uid(),
    ]


def _sit_exam(answers: list[dict[int, object]]) -> tuple[object, list[int]]:
    """Seed, start, have each candidate answer and submit, end the sitting."""
    seeded = seed_sitting(rooms=1, per_room=len(answers), questions=_questions(), start=True)
    for attempt_id, reg_id, given in zip(seeded.attempt_ids, seeded.registration_ids, answers, strict=True):
        for seq, (no, value) in enumerate(given.items(), start=1):
            save_answer(attempt_id, no, seq, value, registration_id=reg_id)
        submit(attempt_id, reg_id, Actor("candidate:test", registration_id=reg_id))
    lifecycle.end_sitting(seeded.sitting_id, EXAMINER)
    return seeded, seeded.attempt_ids


def _user(role: str, name: str) -> User:
    user = create_user(f"{name}-{utcnow().strftime('%H%M%S%f')}", STAFF_PASSWORD, role, full_name=name)
    db.commit()
    return user


def test_key_change_preview_then_regrade_keeps_both_versions(app: Flask) -> None:
    seeded, attempts = _sit_exam([{1: "B", 2: "A"}, {1: "B", 2: "B"}, {1: "A", 2: "A"}])
    assert [db.get(Attempt, a).score for a in attempts] == [1.0, 2.0, 0.0]
    uid = _questions()[1].uid
    fixed = _questions()[1]
    fixed.options[0].fraction, fixed.options[1].fraction = 1.0, 0.0

    preview = regrade.preview_key_change(db, seeded.sitting_id, uid, fixed)
    assert [(c.before, c.after) for c in preview] == [(1.0, 2.0), (2.0, 1.0), (0.0, 1.0)]
    assert [db.get(Attempt, a).score for a in attempts] == [1.0, 2.0, 0.0]  # preview writes nothing

    examiner = _user("examiner", "truong-ban")
    change = regrade.apply_key_change(db, seeded.sitting_id, uid, fixed, reason="Đáp án đúng là A",
                                      by=examiner, actor=EXAMINER)
    assert len(change.score_changes) == 3
    assert [db.get(Attempt, a).score for a in attempts] == [2.0, 1.0, 1.0]
    logged = db.scalars(select(Event).where(Event.action == "results.key_changed",
                                            Event.sitting_id == seeded.sitting_id)).one()
    assert logged.data["before"]["options"][1]["fraction"] == 1.0
    assert logged.data["after"]["options"][0]["fraction"] == 1.0
    assert verify_chain(db, seeded.sitting_id) == []


def test_void_item_leaves_the_maximum(app: Flask) -> None:
    seeded, attempts = _sit_exam([{1: "B", 2: "B"}])
    examiner = _user("examiner", "gk")
    regrade.apply_key_change(db, seeded.sitting_id, _questions()[0].uid, None, reason="Câu sai đề",
                             by=examiner, actor=EXAMINER)
    attempt = db.get(Attempt, attempts[0])
    assert (attempt.score, attempt.max_score) == (1.0, 5.0)


def test_key_change_refused_while_sitting_runs_and_for_changed_options(app: Flask) -> None:
    seeded = seed_sitting(rooms=1, per_room=1, questions=_questions(), start=True)
    examiner = _user("examiner", "gk2")
    q = _questions()[1]
    with pytest.raises(Conflict, match="sitting_still_running"):
        regrade.apply_key_change(db, seeded.sitting_id, q.uid, q, reason="x", by=examiner, actor=EXAMINER)
    q.options.pop()
    with pytest.raises(ServiceError, match="key_options_changed"):
        regrade.preview_key_change(db, seeded.sitting_id, q.uid, q)


def test_double_marking_with_disagreement_needs_a_third_marker(app: Flask) -> None:
    seeded, attempts = _sit_exam([{1: "B", 3: "Hà Nội nghìn năm văn hiến..."}])
    db.add(MarkingPolicy(sitting_id=seeded.sitting_id, double_marking=True, tolerance=0.5, anonymous=True))
    db.commit()
    first, second, third = (_user("examiner", n) for n in ("gk-a", "gk-b", "gk-c"))
    queue = marking.marking_queue(db, seeded.sitting_id, first)
    assert len(queue) == 1 and "sbd" not in queue[0]  # anonymous: no candidate number
    code = queue[0]["code"]

    def mark(user: User, round_no: int, points: float) -> dict:
        return marking.record_mark(db, seeded.sitting_id, code=code, question_no=3, round_no=round_no,
                                   marker=user, points=points, rubric=None, comment="", actor=EXAMINER)

    assert mark(first, 1, 2.0)["needed_round"] == 2
    with pytest.raises(Conflict, match="same_marker"):
        mark(first, 2, 2.0)
    with pytest.raises(Conflict, match="round_not_open"):
        mark(third, 3, 3.0)
    state = mark(second, 2, 3.5)  # 1.5 apart > tolerance 0.5
    assert state["needed_round"] == 3 and state["final"] is None
    assert service.result_rows(db, seeded.sitting_id)[0].status == "pending_marking"
    state = mark(third, 3, 3.0)
    assert state["final"] == 3.0 and state["needed_round"] is None
    attempt = db.get(Attempt, attempts[0])
    assert attempt.score == 1.0 + 3.0
    [row] = service.result_rows(db, seeded.sitting_id)
    assert row.status == "submitted" and row.score == round(4.0 / 6.0 * 10 / 0.25) * 0.25


def test_double_marking_within_tolerance_averages(app: Flask) -> None:
    seeded, attempts = _sit_exam([{3: "..."}])
    db.add(MarkingPolicy(sitting_id=seeded.sitting_id, double_marking=True, tolerance=0.5))
    db.commit()
    a, b = _user("examiner", "m1"), _user("examiner", "m2")
    code = marking.marking_code(attempts[0])
    marking.record_mark(db, seeded.sitting_id, code=code, question_no=3, round_no=1, marker=a, points=2.5,
                        rubric=None, comment="", actor=EXAMINER)
    state = marking.record_mark(db, seeded.sitting_id, code=code, question_no=3, round_no=2, marker=b, points=3.0,
                                rubric=None, comment="", actor=EXAMINER)
    assert state["final"] == 2.75
    assert db.get(Attempt, attempts[0]).score == 2.75
    with pytest.raises(ServiceError, match="bad_points"):
        marking.record_mark(db, seeded.sitting_id, code=code, question_no=3, round_no=3, marker=a, points=9,
                            rubric=None, comment="", actor=EXAMINER)


def test_tampered_audit_log_names_the_entry(app: Flask) -> None:
    seeded, _ = _sit_exam([{1: "B"}, {1: "A"}])
    chain = seeded.sitting_id
    assert verify_chain(db, chain) == []
    events = db.scalars(select(Event).where(Event.chain == chain).order_by(Event.seq)).all()
    target = events[3]
    db.execute(update(Event).where(Event.id == target.id).values(reason="sửa lén"))
    db.commit()
    assert verify_chain(db, chain) == [f"entry {target.seq}: content changed"]

    db.execute(update(Event).where(Event.id == target.id).values(reason=target.reason))
    db.delete(db.get(Event, events[5].id))
    db.commit()
    problems = verify_chain(db, chain)
    deleted = events[5]
    assert any(p.startswith(f"{deleted.stream}: entry #{deleted.stream_seq} ") for p in problems), problems


def test_reordered_audit_entries_are_detected(app: Flask) -> None:
    seeded, _ = _sit_exam([{1: "B"}])
    events = db.scalars(select(Event).where(Event.chain == seeded.sitting_id).order_by(Event.seq)).all()
    (a_id, a_seq), (b_id, b_seq) = (events[1].id, events[1].seq), (events[2].id, events[2].seq)
    db.execute(update(Event).where(Event.id == a_id).values(seq=-a_id))  # free the slot for the swap
    db.execute(update(Event).where(Event.id == b_id).values(seq=a_seq))
    db.execute(update(Event).where(Event.id == a_id).values(seq=b_seq))
    db.commit()
    problems = verify_chain(db, seeded.sitting_id)
    assert any(f"entry {a_seq}" in p for p in problems) and any(f"entry {b_seq}" in p for p in problems)


def test_purge_removes_old_biometrics_only(app: Flask) -> None:
    seeded = seed_sitting(rooms=1, per_room=2, questions=_questions())
    inv = _user("invigilator", "gt")
    station = Station(token_hash="x" * 64, room_id=seeded.room_ids[0], name="Bàn 1", issued_by_id=inv.id)
    db.add(station)
    db.flush()
    now = utcnow()
    old = CheckIn(client_id="old", sitting_id=seeded.sitting_id, room_id=seeded.room_ids[0], station_id=station.id,
                  invigilator_id=inv.id, registration_id=seeded.registration_ids[0], citizen_id="001208000001",
                  status="accepted", verification={"pa": "passed"}, face={"distance": 0.31}, thumbnail=b"jpeg",
                  received_at=now - timedelta(days=40))
    new = CheckIn(client_id="new", sitting_id=seeded.sitting_id, room_id=seeded.room_ids[0], station_id=station.id,
                  invigilator_id=inv.id, registration_id=seeded.registration_ids[1], citizen_id="001208000002",
                  status="accepted", verification={"pa": "passed"}, face={"distance": 0.4}, thumbnail=b"jpeg2",
                  received_at=now)
    db.add_all([old, new])
    db.commit()
    summary = service.purge_biometrics(db, now - timedelta(days=30), EXAMINER)
    assert summary["checkins"] == 1
    db.expire_all()
    old, new = db.get(CheckIn, old.id), db.get(CheckIn, new.id)
    assert old.thumbnail is None and old.face is None
    assert old.citizen_id == "001208000001" and old.verification == {"pa": "passed"}  # kept: not biometric
    assert new.thumbnail == b"jpeg2" and new.face == {"distance": 0.4}
    last_purge = db.scalars(select(Event).where(Event.action == "data.purged").order_by(Event.id.desc())).first()
    assert last_purge.data["checkins"] == 1
    assert service.purge_biometrics(db, now - timedelta(days=30), EXAMINER)["checkins"] == 0


def test_school_api_needs_token_and_publication_and_paginates(app: Flask) -> None:
    seeded, _ = _sit_exam([{1: "B"}, {1: "A", 3: "Bài luận"}, {2: "A"}])
    client = app.test_client()
    url = f"/api/v1/school/sittings/{seeded.sitting_id}/results"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    token = service.create_api_token(db, "SMAS Chu Văn An", school="THPT Chu Văn An")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(url, headers=auth).status_code == 403  # not published yet

    examiner = db.get(User, seeded.users["examiner"])
    staff = app.test_client()
    headers = login_staff(staff, examiner.username, STAFF_PASSWORD)
    r = staff.post(f"/api/v1/sittings/{seeded.sitting_id}/publish", headers=headers)
    assert r.status_code == 409  # the essay is not marked yet
    db.add(MarkingPolicy(sitting_id=seeded.sitting_id, double_marking=False))
    db.commit()
    for item in marking.marking_queue(db, seeded.sitting_id, examiner):
        marking.record_mark(db, seeded.sitting_id, code=item["code"], question_no=3, round_no=1, marker=examiner,
                            points=1.0, rubric=None, comment="", actor=EXAMINER)
    assert staff.post(f"/api/v1/sittings/{seeded.sitting_id}/publish", headers=headers).status_code == 200

    first = client.get(url + "?per_page=2", headers=auth).get_json()
    assert first["total"] == 3 and len(first["items"]) == 2 and first["next_page"] == 2
    second = client.get(url + "?per_page=2&page=2", headers=auth).get_json()
    assert len(second["items"]) == 1 and second["next_page"] is None
    sbds = [i["sbd"] for i in first["items"] + second["items"]]
    assert sbds == sorted(sbds) and len(set(sbds)) == 3
    assert client.post(url, headers=auth).status_code == 405  # read-only

    other = service.create_api_token(db, "Trường khác", school="THPT Lê Quý Đôn")
    assert client.get(url, headers={"Authorization": f"Bearer {other}"}).get_json()["total"] == 0
