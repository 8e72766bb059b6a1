"""What an import or export reports: issues with a place, a failure carrying all of them.

Imports are all-or-nothing: a reader collects every error it can find (not only the first)
and raises `ImportFailed` with all of them, so a teacher fixes the file in one pass.
Warnings never stop an import; they travel in `ImportResult.warnings` and are shown to the
user instead of being silently "fixed".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from question_bank.model import Question

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class FormatIssue:
    """One problem in one file: `location` is a question number, a line, a sheet row, a member."""

    file: str
    location: str
    reason: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}: {self.location}" if self.location else self.file
        return f"{where}: {self.reason}"


class FormatError(Exception):
    """Base of import/export failures; carries every issue found."""

    def __init__(self, errors: list[FormatIssue], warnings: list[FormatIssue] | None = None) -> None:
        self.errors = list(errors)
        self.warnings = list(warnings or [])
        super().__init__("\n".join(str(e) for e in self.errors) or "format error")


class ImportFailed(FormatError):
    """Nothing was imported: the file has at least one error."""


class ExportFailed(FormatError):
    """Nothing was written: a question cannot be represented in the target format."""


@dataclass
class ImportResult:
    """Questions (NFC, uids set), the warnings, and the import report (notes for the user,
    e.g. "2 equations kept as images")."""

    questions: list[Question]
    warnings: list[FormatIssue] = field(default_factory=list)
    report: list[str] = field(default_factory=list)
