"""CCCD (2021) and căn cước (2024) inputs: the MRZ as scanners send it, both QR codes."""

from __future__ import annotations

from datetime import date

import pytest

from card_reader.errors import KeyInputError
from card_reader.keys import credentials_from
from card_reader.mrz import format_td1, parse_access_key, parse_mrz
from card_reader.qr import parse_qr, read_qr
from card_reader.virtual.identity import Identity

IDENTITY = Identity()


def _td3() -> str:
    l1 = "P<VNMNGUYEN<<VAN<AN" + "<" * 25
    number, dob, expiry = "C1234567<", "070115", "320115"
    from card_reader.mrz import check_digit as cd

    l2 = number + cd(number) + "VNM" + dob + cd(dob) + "M" + expiry + cd(expiry) + "<" * 14 + "<"
    l2 += cd(l2[0:10] + l2[13:20] + l2[21:43])
    return l1 + "\n" + l2


def _td2() -> str:
    from card_reader.mrz import check_digit as cd

    l1 = "I<VNMNGUYEN<<VAN<AN" + "<" * 17
    number, dob, expiry = "C1234567<", "070115", "320115"
    l2 = number + cd(number) + "VNM" + dob + cd(dob) + "M" + expiry + cd(expiry) + "<" * 7
    l2 += cd(l2[0:10] + l2[13:20] + l2[21:35])
    return l1 + "\n" + l2


@pytest.mark.parametrize("mrz", [IDENTITY.mrz(), _td2(), _td3()], ids=["TD1", "TD2", "TD3"])
def test_mrz_in_lines_one_line_and_with_cr_lf_spaces(mrz: str) -> None:
    expected = parse_mrz(mrz)
    flat = mrz.replace("\n", "")
    assert len(flat) in (90, 72, 88)
    variants = [flat, mrz.replace("\n", "\r\n"), "  " + mrz.replace("\n", " \r\n ") + "\n",
                " ".join(flat[i:i + 6] for i in range(0, len(flat), 6)), flat.lower()]
    for text in variants:
        assert parse_mrz(text) == expected, repr(text)
        assert parse_access_key(text) == expected.access_key()


def test_one_line_mrz_of_a_wrong_length_is_refused_by_name() -> None:
    with pytest.raises(KeyInputError, match="3 lines of 30"):
        parse_mrz(IDENTITY.mrz().replace("\n", "")[:-1])
    flat = IDENTITY.mrz().replace("\n", "")
    broken = flat[:59] + str((int(flat[59]) + 1) % 10) + flat[60:]  # TD1 composite check digit
    with pytest.raises(KeyInputError, match="composite"):
        parse_mrz(broken)


def test_cccd_front_qr_seven_and_six_fields() -> None:
    seven = parse_qr("001207012345|123456789|Nguyễn Văn An|15012007|Nam|Số 1, Hà Nội|10032022")
    assert seven.old_id_number == "123456789" and seven.issue_date == date(2022, 3, 10)
    six = parse_qr("001207012345|Nguyễn Văn An|15012007|Nam|Số 1, Hà Nội|10032022")
    assert (six.id_number, six.old_id_number, six.full_name) == ("001207012345", "", "Nguyễn Văn An")
    assert six.date_of_birth == date(2007, 1, 15) and six.issue_date == date(2022, 3, 10)
    assert [k.date_of_expiry for k in six.access_keys()] == [k.date_of_expiry for k in seven.access_keys()]
    creds = credentials_from(qr_text="Số CCCD: 001207012345|Nguyễn Văn An|15012007|Nam|Hà Nội|10032022")
    assert creds.can == "012345" and creds.access_keys


def test_can_cuoc_2024_back_qr_is_read_tolerantly_and_says_what_it_found() -> None:
    text = "001207012345|Nguyễn Văn An|15/01/2007|Nam|Hà Nội|01/07/2024|BỘ CÔNG AN"
    reading = read_qr(text)
    assert reading.layout == "unrecognised" and reading.id_number == "001207012345"
    assert reading.found["date_1"] == "15/01/2007" and reading.found["sex"] == "Nam"
    assert reading.found["full_name"] == "Nguyễn Văn An"
    creds = credentials_from(qr_text=text)  # the ID still gives the CAN for PACE
    assert creds.can == "012345" and creds.access_keys == []
    with pytest.raises(KeyInputError, match="12-digit"):
        read_qr("https://example.vn/abc|x|y")


def test_front_qr_reading_reports_its_layout() -> None:
    reading = read_qr(IDENTITY.qr_text())
    assert reading.layout == "cccd-2021-front" and reading.found["issue_date"] == "10/03/2022"
    assert reading.to_dict()["id_number"] == IDENTITY.id_number
    assert format_td1  # the TD1 used above comes from the same formatter as the virtual chip's
