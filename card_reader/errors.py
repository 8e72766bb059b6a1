"""Every failure a reader or card can produce, one class each.

Each error carries a message key (catalogue in `card_reader.messages`) and its parameters, so the
station can show it in Vietnamese or English; `str()` gives the English text for logs.
"""

from __future__ import annotations

from typing import Any


class CardError(Exception):
    """Base class: `key` names the message, `params` fill it."""

    key = "card.error"

    def __init__(self, detail: str = "", **params: Any) -> None:
        self.detail = detail
        self.params = {"detail": detail, **params}
        super().__init__(self.text("en"))

    def text(self, lang: str | None = None) -> str:
        from card_reader import messages  # noqa: F401  (registers the catalogue)
        from exam_server.i18n import translate

        return translate(self.key, lang, **self.params)


class NoReaderError(CardError):
    key = "card.no_reader"


class NoCardError(CardError):
    key = "card.no_card"


class CardRemovedError(CardError):
    key = "card.removed"


class PcscUnavailableError(CardError):
    key = "card.pcsc_unavailable"


class TransmitError(CardError):
    """The reader failed to exchange an APDU (not a status word from the card)."""

    key = "card.transmit"


class ExtendedLengthUnsupportedError(TransmitError):
    key = "card.no_extended_length"


class StatusWordError(CardError):
    """The card answered a command with an unexpected status word."""

    key = "card.status"

    def __init__(self, sw: int, command: str = "", detail: str = "") -> None:
        self.sw = sw
        self.command = command
        super().__init__(detail or f"{command} answered {sw:04X}", sw=f"{sw:04X}", command=command)


class WrongKeyError(StatusWordError):
    """6300 during BAC/PACE: the MRZ/CAN does not match the card."""

    key = "card.wrong_key"


class AccessDeniedError(StatusWordError):
    """6982: security status not satisfied."""

    key = "card.access_denied"


class FileNotFoundOnCardError(StatusWordError):
    key = "card.file_not_found"


class SecureMessagingError(CardError):
    """A secure-messaging failure: bad MAC, missing data objects, plain response, 6987/6988."""

    key = "card.sm_error"


class CardDataError(CardError):
    """A file or object from the card that does not parse."""

    key = "card.bad_data"

    def __init__(self, where: str, detail: str) -> None:
        self.where = where
        super().__init__(f"{where}: {detail}", where=where)


class KeyInputError(CardError):
    """The MRZ, CAN or QR text given by the operator is malformed."""

    key = "card.bad_key_input"


class AuthenticationFailedError(CardError):
    """BAC/PACE/CA mutual authentication did not verify (the chip's cryptogram or token is wrong)."""

    key = "card.auth_failed"


class TrustStoreError(CardError):
    key = "card.trust_store"
