"""Lazy deadline enforcement (an access to an attempt found past deadline + grace) never waits
for a row someone else holds: that someone is closing it (a submit, the deadline job), and a
handler waiting on their lock held its database connection — at the deadline of a large
sitting, every reconnecting page did, until a worker's pool was nothing but lock waits."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text, update

from exam_server.attempts import candidate
from exam_server.attempts.models import Attempt
from exam_server.db import db as database
from exam_server.db import session as db
from exam_server.db import utcnow
from tests.server.conftest import make_app
from tests.support.seed import seed_sitting


@pytest.mark.postgres
def test_an_attempt_held_by_another_transaction_is_left_to_it(postgres_url: str, tmp_path: Path) -> None:
    app = make_app(postgres_url, tmp_path / "instance")
    with app.app_context():
        seeded = seed_sitting(rooms=1, per_room=1, start=True)
        attempt_id = seeded.attempt_ids[0]
        past = utcnow() - timedelta(seconds=5)
        db.execute(update(Attempt).where(Attempt.id == attempt_id).values(deadline_at=past, closes_at=past))
        db.commit()
        attempt = db.get(Attempt, attempt_id)
        assert attempt is not None
        with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://")) as other:
            other.execute("SELECT id FROM attempts WHERE id = %s FOR UPDATE", (attempt_id,))  # someone closing it
            # a wait on that lock fails this test (LockNotAvailable) instead of hanging it
            db.execute(text("SET lock_timeout = '3s'"))
            candidate.enforce_deadline(attempt, utcnow())
            assert attempt.state == "active"  # left to the holder, not closed behind its back
            other.rollback()
        candidate.enforce_deadline(attempt, utcnow())  # nobody holds it now: closed at its deadline
        assert attempt.state == "submitted" and attempt.submitted_by == "server"
        assert attempt.submitted_at == past
        db.rollback()
    database.engine(app).dispose()
