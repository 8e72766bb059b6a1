"""Applying the SEB checks of `exam_server.seb` to a candidate's attempt.

A mismatch before the start keeps the candidate out; during the exam it locks the attempt
(answers so far are kept) and logs why, until an invigilator releases it.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from exam_server import seb
from exam_server.attempts import control
from exam_server.attempts.models import Attempt
from exam_server.events.log import Actor
from exam_server.exams.models import Sitting

SEB_ACTOR = Actor("server:seb")


def policy_for(sitting: Sitting) -> seb.SebPolicy:
    cfg = sitting.seb_config or {}
    return seb.SebPolicy.from_settings(sitting.require_seb, cfg.get("config_keys", []), cfg.get("browser_exam_keys", []))


def check_current_request(sitting: Sitting, js: Any) -> seb.SebResult:
    """Check the request being handled (a page load or the socket handshake) and/or `js` keys."""
    policy = policy_for(sitting)
    if not policy.required:
        return seb.SebResult(True)
    origin = f"{request.scheme}://{request.host}"
    page_path = url_for("live.exam_page")
    return seb.check(policy, request.url, request.headers, js if isinstance(js, dict) else None, origin, page_path)


def check_js(sitting: Sitting, js: Any, origin: str, page_path: str) -> seb.SebResult:
    """Keys sent with a socket event (no request of its own: compare with the handshake's origin)."""
    policy = policy_for(sitting)
    if not policy.required:
        return seb.SebResult(True)
    js = js if isinstance(js, dict) else {}
    keys = js.get("keys")
    return seb.check_js_keys(policy, str(js.get("url") or ""), keys if isinstance(keys, dict) else None,
                             origin, page_path)


def lock_for_mismatch(attempt: Attempt, result: seb.SebResult) -> bool:
    """Lock a running attempt that failed a check; True when it is (now) locked."""
    if attempt.state not in ("active", "paused"):
        return False
    if not attempt.locked:
        control.set_locked(attempt.id, True, SEB_ACTOR, result.reason)
    return True
