"""MRZ (TD1/TD2/TD3, check digits), the CCCD QR payload, expiry candidates and the CAN."""

from __future__ import annotations

from datetime import date

import pytest

from card_reader.errors import KeyInputError
from card_reader.keys import credentials_from
from card_reader.mrz import check_digit, format_td1, parse_access_key, parse_mrz
from card_reader.qr import expiry_candidates, parse_qr

TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
TD2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
CCCD_TD1 = format_td1("207012345", "070115", "M", "320115", "NGUYEN", "VAN AN", "001207012345")


def test_check_digit() -> None:
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("<<<") == "0"


def test_td3_and_td2() -> None:
    td3 = parse_mrz(TD3)
    assert (td3.format, td3.document_number, td3.date_of_birth, td3.date_of_expiry) == (
        "TD3", "L898902C3", "740812", "120415")
    assert td3.primary_name == "ERIKSSON" and td3.secondary_name == "ANNA MARIA"
    td2 = parse_mrz(TD2)
    assert (td2.format, td2.document_number, td2.sex) == ("TD2", "D23145890", "F")


def test_cccd_td1_carries_the_full_id() -> None:
    mrz = parse_mrz(CCCD_TD1)
    assert mrz.format == "TD1" and mrz.issuing_state == "VNM"
    assert mrz.document_number == "207012345" and mrz.full_id_number == "001207012345"
    assert mrz.access_key().mrz_information() == (
        "207012345" + check_digit("207012345") + "070115" + check_digit("070115") + "320115" + check_digit("320115"))


@pytest.mark.parametrize("line, index", [(0, 14), (1, 6), (1, 14), (1, 29)])
def test_td1_wrong_check_digit_is_refused(line: int, index: int) -> None:
    lines = CCCD_TD1.split("\n")
    wrong = str((int(lines[line][index]) + 1) % 10)
    lines[line] = lines[line][:index] + wrong + lines[line][index + 1:]
    with pytest.raises(KeyInputError, match="check digit"):
        parse_mrz("\n".join(lines))


def test_mrz_with_wrong_shape_names_the_lengths() -> None:
    with pytest.raises(KeyInputError, match=r"\[30, 29\]"):
        parse_mrz("A" * 30 + "\n" + "B" * 29)


def test_typed_triple() -> None:
    key = parse_access_key("207012345, 070115, 320115")
    assert (key.document_number, key.date_of_birth, key.date_of_expiry) == ("207012345", "070115", "320115")
    with pytest.raises(KeyInputError):
        parse_access_key("207012345,0701,320115")


def test_qr_payload_with_label_and_empty_old_id() -> None:
    qr = parse_qr("CCCD: 001207012345||Nguyễn Văn An|15012007|Nam|Số 1, Hà Nội|10032022")
    assert qr.id_number == "001207012345" and qr.old_id_number == ""
    assert qr.full_name == "Nguyễn Văn An" and qr.date_of_birth == date(2007, 1, 15)
    assert qr.document_number == "207012345" and qr.can == "012345"


@pytest.mark.parametrize("text", ["001207012345|x|y", "12345|a|b|15012007|Nam|x|10032022",
                                  "001207012345||A|15132007|Nam|x|10032022"])
def test_bad_qr_is_refused(text: str) -> None:
    with pytest.raises(KeyInputError):
        parse_qr(text)


@pytest.mark.parametrize("dob, issued, expected", [
    # issued at 15, well before 25 → valid until 25; neighbours 40
    (date(2007, 1, 15), date(2022, 3, 10), [date(2032, 1, 15), date(2047, 1, 15)]),
    # issued at 23.5, within two years before 25 → valid until 40; neighbours 60 then 25
    (date(2000, 6, 1), date(2023, 12, 1), [date(2040, 6, 1), date(2060, 6, 1), date(2025, 6, 1)]),
    # issued at 12 (2023 law), within two years before 14 → valid until 25
    (date(2012, 5, 5), date(2024, 7, 1), [date(2037, 5, 5), date(2052, 5, 5), date(2026, 5, 5)]),
    # issued at 10 → valid until 14
    (date(2014, 5, 5), date(2024, 7, 1), [date(2028, 5, 5), date(2039, 5, 5)]),
    # issued at 59 → past the last renewal age: no expiry
    (date(1960, 2, 2), date(2019, 6, 1), []),
    # issued at 45 → valid until 60
    (date(1975, 2, 28), date(2020, 1, 1), [date(2035, 2, 28)]),
])
def test_expiry_by_renewal_age(dob: date, issued: date, expected: list[date]) -> None:
    assert expiry_candidates(dob, issued) == expected


def test_credentials_from_qr_give_can_and_expiry_candidates() -> None:
    creds = credentials_from(qr_text="001207012345||Nguyễn Văn An|15012007|Nam|Hà Nội|10032022")
    assert creds.can == "012345"
    assert [k.date_of_expiry for k in creds.access_keys] == ["320115", "470115"]
    assert credentials_from(can="001207012345").can == "012345"
    with pytest.raises(KeyInputError):
        credentials_from(can="12ab")
    with pytest.raises(KeyInputError):
        credentials_from()
