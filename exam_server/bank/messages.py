"""Messages of the bank's API (English source texts; the Vietnamese are in translations/vi/LC_MESSAGES/messages.po)."""

from __future__ import annotations

from exam_server.i18n import CATALOGUE, coded

CATALOGUE.register(
    coded("bank.import_refused", "File {file} was not imported: it has errors, so no question was stored. Fix the errors below and import it again."),
    coded("bank.import_empty", "File {file} holds no questions."),
    coded("bank.no_file", "Choose a question file."),
    coded("bank.question_not_found", "Question not found in the bank."),
    coded("bank.version_not_found", "This version of the question was not found."),
    coded("bank.invalid_question", "The question is not valid and was not saved."),
    coded("bank.version_conflict", "Someone else edited this question (version {current}; you started from version {base}). Reload the page and edit again."),
    coded("bank.export_empty", "No questions selected for export."),
    coded("bank.export_too_many", "At most {limit} questions can be exported at once."),
    coded("bank.export_format", "Cannot export to {format}; supported: {supported}."),
    coded("bank.export_refused", "Export failed: some questions cannot be written in this format."),
    coded("bank.bad_ids", "The list of questions is not valid."),
    coded("bank.bad_number", "Parameter {field} must be a whole number."),
)
