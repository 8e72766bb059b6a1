"""Check-in: station tokens for a room, the room roster for the station, and check-in records.

The server is the authority on the roster: whatever the station decided, a candidate not
registered in the station's room is refused here, with the room they belong to named. A check-in
is keyed by the station-generated id, so a resend (after a lost answer or from the offline
queue) returns the recorded outcome instead of recording it twice.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from exam_common.checkin import (
    AnswerReason,
    Candidate,
    CheckinAnswer,
    CheckinRequest,
    FieldProblem,
    field_problems,
)
from exam_server.accounts.models import User
from exam_server.accounts.service import can_manage_room
from exam_server.checkin import (
    messages,  # noqa: F401  (registers the payload problems' texts)
    personal_data,
)
from exam_server.checkin.models import LIVENESS_CHALLENGES, CheckIn, CheckinPolicy, Station
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Conflict, Forbidden, NotFound, ServiceError
from exam_server.events.log import Actor, append_event
from exam_server.exams.candidate_login import issue_login_code
from exam_server.exams.models import Exam, Registration, Room, Sitting
from exam_server.i18n import format_date, translate

OPEN_SITTING_STATES = ("checkin_open", "started")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for(user: User) -> Actor:
    return Actor(f"{user.role}:{user.username}", user_id=user.id)


# --- stations ------------------------------------------------------------------------------

def resolve_room(reference: str) -> Room:
    """A room by its number, or by its name when exactly one open sitting has such a room."""
    reference = reference.strip()
    if reference.isdigit():
        room = db.get(Room, int(reference))
        if room is None:
            raise NotFound("checkin.room_not_found", room=reference)
        return room
    rooms = db.scalars(
        select(Room).join(Sitting).where(Room.name == reference, Sitting.state != "ended").order_by(Room.id)
    ).all()
    if not rooms:
        raise NotFound("checkin.room_not_found", room=reference)
    if len(rooms) > 1:
        raise Conflict("checkin.room_ambiguous", room=reference)
    return rooms[0]


def issue_station_token(user: User, room: Room, name: str) -> tuple[str, Station]:
    """A device token for `room`, issued by an examiner or one of the room's invigilators."""
    if not can_manage_room(user, room):
        raise Forbidden("checkin.forbidden_room")
    token = secrets.token_urlsafe(32)
    station = Station(token_hash=_token_hash(token), room_id=room.id, name=name.strip()[:100], issued_by_id=user.id)
    db.add(station)
    db.flush()
    append_event(db, "checkin.station_issued", actor_for(user), sitting_id=room.sitting_id, room_id=room.id,
                 data={"station_id": station.id, "station": station.name})
    db.commit()
    return token, station


def station_for_token(token: str) -> Station:
    station = db.scalar(select(Station).where(Station.token_hash == _token_hash(token)))
    if station is None or station.revoked_at is not None or not station.issued_by.active:
        raise Forbidden("checkin.token_invalid")
    # The issuer must still be allowed in the room (an invigilator moved elsewhere loses it).
    if not can_manage_room(station.issued_by, station.room):
        raise Forbidden("checkin.token_invalid")
    return station


def revoke_station(station_id: int, user: User) -> Station:
    station = db.get(Station, station_id)
    if station is None:
        raise NotFound("checkin.token_invalid")
    if not can_manage_room(user, station.room):
        raise Forbidden("checkin.forbidden_room")
    if station.revoked_at is None:
        station.revoked_at = utcnow()
        append_event(db, "checkin.station_revoked", actor_for(user), sitting_id=station.room.sitting_id,
                     room_id=station.room_id, data={"station_id": station.id})
        db.commit()
    return station


def exam_policy(exam_id: int) -> dict[str, Any]:
    """The exam's check-in choices, falling back to the configuration's defaults."""
    cfg = current_app.config
    policy = db.get(CheckinPolicy, exam_id)
    return {
        "face_match_threshold": float(cfg.get("CHECKIN_FACE_MATCH_THRESHOLD", 0.6)),
        "keep_face_thumbnails": policy.keep_face_thumbnails if policy
        else bool(cfg.get("CHECKIN_KEEP_FACE_THUMBNAILS", False)),
        "liveness": policy.liveness if policy else str(cfg.get("CHECKIN_LIVENESS", "") or ""),
    }


