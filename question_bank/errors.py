"""What an import or export reports: issues with a place, a failure carrying all of them.

Imports are all-or-nothing: a reader collects every error it can find (not only the first)
and raises `ImportFailed` with all of them, so a teacher fixes the file in one pass.
Warnings never stop an import; they travel in `ImportResult.warnings` and are shown to the
user instead of being silently "fixed".

Nothing here holds finished text: an issue carries a coded `Message` (`issue.code`,
`issue.params`) and its place, and the caller translates (`issue.text("en")`,
`issue.message("vi")`). `str()` is English, so logs and tracebacks stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from exam_common.i18n import DEFAULT_LANGUAGE
from question_bank.messages import SOURCE_LANGUAGE, Message, msg, render

if TYPE_CHECKING:
    from question_bank.model import Question

Severity = Literal["error", "warning"]
Place = str | Message  # a member name or sheet cell is plain text; "line 3" is a message


@dataclass(frozen=True)
class FormatIssue:
    """One problem in one file: `place` is a question number, a line, a sheet row, a member."""

    file: str
    place: Place
    detail: Message
    severity: Severity = "error"

    @property
    def code(self) -> str:
        return self.detail.code

    @property
    def params(self) -> dict[str, Any]:
        return self.detail.params

    @property
    def location(self) -> str:
        """The place in English (`where(lang)` in another language)."""
        return render(self.place, SOURCE_LANGUAGE)

    @property
    def reason(self) -> str:
        """The reason in English (`text(lang)` in another language)."""
        return self.detail.text(SOURCE_LANGUAGE)

    def where(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return render(self.place, lang)

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The reason alone in `lang`."""
        return self.detail.text(lang)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """"file: place: reason" in `lang`."""
        place = self.where(lang)
        head = f"{self.file}: {place}" if place else self.file
        return f"{head}: {self.detail.text(lang)}"

    def to_dict(self, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        return {"file": self.file, "location": self.where(lang), "reason": self.text(lang),
                "code": self.code, "params": self.detail.to_dict(lang)["params"], "severity": self.severity}

    def __str__(self) -> str:
        return self.message(SOURCE_LANGUAGE)


class QuestionBankError(ValueError):
    """A coded failure (a blueprint, a response matrix, a cell value): `problems` lists every
    reason; `message(lang)` joins them in one language, `str()` in English."""

    def __init__(self, problems: Message | list[Message], separator: str = "; ") -> None:
        self.problems: list[Message] = [problems] if isinstance(problems, Message) else list(problems)
        self.separator = separator
        super().__init__(self.message(SOURCE_LANGUAGE))

    @property
    def code(self) -> str:
        return self.problems[0].code if self.problems else "qb.error"

    @property
    def params(self) -> dict[str, Any]:
        return self.problems[0].params if self.problems else {}

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return self.separator.join(p.text(lang) for p in self.problems)

    text = message


class FormatError(Exception):
    """Base of import/export failures; carries every issue found."""

    def __init__(self, errors: list[FormatIssue], warnings: list[FormatIssue] | None = None) -> None:
        self.errors = list(errors)
        self.warnings = list(warnings or [])
        super().__init__(self.message(SOURCE_LANGUAGE))

    @property
    def code(self) -> str:
        return self.errors[0].code if self.errors else "qb.format_error"

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return "\n".join(e.message(lang) for e in self.errors) or msg("qb.format_error").text(lang)

    text = message


class ImportFailed(FormatError):
    """Nothing was imported: the file has at least one error."""


class ExportFailed(FormatError):
    """Nothing was written: a question cannot be represented in the target format."""


@dataclass
class ImportResult:
    """Questions (NFC, uids set), the warnings, and the import report (notes for the user,
    e.g. "2 equations kept as images"), each note a coded `Message`."""

    questions: list[Question]
    warnings: list[FormatIssue] = field(default_factory=list)
    report: list[Message] = field(default_factory=list)

    def report_text(self, lang: str = DEFAULT_LANGUAGE) -> list[str]:
        return [note.text(lang) for note in self.report]
