"""The candidate namespace `/exam`: hello (state + answers), save with acknowledgement, submit.

Identity comes from the signed session cookie of the handshake (the candidate's login), never
from what the client claims: a client naming another attempt is refused. Each connection
joins the room `attempt:<id>`, where lifecycle pushes arrive (see `pushes`).

One connection's events are handled one after another, in the order they arrived (Socket.IO
`async_handlers=False`, set in `extensions`): a save sent before a submit is stored (and
graded) before the submit closes the attempt, as on the HTTP path, where the page submits
only after its journal drained.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, request, url_for
from flask_socketio import ConnectionRefusedError, Namespace, join_room
from sqlalchemy.exc import DBAPIError

from exam_server import seb
from exam_server.accounts import revocation
from exam_server.accounts.auth import current_actor, current_registration_id
from exam_server.attempts import attempt_state, seb_guard
from exam_server.attempts import candidate as candidate_service
from exam_server.attempts.autosave import SaveConflict, SaveRefused, save_answer
from exam_server.attempts.models import Attempt
from exam_server.db import session as db
from exam_server.db import utcnow
from exam_server.errors import ServiceError
from exam_server.events.log import Actor
from exam_server.exams import paper_crypto
from exam_server.extensions import current_sid
from exam_server.i18n import translate
from exam_server.realtime import connection_limit

log = logging.getLogger(__name__)
NAMESPACE = "/exam"
# Refusals that end when the invigilator acts: the page keeps the change and sends it again.
RETRYABLE = {"attempts.refused_locked", "attempts.refused_paused", "attempts.refused_not_started"}


@dataclass
class Connection:
    attempt_id: int
    registration_id: int
    sitting_id: int
    actor: Actor
    seb_required: bool
    seb_via: str  # "headers": the handshake proved SEB; "js": keys come with every event; "" not required
    origin: str
    page_path: str
    seb_status: str = ""  # last status told to the dashboards
    window_start: float = 0.0
    window_events: int = 0
    # SEB headers shown at the handshake, re-checked against the sitting's current keys on each event
    seb_proof: seb_guard.SebProof = seb_guard.SebProof()


def error(code: str, **params: Any) -> dict[str, Any]:
    return {"ok": False, "code": code, "message": translate(code, **params)}


def refuse(err: dict[str, Any]) -> ConnectionRefusedError:
    """A refused handshake; the page reads `err.data` ({code, message}) from connect_error."""
    return ConnectionRefusedError(err["message"], err)


def retry_on_database_outage(handler: Callable[[Any, Any], dict[str, Any]]) -> Callable[[Any, Any], dict[str, Any]]:
    """A database restart or failover must not leave the page waiting for an acknowledgement
    that never comes: answer at once with a retryable refusal, so the change stays in the
    page's journal and is sent again (nothing was committed, so nothing is acknowledged)."""

    @functools.wraps(handler)
    def guarded(self: Any, data: Any) -> dict[str, Any]:
        try:
            return handler(self, data)
        except DBAPIError:
            log.warning("database unavailable during %s", handler.__name__, exc_info=True)
            try:
                db.rollback()
            except DBAPIError:
                log.debug("rollback after the outage failed too", exc_info=True)
            extra = {"q": data.get("q"), "seq": data.get("seq")} if isinstance(data, dict) else {}
            return {**error("live.error.unavailable"), "retry": True, **extra}

    return guarded


