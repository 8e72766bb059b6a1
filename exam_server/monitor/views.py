"""The live dashboards (pages): one per sitting (examiners) and one per room (its invigilators).

The page is a shell; its data arrives over the `/monitor` socket (snapshot on `watch`, then
coalesced updates: a room's rows, or the sitting's per-room aggregates and the rows of the room
opened on it), and actions go back over the same socket.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_wtf.csrf import generate_csrf

from exam_server.accounts import auth
from exam_server.exams import lifecycle
from exam_server.i18n import current_language
from exam_server.page_scripts import script_messages

bp = Blueprint("monitor_pages", __name__, url_prefix="/monitor")


def _page(title: str, target: dict[str, int], sitting: Any, room: Any = None) -> str:
    config = {"target": target, "lang": current_language(), "messages": script_messages(), "csrf_token": generate_csrf(),
              "can_run_sitting": auth.current_role() in ("admin", "examiner")}
    return render_template("monitor/dashboard.html", title=title, sitting=sitting, room=room, page_config=config)


@bp.get("/sittings/<int:sitting_id>")
@auth.examiner_required
def sitting(sitting_id: int) -> str:
    found = lifecycle.get_sitting(sitting_id)
    return _page(found.name, {"sitting": found.id}, found)


@bp.get("/rooms/<int:room_id>")
@auth.staff_required
def room(room_id: int) -> str:
    found = lifecycle.get_room(room_id)
    auth.require_room_access(found)
    return _page(f"{found.name} · {found.sitting.name}", {"room": found.id}, found.sitting, found)
