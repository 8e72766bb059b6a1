"""Whether a candidate may enter: roster, chip verification, face match, and overrides.

Pure logic with no I/O, so the station, the headless command and the tests share it. The server
applies the roster rule again with its own data (it is the authority); the station decides first
so that it can answer while the server is unreachable.

Being on this room's roster is never overridable. A failed or unreadable chip, an unusable
picture or a face that does not match can be overridden by the invigilator with a reason; the
override is attributed to them and audited on the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from exam_client.faces import FaceQualityError, MatchResult


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"


@dataclass(frozen=True)
class Reason:
    """Why a check-in was refused (or what was overridden): a message key and its parameters."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    overridable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params, "overridable": self.overridable}


@dataclass(frozen=True)
class ChipOutcome:
    """What the card read gave: the citizen ID and whether every verification passed."""

    citizen_id: str | None
    passed: bool
    failures: tuple[str, ...] = ()
    error: str | None = None  # the chip could not be read at all

    @property
    def readable(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Override:
    reason: str
    by: str  # the invigilator's user name

    def to_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "by": self.by}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    citizen_id: str | None
    reasons: tuple[Reason, ...]
    override: Override | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED

    @property
    def overridable(self) -> bool:
        return not self.accepted and all(r.overridable for r in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "citizen_id": self.citizen_id,
            "reasons": [r.to_dict() for r in self.reasons],
            "override": self.override.to_dict() if self.override else None,
        }


class OverrideError(ValueError):
    """An override that cannot be accepted; `code` is the message key."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def decide(
    *,
    citizen_id: str | None,
    on_roster: bool,
    other_room: str | None,
    chip: ChipOutcome,
    face: MatchResult | FaceQualityError | None,
    liveness_passed: bool | None = None,
    override: Override | None = None,
) -> Decision:
    """The station's decision for one candidate.

    `face` is the match against the chip photo, the quality problem that prevented it, or None
    when there was no chip photo to compare with. `liveness_passed` is None when the exam does
    not ask for it.
    """
    reasons: list[Reason] = []
    if not on_roster:
        if other_room:
            reasons.append(Reason("client.decision.other_room", {"room": other_room}, overridable=False))
        else:
            reasons.append(Reason("client.decision.not_on_roster", overridable=False))
    if not chip.readable:
        reasons.append(Reason("client.decision.chip_unreadable", {"detail": chip.error}))
    elif not chip.passed:
        reasons.append(Reason("client.decision.chip_failed", {"detail": "; ".join(chip.failures)}))
    if isinstance(face, FaceQualityError):
        reasons.append(Reason("client.decision.face_unusable", {"detail": face.problem.value,
                                                                "problem_code": face.message_key}))
    elif isinstance(face, MatchResult) and not face.matched:
        reasons.append(
            Reason(
                "client.decision.face_mismatch",
                {"distance": round(face.distance, 3), "threshold": face.threshold},
            )
        )
    elif face is None and chip.readable:
        reasons.append(Reason("client.decision.face_unusable", {"detail": "no chip photo",
                                                                "problem_code": "client.face.no_chip_photo"}))
    if liveness_passed is False:
        reasons.append(Reason("client.face.liveness_failed"))

    if not reasons:
        return Decision(Outcome.ACCEPTED, citizen_id, ())
    if override is None:
        return Decision(Outcome.REFUSED, citizen_id, tuple(reasons))
    if not override.reason.strip():
        raise OverrideError("client.override.reason_required")
    if not all(r.overridable for r in reasons):
        raise OverrideError("client.override.not_allowed")
    return Decision(Outcome.ACCEPTED, citizen_id, tuple(reasons), override)
