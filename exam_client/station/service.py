"""The station's working parts behind the web UI: who is logged in, the card, the camera, the
queue, and the last check-in shown on screen.

Three background threads: the card watcher (card on the reader -> check-in), the QR scanner
(keeps the latest card QR seen by the camera) and the queue sender (resends queued check-ins
and refreshes the roster). The web views only read `state()` and call the few actions.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from card_reader.errors import CardError
from card_reader.qr import can_from_id, read_qr
from exam_client import device_cache
from exam_client.camera import Camera, CameraError, jpeg
from exam_client.checkin import CheckinResult, CheckinRunner
from exam_client.chip import CardAbsentError, CardKeys, ChipReader
from exam_client.decision import Override, OverrideError
from exam_client.face_worker import FaceWorker
from exam_client.faces import FaceMatcher
from exam_client.liveness import Challenge, liveness_check
from exam_client.outbox import EntryState, Outbox, ServerRejected, ServerUnreachable
from exam_client.qr import decode_qr
from exam_client.roster import Roster
from exam_client.server_api import Device, ServerClient

log = logging.getLogger(__name__)

QR_FRESH_S = 60.0  # a QR seen by the camera opens the next card placed within this time
QR_RECENT_S = 2.0  # ... and one seen this recently is not decoded again when the card arrives
QR_SCAN_S = 0.7
POLL_S = 0.15
QUEUE_RETRY_S = 2.0
ROSTER_REFRESH_S = 10.0
SENT_RETENTION = timedelta(days=1)  # acknowledged check-ins kept on the station for the day's questions


@dataclass(frozen=True)
class StationConfig:
    server_url: str
    room: str
    data_dir: Path
    station_name: str
    reader: str | None = None
    face_threshold: float = 0.6


class Station:
    def __init__(self, config: StationConfig, camera: Camera, chip_reader: ChipReader, matcher: FaceMatcher) -> None:
        self.config = config
        self.camera = camera
        self.chip_reader = chip_reader
        self.matcher = matcher
        self.face_worker: FaceWorker | None = None
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.outbox = Outbox(config.data_dir / "outbox.sqlite")
        self.roster = Roster(config.data_dir / "roster.json")
        self.server = ServerClient(config.server_url)
        self.device: Device | None = None
        self.runner: CheckinRunner | None = None
        self.server_online = False
        self.server_error: str | None = None
        self.card_state = "waiting"
        self.card_message: dict[str, Any] | None = None
        self.typed_keys: CardKeys | None = None
        self._qr: tuple[float, str] | None = None
        self.last: CheckinResult | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.outbox.prune_sent(SENT_RETENTION)
        self.matcher.warm_up()
        self.face_worker = FaceWorker(self.matcher)
        self.face_worker.warm_up()
        for target in (self._watch_card, self._scan_qr, self._send_queue):
            thread = threading.Thread(target=target, name=target.__name__, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.face_worker is not None:
            self.face_worker.close()
        self.camera.close()

    # --- invigilator -----------------------------------------------------------------------
    def login(self, username: str, password: str) -> Device:
        """Obtain the room's device token with the invigilator's server account; while the server
        is unreachable, the token this account obtained last time (check-ins then queue up)."""
        client = ServerClient(self.config.server_url)
        cache = self.config.data_dir / "device.json"
        try:
            device = client.register_device(username, password, self.config.room, self.config.station_name)
            online = True
            device_cache.save(cache, device, username, password)
        except ServerUnreachable:
            cached = device_cache.load(cache, username, password)
            if cached is None:
                raise
            device, online = cached, False
            client.token = device.token
        with self._lock:
            self.server, self.device = client, device
            self.server_online, self.server_error = online, None
            settings = device.settings
            self.runner = CheckinRunner(
                room=self.config.room,
                station=self.config.station_name,
                invigilator=device.invigilator.get("username", username),
                matcher=self.matcher,
                chip_reader=self.chip_reader,
                outbox=self.outbox,
                server=client,
                roster=self.roster,
                keep_thumbnails=bool(settings.get("keep_face_thumbnails")),
                analyse_live=self.face_worker.analyse if self.face_worker else None,
                liveness=_liveness(self.matcher, str(settings.get("liveness") or "")),
            )
            self.matcher.threshold = float(settings.get("face_match_threshold", self.config.face_threshold))
        if online:
            self.refresh_roster()
        return device

    def logout(self) -> None:
        with self._lock:
            self.device = self.runner = None
            self.last = None
            self.server = ServerClient(self.config.server_url)

    @property
    def token(self) -> str | None:
        return self.device.token if self.device else None

    def refresh_roster(self) -> None:
        try:
            self.roster.load(self.server.roster())
            self.server_online, self.server_error = True, None
        except ServerUnreachable as exc:
            self.server_online, self.server_error = False, str(exc)
        except ServerRejected as exc:
            self.server_error = str(exc)

    # --- keys ------------------------------------------------------------------------------
    def type_keys(self, text: str) -> CardKeys:
        """The invigilator's fallback: a 12-digit ID, a candidate number (SBD) or an MRZ."""
        text = text.strip()
        if "<" in text:
            keys = CardKeys(mrz=text, source="mrz")
        elif re.fullmatch(r"\d{12}", text):
            keys = CardKeys(can=can_from_id(text), expected_id=text, source="id")
        else:
            entry = self.roster.find_by_sbd(text)
            if entry is None:
                raise ValueError("client.keys.missing")
            keys = CardKeys(can=can_from_id(entry["citizen_id"]), expected_id=entry["citizen_id"], source="roster")
        with self._lock:
            self.typed_keys = keys
        return keys

    def clear(self) -> None:
        with self._lock:
            self.typed_keys, self._qr, self.last = None, None, None

    def _keys_for_new_card(self) -> CardKeys:
        """Typed keys first; then the QR in the camera right now; then one seen recently."""
        with self._lock:
            if self.typed_keys is not None:
                return self.typed_keys
        with self._lock:
            seen = self._qr
        age = time.monotonic() - seen[0] if seen else None
        if seen is not None and age is not None and age < QR_RECENT_S:
            text: str | None = seen[1]  # the background scan saw it a moment ago: no second decode
        else:
            text = self._decode_qr_now()
            if text is None and seen is not None and age is not None and age < QR_FRESH_S:
                text = seen[1]
        if text is None:
            return CardKeys()
        try:
            qr = read_qr(text)  # the 2021 front QR, or the 2024 card's back QR (gives the ID → CAN)
        except CardError:
            return CardKeys()
        return CardKeys(qr_text=text, expected_id=qr.id_number, source="qr")

    def _decode_qr_now(self) -> str | None:
        try:
            return decode_qr(self.camera.frame())
        except CameraError:
            return None

    # --- override --------------------------------------------------------------------------
    def override(self, reason: str) -> CheckinResult:
        with self._lock:
            last, runner = self.last, self.runner
        if runner is None or last is None or last.decision.accepted:
            raise OverrideError("client.override.not_allowed")
        if not last.decision.overridable:
            raise OverrideError("client.override.not_allowed")
        invigilator = runner.invigilator
        result = runner.run(
            self.config.reader, CardKeys(), self.camera, override=Override(reason.strip(), invigilator), previous=last
        )
        with self._lock:
            self.last = result
        return result

    # --- background work -------------------------------------------------------------------
    def _watch_card(self) -> None:
        handled = False
        while not self._stop.is_set():
            runner = self.runner
            if runner is None:
                self._stop.wait(0.3)
                continue
            try:
                present = self.chip_reader.card_present(self.config.reader)
            except CardError as exc:
                self._set_card("error", {"code": "client.card.error", "cause_code": exc.code,
                                         "cause_params": dict(exc.params)})
                self._stop.wait(1.0)
                continue
            if not present:
                if handled or self.card_state != "waiting":
                    self._set_card("waiting", None)
                handled = False
                self._stop.wait(POLL_S)
                continue
            if handled:
                self._stop.wait(POLL_S)
                continue
            started = time.perf_counter()
            keys = self._keys_for_new_card()
            keys_ms = round((time.perf_counter() - started) * 1000, 1)
            if not keys.present:
                self._set_card("needs_keys", {"code": "client.keys.missing"})
                self._stop.wait(0.3)
                continue
            self._set_card("reading", None)
            try:
                result = runner.run(self.config.reader, keys, self.camera)
            except CardAbsentError as exc:
                self._set_card("waiting", {"code": "client.card.error", "cause_code": exc.code,
                                           "cause_params": exc.params})
                continue
            except Exception as exc:  # keep the station alive; show what went wrong
                log.exception("check-in failed")
                self._set_card("error", {"code": "client.card.error", "text": str(exc)})
                handled = True
                continue
            result.timings.steps["keys"] = keys_ms
            with self._lock:
                self.last, self.typed_keys, self._qr = result, None, None
                self.server_online = not result.queued
            handled = True
            self._set_card("read", None)

    def _set_card(self, state: str, message: dict[str, Any] | None) -> None:
        self.card_state, self.card_message = state, message

    def _scan_qr(self) -> None:
        while not self._stop.is_set():
            if self.runner is not None and self.card_state in ("waiting", "needs_keys"):
                text = self._decode_qr_now()
                if text:
                    with self._lock:
                        self._qr = (time.monotonic(), text)
            self._stop.wait(QR_SCAN_S)

    def _send_queue(self) -> None:
        """Resend queued check-ins while there are any; otherwise refresh the roster now and then."""
        last_roster = time.monotonic()
        while not self._stop.wait(QUEUE_RETRY_S):
            if self.runner is None:
                continue
            if self.outbox.pending():
                done = self.outbox.flush(self.server.send_checkin)
                self.server_online = not self.outbox.pending()
                for entry in done:
                    if entry.response:
                        self.roster.apply(entry.response)
                if done:
                    self._update_last_from_outbox()
                    self.refresh_roster()
                    last_roster = time.monotonic()
            elif time.monotonic() - last_roster > ROSTER_REFRESH_S:
                self.refresh_roster()
                last_roster = time.monotonic()

    def _update_last_from_outbox(self) -> None:
        """The check-in on screen was queued and has now been answered: show the answer."""
        with self._lock:
            last = self.last
            if last is None or not last.queued:
                return
            entry = self.outbox.get(last.checkin_id)
            if entry is None or entry.state is EntryState.PENDING:
                return
            last.server, last.queued = entry.response, False
            if entry.state is EntryState.REJECTED:
                last.rejected = entry.last_error

    # --- what the screen shows ---------------------------------------------------------------
    def frame_jpeg(self) -> bytes | None:
        try:
            return jpeg(self.camera.frame())
        except CameraError:
            return None

    def chip_photo_jpeg(self) -> bytes | None:
        last = self.last
        if last is None or last.chip.photo is None:
            return None
        return jpeg(last.chip.photo, max_side=320, quality=85)

    def live_photo_jpeg(self) -> bytes | None:
        last = self.last
        if last is None or last.live_frame is None:
            return None
        return jpeg(last.live_frame, max_side=480)

    def qr_holder(self) -> dict[str, Any] | None:
        with self._lock:
            qr = self._qr
        if qr is None or time.monotonic() - qr[0] > QR_FRESH_S:
            return None
        try:
            data = read_qr(qr[1])
        except CardError:
            return None
        return {"id": data.id_number, "name": data.found.get("full_name", ""), "layout": data.layout}

    def state(self) -> dict[str, Any]:
        last = self.last
        queue = [e.to_dict() for e in self.outbox.pending()]
        return {
            "logged_in": self.device is not None,
            "invigilator": self.device.invigilator if self.device else None,
            "room": self.roster.room or {"name": self.config.room},
            "sitting": self.roster.sitting,
            "station": self.config.station_name,
            "server_online": self.server_online,
            "server_error": self.server_error,
            "card": {"state": self.card_state, "message": self.card_message},
            "liveness": (self.device.settings.get("liveness") or None) if self.device else None,
            "keys": (self.typed_keys.to_dict() if self.typed_keys else None),
            "qr": self.qr_holder(),
            "result": last.to_dict() if last else None,
            "overridable": bool(last and not last.decision.accepted and last.decision.overridable),
            "roster": self.roster.candidates(),
            "queue": queue,
        }


def _liveness(matcher: FaceMatcher, challenge: str) -> Callable[[Camera], bool] | None:
    """The exam's liveness challenge ("blink", "turn_head"), or None when it asks for none."""
    if challenge not in {c.value for c in Challenge}:
        return None
    return liveness_check(matcher, Challenge(challenge))
