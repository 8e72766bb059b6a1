"""Every failure a reader or card can produce, one class each.

card_reader is a library without UI text (as JMRTD): each error carries a stable message `code`
and its `params`, and the application that shows it (the station, `exam_client.messages`)
translates the code and places the parameters. `str(error)` is a plain diagnostic built from the
code, the technical `detail` and the parameters, for logs only, never shown as a sentence.
"""

from __future__ import annotations

from typing import Any


def diagnostic(code: str, params: dict[str, Any]) -> str:
    """`card.wrong_key: no key opened the chip [sw=6300, tried=301231]`: for logs, not for people."""
    detail = params.get("detail")
    rest = ", ".join(f"{k}={_plain(v)}" for k, v in params.items() if k != "detail" and v not in (None, ""))
    text = f"{code}: {detail}" if detail else code
    return f"{text} [{rest}]" if rest else text


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_plain(v)}" for k, v in value.items()) + "}"
    return str(value)


class CardError(Exception):
    """Base class: `code` names the message, `params` fill it; `detail` is a technical note for logs."""

    code = "card.error"

    def __init__(self, detail: str = "", *, code: str | None = None, **params: Any) -> None:
        """`code` narrows the class's code where one class has several causes (the trust store's)."""
        if code is not None:
            self.code = code
        self.detail = detail
        self.params: dict[str, Any] = {**params, "detail": detail} if detail else dict(params)
        super().__init__(diagnostic(self.code, self.params))

    @property
    def key(self) -> str:
        """The former name of `code` (kept for callers written against it)."""
        return self.code

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


class NoReaderError(CardError):
    code = "card.no_reader"


class NoCardError(CardError):
    code = "card.no_card"


class CardRemovedError(CardError):
    code = "card.removed"


class PcscUnavailableError(CardError):
    code = "card.pcsc_unavailable"


class TransmitError(CardError):
    """The reader failed to exchange an APDU (not a status word from the card)."""

    code = "card.transmit"


class ExtendedLengthUnsupportedError(TransmitError):
    code = "card.no_extended_length"


class StatusWordError(CardError):
    """The card answered a command with an unexpected status word."""

    code = "card.status"

    def __init__(self, sw: int, command: str = "", detail: str = "", **params: Any) -> None:
        self.sw = sw
        self.command = command
        super().__init__(detail or f"{command} answered {sw:04X}", sw=f"{sw:04X}", command=command, **params)


class WrongKeyError(StatusWordError):
    """6300 during BAC/PACE: the MRZ/CAN does not match the card (`tried`: expiry dates YYMMDD)."""

    code = "card.wrong_key"


class AccessDeniedError(StatusWordError):
    """6982: security status not satisfied."""

    code = "card.access_denied"


class FileNotFoundOnCardError(StatusWordError):
    code = "card.file_not_found"


class SecureMessagingError(CardError):
    """A secure-messaging failure: bad MAC, missing data objects, plain response, 6987/6988."""

    code = "card.sm_error"


class CardDataError(CardError):
    """A file or object from the card that does not parse."""

    code = "card.bad_data"

    def __init__(self, where: str, detail: str) -> None:
        self.where = where
        super().__init__(f"{where}: {detail}", where=where)


class KeyInputError(CardError):
    """The MRZ, CAN or QR text given by the operator is malformed."""

    code = "card.bad_key_input"


class AuthenticationFailedError(CardError):
    """BAC/PACE/CA mutual authentication did not verify (the chip's cryptogram or token is wrong)."""

    code = "card.auth_failed"


class TrustStoreError(CardError):
    """A trust-store source that cannot be used; `code` says why (`card.trust_store.*`), `path` which."""

    code = "card.trust_store"


def nested(problem: Any) -> dict[str, Any]:
    """A cause carried as a code the application translates in place (`problem_code`/`problem_params`)."""
    return {"problem_code": problem.code, "problem_params": dict(problem.params)}
