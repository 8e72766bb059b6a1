"""Every reader/card failure maps to its own error class carrying a code and parameters, no UI text."""

from __future__ import annotations

import pytest
from smartcard.Exceptions import CardConnectionException, NoCardException
from smartcard.pcsc.PCSCExceptions import EstablishContextException

from card_reader import errors
from card_reader.apdu import Command
from card_reader.channel import CardChannel, status_error
from card_reader.transport import FunctionTransport, _pcsc_failure


@pytest.mark.parametrize("exc, expected", [
    (EstablishContextException(0x8010001D), errors.PcscUnavailableError),  # pcscd gone
    (CardConnectionException("x", hresult=0x8010001D), errors.PcscUnavailableError),
    (NoCardException("x", hresult=0x8010000C), errors.NoCardError),
    (CardConnectionException("x", hresult=0x80100069), errors.NoCardError),  # removed
    (CardConnectionException("x", hresult=0x80100017), errors.NoReaderError),  # reader unplugged
    (CardConnectionException("x", hresult=0x80100016), errors.TransmitError),  # not transacted
])
def test_pcsc_failures_are_mapped(exc: Exception, expected: type) -> None:
    assert type(_pcsc_failure(exc, "testing")) is expected


@pytest.mark.parametrize("sw, expected", [
    (0x6300, errors.WrongKeyError), (0x63C2, errors.WrongKeyError), (0x6982, errors.AccessDeniedError),
    (0x6A82, errors.FileNotFoundOnCardError), (0x6988, errors.SecureMessagingError),
    (0x6D00, errors.StatusWordError),
])
def test_status_words_are_mapped(sw: int, expected: type) -> None:
    assert type(status_error(sw, "READ BINARY")) is expected


def test_errors_carry_codes_and_a_diagnostic_not_a_translation() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.CardError)]
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes) and all(code.startswith("card.") for code in codes)
    error = errors.AccessDeniedError(0x6982, "SELECT DG3")
    assert error.code == "card.access_denied" and error.params == {"sw": "6982", "command": "SELECT DG3",
                                                                    "detail": "SELECT DG3 answered 6982"}
    assert str(error) == "card.access_denied: SELECT DG3 answered 6982 [sw=6982, command=SELECT DG3]"
    assert str(errors.CardRemovedError("gone")) == "card.removed: gone"
    narrowed = errors.TrustStoreError("x", code="card.trust_store.missing", path="/a")
    assert isinstance(narrowed, errors.TrustStoreError) and narrowed.code == "card.trust_store.missing"
    assert errors.TrustStoreError.code == "card.trust_store"  # the class keeps its own


def test_channel_collects_plain_61xx_chains() -> None:
    answers = [b"\x01\x02\x61\x02", b"\x03\x04\x90\x00"]
    channel = CardChannel(FunctionTransport(lambda _apdu: answers.pop(0)))
    assert channel.expect_ok(Command(0x00, 0xB0, 0, 0, le=4), "READ") == b"\x01\x02\x03\x04"
