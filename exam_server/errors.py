"""The error every service raises for a refused request: a message key, an HTTP status, details.

APIs turn it into `{"error": {"code": key, "message": translated text, ...details}}`; pages
flash the message. Keys live in each domain's messages.py.
"""

from __future__ import annotations

from typing import Any

from exam_server.i18n import CATALOGUE, coded, translate


class ServiceError(Exception):
    status = 400

    def __init__(self, key: str, /, status: int | None = None, **details: Any) -> None:
        # `key` is positional-only so a detail may itself be called "code".
        super().__init__(key)
        self.code = key
        if status is not None:
            self.status = status
        self.details = details

    def message(self, lang: str | None = None) -> str:
        return translate(self.code, lang, **{k: v for k, v in self.details.items() if isinstance(v, str | int | float)})

    def to_dict(self) -> dict[str, Any]:
        return {**self.details, "code": self.code, "message": self.message()}

    def __str__(self) -> str:
        return f"{self.code}: {self.message('en')}"


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    """The request is well-formed but the current state forbids it (an illegal transition...)."""

    status = 409


CATALOGUE.register(
    coded("errors.not_found", "The requested page or data was not found."),
    coded("errors.method_not_allowed", "This method is not allowed for this address."),
    coded("errors.json_object_expected", "The request body must be a JSON object."),
)
