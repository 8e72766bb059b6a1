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
