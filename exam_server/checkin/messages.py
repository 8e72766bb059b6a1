"""The check-in domain's message catalogue (Vietnamese default, English)."""

from __future__ import annotations

from exam_server.i18n import CATALOGUE, coded

CATALOGUE.register(
    coded("checkin.accepted", "Checked in. Seat {seat}."),
    coded("checkin.bad_credentials", "Wrong user name or password."),
    coded("checkin.forbidden_room", "This account is not assigned to this exam room."),
    coded("checkin.room_not_found", "Exam room {room} not found."),
    coded("checkin.room_ambiguous", "Several rooms are called {room}; use the room's number."),
    coded("checkin.token_invalid", "The check-in device token is invalid or revoked."),
    coded("checkin.bad_request", "Invalid check-in data: {field} {problem}."),
    coded("checkin.not_on_roster", "The candidate is not on this sitting's roster."),
    coded("checkin.other_room", "The candidate belongs to room {room}, not this one."),
    coded("checkin.closed", "The sitting is not open for check-in (it is {state})."),
    coded("checkin.override_without_reason", "An override needs a reason."),
    coded("checkin.unverified_acceptance", "Cannot accept: chip or face not verified and no override given."),
    coded("checkin.id_taken", "Check-in id {checkin_id} is already used for another room."),
    coded("checkin.station_refused", "The check-in station refused the candidate."),
    coded("checkin.exam_not_found", "Exam not found."),
)

# The check-in payload's problems (`checkin.problem.*`, declared in
# `exam_common.checkin.PROBLEM_TEXTS`), shown inside `checkin.bad_request` after the field's path.
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
