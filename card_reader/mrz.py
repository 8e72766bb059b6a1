"""Machine readable zone (ICAO Doc 9303 Parts 3–6): check digits, TD1/TD2/TD3, the BAC key seed."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from card_reader.errors import KeyInputError

_WEIGHTS = (7, 3, 1)


def _value(char: str) -> int:
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - 55
    if char == "<":
        return 0
    raise KeyInputError(f"character {char!r} is not allowed in an MRZ")


def check_digit(field: str) -> str:
    return str(sum(_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def _verify(field: str, digit: str, name: str, problems: list[str] | None = None) -> None:
    """Raise on a wrong check digit, or only note it in `problems` (lenient parsing of DG1)."""
    if check_digit(field) != digit:
        problem = f"check digit of {name} ({field!r}) is wrong: {digit!r}, expected {check_digit(field)!r}"
        if problems is None:
            raise KeyInputError(problem)
        problems.append(problem)


@dataclass(frozen=True)
class AccessKey:
    """What BAC and PACE-with-MRZ need: document number, birth and expiry dates (YYMMDD)."""

    document_number: str
    date_of_birth: str
    date_of_expiry: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9A-Z<]{1,20}", self.document_number):
            raise KeyInputError(f"document number {self.document_number!r} must be letters/digits")
        for name in ("date_of_birth", "date_of_expiry"):
            if not re.fullmatch(r"\d{6}", getattr(self, name)):
                raise KeyInputError(f"{name} {getattr(self, name)!r} must be YYMMDD")

    def mrz_information(self) -> str:
        number = self.document_number.ljust(9, "<")
        return (number + check_digit(number) + self.date_of_birth + check_digit(self.date_of_birth)
                + self.date_of_expiry + check_digit(self.date_of_expiry))

    def key_seed(self) -> bytes:
        """BAC Kseed: the first 16 bytes of SHA-1(MRZ_information)."""
        return self.pace_secret()[:16]

    def pace_secret(self) -> bytes:
        """PACE with MRZ: K = SHA-1(MRZ_information) (Doc 9303 Part 11 §4.4.3.1)."""
        return hashlib.sha1(self.mrz_information().encode("ascii")).digest()  # noqa: S324


@dataclass(frozen=True)
class Mrz:
    format: str  # TD1, TD2, TD3
    document_code: str
    issuing_state: str
    document_number: str
    date_of_birth: str
    sex: str
    date_of_expiry: str
    nationality: str
    primary_name: str
    secondary_name: str
    optional_data: str
    problems: tuple[str, ...] = ()  # check-digit errors tolerated by a lenient parse

    def access_key(self) -> AccessKey:
        return AccessKey(self.document_number, self.date_of_birth, self.date_of_expiry)

    @property
    def full_id_number(self) -> str | None:
        """The 12-digit CCCD number that Vietnamese TD1 MRZs carry in the optional data."""
        match = re.match(r"(\d{12})", self.optional_data)
        return match.group(1) if match else None


def _names(field: str) -> tuple[str, str]:
    primary, _, secondary = field.partition("<<")
    return primary.replace("<", " ").strip(), secondary.replace("<", " ").strip()


def _doc_number(number: str, digit: str, optional: str, problems: list[str] | None) -> tuple[str, str]:
    """Document number, with the TD1 overflow into the optional data when the digit is '<'."""
    if digit == "<" and optional:
        overflow, _, rest = optional.partition("<")
        number, digit = number + overflow[:-1], overflow[-1:]
        _verify(number, digit, "document number", problems)
        return number.rstrip("<"), rest
    _verify(number, digit, "document number", problems)
    return number.rstrip("<"), optional


_ONE_LINE = {90: 30, 72: 36, 88: 44}  # TD1, TD2, TD3 as MRZ scanners send them: one line


def _mrz_lines(text: str) -> list[str]:
    """The MRZ's lines from three/two lines, one line of 90/72/88 characters, or either with CR/LF
    and spaces anywhere (an MRZ never holds a space: fillers are '<')."""
    flat = re.sub(r"\s", "", text).upper()
    lines = [re.sub(r"\s", "", line).upper() for line in text.strip().splitlines() if line.strip()]
    if [len(line) for line in lines] in ([30, 30, 30], [36, 36], [44, 44]):
        return lines
    width = _ONE_LINE.get(len(flat))
    if width:
        return [flat[i:i + width] for i in range(0, len(flat), width)]
    return lines


def looks_like_mrz(text: str) -> bool:
    return len(re.sub(r"\s", "", text)) in _ONE_LINE and "<" in text


def parse_mrz(text: str, strict: bool = True) -> Mrz:
    """Parse a scanned or typed MRZ (lines, or one line of 90/72/88 characters, with CR/LF or spaces
    anywhere); every check digit is verified.

    `strict=False` notes wrong check digits in `Mrz.problems` instead of raising (for DG1, which
    the SOD signature protects anyway: an issuer's quirk must not hide the data).
    """
    problems: list[str] | None = None if strict else []
    lines = _mrz_lines(text)
    lengths = [len(line) for line in lines]
    if lengths == [30, 30, 30]:
        l1, l2, l3 = lines
        number, optional = _doc_number(l1[5:14], l1[14], l1[15:30], problems)
        _verify(l2[0:6], l2[6], "date of birth", problems)
        _verify(l2[8:14], l2[14], "date of expiry", problems)
        _verify(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29], "composite", problems)
        primary, secondary = _names(l3)
        return Mrz("TD1", l1[0:2].rstrip("<"), l1[2:5], number, l2[0:6], l2[7], l2[8:14], l2[15:18],
                   primary, secondary, (optional + l2[18:29]).rstrip("<"), tuple(problems or ()))
    if lengths in ([36, 36], [44, 44]):
        l1, l2 = lines
        td3 = lengths[0] == 44
        end = 43 if td3 else 35
        _verify(l2[13:19], l2[19], "date of birth", problems)
        _verify(l2[21:27], l2[27], "date of expiry", problems)
        if td3:
            optional = l2[28:42]
            if optional.strip("<") or l2[42] != "<":
                _verify(optional, l2[42], "personal number", problems)
            number, _ = _doc_number(l2[0:9], l2[9], "", problems)
        else:
            number, optional = _doc_number(l2[0:9], l2[9], l2[28:35], problems)
        _verify(l2[0:10] + l2[13:20] + l2[21:end], l2[end], "composite", problems)
        primary, secondary = _names(l1[5:])
        return Mrz("TD3" if td3 else "TD2", l1[0:2].rstrip("<"), l1[2:5], number, l2[13:19], l2[20],
                   l2[21:27], l2[10:13], primary, secondary, optional.rstrip("<"), tuple(problems or ()))
    raise KeyInputError(f"an MRZ has 3 lines of 30, 2 of 36 or 2 of 44 characters; got {lengths}")


def parse_access_key(text: str) -> AccessKey:
    """A full MRZ, or `DOCNUMBER,YYMMDD(birth),YYMMDD(expiry)` typed by the operator."""
    if "\n" in text.strip() or "\r" in text.strip() or looks_like_mrz(text):
        return parse_mrz(text).access_key()
    parts = [p for p in re.split(r"[,;/\s]+", text.strip().upper()) if p]
    if len(parts) != 3:
        raise KeyInputError("give the full MRZ or DOCUMENT_NUMBER,BIRTH_YYMMDD,EXPIRY_YYMMDD")
    return AccessKey(*parts)


def format_td1(document_number: str, date_of_birth: str, sex: str, date_of_expiry: str,
               primary_name: str, secondary_name: str, optional_data: str = "",
               issuing_state: str = "VNM", nationality: str = "VNM", document_code: str = "ID") -> str:
    """A TD1 MRZ (three lines of 30) with every check digit computed; for tests and the virtual chip.

    For a CCCD pass the 12-digit ID as `optional_data` (Vietnamese cards put it there).
    """
    def field(text: str, size: int) -> str:
        text = re.sub(r"[^0-9A-Z<]", "<", text.upper().replace(" ", "<"))
        return text[:size].ljust(size, "<")

    number = document_number.ljust(9, "<")[:9]
    l1 = field(document_code, 2) + issuing_state + number + check_digit(number) + field(optional_data, 15)
    l2 = (date_of_birth + check_digit(date_of_birth) + (sex or "<") + date_of_expiry
          + check_digit(date_of_expiry) + nationality + "<" * 11)
    l2 += check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    l3 = field(primary_name.replace(" ", "<") + "<<" + secondary_name.replace(" ", "<"), 30)
    return "\n".join((l1, l2, l3))
