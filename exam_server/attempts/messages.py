"""Messages of the attempts domain (saving, submitting, invigilator controls)."""

from exam_server.i18n import CATALOGUE, coded

CATALOGUE.register(
    coded("attempts.not_found", "Attempt not found."),
    coded("attempts.receipt_valid", "The receipt code is valid: it matches the submission time and the stored answers."),
    coded("attempts.receipt_invalid", "The receipt code is not valid or does not match the stored attempt."),
    coded("attempts.illegal_transition", "Cannot {action}: it is {state}."),
    coded("attempts.state.pending", "not started yet"),
    coded("attempts.state.active", "in progress"),
    coded("attempts.state.paused", "paused"),
    coded("attempts.state.submitted", "already submitted"),
    coded("attempts.action.submit", "submit"),
    coded("attempts.action.force_submit", "collect the attempt"),
    coded("attempts.action.pause", "pause the attempt"),
    coded("attempts.action.resume", "resume the attempt"),
    coded("attempts.action.extra_time", "give extra time"),
    coded("attempts.action.lock", "lock the attempt"),
    coded("attempts.action.unlock", "unlock the attempt"),
    coded("attempts.room_paused", "The room is paused; resume the room first."),
    coded("attempts.extra_time_negative", "Total extra time cannot be negative."),
    coded("attempts.bad_seconds", "Seconds must be an integer."),
    coded("attempts.save_rate_limited", "Saving too fast; the answer is kept on this computer and will be sent again in a moment."),
    coded("attempts.extra_time_out_of_range", "Each extra-time change must be between {min} second and {max_hours} hours (got {seconds} seconds)."),
    coded("attempts.bad_extra_time_body", "Give the extra time as whole seconds or whole minutes (one of the two)."),
    coded("attempts.room_extra_time_nobody", "Nobody in room {room} is writing or paused: no extra time was given."),
    coded("attempts.room_extra_time_refused", "Nothing was changed: candidate {sbd} cannot get this time. {detail}"),
    coded("attempts.extra_time_total_cap", "An attempt can have at most {max_hours} hours of extra time in total; {left} seconds are left."),
    coded("attempts.bad_seq", "The save sequence number (seq) must be a non-negative integer."),
    coded("attempts.bad_question", "No such question number on this paper."),
    coded("attempts.bad_value", "Question {question}: {reason}"),
    coded("attempts.bad_save_body", "A save needs seq and value."),
    coded("attempts.refused_not_started", "Not saved: the exam has not started."),
    coded("attempts.refused_submitted", "Not saved: the attempt has been submitted."),
    coded("attempts.refused_paused", "Not saved: the attempt is paused."),
    coded("attempts.refused_deadline", "Not saved: the time is up."),
    coded("attempts.refused_locked", "Not saved: the invigilator has locked the attempt."),
    coded("attempts.conflict", "Not saved: the server holds another answer to question {question} (sent from another window or computer). The page now shows the answer the server holds; please check this question."),
)

# Disqualification (đình chỉ thi).
CATALOGUE.register(
    coded("attempts.already_disqualified", "This attempt has already been disqualified."),
    coded("attempts.action.disqualify", "disqualify the candidate"),
    coded("attempts.disqualified_notice", "Your attempt has been disqualified. Reason: {reason}"),
)
