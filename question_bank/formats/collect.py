"""Collecting issues while reading, and the checks every import ends with.

A reader calls `issues.error(...)` / `issues.warn(...)` as it goes and finally
`issues.finish(questions, locations)`: that validates every question, normalises all text to NFC,
sets content-hash uids, reports duplicate stems, and either returns an `ImportResult` or
raises `ImportFailed` with every error — nothing is half-imported.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Sequence

from question_bank.errors import ExportFailed, FormatIssue, ImportFailed, ImportResult, Place
from question_bank.formats import blank_checks
from question_bank.messages import Message, msg
from question_bank.model import BLANK_TYPES, Question, nfc

SHORT_ANSWER4 = re.compile(r"^[0-9,\-]{1,4}$")
NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$")


def parse_number(text: str) -> float | None:
    """A number written with a decimal comma or point ("-1,5", "3.14"); None if it is not one."""
    if not NUMBER.match(text):
        return None
    return float(text.strip().replace(",", "."))


class Issues:
    """Errors, warnings and report notes of one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[FormatIssue] = []
        self.warnings: list[FormatIssue] = []
        self.report: list[Message] = []

    def error(self, location: Place, reason: Message) -> None:
        self.errors.append(FormatIssue(self.file, location, reason, "error"))

    def warn(self, location: Place, reason: Message) -> None:
        self.warnings.append(FormatIssue(self.file, location, reason, "warning"))

    def note(self, note: Message) -> None:
        if note not in self.report:
            self.report.append(note)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ImportFailed(self.errors, self.warnings)

    def finish(self, questions: list[Question], locations: Sequence[Place]) -> ImportResult:
        """Validate, normalise, hash; all-or-nothing."""
        if not questions and not self.errors:
            self.error("", msg("qb.import.no_questions"))
        normalised: list[Question] = []
        for question, where in zip(questions, locations, strict=True):
            for reason in problems(question):
                self.error(where, reason)
            if question.type == "single_choice" and sum(o.correct for o in question.options) > 1:
                marked = ", ".join(o.id for o in question.options if o.correct)
                self.warn(where, msg("qb.import.several_correct", options=marked))
            normalised.append(normalise(question))
        seen: dict[str, Place] = {}
        for question, where in zip(normalised, locations, strict=True):
            key = " ".join(question.stem.split()).casefold()
            if key and question.type != "description":
                if key in seen:
                    self.warn(where, msg("qb.import.duplicate_stem", other=seen[key]))
                else:
                    seen[key] = where
        self.raise_if_errors()
        self.report.insert(0, msg("qb.import.imported", count=len(normalised)))
        return ImportResult(normalised, self.warnings, self.report)


def normalise(question: Question) -> Question:
    """NFC in every text field, then the uid from content (so a re-import gives the same uids).

    Walks the fields directly: a dict round trip costs more than the whole XML parse.
    """
    q = question
    q.stem, q.title, q.topic, q.difficulty = nfc(q.stem), nfc(q.title), nfc(q.topic), nfc(q.difficulty)
    q.general_feedback, q.source, q.tags = nfc(q.general_feedback), nfc(q.source), [nfc(t) for t in q.tags]
    for option in q.options:
        option.id, option.text, option.feedback = nfc(option.id), nfc(option.text), nfc(option.feedback)
    for statement in q.statements:
        statement.id, statement.text = nfc(statement.id), nfc(statement.text)
    for answer in q.answers:
        answer.text = nfc(answer.text)
    for pair in q.pairs:
        pair.left, pair.right = nfc(pair.left), nfc(pair.right)
    for criterion in q.rubric:
        criterion.description = nfc(criterion.description)
    for media in q.media:
        media.name = nfc(media.name)
    for blank in q.blanks:
        for alternative in blank.answers:
            alternative.text, alternative.feedback = nfc(alternative.text), nfc(alternative.feedback)
    for choice in q.choices:
        choice.text = nfc(choice.text)
    if q.type == "ordering":
        opaque_ordering_ids(q)
    return q.with_uid()


def opaque_ordering_ids(question: Question) -> None:
    """Ids of an ordering question's items ranked by their text, not by the correct order.

    The items are stored in the correct order and the candidate page lists them by id, so ids
    taken from positions ("A", "B", … as most formats number them) would show the key.
    """
    ranked = sorted(range(len(question.options)), key=lambda i: (question.options[i].text, i))
    for rank, index in enumerate(ranked, start=1):
        question.options[index].id = f"o{rank}"


def problems(q: Question) -> list[Message]:
    """Why a question cannot be used (empty list: it can)."""
    out: list[Message] = []
    if not q.stem.strip() and q.type != "description":
        out.append(msg("qb.check.empty_stem"))
    numbers = [q.points, *(o.fraction for o in q.options), *(a.fraction for a in q.answers), *(a.tolerance for a in q.answers)]
    if not all(math.isfinite(n) for n in numbers):
        out.append(msg("qb.check.not_finite"))
    if q.points < 0:
        out.append(msg("qb.check.negative_points"))
    ids = [o.id for o in q.options]
    if len(set(ids)) != len(ids):
        out.append(msg("qb.check.duplicate_option_ids"))
    if q.type in ("single_choice", "multiple_response"):
        if len(q.options) < 2:
            out.append(msg("qb.check.two_options"))
        if not any(o.correct for o in q.options):
            out.append(msg("qb.check.no_correct_option"))
        if any(not -1.0 <= o.fraction <= 1.0 for o in q.options):
            out.append(msg("qb.check.fraction_range"))
    elif q.type == "ordering" and len(q.options) < 2:
        out.append(msg("qb.check.two_items"))
    elif q.type == "true_false" and q.correct_bool is None:
        out.append(msg("qb.check.true_false_key"))
    elif q.type == "tf_cluster":
        if not q.statements:
            out.append(msg("qb.check.no_statements"))
    elif q.type in ("short_text", "numeric", "short_answer4"):
        if not q.answers or not any(a.fraction > 0 for a in q.answers):
            out.append(msg("qb.check.no_answer"))
        for answer in q.answers:
            if q.type == "numeric" and parse_number(answer.text) is None and answer.text != "*":  # * any other
                out.append(msg("qb.check.numeric_answer", value=answer.text))
            if q.type == "short_answer4" and not SHORT_ANSWER4.match(answer.text):
                out.append(msg("qb.check.short_answer4", value=answer.text))
    elif q.type == "matching" and sum(1 for p in q.pairs if p.left) < 2:
        out.append(msg("qb.check.two_pairs"))
    elif q.type in BLANK_TYPES:
        out.extend(blank_checks.problems(q))
    for media in q.media:
        if not media.name or any(ch in media.name for ch in "/\\:") or media.name.startswith("."):
            out.append(msg("qb.check.media_name", name=media.name))
        try:
            base64.b64decode(media.data_b64, validate=True)
        except (binascii.Error, ValueError):
            out.append(msg("qb.check.media_base64", name=media.name))
    return out


def refuse_unsupported(questions: list[Question], supported: set[str], file: str, fmt: str) -> None:
    """Exports are all-or-nothing too: name every question the format cannot hold."""
    errors = [
        FormatIssue(file, msg("qb.where.question_titled", number=i, title=q.title or q.stem[:40]),
                    msg("qb.export.type_not_supported", format=fmt, type=q.type))
        for i, q in enumerate(questions, start=1)
        if q.type not in supported
    ]
    if errors:
        raise ExportFailed(errors)
