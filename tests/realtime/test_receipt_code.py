"""The submission receipt's code: stable for the attempt as stored, refused as soon as a stored
answer or the finish time changes, and never valid for an open attempt."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from tests.realtime.conftest import make_app, seed_sitting


def test_receipt_code_follows_the_stored_answers(tmp_path: Path) -> None:
    from exam_server.attempts import receipt
    from exam_server.attempts.models import Attempt, Response
    from exam_server.attempts.submission import close_attempt
    from exam_server.db import session as db
    from exam_server.db import utcnow
    from exam_server.events.log import SERVER
    from exam_server.exams import lifecycle

    seeded = seed_sitting(f"sqlite:///{tmp_path / 'exam.db'}", tmp_path)
    app = make_app(seeded.db_url, tmp_path)
    with app.app_context():
        lifecycle.start_room(seeded.rooms["P01"], SERVER)
        attempt = db.get(Attempt, seeded.candidates["010001"]["attempt"])
        assert receipt.receipt_for(db, attempt) is None  # open: no receipt yet
        now = utcnow()
        db.add_all([Response(attempt_id=attempt.id, question_no=1, value="B", seq=1, saved_at=now),
                    Response(attempt_id=attempt.id, question_no=9, value="  ", seq=2, saved_at=now),
                    Response(attempt_id=attempt.id, question_no=4, value=["A", "B"], seq=3, saved_at=now)])
        db.commit()
        assert close_attempt(db, attempt, at=now, by="candidate", actor=SERVER)
        db.commit()
        got = receipt.receipt_for(db, attempt)
        assert got is not None and (got.answered, got.total) == (2, 10)  # blank text is not an answer
        assert receipt.verify(db, got.code)[0]
        assert receipt.verify(db, got.code.lower().replace("-", "", 2).replace(str(attempt.id), f"{attempt.id}-", 1))[0]
        assert not receipt.verify(db, f"{attempt.id + 1}{got.code[len(str(attempt.id)):]}")[0]

        row = db.scalar(select(Response).where(Response.attempt_id == attempt.id, Response.question_no == 1))
        row.value = "C"  # an answer changed after the submission: the receipt no longer matches
        db.commit()
        assert not receipt.verify(db, got.code)[0]
        row.value = "B"
        attempt.submitted_at = attempt.submitted_at + timedelta(seconds=1)
        db.commit()
        assert not receipt.verify(db, got.code)[0]


def test_prefetched_answers_give_the_same_receipts_in_one_query_each_used_once(tmp_path: Path) -> None:
    """A push of a submit batch's states reads the batch's answers in one query; each receipt is
    the one built alone, and a prefetched copy serves one receipt only (a later one re-reads)."""
    from sqlalchemy import event

    from exam_server.attempts import receipt
    from exam_server.attempts.models import Attempt, Response
    from exam_server.attempts.submission import close_attempt
    from exam_server.db import session as db
    from exam_server.db import utcnow
    from exam_server.events.log import SERVER
    from exam_server.exams import lifecycle

    seeded = seed_sitting(f"sqlite:///{tmp_path / 'exam.db'}", tmp_path)
    app = make_app(seeded.db_url, tmp_path)
    with app.app_context():
        lifecycle.start_room(seeded.rooms["P01"], SERVER)
        attempts = [db.get(Attempt, c["attempt"]) for c in seeded.candidates.values()][:3]
        now = utcnow()
        for k, attempt in enumerate(attempts):
            db.add_all([Response(attempt_id=attempt.id, question_no=q, value="ABCD"[(q + k) % 4], seq=q, saved_at=now)
                        for q in range(1, k + 2)])
            assert close_attempt(db, attempt, at=now, by="candidate", actor=SERVER)
        db.commit()
        alone = [receipt.receipt_for(db, a) for a in attempts]

        reads: list[str] = []
        engine = db.get_bind()
        listen = lambda *args: reads.append(args[2]) if "FROM responses" in args[2] else None  # noqa: E731
        event.listen(engine, "before_cursor_execute", listen)
        try:
            receipt.prefetch_answers(db, [a.id for a in attempts])
            batched = [receipt.receipt_for(db, a) for a in attempts]
            assert len(reads) == 1  # the batch's answers, once
            assert batched == alone
            assert receipt.receipt_for(db, attempts[0]) == alone[0] and len(reads) == 2  # used once
        finally:
            event.remove(engine, "before_cursor_execute", listen)
