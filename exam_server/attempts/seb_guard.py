"""Applying the SEB checks of `exam_server.seb` to a candidate's attempt.

A mismatch before the start keeps the candidate out; during the exam it locks the attempt
(answers so far are kept) and logs why, until an invigilator releases it.

Every candidate request and every socket event is checked against the sitting's CURRENT policy,
read from the database each time (`current_policy`), never the policy seen at the socket's
handshake: an examiner who requires SEB (or changes its keys) mid-exam reaches sockets that were
already open. A connection keeps the proof it showed at its handshake (`SebProof`: the header
hashes and the URL they were made for, from the handshake itself or from this session's page
load) and that proof is re-checked against the current keys on each event; browsers that prove
themselves through SEB's JavaScript API send their keys with every event anyway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import request, session, url_for
from sqlalchemy import select

from exam_server import seb
from exam_server.attempts import control
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.events.log import Actor
from exam_server.exams.models import Sitting

SEB_ACTOR = Actor("server:seb")


class SebRefused(Exception):
    """A socket save refused by the SEB check inside `save_answer`; `reply` is the event's answer."""

    def __init__(self, reply: dict[str, Any]) -> None:
        super().__init__(reply.get("code", "seb"))
        self.reply = reply


# The session key under which a verified page load leaves its proof for the socket handshake.
PAGE_PROOF = "seb_page_proof"


@dataclass(frozen=True)
class SebProof:
    """SEB request headers seen once (handshake or page load): the hashes and their URL."""

    url: str = ""
    config_hash: str = ""
    request_hash: str = ""

    def __bool__(self) -> bool:
        return bool(self.config_hash or self.request_hash)

    def headers(self) -> dict[str, str]:
        return {seb.CONFIG_KEY_HEADER: self.config_hash, seb.REQUEST_HASH_HEADER: self.request_hash}


def policy_of(require_seb: bool, seb_config: dict[str, Any] | None) -> seb.SebPolicy:
    """The policy of a sitting's two columns (`require_seb`, `seb_config`)."""
    cfg = seb_config or {}
    return seb.SebPolicy.from_settings(require_seb, cfg.get("config_keys", []), cfg.get("browser_exam_keys", []))


def policy_for(sitting: Sitting) -> seb.SebPolicy:
    return policy_of(sitting.require_seb, sitting.seb_config)


def current_policy(sitting_id: int) -> seb.SebPolicy:
    """The sitting's policy as stored now (a column query: never a stale ORM copy)."""
    row = db.execute(select(Sitting.require_seb, Sitting.seb_config).where(Sitting.id == sitting_id)).first()
    if row is None:
        return seb.SebPolicy(required=True)  # no sitting: nothing can prove itself
    return policy_of(row.require_seb, row.seb_config)


def request_proof() -> SebProof:
    """The SEB headers of the request being handled (empty when it carries none)."""
    return SebProof(request.url, request.headers.get(seb.CONFIG_KEY_HEADER, ""),
                    request.headers.get(seb.REQUEST_HASH_HEADER, ""))


def remember_page_proof(attempt_id: int, proof: SebProof) -> None:
    """A page load that proved SEB by headers vouches for this session's socket handshake
    (SEB builds that send headers on page loads only); re-checked against the current keys."""
    session[PAGE_PROOF] = {"attempt": attempt_id, "url": proof.url, "ck": proof.config_hash,
                           "rh": proof.request_hash}


def handshake_proof(attempt_id: int) -> SebProof:
    """The handshake's own headers, else the proof this session's page load left."""
    proof = request_proof()
    if proof:
        return proof
    saved = session.get(PAGE_PROOF)
    if isinstance(saved, dict) and saved.get("attempt") == attempt_id:
        return SebProof(str(saved.get("url") or ""), str(saved.get("ck") or ""), str(saved.get("rh") or ""))
    return SebProof()


def js_from_header() -> Any:
    """SEB JavaScript-API keys sent with an HTTP request as the `X-SEB-Keys` header (JSON
    `{"url": page URL, "keys": {"configKey", "browserExamKey"}}`): GET requests have no body."""
    raw = request.headers.get("X-SEB-Keys", "")
    if not raw or len(raw) > 2000:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def check_with_proof(policy: seb.SebPolicy, proof: SebProof, js: Any, origin: str, page_path: str) -> seb.SebResult:
    """Header proof (re-checked against these keys) when there is one that passes, else the JS keys."""
    if not policy.required:
        return seb.SebResult(True)
    if proof:
        result = seb.check_headers(policy, proof.url, proof.headers())
        if result.ok or not isinstance(js, dict):
            return result
    js = js if isinstance(js, dict) else {}
    keys = js.get("keys")
    return seb.check_js_keys(policy, str(js.get("url") or ""), keys if isinstance(keys, dict) else None,
                             origin, page_path)


def check_event(sitting_id: int, proof: SebProof, js: Any, origin: str, page_path: str,
                policy: seb.SebPolicy | None = None) -> seb.SebResult:
    """One socket event, against the sitting's policy as it is now (`policy`: as the event's
    handler just read it with the attempt)."""
    return check_with_proof(policy if policy is not None else current_policy(sitting_id), proof, js, origin,
                            page_path)


def check_http(attempt: Attempt, js: Any = None) -> seb.SebResult:
    """A candidate HTTP request (paper, save, submit): its own headers, or JS keys from the body
    or the `X-SEB-Keys` header, against the sitting's current policy."""
    policy = current_policy(attempt.registration.sitting_id)
    if not policy.required:
        return seb.SebResult(True)
    origin = f"{request.scheme}://{request.host}"
    keys = js if isinstance(js, dict) else js_from_header()
    return check_with_proof(policy, request_proof(), keys, origin, url_for("live.exam_page"))


def enforce_http(attempt: Attempt, js: Any = None) -> None:
    """Refuse (403 with the seb.* reason) a candidate request that fails the current policy;
    a running attempt is locked as on the socket (answers kept)."""
    from exam_server.errors import Forbidden

    result = check_http(attempt, js)
    if not result.ok:
        lock_for_mismatch(attempt, result)
        raise Forbidden(result.reason)


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
