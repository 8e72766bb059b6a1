"""The check-in wire contract: what a station posts to `POST /api/v1/checkin/checkins` and what the
server answers, declared once for both sides.

The station builds a `CheckinRequest` (and queues its `to_wire()` form in the outbox); the server
validates the posted JSON with the same class and answers a `CheckinAnswer`, which the station
parses. A payload that does not fit is refused with every wrong field named by its path
(`reasons[0].code`, `chip.report`) and a stable problem code (`checkin.problem.*`) with the
parameters its text needs; `field_problems` turns pydantic's errors into that list, so the
server's 422 answer and the station's own check before queueing say the same thing.

What this contract does NOT do is decide what the server keeps: the chip report is free-form
here (card_reader's report, already without the sensitive DG13 fields) and unknown top-level
keys are ignored, because the server's personal-data allow-list (`exam_server.checkin.
personal_data`) drops everything it does not name, whatever the station sends.

This module is part of `exam_common`: it must import nothing from exam_server, exam_client or
card_reader.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictStr,
    ValidationError,
    field_serializer,
)
from pydantic_core import PydanticCustomError

CHECKIN_ID_PATTERN = r"^[A-Za-z0-9-]{8,64}$"
CITIZEN_ID_PATTERN = r"^\d{12}$"
MAX_THUMBNAIL_BYTES = 32 * 1024
MAX_STATION_NAME = 100  # the server's column; a longer configured name is cut, not refused
MAX_CODE = 100
MAX_TEXT = 1000  # free texts written by a person (override reason) or a library (error detail)
MAX_REASONS = 20
MAX_FAILURES = 50

Decision = Literal["accepted", "refused"]


# --- problems ------------------------------------------------------------------------------
# Each problem a field can have: a stable code with its English text (the server translates the
# code; the text is what a log or an untranslated client shows).

PROBLEM_TEXTS: dict[str, str] = {
    "checkin.problem.checkin_id": "must be 8-64 letters, digits or '-'",
    "checkin.problem.citizen_id": "must be 12 digits",
    "checkin.problem.decision": "must be 'accepted' or 'refused'",
    "checkin.problem.reasons": "must be a list of objects with a code and params",
    "checkin.problem.override": "must be an object with a reason and by",
    "checkin.problem.object": "must be an object",
    "checkin.problem.captured_at": "must be an ISO 8601 time",
    "checkin.problem.time_zone": "must carry a time zone",
    "checkin.problem.base64": "is not base64",
    "checkin.problem.jpeg": "must be a JPEG under {max_bytes} bytes",
    "checkin.problem.missing": "is required",
    "checkin.problem.text": "must be text",
    "checkin.problem.too_long": "must be at most {max_length} characters",
    "checkin.problem.too_many": "must hold at most {max_length} items",
    "checkin.problem.bool": "must be true or false",
    "checkin.problem.number": "must be a number",
    "checkin.problem.list": "must be a list",
    "checkin.problem.scalar": "must be text, a number, true/false or null",
    "checkin.problem.invalid": "is not valid",
}

# A field whose own value is wrong (not one inside it) gets the field's problem, whatever
# pydantic's reason was: "chip must be an object" says more than "Input should be a valid dict".
FIELD_PROBLEMS = {
    "checkin_id": "checkin.problem.checkin_id",
    "citizen_id": "checkin.problem.citizen_id",
    "decision": "checkin.problem.decision",
    "reasons": "checkin.problem.reasons",
    "override": "checkin.problem.override",
    "chip": "checkin.problem.object",
    "chip.report": "checkin.problem.object",
    "face": "checkin.problem.object",
    "captured_at": "checkin.problem.captured_at",
}

# A length says more than the field's general shape ("reasons must hold at most 20 items").
LENGTH_TYPES = ("too_long", "string_too_long")

# pydantic's error types -> our problem codes (for fields inside the nested objects)
TYPE_PROBLEMS = {
    "missing": "checkin.problem.missing",
    "string_type": "checkin.problem.text",
    "string_too_long": "checkin.problem.too_long",
    "too_long": "checkin.problem.too_many",
    "bool_type": "checkin.problem.bool",
    "float_type": "checkin.problem.number",
    "int_type": "checkin.problem.number",
    "dict_type": "checkin.problem.object",
    "model_type": "checkin.problem.object",
    "model_attributes_type": "checkin.problem.object",
    "list_type": "checkin.problem.list",
}


@dataclass(frozen=True)
class FieldProblem:
    """One wrong field: where (`reasons[0].code`), the problem's code and its parameters."""

    field: str
    code: str
    params: dict[str, Any]

    @property
    def text(self) -> str:
        """The English text (the server shows the translated one)."""
        return PROBLEM_TEXTS.get(self.code, PROBLEM_TEXTS["checkin.problem.invalid"]).format(**self.params)

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "problem_code": self.code, "params": self.params}