class CandidateNamespace(Namespace):
    # At most this many events per connection per second: enough for a journal replay after
    # minutes offline (typing is debounced by the page), too few to hammer the database.
    RATE = 100

    PRESENCE_CHECK_S = 5.0

    def __init__(self, namespace: str, realtime: Any) -> None:
        super().__init__(namespace)
        self.rt = realtime
        self.conns: dict[str, Connection] = {}
        self.worker = uuid.uuid4().hex
        self.watching = False

    def _watch_presence(self) -> None:
        """Put this worker's connections back into a presence store that lost them (a Redis
        restart), so dashboards stop showing connected candidates as offline."""
        while True:
            self.rt.socketio.sleep(self.PRESENCE_CHECK_S)
            try:
                if not self.rt.presence.forgotten(self.worker):
                    continue
                for sid, conn in list(self.conns.items()):
                    self.rt.presence.connected(conn.sitting_id, conn.attempt_id, sid)
                    self.rt.broadcaster.mark(conn.sitting_id, conn.attempt_id)
            except Exception as exc:  # Redis still away: try again next round
                log.warning("presence check failed: %s", exc)

    # -- connection ---------------------------------------------------------------------
    def on_connect(self, auth: Any = None) -> None:
        auth = auth if isinstance(auth, dict) else {}
        revoked = revocation.admit_socket()  # a revoked login is refused; a valid one tied to its record
        if revoked is not None:
            raise refuse(revoked)
        reg_id = current_registration_id()
        if reg_id is None:
            raise refuse(error("live.error.not_logged_in"))
        try:  # attempt, registration and sitting in one query: the handshake reads all three
            found = candidate_service.owned_in_sitting(int(auth.get("attempt") or 0), reg_id)
        except (ServiceError, TypeError, ValueError):
            db.rollback()
            raise refuse(error("live.error.forbidden")) from None
        # read now: the rollback below expires the attempt, and each attribute read after it
        # would be a query of its own
        attempt, attempt_id, sitting_id, room_id = found.attempt, found.attempt.id, found.sitting_id, found.room_id
        # the handshake's SEB headers, or (SEB builds that send headers on page loads only) the
        # proof this session's page load left; JavaScript-API keys come in `auth`
        proof = seb_guard.handshake_proof(attempt.id)
        result = seb_guard.check_with_proof(seb_guard.policy_of(found.require_seb, found.seb_config), proof,
                                            auth.get("seb"), f"{request.scheme}://{request.host}",
                                            url_for("live.exam_page"))
        if found.require_seb:
            self.rt.presence.set_seb(sitting_id, attempt_id, "ok" if result.ok else result.reason)
        if not result.ok and not seb_guard.lock_for_mismatch(attempt, result):
            db.rollback()
            raise refuse(error(result.reason))
        if not connection_limit.for_app(current_app).acquire(attempt_id, current_sid()):
            db.rollback()  # a 4th tab or a script opening sockets: refused with a clear code
            raise refuse(error("live.error.too_many_connections", limit=connection_limit.for_app(current_app).limit))
        self.conns[current_sid()] = Connection(
            attempt_id, reg_id, sitting_id, current_actor(), found.require_seb, result.via if result.ok else "",
            f"{request.scheme}://{request.host}", url_for("live.exam_page"), seb_proof=proof,
        )
        db.rollback()
        join_room(f"attempt:{attempt_id}")
        if room_id is not None:
            join_room(f"room:{room_id}")  # messages to the whole room
        self.rt.presence.connected(sitting_id, attempt_id, current_sid())
        if not self.watching:
            self.watching = True
            self.rt.socketio.start_background_task(self._watch_presence)
        self.rt.broadcaster.mark(sitting_id, attempt_id)

    def on_disconnect(self, reason: Any = None) -> None:
        conn = self.conns.pop(current_sid(), None)
        if conn is not None:
            connection_limit.for_app(current_app).release(conn.attempt_id, current_sid())
            self.rt.presence.disconnected(conn.sitting_id, conn.attempt_id, current_sid())
            self.rt.broadcaster.mark(conn.sitting_id, conn.attempt_id)

    # -- events -------------------------------------------------------------------------
    def _begin(self, data: Any, seb_in_statement: bool = False) -> Connection | dict[str, Any]:
        """Common checks of every event: known connection, its own attempt, rate, SEB keys.

        Events that read their attempt anyway check SEB themselves (`seb_in_statement`), saving
        the policy's own query: a save inside its statement (which reads whether the sitting
        requires SEB now, and only then are the keys checked), hello and submit against the
        sitting read with the attempt."""
        revoked = revocation.check_socket_event()  # the login record, re-read for every event
        if revoked is not None:
            return revoked
        conn = self.conns.get(current_sid())
        if conn is None:
            return error("live.error.not_logged_in")
        now = time.monotonic()
        if now - conn.window_start >= 1.0:
            conn.window_start, conn.window_events = now, 0
        conn.window_events += 1
        if conn.window_events > self.RATE:
            return {**error("live.error.too_fast"), "retry": True}
        if not isinstance(data, dict) or data.get("attempt") != conn.attempt_id:
            return error("live.error.forbidden")
        connection_limit.for_app(current_app).touch(conn.attempt_id, current_sid())
        if not seb_in_statement:
            refused = self._check_seb_keys(conn, data.get("seb"))  # every event, the sitting's current policy
            if refused:
                return refused
        return conn

    def _raise_seb_refusal(self, conn: Connection, keys: Any) -> None:
        """`save_answer`'s SEB hook: called only when the sitting requires SEB at this moment."""
        refused = self._check_seb_keys(conn, keys)
        if refused:
            raise seb_guard.SebRefused(refused)

    def _check_seb_keys(self, conn: Connection, keys: Any, policy: seb.SebPolicy | None = None) -> dict[str, Any] | None:
        """SEB against the sitting's policy as it is now (not as it was at the handshake; `policy`
        when the caller just read it): the handshake's header proof or the page's JavaScript-API
        keys; a mismatch locks the attempt."""
        result = seb_guard.check_event(conn.sitting_id, conn.seb_proof, keys, conn.origin, conn.page_path, policy)
        status = ("ok" if result.via else "") if result.ok else result.reason
        if status != conn.seb_status:
            conn.seb_status = status
            self.rt.presence.set_seb(conn.sitting_id, conn.attempt_id, status)
        if result.ok:
            return None
        attempt = db.get(Attempt, conn.attempt_id)
        if attempt is None:
            return error("live.error.forbidden")
        seb_guard.lock_for_mismatch(attempt, result)
        db.rollback()
        return {**error(result.reason), "retry": True}

    def _attempt_checked(self, conn: Connection, data: dict[str, Any]) -> Attempt | dict[str, Any]:
        """The attempt as stored now (never the handshake's copy) with its sitting, in one query,
        and SEB checked against that sitting's current policy: the attempt, or the refusal."""
        found = candidate_service.owned_in_sitting(conn.attempt_id, conn.registration_id)
        refused = self._check_seb_keys(conn, data.get("seb"), seb_guard.policy_of(found.require_seb, found.seb_config))
        return refused or found.attempt

    @retry_on_database_outage
    def on_hello(self, data: Any) -> dict[str, Any]:
        begun = self._begin(data, seb_in_statement=True)  # SEB below, against the sitting read with the attempt
        if isinstance(begun, dict):
            db.rollback()
            return begun
        attempt = self._attempt_checked(begun, data)
        if isinstance(attempt, dict):
            return attempt
        candidate_service.enforce_deadline(attempt, utcnow())
        # an attempt not started holds no answers (a save is refused until the start): no query
        answers, max_seq = ({}, 0) if attempt.state == "pending" else attempt_state.answers(attempt.id)
        # Before the start: the paper sealed (unless the page holds it already, `sealed` naming
        # its copy). After: the key is in the state; the paper itself only to a page without
        # the current sealed copy.
        held = data.get("sealed")
        reply = {
            "ok": True,
            "server_time": attempt_state.epoch_ms(utcnow()),
            "state": attempt_state.state_payload(attempt),
            "answers": answers,
            "max_seq": max_seq,
            "paper": None if paper_crypto.page_holds_current(attempt, db, held) else attempt_state.public_paper(attempt),
            "sealed_paper": paper_crypto.sealed_for_waiting(attempt, db, held),
        }
        db.rollback()
        return reply

    @retry_on_database_outage
    def on_save(self, data: Any) -> dict[str, Any]:
        begun = self._begin(data, seb_in_statement=True)
        if isinstance(begun, dict):
            db.rollback()
            return begun
        conn = begun
        q, seq = data.get("q"), data.get("seq")
        try:
            ack = save_answer(conn.attempt_id, q, seq, data.get("value"),
                              registration_id=conn.registration_id, actor=conn.actor,
                              check_seb=lambda: self._raise_seb_refusal(conn, data.get("seb")))
        except seb_guard.SebRefused as refused:
            return {**refused.reply, "q": q, "seq": seq}
        except SaveConflict as exc:
            # the same contract as HTTP: what the server holds, so the page shows it
            return {"ok": False, "code": exc.code, "message": exc.message(), "retry": False, "q": q, "seq": seq,
                    "stored_seq": exc.stored_seq, "stored_value": exc.stored_value}
        except SaveRefused as exc:
            self.rt.broadcaster.mark(conn.sitting_id, conn.attempt_id)
            return {"ok": False, "code": exc.code, "message": exc.message(), "retry": exc.code in RETRYABLE,
                    "q": q, "seq": seq}
        except ServiceError as exc:
            db.rollback()
            return {"ok": False, "code": exc.code, "message": exc.message(), "retry": False, "q": q, "seq": seq}
        self.rt.broadcaster.mark(conn.sitting_id, conn.attempt_id)
        reply = {"ok": True, "q": q, "seq": seq, "status": ack.status, "stored_seq": ack.stored_seq,
                 "saved_at": ack.saved_at}
        if ack.status == "superseded":
            reply["stored_value"] = ack.stored_value
        return reply

    @retry_on_database_outage
    def on_submit(self, data: Any) -> dict[str, Any]:
        begun = self._begin(data, seb_in_statement=True)  # SEB below, against the sitting read with the attempt
        if isinstance(begun, dict):
            db.rollback()
            return begun
        conn = begun
        try:
            checked = self._attempt_checked(conn, data)
            if isinstance(checked, dict):
                return checked
            attempt = candidate_service.submit_owned(checked, conn.actor)
        except ServiceError as exc:
            db.rollback()
            return {"ok": False, "code": exc.code, "message": exc.message()}
        reply = {"ok": True, "state": attempt_state.state_payload(attempt)}
        db.rollback()
        return reply


def register(socketio: Any, realtime: Any) -> CandidateNamespace:
    ns = CandidateNamespace(NAMESPACE, realtime)
    socketio.on_namespace(ns)
    return ns
