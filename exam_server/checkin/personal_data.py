"""What the server keeps of a citizen's card: an ALLOW-LIST, applied the moment a check-in arrives.

The README promises that the server stores of a card only the ID number, the name, the date of
birth and the verification outcome, and face thumbnails and match scores only where the exam
keeps thumbnails. A deny-list of sensitive DG13 keys let everything else through (address, place
of origin, sex, the old ID number, DG13 fields the reader does not know, the MRZ) and missed
`"Religion"` and `"ethnicity "` by spelling. Here every key not named below is dropped, whatever
it is called; the names below are matched without case or surrounding spaces.

The same rule holds for what goes into the event log (`event_face`, `reasons`): the log never
receives a match score, so `purge` has only the check-in records to clear.
"""

from __future__ import annotations

from typing import Any

# The card's own fields the server keeps (DG13 / report names -> stored name).
CARD_FIELDS = {"id_number": "id_number", "full_name": "full_name", "date_of_birth": "date_of_birth"}
# The verification outcome: which checks ran and how they ended (no data read from the card).
CHECK_FIELDS = ("name", "status")
# Face: the outcome always, the numbers only where the exam keeps thumbnails.
FACE_OUTCOME = ("matched", "problem")
FACE_SCORES = ("distance", "threshold", "score")
# Parameters of a refusal reason the server keeps (`detail` is a check name or a quality problem).
REASON_PARAMS = ("room", "state", "detail", "challenge")
BIOMETRIC_PARAMS = ("distance", "threshold", "score")
MAX_TEXT = 200


def _norm(key: object) -> str:
    return str(key).strip().lower()


def _scalar(value: Any) -> Any:
    """A kept value: text (trimmed, bounded), a number or a truth value; anything else is dropped."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value.strip()[:MAX_TEXT]
    return None


def _pick(data: Any, names: dict[str, str]) -> dict[str, Any]:
    """The allowed keys of `data` (any spelling of case/spaces) under their canonical names."""
    if not isinstance(data, dict):
        return {}
    kept: dict[str, Any] = {}
    for key, value in data.items():
        name = names.get(_norm(key))
        if name is not None and name not in kept:
            scalar = _scalar(value)
            if scalar is not None:
                kept[name] = scalar
    return kept


def card_fields(report: dict[str, Any]) -> dict[str, Any]:
    """ID number, name and date of birth from wherever the station put them (DG13 or the top)."""
    found: dict[str, Any] = {}
    for key, value in report.items():
        if _norm(key) in ("personal_data", "dg13") and isinstance(value, dict):
            for name, kept in _pick(value, CARD_FIELDS).items():
                found.setdefault(name, kept)
    for name, kept in _pick(report, {"id_number": "id_number"}).items():
        found.setdefault(name, kept)
    return found


def verification_report(report: Any) -> dict[str, Any]:
    """The chip report reduced to the card's three fields and the checks' outcomes.

    Kept under `dg13` (the name the records always used) so readers of older records and new
    ones look in the same place."""
    if not isinstance(report, dict):
        return {}
    kept: dict[str, Any] = {}
    card = card_fields(report)
    if card:
        kept["dg13"] = card
    verified = next((v for k, v in report.items() if _norm(k) == "verified"), None)
    if isinstance(verified, bool):
        kept["verified"] = verified
    checks = next((v for k, v in report.items() if _norm(k) == "checks"), None)
    if isinstance(checks, list):
        kept["checks"] = [_pick(c, {n: n for n in CHECK_FIELDS}) for c in checks if isinstance(c, dict)][:50]
    return kept


def verification(chip: dict[str, Any]) -> dict[str, Any]:
    """What is stored of the station's `chip` object: outcome, failures (check names), report."""
    error = chip.get("error")
    return {
        "passed": chip.get("passed") is True,
        "error": _scalar(error) if isinstance(error, str) else None,
        "failures": [str(f)[:MAX_TEXT] for f in chip.get("failures") or [] if isinstance(f, str | int)][:50],
        "report": verification_report(chip.get("report") or {}),
    }


def face(value: Any, keep_scores: bool) -> dict[str, Any] | None:
    """The face match as stored: outcome, and the numbers only when the exam keeps thumbnails."""
    if not isinstance(value, dict):
        return None
    names = FACE_OUTCOME + (FACE_SCORES if keep_scores else ())
    kept = _pick(value, {n: n for n in names})
    return kept or None


def event_face(value: Any) -> dict[str, Any] | None:
    """The face in an event-log entry: the outcome only, never a score (the log is not purged)."""
    return face(value, keep_scores=False)


def reasons(items: list[dict[str, Any]], keep_scores: bool) -> list[dict[str, Any]]:
    """Refusal reasons with only the parameters a message needs (no scores unless kept)."""
    allowed = REASON_PARAMS + (BIOMETRIC_PARAMS if keep_scores else ())
    return [{"code": str(r["code"])[:100], "params": _pick(r.get("params") or {}, {n: n for n in allowed})}
            for r in items]


def purged_face(value: Any) -> dict[str, Any] | None:
    """A stored face after `purge`: the outcome stays (it is the verification result)."""
    return face(value, keep_scores=False)


def purged_reasons(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        return []
    return reasons([r for r in items if isinstance(r, dict) and isinstance(r.get("code"), str)], keep_scores=False)


def has_scores(face_value: Any, reason_items: Any) -> bool:
    """Whether a stored face or reasons still hold a biometric number."""
    if isinstance(face_value, dict) and any(_norm(k) in FACE_SCORES for k in face_value):
        return True
    if isinstance(reason_items, list):
        for r in reason_items:
            params = r.get("params") if isinstance(r, dict) else None
            if isinstance(params, dict) and any(_norm(k) in BIOMETRIC_PARAMS for k in params):
                return True
    return False
