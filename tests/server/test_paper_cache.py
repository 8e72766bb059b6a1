"""Caches agree across processes: a key correction in one process is what another process
grades with (real PostgreSQL, a second process), and the per-process caches are bounded."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest
from flask import Flask

from exam_server.accounts.service import create_user
from exam_server.attempts.autosave import save_answer
from exam_server.attempts.candidate import submit
from exam_server.attempts.grading import grade_attempt
from exam_server.attempts.models import Attempt
from exam_server.caching import Bounded
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.events.log import Actor
from exam_server.exams import lifecycle
from exam_server.exams.papers import paper_questions
from exam_server.results import regrade
from question_bank.model import Option, Question
from tests.server.conftest import make_app
from tests.support.seed import EXAMINER, STAFF_PASSWORD, seed_sitting

pytestmark = pytest.mark.postgres
MISKEYED = Question(type="single_choice", stem="Thủ đô của Pháp?", points=1.0, uid="q-paris",
                    options=[Option("A", "Paris"), Option("B", "Lyon", 1.0), Option("C", "Nice")])


def _fixed() -> Question:
    q = Question.from_dict(MISKEYED.to_dict())
    q.options[0].fraction, q.options[1].fraction = 1.0, 0.0
    return q


def _other_worker(url: str, instance: str, attempt_id: int, paper_id: int, warmed: mp.Event, changed: mp.Event,
                  out: mp.Queue) -> None:
    """A second server process: caches the paper, waits for the key change, then grades."""
    app = make_app(url, Path(instance), CACHE_PAPER_CHECK_SECONDS=3600.0)
    with app.app_context():
        before = paper_questions(db, paper_id)[0].options[0].fraction
        db.rollback()
        warmed.set()
        changed.wait(timeout=120)
        page_copy = paper_questions(db, paper_id)[0].options[0].fraction  # not graded: may be the cached copy
        attempt = db.get(Attempt, attempt_id)
        grade_attempt(db, attempt)  # what recording a mark does: it must use the corrected key
        db.rollback()
        out.put((before, page_copy, attempt.score))
        db.get_bind().dispose()


def test_a_key_correction_in_one_process_is_graded_with_in_another(postgres_url: str, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    app = make_app(postgres_url, instance)
    with app.app_context():
        seeded = seed_sitting(rooms=1, per_room=1, questions=[MISKEYED], start=True)
        attempt_id, reg_id = seeded.attempt_ids[0], seeded.registration_ids[0]
        save_answer(attempt_id, 1, 1, "A", registration_id=reg_id)
        submit(attempt_id, reg_id, Actor("candidate:t", registration_id=reg_id))
        lifecycle.end_sitting(seeded.sitting_id, EXAMINER)
        attempt = db.get(Attempt, attempt_id)
        paper_id, score_before = attempt.paper_id, attempt.score
        db.rollback()
    assert score_before == 0.0  # "A" is right, the key says B

    ctx = mp.get_context("spawn")
    warmed, changed, out = ctx.Event(), ctx.Event(), ctx.Queue()
    other = ctx.Process(target=_other_worker,
                        args=(postgres_url, str(instance), attempt_id, paper_id, warmed, changed, out))
    other.start()
    try:
        assert warmed.wait(timeout=120), f"the second process did not start (exit code {other.exitcode})"
        with app.app_context():
            examiner = create_user(f"gk-{utcnow().strftime('%H%M%S%f')}", STAFF_PASSWORD, "examiner", full_name="gk")
            db.commit()
            regrade.apply_key_change(db, seeded.sitting_id, "q-paris", _fixed(), reason="Đáp án đúng là A",
                                     by=examiner, actor=EXAMINER)
            assert db.get(Attempt, attempt_id).score == 1.0
        changed.set()
        before, page_copy, graded = out.get(timeout=120)
    finally:
        other.join(timeout=60)
    assert before == 0.0  # the other process had cached the old key...
    assert page_copy == 0.0  # ...and, for pages, may keep it until the next check...
    assert graded == 1.0  # ...but grading re-checks the revision and uses the corrected key


def test_a_cached_paper_is_rechecked_after_the_check_interval(postgres_url: str, tmp_path: Path) -> None:
    """Two app instances (two processes' caches) on one database, the page path only."""
    eager = make_app(postgres_url, tmp_path / "i", CACHE_PAPER_CHECK_SECONDS=0.0)
    lazy = make_app(postgres_url, tmp_path / "i", CACHE_PAPER_CHECK_SECONDS=3600.0)
    with eager.app_context():
        seeded = seed_sitting(rooms=1, per_room=1, questions=[MISKEYED], start=True)
        lifecycle.end_sitting(seeded.sitting_id, EXAMINER)
        paper_id = db.get(Attempt, seeded.attempt_ids[0]).paper_id
        assert paper_questions(db, paper_id)[0].options[1].fraction == 1.0
        db.rollback()
    with lazy.app_context():
        assert paper_questions(db, paper_id)[0].options[1].fraction == 1.0
        db.rollback()
    with eager.app_context():
        examiner = create_user(f"gk2-{utcnow().strftime('%H%M%S%f')}", STAFF_PASSWORD, "examiner", full_name="gk")
        db.commit()
    with lazy.app_context():  # the change happens in "another process": not the one holding `eager`'s cache
        regrade.apply_key_change(db, seeded.sitting_id, "q-paris", _fixed(), reason="sửa", by=examiner,
                                 actor=EXAMINER)
    with eager.app_context():
        assert paper_questions(db, paper_id)[0].options[1].fraction == 0.0
        db.rollback()


def test_caches_are_bounded(app: Flask) -> None:
    cache: Bounded[int, str] = Bounded(3)
    for i in range(5):
        cache[i] = str(i)
    assert len(cache) == 3 and 0 not in cache and 1 not in cache
    assert cache.get(2) == "2"  # used: now the most recent
    cache[5] = "5"
    assert 3 not in cache and 2 in cache and cache.get(99) is None
    with pytest.raises(ValueError, match="at least one entry"):
        Bounded(0)
    assert isinstance(app.extensions["exam_attempt_cache"], Bounded)
    assert app.extensions["exam_attempt_cache"].limit == app.config["CACHE_ATTEMPTS"]
    assert isinstance(app.extensions["exam_paper_cache"], Bounded)
