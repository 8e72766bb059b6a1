"""The invigilators' and examiners' actions, each an audited event through the core services.

`perform(user, action)` checks the user may act on the target (room access; sitting-wide
actions are for examiners), calls the service, and returns what the dashboard shows. Every
state change already pushes itself to the candidates (see `exam_server.realtime.pushes`);
messages are pushed here because they change no state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exam_server.accounts.models import User
from exam_server.accounts.service import can_manage_room
from exam_server.attempts import control, disqualification
from exam_server.attempts.models import Attempt
from exam_server.attempts.room_extra_time import add_room_extra_time
from exam_server.attempts.submission import close_attempt
from exam_server.attempts.time_bounds import extra_seconds
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Conflict, Forbidden, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.exams import lifecycle
from exam_server.exams.candidate_login import issue_login_code
from exam_server.exams.models import Room
from exam_server.i18n import translate

ROOM_ACTIONS = {"room.start", "room.pause", "room.resume", "room.end", "room.message", "room.extra_time"}
SITTING_ACTIONS = {"sitting.start", "sitting.pause", "sitting.resume", "sitting.end"}
ATTEMPT_ACTIONS = {"attempt.pause", "attempt.resume", "attempt.extra_time", "attempt.lock", "attempt.unlock",
                   "attempt.move", "attempt.force_submit", "attempt.incident", "attempt.message",
                   "attempt.disqualify"}
MAX_TEXT = 1000


def actor_of(user: User) -> Actor:
    return Actor(f"{user.role}:{user.username}", user_id=user.id)


def _text(action: dict[str, Any], key: str) -> str:
    value = action.get(key, "")
    if not isinstance(value, str):
        raise ServiceError("monitor.error.unknown_action", detail=key)
    return value.strip()[:MAX_TEXT]


def _int(action: dict[str, Any], key: str) -> int:
    value = action.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ServiceError("monitor.error.unknown_action", detail=key)
    return value


def _room(user: User, room_id: int) -> Room:
    room = lifecycle.get_room(room_id)
    if not can_manage_room(user, room):
        raise Forbidden("monitor.error.forbidden")
    return room


def _attempt(user: User, attempt_id: int) -> Attempt:
    attempt = control.get_attempt(attempt_id)
    room = attempt.registration.room
    if room is None or not can_manage_room(user, room):
        raise Forbidden("monitor.error.forbidden")
    return attempt


def perform(user: User, action: dict[str, Any], emit_message: Any) -> dict[str, Any]:
    """Do one action; raises ServiceError (with a message key) when refused."""
    kind = action.get("kind")
    actor = actor_of(user)
    reason = _text(action, "reason")
    if kind in SITTING_ACTIONS:
        if user.role not in ("admin", "examiner"):
            raise Forbidden("monitor.error.forbidden")
        sitting_id = _int(action, "sitting")
        fn = {"sitting.start": lifecycle.start_sitting, "sitting.pause": lifecycle.pause_sitting,
              "sitting.resume": lifecycle.resume_sitting, "sitting.end": lifecycle.end_sitting}[kind]
        fn(sitting_id, actor, reason)
        return {}
    if kind in ROOM_ACTIONS:
        room = _room(user, _int(action, "room"))
        if kind == "room.message":
            return _message(actor, emit_message, room.sitting_id, room.id, None, _text(action, "text"))
        if kind == "room.extra_time":  # everyone still writing or paused, in one transaction
            extended = add_room_extra_time(room, action.get("seconds"), actor, reason)
            return {"extended": len(extended)}
        room_fn: Callable[[int, Actor, str], Any] = {"room.start": lifecycle.start_room, "room.pause": lifecycle.pause_room,
              "room.resume": lifecycle.resume_room, "room.end": lifecycle.end_room}[kind]
        room_fn(room.id, actor, reason)
        return {}
    if kind in ATTEMPT_ACTIONS:
        attempt = _attempt(user, _int(action, "attempt"))
        return _attempt_action(kind, attempt, actor, reason, action, emit_message)
    raise ServiceError("monitor.error.unknown_action", detail=str(kind)[:50])


def _attempt_action(kind: str, attempt: Attempt, actor: Actor, reason: str, action: dict[str, Any],
                    emit_message: Any) -> dict[str, Any]:
    reg = attempt.registration
    if kind == "attempt.pause":
        control.pause_attempt(attempt.id, actor, reason)
    elif kind == "attempt.resume":
        control.resume_attempt(attempt.id, actor, reason)
    elif kind == "attempt.extra_time":
        # bounds (1 s–8 h per action, 8 h in total) are checked by the service: a 4xx code, never a 500
        control.add_extra_time(attempt.id, extra_seconds(action.get("seconds")), actor, reason)
    elif kind in ("attempt.lock", "attempt.unlock"):
        control.set_locked(attempt.id, kind == "attempt.lock", actor, reason)
    elif kind == "attempt.move":
        seat = _text(action, "seat")
        if not seat:
            raise ServiceError("monitor.error.unknown_action", detail="seat")
        # A code bound to the new seat; the candidate logs in there and resumes with every answer.
        code, _login = issue_login_code(reg.id, actor, seat=seat)
        return {"code": code, "seat": seat}
    elif kind == "attempt.force_submit":
        _force_submit(attempt, actor, reason)
    elif kind == "attempt.disqualify":
        disqualification.disqualify(db, attempt, actor, reason)
        db.commit()
        return _message(actor, emit_message, reg.sitting_id, reg.room_id, attempt.id,
                        translate("attempts.disqualified_notice", reason=reason.strip()))
    elif kind == "attempt.incident":
        text = _text(action, "text") or reason
        if not text:
            raise Conflict("monitor.error.reason_required")
        append_event(db, "incident.logged", actor, sitting_id=reg.sitting_id, room_id=reg.room_id,
                     attempt_id=attempt.id, reason=text)
        db.commit()
    elif kind == "attempt.message":
        return _message(actor, emit_message, reg.sitting_id, reg.room_id, attempt.id, _text(action, "text"))
    return {}


def _force_submit(attempt: Attempt, actor: Actor, reason: str) -> None:
    if not reason:
        raise Conflict("monitor.error.reason_required")
    now = utcnow()
    deadline = attempt.deadline(now)
    finish = min(now, deadline) if deadline else now
    if not close_attempt(db, attempt, at=finish, by="staff", actor=actor, reason=reason):
        db.rollback()
        raise Conflict("attempts.illegal_transition", action="force_submit", state=attempt.state)
    db.commit()


def _message(actor: Actor, emit_message: Any, sitting_id: int, room_id: int | None, attempt_id: int | None,
             text: str) -> dict[str, Any]:
    if not text:
        raise ServiceError("monitor.error.unknown_action", detail="text")
    event = append_event(db, "message.sent", actor, sitting_id=sitting_id, room_id=room_id,
                         attempt_id=attempt_id, data={"text": text})
    at = utcnow()
    db.commit()
    emit_message({"text": text, "at": int(at.timestamp() * 1000), "id": event.id},
                 f"attempt:{attempt_id}" if attempt_id is not None else f"room:{room_id}")
    return {}