def set_exam_policy(exam_id: int, user: User, *, liveness: Any, keep_face_thumbnails: Any) -> dict[str, Any]:
    if db.get(Exam, exam_id) is None:
        raise NotFound("checkin.exam_not_found")
    if liveness not in LIVENESS_CHALLENGES:
        raise _bad("liveness", f"must be one of {', '.join(repr(c) for c in LIVENESS_CHALLENGES)}")
    if not isinstance(keep_face_thumbnails, bool):
        raise _bad("keep_face_thumbnails", "must be true or false")
    policy = db.get(CheckinPolicy, exam_id) or CheckinPolicy(exam_id=exam_id, updated_by_id=user.id)
    policy.liveness, policy.keep_face_thumbnails = liveness, keep_face_thumbnails
    policy.updated_by_id, policy.updated_at = user.id, utcnow()
    db.add(policy)
    append_event(db, "checkin.policy_changed", actor_for(user),
                 data={"exam_id": exam_id, "liveness": liveness, "keep_face_thumbnails": keep_face_thumbnails})
    db.commit()
    return exam_policy(exam_id)


def station_dict(station: Station) -> dict[str, Any]:
    room, sitting, user = station.room, station.room.sitting, station.issued_by
    return {
        "station": {"id": station.id, "name": station.name},
        "room": {"id": room.id, "name": room.name, "state": room.state},
        "sitting": {"id": sitting.id, "name": sitting.name, "state": sitting.state, "exam": sitting.exam.name},
        "invigilator": {"username": user.username, "full_name": user.full_name, "role": user.role},
        "settings": exam_policy(sitting.exam_id),
    }


# --- roster --------------------------------------------------------------------------------

def _status(reg: Registration, checkins: list[CheckIn], room: Room) -> tuple[str, CheckIn | None]:
    accepted = [c for c in checkins if c.status == "accepted"]
    if accepted:
        return "checked_in", accepted[0]
    if checkins:
        return "refused", checkins[-1]
    if room.state in ("started", "paused", "ended"):
        return "absent", None
    return "expected", None


def room_roster(station: Station) -> dict[str, Any]:
    """The station room's candidates with their check-in status."""
    room = station.room
    regs = db.scalars(select(Registration).where(Registration.room_id == room.id).order_by(Registration.sbd)).all()
    by_reg: dict[int, list[CheckIn]] = {}
    for c in db.scalars(select(CheckIn).where(CheckIn.room_id == room.id).order_by(CheckIn.id)):
        if c.registration_id is not None:
            by_reg.setdefault(c.registration_id, []).append(c)
    candidates = []
    for reg in regs:
        status, checkin = _status(reg, by_reg.get(reg.id, []), room)
        candidates.append({
            "registration_id": reg.id, "sbd": reg.sbd, "full_name": reg.full_name, "citizen_id": reg.citizen_id,
            "dob": format_date(reg.dob), "seat": reg.seat, "status": status,
            "checked_in_at": checkin.received_at.isoformat() if checkin and status == "checked_in" else None,
        })
    info = station_dict(station)
    return {"room": info["room"], "sitting": info["sitting"], "candidates": candidates}


# --- check-ins ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckinInput:
    checkin_id: str
    citizen_id: str
    decision: str
    reasons: list[dict[str, Any]]
    override_reason: str | None
    override_by: str | None
    chip_passed: bool
    verification: dict[str, Any]
    face: dict[str, Any] | None
    captured_at: datetime | None
    thumbnail: bytes | None
    station_name: str


def _bad(field: str, problem: str) -> ServiceError:
    return ServiceError("checkin.bad_request", 422, field=field, problem=problem)


