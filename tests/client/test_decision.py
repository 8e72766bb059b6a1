"""The station's decision rules."""

from __future__ import annotations

import pytest

from exam_client.decision import ChipOutcome, Outcome, Override, OverrideError, decide
from exam_client.faces import FaceProblem, FaceQualityError, MatchResult

GOOD_CHIP = ChipOutcome("001099012345", passed=True)
MATCH = MatchResult(distance=0.3, threshold=0.6)
MISMATCH = MatchResult(distance=0.85, threshold=0.6)


def test_all_good_is_accepted() -> None:
    d = decide(citizen_id="001099012345", on_roster=True, other_room=None, chip=GOOD_CHIP, face=MATCH)
    assert d.outcome is Outcome.ACCEPTED and d.reasons == ()


def test_other_room_is_named_and_not_overridable() -> None:
    d = decide(citizen_id="001099012345", on_roster=False, other_room="P02", chip=GOOD_CHIP, face=MATCH)
    assert d.outcome is Outcome.REFUSED
    assert d.reasons[0].code == "client.decision.other_room" and d.reasons[0].params == {"room": "P02"}
    assert not d.overridable
    with pytest.raises(OverrideError) as caught:
        decide(
            citizen_id="001099012345", on_roster=False, other_room="P02", chip=GOOD_CHIP, face=MATCH,
            override=Override("trust me", "gt1"),
        )
    assert caught.value.code == "client.override.not_allowed"


@pytest.mark.parametrize(
    ("chip", "face", "code"),
    [
        (ChipOutcome("001099012345", passed=False, failures=("passive authentication",)), MATCH,
         "client.decision.chip_failed"),
        (ChipOutcome(None, passed=False, error="card removed"), None, "client.decision.chip_unreadable"),
        (GOOD_CHIP, MISMATCH, "client.decision.face_mismatch"),
        (GOOD_CHIP, FaceQualityError(FaceProblem.BLURRED), "client.decision.face_unusable"),
    ],
)
def test_refusals_can_be_overridden_with_a_reason(chip, face, code) -> None:
    d = decide(citizen_id="001099012345", on_roster=True, other_room=None, chip=chip, face=face)
    assert d.outcome is Outcome.REFUSED and d.reasons[0].code == code and d.overridable
    with pytest.raises(OverrideError):
        decide(citizen_id="001099012345", on_roster=True, other_room=None, chip=chip, face=face,
               override=Override("  ", "gt1"))
    ok = decide(citizen_id="001099012345", on_roster=True, other_room=None, chip=chip, face=face,
                override=Override("tóc cắt ngắn", "gt1"))
    assert ok.outcome is Outcome.ACCEPTED and ok.override.by == "gt1"
    assert ok.to_dict()["reasons"][0]["code"] == code


def test_liveness_failure_refuses() -> None:
    d = decide(citizen_id="001099012345", on_roster=True, other_room=None, chip=GOOD_CHIP, face=MATCH,
               liveness_passed=False)
    assert d.outcome is Outcome.REFUSED
