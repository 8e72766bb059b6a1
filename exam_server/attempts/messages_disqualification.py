"""Messages of disqualification (đình chỉ thi)."""

from exam_server.i18n import CATALOGUE, coded

CATALOGUE.register(
    coded("attempts.already_disqualified", "This attempt has already been disqualified."),
    coded("attempts.action.disqualify", "disqualify the candidate"),
    coded("attempts.disqualified_notice", "Your attempt has been disqualified. Reason: {reason}"),
)
