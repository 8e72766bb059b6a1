"""Texts of the bank pages (English source texts; the Vietnamese are in translations/vi/LC_MESSAGES/messages.po)."""

from __future__ import annotations

from exam_server.i18n import CATALOGUE, coded

CATALOGUE.register(
    coded("pages.bank.format.moodle", "Moodle XML (.xml)"),
    coded("pages.bank.format.qti", "IMS QTI 2.1 (.zip)"),
    coded("pages.bank.format.qti3", "IMS QTI 3.0 (.zip)"),
    coded("pages.bank.format.xlsx", "Excel template (.xlsx)"),
    coded("pages.bank.edit.saved", "A new version of the question was saved."),
    coded("pages.bank.edit.bad_details", "The answers and structure are not valid JSON: {reason}"),
    coded("pages.bank.edit.bad_points", "Points “{value}” are not valid (a non-negative number)."),
    coded("pages.bank.edit.bad_base", "The base version is missing; reload the page."),
    coded("pages.bank.type.single_choice", "Single choice"),
    coded("pages.bank.type.multiple_response", "Multiple response"),
    coded("pages.bank.type.true_false", "True/false"),
    coded("pages.bank.type.short_text", "Short answer"),
    coded("pages.bank.type.numeric", "Numerical"),
    coded("pages.bank.type.matching", "Matching"),
    coded("pages.bank.type.ordering", "Ordering"),
    coded("pages.bank.type.essay", "Essay"),
    coded("pages.bank.type.tf_cluster", "True/false cluster"),
    coded("pages.bank.type.short_answer4", "Short answer (4 characters)"),
    coded("pages.bank.type.description", "Description"),
    coded("pages.bank.type.cloze", "Embedded answers (cloze)"),
    coded("pages.bank.type.gapselect", "Select missing words"),
    coded("pages.bank.type.ddwtos", "Drag and drop into text"),
)
