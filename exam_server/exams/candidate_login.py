"""Candidate credentials: one-time login codes for a registration, and the SBD + password login.

They read and change registrations (seat moves, the sitting's password-login setting), so
they sit in exams; the `LoginCode` table and the code hashing stay in accounts, below.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash

from exam_server.accounts.models import LoginCode, dummy_password_check
from exam_server.accounts.service import CODE_ALPHABET, CODE_LENGTH
from exam_server.accounts.service import _hash_code as hash_code
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Forbidden, NotFound
from exam_server.events.log import Actor, append_event
from exam_server.exams.models import Registration


def issue_login_code(registration_id: int, actor: Actor, seat: str | None = None,
                     ttl_s: int = 30 * 60, bind_seat: bool = False) -> tuple[str, LoginCode]:
    """A fresh one-time code for the candidate at `seat` (default: their assigned seat).

    Earlier unused codes of the candidate stop working. Issuing a code for another seat is how
    an invigilator moves a candidate to a new workstation: the logins on the old one end at
    once (its page stops saving). With `bind_seat` (the check-in station's codes) the
    workstation must name the seat when the code is used.
    """
    reg = db.get(Registration, registration_id)
    if reg is None:
        raise NotFound("accounts.registration_not_found")
    moving = seat is not None and seat != reg.seat
    now = utcnow()
    db.execute(update(LoginCode).where(LoginCode.registration_id == reg.id, LoginCode.used_at.is_(None))
               .values(used_at=now))
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    login = LoginCode(code_hash=hash_code(code), registration_id=reg.id, seat=seat if seat is not None else reg.seat,
                      issued_by_id=actor.user_id, issued_at=now, expires_at=now + timedelta(seconds=ttl_s),
                      seat_bound=bool(bind_seat and (seat if seat is not None else reg.seat)))
    db.add(login)
    append_event(db, "login_code.issued", actor, sitting_id=reg.sitting_id, room_id=reg.room_id,
                 data={"registration_id": reg.id, "seat": login.seat, "seat_bound": login.seat_bound})
    db.commit()
    if moving:
        from exam_server.accounts.revocation import revoke_sessions

        revoke_sessions("moved", registration_id=reg.id)
    return code, login


def _seat_key(seat: str) -> str:
    """Seats as typed at a workstation: "m01" and " M01 " name seat M01."""
    return seat.strip().upper()


def redeem_login_code(code: str, seat: str | None = None) -> Registration:
    """The registration the code was issued to (its sitting and room loaded); the code is spent
    in the caller's transaction. `seat`, when the workstation names itself, must be the seat the
    code is bound to."""
    now = utcnow()
    # The code with its registration and what the entry checks read of it (sitting, room): one query.
    found = db.execute(select(LoginCode, Registration).join(Registration, Registration.id == LoginCode.registration_id)
                       .where(LoginCode.code_hash == hash_code(code))
                       .options(joinedload(Registration.sitting), joinedload(Registration.room))).first()
    if found is None or found[0].used_at is not None or found[0].expires_at <= now:
        db.rollback()
        raise Forbidden("accounts.code_invalid")
    login, reg = found
    if login.seat_bound and not seat:
        db.rollback()
        raise Forbidden("accounts.code_seat_required")
    if seat and login.seat and _seat_key(seat) != _seat_key(login.seat):
        # The answer names the seat tried, never the right one (the code alone must not tell
        # where it works); the attempt is in the audit log for the invigilator.
        reg_id, sitting_id, room_id = reg.id, reg.sitting_id, reg.room_id
        db.rollback()
        append_event(db, "login_code.wrong_seat", Actor("anonymous"), sitting_id=sitting_id,
                     room_id=room_id, data={"registration_id": reg_id, "seat": seat[:50]})
        db.commit()
        raise Forbidden("accounts.code_wrong_seat", seat=seat[:50])
    spent = cast(CursorResult[Any], db.execute(update(LoginCode).where(LoginCode.id == login.id, LoginCode.used_at.is_(None))
                       .values(used_at=now))).rowcount
    if spent != 1:
        db.rollback()
        raise Forbidden("accounts.code_invalid")
    if login.seat and login.seat != reg.seat:
        append_event(db, "candidate.moved", Actor(f"candidate:{reg.sbd}", registration_id=reg.id),
                     sitting_id=reg.sitting_id, room_id=reg.room_id, data={"from": reg.seat, "to": login.seat})
        reg.seat = login.seat
    return reg


def authenticate_candidate(sitting_id: int, sbd: str, password: str) -> Registration | None:
    """The registration with these credentials, or None: an unknown SBD and a wrong password
    get the same answer at the same cost, and only someone who knows the password learns that
    the sitting does not allow password login (no enumeration of candidate numbers)."""
    reg = db.scalar(select(Registration).where(Registration.sitting_id == sitting_id, Registration.sbd == sbd)
                    .options(joinedload(Registration.sitting), joinedload(Registration.room)))  # what entry reads
    if reg is None or not reg.password_hash:
        dummy_password_check(password)
        return None
    if not check_password_hash(reg.password_hash, password):
        return None
    if not reg.sitting.allow_password_login:
        raise Forbidden("accounts.password_login_disabled")
    return reg