class BadCheckin(ServiceError):
    """`checkin.bad_request` naming every wrong field of a posted check-in by its path.

    `field` and `problem` name the first one (what stations have always read); `errors` lists
    each with its problem code, so a client can translate them itself. The texts are produced
    when asked for, so the answer and the log (English) each get their own language."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("checkin.bad_request", 422)
        self.problems = problems

    def _text(self, problem: FieldProblem, lang: str | None) -> str:
        return translate(problem.code, lang, **problem.params)

    def message(self, lang: str | None = None) -> str:
        first, *rest = self.problems
        text = "; ".join([self._text(first, lang), *(f"{p.field} {self._text(p, lang)}" for p in rest)])
        return translate(self.code, lang, field=first.field, problem=text)

    def to_dict(self) -> dict[str, Any]:
        first = self.problems[0]
        return {
            "code": self.code, "message": self.message(), "field": first.field, "problem": self._text(first, None),
            "errors": [{**p.to_dict(), "problem": self._text(p, None)} for p in self.problems],
        }


def parse_checkin(data: dict[str, Any]) -> CheckinInput:
    """Validate the station's JSON with the shared schema; the error names every wrong field."""
    try:
        request = CheckinRequest.model_validate(data)
    except ValidationError as exc:
        raise BadCheckin(field_problems(exc)) from None
    chip = request.chip.model_dump()
    face = request.face.model_dump(exclude_none=True) if request.face is not None else None
    return CheckinInput(
        checkin_id=request.checkin_id,
        citizen_id=request.citizen_id,
        decision=request.decision,
        reasons=[{"code": r.code, "params": dict(r.params)} for r in request.reasons],
        override_reason=request.override.reason.strip() if request.override else None,
        override_by=request.override.by if request.override else None,
        chip_passed=request.chip.passed,
        # an allow-list: the card's ID number, name, date of birth and the checks' outcomes
        verification=personal_data.verification(chip),
        face=personal_data.face(face, keep_scores=True),  # scores dropped below unless the exam keeps them
        captured_at=request.captured_at,
        thumbnail=request.thumbnail,
        station_name=request.station,
    )


def _server_verdict(station: Station, reg: Registration | None) -> list[dict[str, Any]]:
    """The server's own reasons to refuse (roster and sitting state); empty when none."""
    room = station.room
    if reg is None:
        return [{"code": "checkin.not_on_roster", "params": {}}]
    if reg.room_id != room.id:
        other = reg.room.name if reg.room is not None else "?"
        return [{"code": "checkin.other_room", "params": {"room": other}}]
    if room.sitting.state not in OPEN_SITTING_STATES or room.state == "ended":
        return [{"code": "checkin.closed", "params": {"state": room.sitting.state}}]
    return []


def _check_acceptance(data: CheckinInput) -> None:
    """An acceptance must be verified, or overridden with a reason (else it is malformed)."""
    face_ok = bool(data.face and data.face.get("matched") is True)
    verified = data.chip_passed and face_ok and not data.reasons
    if data.override_reason is not None and not data.override_reason:
        raise ServiceError("checkin.override_without_reason", 422)
    if not verified and data.override_reason is None:
        raise ServiceError("checkin.unverified_acceptance", 422)


def record_checkin(station: Station, data: CheckinInput) -> dict[str, Any]:
    """Record one check-in (or answer a resend of one) and, when accepted, issue the login code."""
    existing = db.scalar(select(CheckIn).where(CheckIn.client_id == data.checkin_id))
    if existing is not None:
        return _answer_resend(existing, station)
    room = station.room
    reg = db.scalar(select(Registration).where(Registration.sitting_id == room.sitting_id,
                                               Registration.citizen_id == data.citizen_id)) \
        if data.citizen_id else None
    server_reasons = _server_verdict(station, reg)
    if data.decision == "accepted" and not server_reasons:
        _check_acceptance(data)
        status = "accepted"
    else:
        status = "refused"
    reasons = server_reasons + ([] if status == "accepted" and not data.override_reason else data.reasons)
    user = station.issued_by
    actor = actor_for(user)
    keep = bool(exam_policy(room.sitting.exam_id)["keep_face_thumbnails"])
    # scores (face and reason parameters) only where the exam keeps thumbnails
    reasons = personal_data.reasons(reasons, keep_scores=keep)
    checkin = CheckIn(
        client_id=data.checkin_id, sitting_id=room.sitting_id, room_id=room.id, station_id=station.id,
        invigilator_id=user.id, registration_id=reg.id if reg is not None else None, citizen_id=data.citizen_id,
        status=status, reasons=reasons,
        override_reason=data.override_reason if status == "accepted" else None,
        verification=data.verification, face=personal_data.face(data.face, keep_scores=keep),
        thumbnail=data.thumbnail if keep else None,
        station_name=data.station_name or station.name, captured_at=data.captured_at,
    )
    db.add(checkin)
    station.last_seen_at = utcnow()
    try:
        db.flush()
    except IntegrityError:  # the same check-in arriving twice at once: answer like a resend
        db.rollback()
        existing = db.scalar(select(CheckIn).where(CheckIn.client_id == data.checkin_id))
        if existing is None:
            raise
        return _answer_resend(existing, station)
    event_data = {"checkin_id": data.checkin_id, "registration_id": checkin.registration_id,
                  "sbd": reg.sbd if reg else None, "station": checkin.station_name,
                  "reasons": [r["code"] for r in reasons], "face": personal_data.event_face(data.face)}
    append_event(db, f"checkin.{status}", actor, sitting_id=room.sitting_id, room_id=room.id, data=event_data)
    if checkin.override_reason:
        append_event(db, "checkin.override", actor, sitting_id=room.sitting_id, room_id=room.id,
                     reason=checkin.override_reason,
                     data={"checkin_id": data.checkin_id, "registration_id": checkin.registration_id,
                           "overridden": [r["code"] for r in data.reasons], "by": data.override_by})
    code = None
    if status == "accepted" and reg is not None:
        code, _ = issue_login_code(reg.id, actor, bind_seat=True)  # commits the check-in with the code
    else:
        db.commit()
    _notify(checkin)
    return answer(checkin, reg, code, duplicate=False)