def _path(loc: tuple[int | str, ...]) -> str:
    """pydantic's location as one would write it: `reasons[0].params.room`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(body)"


def field_problems(exc: ValidationError) -> list[FieldProblem]:
    """Every wrong field of a payload, in the order pydantic found them, each named once."""
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for error in exc.errors(include_url=False):
        where = _path(tuple(error["loc"]))
        if where in seen:
            continue
        seen.add(where)
        kind = str(error["type"])
        ctx = dict(error.get("ctx") or {})
        if kind in PROBLEM_TEXTS:  # one of ours, raised by a validator below
            code = kind
        elif where in FIELD_PROBLEMS and kind not in LENGTH_TYPES:
            code, ctx = FIELD_PROBLEMS[where], {}
        else:
            code = TYPE_PROBLEMS.get(kind, "checkin.problem.invalid")
        params: dict[str, Any] = {k: ctx[k] for k in ("max_length", "max_bytes") if k in ctx}
        problems.append(FieldProblem(where, code, params))
    return problems


def describe(exc: ValidationError) -> str:
    """The problems in English, for logs and the station's own refusal before queueing."""
    return "; ".join(f"{p.field} {p.text}" for p in field_problems(exc))


# --- field types ---------------------------------------------------------------------------

def _empty_to_none(value: Any) -> Any:
    """An empty string means "not given" (stations have always sent "" and null alike)."""
    return None if value == "" else value


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise PydanticCustomError("checkin.problem.scalar", PROBLEM_TEXTS["checkin.problem.scalar"])


def _cut(limit: int) -> BeforeValidator:
    """Cut a text to `limit` characters instead of refusing the check-in for it."""
    return BeforeValidator(lambda value: value[:limit] if isinstance(value, str) else value)


def _captured_at(value: Any) -> Any:
    if not isinstance(value, str | datetime):  # not a number: pydantic would read it as a Unix time
        raise PydanticCustomError("checkin.problem.captured_at", PROBLEM_TEXTS["checkin.problem.captured_at"])
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("checkin.problem.captured_at",
                                      PROBLEM_TEXTS["checkin.problem.captured_at"]) from None
    if isinstance(value, datetime) and value.tzinfo is None:
        raise PydanticCustomError("checkin.problem.time_zone", PROBLEM_TEXTS["checkin.problem.time_zone"])
    return value


def _thumbnail(value: Any) -> Any:
    """JSON carries the JPEG as base64 text; a station building the request in Python passes bytes."""
    if isinstance(value, str):
        try:
            value = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise PydanticCustomError("checkin.problem.base64", PROBLEM_TEXTS["checkin.problem.base64"]) from None
    if isinstance(value, bytes) and (len(value) > MAX_THUMBNAIL_BYTES or not value.startswith(b"\xff\xd8")):
        raise PydanticCustomError("checkin.problem.jpeg", PROBLEM_TEXTS["checkin.problem.jpeg"],
                                  {"max_bytes": MAX_THUMBNAIL_BYTES})
    return value


Scalar = Annotated[Any, AfterValidator(_scalar)]
Code = Annotated[StrictStr, Field(min_length=1, max_length=MAX_CODE)]
Text = Annotated[StrictStr, Field(max_length=MAX_TEXT)]
Number = Annotated[float, Field(strict=True)]
CapturedAt = Annotated[AwareDatetime, BeforeValidator(_captured_at)]
JpegThumbnail = Annotated[
    bytes,
    BeforeValidator(_thumbnail),
    PlainSerializer(lambda raw: base64.b64encode(raw).decode("ascii"), return_type=str),
]


