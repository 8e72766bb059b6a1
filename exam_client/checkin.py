"""One candidate's check-in, from card on the reader to the decision handed to the server.

keys (typed MRZ, QR of the card front, or the CAN of an expected roster ID) -> chip read and
verification (card_reader) -> face: chip photo against the live camera -> decision -> outbox ->
server. The station's web UI and the headless `exam-client checkin` command both run this.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from pydantic import ValidationError

from exam_client.camera import Camera, CameraError
from exam_client.chip import CardKeys, ChipReader, ChipResult
from exam_client.decision import Decision, Override, decide
from exam_client.faces import (
    DetectedFace,
    FaceMatcher,
    FaceProblem,
    FaceQualityError,
    MatchResult,
    thumbnail_jpeg,
)
from exam_client.outbox import EntryState, Outbox
from exam_client.roster import Roster
from exam_client.server_api import ServerClient
from exam_common import checkin as wire
from exam_common.checkin import CheckinRequest

# How long to keep trying camera frames until one shows a usable face.
FACE_WINDOW_S = 3.0
FRAME_INTERVAL_S = 0.1


@dataclass
class Timings:
    """Where the time went (milliseconds), for the screen and the benchmark."""

    steps: dict[str, float] = field(default_factory=dict)

    def measure(self, name: str, started: float) -> None:
        self.steps[name] = round((time.perf_counter() - started) * 1000, 1)


@dataclass
class CheckinResult:
    checkin_id: str
    decision: Decision
    chip: ChipResult
    face: MatchResult | FaceQualityError | None
    server: dict[str, Any] | None  # the server's answer; None while queued
    queued: bool
    rejected: str | None  # the server refused the record (final)
    timings: Timings
    keys: CardKeys
    live_face: DetectedFace | None = None
    live_frame: np.ndarray | None = None  # the picture the face was matched on (shown beside the chip photo)
    liveness_passed: bool | None = None  # None: the exam does not ask for it

    def to_dict(self) -> dict[str, Any]:
        server = self.server or {}
        return {
            "checkin_id": self.checkin_id,
            "decision": self.decision.to_dict(),
            # The server has the last word on the outcome (it re-checks the roster).
            "status": server.get("status") or ("queued" if self.queued else self.decision.outcome.value),
            "seat": server.get("seat"),
            "login_code": server.get("login_code"),
            "room": server.get("room"),
            "server": server or None,
            "queued": self.queued,
            "rejected": self.rejected,
            "holder": self.chip.holder,
            "face": face_dict(self.face),
            "verification": self.chip.report,
            "timings_ms": self.timings.steps,
        }


class CheckinRunner:
    """Everything one check-in needs, shared by the station and the headless command."""

    def __init__(
        self,
        *,
        room: str,
        station: str,
        invigilator: str,
        matcher: FaceMatcher,
        chip_reader: ChipReader,
        outbox: Outbox,
        server: ServerClient,
        roster: Roster,
        keep_thumbnails: bool = False,
        liveness: Callable[[Camera], bool] | None = None,
        analyse_live: Callable[[np.ndarray], DetectedFace] | None = None,
    ) -> None:
        self.room = room
        self.station = station
        self.invigilator = invigilator
        self.matcher = matcher
        self.chip_reader = chip_reader
        self.outbox = outbox
        self.server = server
        self.roster = roster
        self.keep_thumbnails = keep_thumbnails
        self.liveness = liveness
        # The station passes a worker process here (see face_worker); by default: this thread.
        self.analyse_live = analyse_live or matcher.analyse

    def run(
        self,
        reader: str | None,
        keys: CardKeys,
        camera: Camera,
        override: Override | None = None,
        previous: CheckinResult | None = None,
    ) -> CheckinResult:
        """Read, match, decide and send. With `previous` (an override of a refusal just shown),
        the chip and face results are reused instead of reading the card again."""
        timings = Timings()
        liveness_passed: bool | None = None
        if previous is not None:
            chip, face, live, keys = previous.chip, previous.face, previous.live_face, previous.keys
            live_frame, liveness_passed = previous.live_frame, previous.liveness_passed
        else:
            # The live picture does not depend on the chip: analyse it while the card is read.
            with ThreadPoolExecutor(max_workers=2, thread_name_prefix="live-face") as pool:
                live_future = pool.submit(self.live_face, camera)
                liveness_future = pool.submit(self.liveness, camera) if self.liveness else None
                started = time.perf_counter()
                chip = self.chip_reader.read(reader, keys, expected_id=keys.expected_id)
                timings.measure("chip", started)
                started = time.perf_counter()
                reference = self.reference_face(chip.photo)  # while the live frame is still analysed
                live_result, live_frame = live_future.result()
                if liveness_future is not None:
                    liveness_passed = liveness_future.result()
            face, live = self.match_face(reference, live_result)
            timings.measure("face", started)
        citizen_id = chip.outcome.citizen_id or keys.expected_id
        entry = self.roster.find(citizen_id) if citizen_id else None
        decision = decide(
            citizen_id=citizen_id,
            on_roster=entry is not None,
            other_room=None,  # only the server knows the other rooms; it names them in its answer
            chip=chip.outcome,
            face=face,
            liveness_passed=liveness_passed,
            override=override,
        )
        checkin_id = str(uuid.uuid4())
        started = time.perf_counter()
        rejected: str | None
        try:
            payload = self._payload(checkin_id, decision, chip, face, live, live_frame)
        except ValidationError as exc:
            # The server would refuse it for good (422): say why here instead of queueing it.
            server_answer, queued, rejected = None, False, f"invalid check-in: {wire.describe(exc)}"
        else:
            self.outbox.add(checkin_id, self.room, payload.to_wire())
            server_answer, queued, rejected = self._send(checkin_id)
        timings.measure("server", started)
        if server_answer is not None:
            self.roster.apply(server_answer)
        elif queued and citizen_id:
            self.roster.mark_queued(citizen_id)
        return CheckinResult(checkin_id, decision, chip, face, server_answer, queued, rejected, timings, keys, live,
                             live_frame, liveness_passed)

    def live_face(self, camera: Camera) -> tuple[DetectedFace | FaceQualityError, np.ndarray | None]:
        """The first usable face in the camera within the window, or the last problem seen."""
        deadline = time.monotonic() + FACE_WINDOW_S
        problem: FaceQualityError = FaceQualityError(FaceProblem.NO_FACE)
        frame: np.ndarray | None = None
        while True:
            try:
                frame = camera.frame()
                return self.analyse_live(frame), frame
            except FaceQualityError as exc:
                problem = exc
            except CameraError as exc:
                problem = FaceQualityError(FaceProblem.NO_FACE, str(exc))
            if time.monotonic() >= deadline:
                return problem, frame
            time.sleep(FRAME_INTERVAL_S)

    def reference_face(self, chip_photo: np.ndarray | None) -> DetectedFace | FaceQualityError | None:
        """The chip photo's face (None when the chip gave no photo)."""
        if chip_photo is None:
            return None
        try:
            return self.matcher.analyse(chip_photo, reference=True)
        except FaceQualityError as exc:
            return FaceQualityError(exc.problem, f"chip photo: {exc.detail}")

    def match_face(
        self, reference: DetectedFace | FaceQualityError | None, live: DetectedFace | FaceQualityError
    ) -> tuple[MatchResult | FaceQualityError | None, DetectedFace | None]:
        """The chip photo's face against the live one, or the problem that prevents it."""
        if reference is None or isinstance(reference, FaceQualityError):
            return reference, None
        if isinstance(live, FaceQualityError):
            return live, None
        return self.matcher.compare(reference.embedding, live.embedding), live

    def _payload(
        self,
        checkin_id: str,
        decision: Decision,
        chip: ChipResult,
        face: MatchResult | FaceQualityError | None,
        live: DetectedFace | None,
        live_frame: np.ndarray | None,
    ) -> CheckinRequest:
        """The check-in as the server's schema declares it (raises ValidationError when it does not fit)."""
        thumbnail = None
        if self.keep_thumbnails and live is not None and live_frame is not None:
            thumbnail = thumbnail_jpeg(live_frame, live.box)
        face_data = face_dict(face)
        return CheckinRequest(
            checkin_id=checkin_id,
            citizen_id=decision.citizen_id or "",
            station=self.station,
            captured_at=datetime.now(UTC),
            decision=decision.outcome.value,
            reasons=[wire.Reason(code=r.code, params=r.params, overridable=r.overridable) for r in decision.reasons],
            override=wire.Override(reason=decision.override.reason, by=decision.override.by)
            if decision.override else None,
            chip=wire.ChipEvidence(
                passed=chip.outcome.passed,
                error=chip.outcome.error,
                failures=list(chip.outcome.failures),
                report=chip.report or {},  # already without the sensitive DG13 fields
            ),
            face=wire.FaceEvidence.model_validate(face_data) if face_data is not None else None,
            thumbnail=thumbnail,
        )

    def _send(self, checkin_id: str) -> tuple[dict[str, Any] | None, bool, str | None]:
        """Flush the queue (older entries first); report what happened to this entry."""
        self.outbox.flush(self.server.send_checkin)
        entry = self.outbox.get(checkin_id)
        if entry is None or entry.state is EntryState.PENDING:
            return None, True, None
        if entry.state is EntryState.REJECTED:
            return entry.response, False, entry.last_error
        return entry.response, False, None


def face_dict(face: MatchResult | FaceQualityError | None) -> dict[str, Any] | None:
    """The match (distance, threshold, score) or the problem that prevented it."""
    if isinstance(face, MatchResult):
        return face.to_dict()
    if isinstance(face, FaceQualityError):
        return {"problem": face.problem.value, "detail": face.detail}
    return None