def _answer_resend(existing: CheckIn, station: Station) -> dict[str, Any]:
    if existing.room_id != station.room_id:
        raise Conflict("checkin.id_taken", checkin_id=existing.client_id)
    reg = existing.registration
    code = None
    if existing.status == "accepted" and reg is not None:
        # The station never saw the first answer (else it would not resend), so neither did the
        # candidate: a fresh code replaces the unseen one.
        code, _ = issue_login_code(reg.id, actor_for(station.issued_by), bind_seat=True)
    return answer(existing, reg, code, duplicate=True)


def answer(checkin: CheckIn, reg: Registration | None, code: str | None, duplicate: bool) -> dict[str, Any]:
    """The answer the station parses (`exam_common.checkin.CheckinAnswer`), as JSON."""
    reasons = [AnswerReason(code=r["code"], params=r.get("params") or {},
                            message=_message(r["code"], r.get("params") or {})) for r in checkin.reasons]
    accepted = checkin.status == "accepted"
    return CheckinAnswer(
        checkin_id=checkin.client_id,
        status="accepted" if accepted else "refused",
        code="checkin.accepted" if accepted else (reasons[0].code if reasons else "checkin.station_refused"),
        message=translate("checkin.accepted", seat=reg.seat if reg else "") if accepted
        else (reasons[0].message if reasons else translate("checkin.station_refused")),
        reasons=reasons,
        seat=reg.seat if reg is not None and accepted else None,
        login_code=code,
        candidate=Candidate(sbd=reg.sbd, full_name=reg.full_name, citizen_id=reg.citizen_id, seat=reg.seat)
        if reg is not None else None,
        room=checkin.room.name,
        override=checkin.override_reason,
        checked_in_at=checkin.received_at,
        duplicate=duplicate,
    ).to_wire()


def _message(code: str, params: dict[str, Any]) -> str:
    """A reason's text; a station's parameters that do not fit the text never break the answer."""
    try:
        return translate(code, **params)
    except (KeyError, IndexError, ValueError):
        return translate(code)


def room_checkins(room: Room) -> list[dict[str, Any]]:
    """Every check-in of a room, newest first (for examiners and invigilators)."""
    rows = db.scalars(select(CheckIn).where(CheckIn.room_id == room.id).order_by(CheckIn.id.desc())).all()
    return [_public(c) for c in rows]


def _public(c: CheckIn) -> dict[str, Any]:
    reg = c.registration
    return {
        "checkin_id": c.client_id, "status": c.status, "received_at": c.received_at.isoformat(),
        "sbd": reg.sbd if reg else None, "full_name": reg.full_name if reg else None,
        "station": c.station_name, "invigilator": c.invigilator.username,
        "reasons": [r["code"] for r in c.reasons], "override_reason": c.override_reason,
        "face": c.face, "verification_passed": c.verification.get("passed"),
        "has_thumbnail": c.thumbnail is not None,
    }


def _notify(checkin: CheckIn) -> None:
    """Tell the room's and sitting's dashboards at once (the event log also marks the rows)."""
    from exam_server.extensions import socketio

    payload = {"checkin": _public(checkin), "room_id": checkin.room_id}
    try:
        for group in (f"mon:room:{checkin.room_id}", f"mon:sitting:{checkin.sitting_id}"):
            socketio.emit("checkin", payload, to=group, namespace="/monitor")
    except Exception:  # a dashboard notice must never fail a recorded check-in
        current_app.logger.exception("check-in notice not delivered")