class _Wire(BaseModel):
    # Unknown keys are ignored, not refused: a newer station may send more, and what the server
    # keeps is decided by the personal-data allow-list, not by what arrives.
    model_config = ConfigDict(extra="ignore", frozen=True)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object as it travels (and as the station's outbox stores it)."""
        return self.model_dump(mode="json", by_alias=True)


# --- the request ---------------------------------------------------------------------------

class Reason(_Wire):
    """Why the station refused (or what an override overrides): a message code and its parameters."""

    code: Code
    params: dict[str, Scalar] = Field(default_factory=dict)
    overridable: StrictBool = True


class Override(_Wire):
    """An invigilator's acceptance despite the reasons; the server refuses a blank reason itself
    (`checkin.override_without_reason`), so a blank one is valid here."""

    reason: Text
    by: Annotated[StrictStr, Field(max_length=150)] = ""


class ChipEvidence(_Wire):
    """The card read: whether every check passed, why not, and card_reader's report."""

    passed: StrictBool = False
    error: Annotated[StrictStr | None, _cut(MAX_TEXT)] = None
    failures: Annotated[list[Annotated[StrictStr, _cut(MAX_TEXT)]], Field(max_length=MAX_FAILURES)] = Field(
        default_factory=list)
    report: Annotated[dict[str, Any], BeforeValidator(lambda v: {} if v is None else v)] = Field(
        default_factory=dict)


class FaceEvidence(_Wire):
    """The chip photo matched against the live camera, or the problem that prevented it."""

    matched: StrictBool | None = None
    distance: Number | None = None
    threshold: Number | None = None
    score: Number | None = None
    problem: Annotated[StrictStr, Field(max_length=50)] | None = None
    detail: Annotated[StrictStr | None, _cut(MAX_TEXT)] = None


class CheckinRequest(_Wire):
    """One check-in as the station posts it; `checkin_id` makes a resend idempotent."""

    checkin_id: Annotated[StrictStr, Field(pattern=CHECKIN_ID_PATTERN)]
    citizen_id: Annotated[StrictStr, Field(pattern=r"^(\d{12})?$"),
                          BeforeValidator(lambda v: "" if v is None else v)] = ""
    station: Annotated[StrictStr, _cut(MAX_STATION_NAME), BeforeValidator(lambda v: "" if v is None else v)] = ""
    captured_at: Annotated[CapturedAt | None, BeforeValidator(_empty_to_none)] = None
    decision: Decision
    reasons: Annotated[list[Reason], Field(max_length=MAX_REASONS),
                       BeforeValidator(lambda v: [] if v is None else v)] = Field(default_factory=list)
    override: Override | None = None
    chip: Annotated[ChipEvidence, BeforeValidator(lambda v: {} if v is None else v)] = Field(
        default_factory=ChipEvidence)
    face: FaceEvidence | None = None
    # `thumbnail` in Python (raw JPEG bytes), `thumbnail_jpeg_b64` on the wire (base64 text)
    thumbnail: Annotated[JpegThumbnail | None, BeforeValidator(_empty_to_none)] = Field(
        default=None, validation_alias=AliasChoices("thumbnail_jpeg_b64", "thumbnail"),
        serialization_alias="thumbnail_jpeg_b64")


# --- the answers ---------------------------------------------------------------------------

class _Answer(BaseModel):
    # The station keeps what a newer server adds (it stores and shows the answer).
    model_config = ConfigDict(extra="allow", frozen=True)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class AnswerReason(_Answer):
    """A reason as the server recorded it (parameters after its allow-list), with its text."""

    code: str
    params: dict[str, Scalar] = Field(default_factory=dict)
    message: str


class Candidate(_Answer):
    sbd: str
    full_name: str
    citizen_id: str
    seat: str | None = None


class CheckinAnswer(_Answer):
    """The server's answer to a check-in (201 recorded, 200 a resend of a recorded one)."""

    checkin_id: str
    status: Decision
    code: str  # `checkin.accepted`, else the first reason's code
    message: str  # in the server's language
    reasons: list[AnswerReason] = Field(default_factory=list)
    seat: str | None = None
    login_code: str | None = None  # only when accepted
    candidate: Candidate | None = None  # None when the citizen ID is on no roster of the sitting
    room: str
    override: str | None = None
    checked_in_at: AwareDatetime
    duplicate: bool

    @field_serializer("checked_in_at")
    def _iso(self, value: datetime) -> str:
        return value.isoformat()


class ErrorBody(_Answer):
    """A refusal: `{"error": {...}}`. For `checkin.bad_request`, `field`/`problem` name the first
    wrong field (as older stations read it) and `errors` every one."""

    code: str
    message: str
    field: str | None = None
    problem: str | None = None
    errors: list[dict[str, Any]] = Field(default_factory=list)


class ErrorAnswer(_Answer):
    error: ErrorBody
