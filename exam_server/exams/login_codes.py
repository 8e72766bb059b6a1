"""One-time login codes for a whole room at once, and the cut-out slips they are printed on.

Only a code's hash is stored, so a code can be shown exactly once: when it is issued. A second
request therefore never re-prints the same codes; it skips every candidate who still holds a
valid, unused code (listed as `already_issued`) unless re-issuing is asked for explicitly, which
replaces those codes (the old ones stop working). Reloading a page never issues anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select

from exam_server.accounts.models import LoginCode
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import Conflict
from exam_server.events.log import Actor
from exam_server.exams import room_clock
from exam_server.exams.candidate_login import issue_login_code
from exam_server.exams.models import Registration, Room

CODE_STATES = ("checkin_open", "started", "paused")  # room states in which candidates may log in
MIN_TTL = timedelta(minutes=30)
MARGIN = timedelta(minutes=15)


@dataclass
class RoomCodes:
    codes: list[dict[str, Any]] = field(default_factory=list)
    already_issued: list[dict[str, Any]] = field(default_factory=list)


def code_ttl(room: Room, now: datetime) -> int:
    """Valid until late entry closes (plus a margin), at least 30 minutes: slips are printed
    before the doors open, so the usual 30 minutes could run out before the candidate sits."""
    sitting = room.sitting
    last_entry = sitting.scheduled_start + timedelta(seconds=sitting.late_entry_s) + MARGIN
    return int(max(MIN_TTL, last_entry - now).total_seconds())


def _not_logged_in(room: Room) -> list[Registration]:
    attempts = room_clock.current().attempts_in_room(room)
    out = []
    for reg in sorted(room.registrations, key=lambda r: r.sbd):
        attempt = attempts.get(reg.id)
        if attempt is None or (attempt.entered_at is None and attempt.state != "submitted"):
            out.append(reg)
    return out


def _outstanding(registration_ids: list[int], now: datetime) -> dict[int, datetime]:
    """registration id -> expiry of its still-valid unused code."""
    if not registration_ids:
        return {}
    rows = db.execute(
        select(LoginCode.registration_id, LoginCode.expires_at)
        .where(LoginCode.registration_id.in_(registration_ids), LoginCode.used_at.is_(None),
               LoginCode.expires_at > now)
    )
    return {reg_id: expires for reg_id, expires in rows}


def issue_room_codes(room: Room, actor: Actor, *, reissue: bool = False) -> RoomCodes:
    """Codes for every candidate of `room` who has not logged in (see the module docstring)."""
    if room.state not in CODE_STATES:
        raise Conflict("exams.login_codes_closed", room=room.name)
    now = utcnow()
    waiting = _not_logged_in(room)
    held = {} if reissue else _outstanding([r.id for r in waiting], now)
    ttl = code_ttl(room, now)
    result = RoomCodes()
    for reg in waiting:
        base = {"registration_id": reg.id, "sbd": reg.sbd, "full_name": reg.full_name, "seat": reg.seat}
        if reg.id in held:
            result.already_issued.append({**base, "expires_at": held[reg.id].isoformat()})
            continue
        code, issued = issue_login_code(reg.id, actor, ttl_s=ttl)
        result.codes.append({**base, "seat": issued.seat, "code": code, "expires_at": issued.expires_at.isoformat()})
    return result


def slips_pdf(codes: list[dict[str, Any]], already_issued: list[dict[str, Any]], login_url: str,
              labels: dict[str, str]) -> bytes:
    """A4 sheets of cut-out slips (2 × 5 per page, dashed cut lines): name, SBD, seat, code, URL."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from exam_server.pdf_fonts import pdf_font

    regular, bold = pdf_font()
    small = ParagraphStyle("small", fontName=regular, fontSize=9, leading=12)
    name = ParagraphStyle("name", fontName=bold, fontSize=11, leading=14)
    code_style = ParagraphStyle("code", fontName=bold, fontSize=20, leading=26, alignment=1)

    def slip(entry: dict[str, Any]) -> list[Any]:
        return [
            Paragraph(escape(labels["heading"]), small),
            Paragraph(escape(entry["full_name"]), name),
            Paragraph(f"{escape(labels['sbd'])}: <b>{escape(entry['sbd'])}</b> · {escape(labels['seat'])}: "
                      f"<b>{escape(entry['seat'] or '—')}</b>", small),
            Paragraph(escape(entry["code"]), code_style),
            Paragraph(f"{escape(labels['url'])}: {escape(login_url)}", small),
        ]

    cells = [slip(c) for c in codes]
    rows = [cells[i:i + 2] + [[]] * (2 - len(cells[i:i + 2])) for i in range(0, len(cells), 2)]
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=10 * mm, rightMargin=10 * mm, topMargin=10 * mm,
                            bottomMargin=10 * mm, title=labels["title"])
    story: list[Any] = []
    if rows:
        table = Table(rows, colWidths=[95 * mm, 95 * mm], rowHeights=[54 * mm] * len(rows))
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.6, "#777777", None, (3, 3)),  # dashed: where to cut
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 4 * mm), ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm),
        ]))
        story.append(table)
    if already_issued:
        story.append(Spacer(1, 6 * mm))
        story.append(Paragraph(escape(labels["already"]), name))
        story.extend(Paragraph(f"{escape(e['sbd'])} — {escape(e['full_name'])} ({escape(e['seat'] or '—')})", small)
                     for e in already_issued)
    if not story:
        story.append(Paragraph(escape(labels["none"]), name))
    doc.build(story)
    return buffer.getvalue()
