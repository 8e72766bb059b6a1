"""Links from the staff pages to pages other parts serve (the candidate page, the live monitor).

Those parts are built separately; a link is offered only when its endpoint is registered, so
the staff pages never break on a part that is absent.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

CANDIDATE_LOGIN = "live.login"
CANDIDATE_HOME = "live.exam_page"
MONITOR_SITTING = "monitor_pages.sitting"  # takes sitting_id
MONITOR_ROOM = "monitor_pages.room"  # takes room_id


def optional_url(endpoint: str, **values: Any) -> str | None:
    """The URL of `endpoint`, or None when no such page is registered."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)
