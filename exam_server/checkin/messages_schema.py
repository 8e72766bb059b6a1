"""Texts of the check-in payload's problems (`checkin.problem.*`, declared in
`exam_common.checkin.PROBLEM_TEXTS`), shown inside `checkin.bad_request` after the field's path.

Kept in the old registry format until the i18n conversion moves them into the gettext catalogue.
"""

from __future__ import annotations

from exam_server.i18n import CATALOGUE, coded

CATALOGUE.register(
    coded("checkin.problem.checkin_id", "must be 8-64 letters, digits or '-'"),
    coded("checkin.problem.citizen_id", "must be 12 digits"),
    coded("checkin.problem.decision", "must be 'accepted' or 'refused'"),
    coded("checkin.problem.reasons", "must be a list of objects with a code and params"),
    coded("checkin.problem.override", "must be an object with a reason and by"),
    coded("checkin.problem.object", "must be an object"),
    coded("checkin.problem.captured_at", "must be an ISO 8601 time"),
    coded("checkin.problem.time_zone", "must carry a time zone"),
    coded("checkin.problem.base64", "is not base64"),
    coded("checkin.problem.jpeg", "must be a JPEG under {max_bytes} bytes"),
    coded("checkin.problem.missing", "is required"),
    coded("checkin.problem.text", "must be text"),
    coded("checkin.problem.too_long", "must be at most {max_length} characters"),
    coded("checkin.problem.too_many", "must hold at most {max_length} items"),
    coded("checkin.problem.bool", "must be true or false"),
    coded("checkin.problem.number", "must be a number"),
    coded("checkin.problem.list", "must be a list"),
    coded("checkin.problem.scalar", "must be text, a number, true/false or null"),
    coded("checkin.problem.invalid", "is not valid"),
)
