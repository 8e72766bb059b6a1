"""Refusing hostile or broken input before any parser sees it.

Every reader goes through these three doors: `decode_text` (encodings, legacy Vietnamese ones
included), `parse_xml`
(defusedxml: no DTDs, so no entity expansion and no external entities) and `SafeZip`
(zip bombs, path traversal, member count, truncated archives). Each raises `ImportFailed`
with a message that names the file and says what to do.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

from question_bank.errors import FormatIssue, ImportFailed

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 400 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, for members bigger than RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024


def fail(file: str, reason: str, location: str = "") -> ImportFailed:
    return ImportFailed([FormatIssue(file, location, reason)])


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 .doc, Excel .xls, PowerPoint .ppt


def refuse_ole2(data: bytes, file: str) -> None:
    """Office 97-2003 binary files are refused by their content, whatever they are named."""
    if data.startswith(OLE2_MAGIC):
        raise fail(
            file,
            "đây là tệp Office 97-2003 (Word .doc / Excel .xls, định dạng OLE2), không đọc được; "
            "hãy mở bằng Word/Excel và lưu lại dạng .docx/.xlsx "
            "(Word 97-2003 / OLE2 file refused; save it as .docx or .xlsx)",
        )


def decode_text(data: bytes, file: str) -> str:
    """The text of a text file; see `decode_text_encoding`."""
    return decode_text_encoding(data, file)[0]


def decode_text_encoding(data: bytes, file: str) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM), UTF-16 with a BOM or recognisably
    without one, else a legacy Vietnamese encoding (Windows-1258, TCVN3, VNI) when the
    text reads as Vietnamese in exactly one of them (`legacy_vn.detect_text`).

    Refused: binary files, and legacy text that no candidate (or more than one) makes
    Vietnamese — the candidates are named, the teacher converts the file (Unikey's
    converter) instead of us guessing wrongly.
    """
    refuse_ole2(data, file)
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return _decode(data[len(bom) :], codec, file), codec
    sample = data[:4096]
    if len(sample) >= 2 and sample.count(0) * 4 >= len(sample):
        # ASCII-heavy UTF-16 without BOM: the zero bytes sit at odd (LE) or even (BE) offsets.
        odd_zeros = sample[1::2].count(0)
        even_zeros = sample[0::2].count(0)
        codec = "utf-16-le" if odd_zeros >= even_zeros else "utf-16-be"
        return _decode(data, codec, file), codec
    if b"\x00" in sample:
        raise fail(file, "tệp nhị phân, không phải văn bản (binary file, not text)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        bad_at = exc.start
    from question_bank.formats import legacy_vn  # only legacy files pay for the tables

    found = legacy_vn.detect_text(data)
    if found.encoding:
        return found.text, found.encoding
    line = data[:bad_at].count(b"\n") + 1
    if found.candidates:
        names = ", ".join(legacy_vn.ENCODING_NAMES[c] for c in found.candidates)
        raise fail(
            file,
            f"không xác định được bảng mã: tệp đọc được theo nhiều bảng mã ({names}); hãy lưu lại dạng UTF-8 "
            f"(ambiguous legacy encoding, candidates: {names}; save the file as UTF-8)",
            f"dòng {line}",
        )
    raise fail(
        file,
        f"không đọc được theo UTF-8 tại byte {bad_at} và không nhận ra bảng mã Windows-1258, TCVN3 hay VNI "
        f"(not valid UTF-8, and not recognisable as Windows-1258, TCVN3 or VNI; save the file as UTF-8)",
        f"dòng {line}",
    )


def _decode(data: bytes, codec: str, file: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise fail(
            file,
            f"không đọc được theo {codec.upper()} tại byte {exc.start} (not valid {codec.upper()}; save the file as UTF-8)",
            f"dòng {line}",
        ) from None


def parse_xml(data: bytes | str, file: str) -> Element:
    """Parse XML refusing DTDs (billion laughs, external entities) and reporting line/column."""
    try:
        return safe_et.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise fail(file, f"XML bị từ chối: có DTD/thực thể (DTD or entities are not allowed: {type(exc).__name__})") from None
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":", 1)[0]  # expat's message without its own "line …, column …"
        raise fail(file, f"XML không hợp lệ hoặc bị cắt cụt (malformed or truncated XML: {reason})", f"dòng {line}, cột {column}") from None


def local(tag: str) -> str:
    """Tag name without its {namespace}."""
    return tag.rsplit("}", 1)[-1]


class SafeZip:
    """A zip archive checked for bombs and traversal before any member is read."""

    def __init__(self, data: bytes, file: str) -> None:
        self.file = file
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, EOFError, ValueError, OSError):
            raise fail(file, "không phải tệp zip hợp lệ hoặc bị cắt cụt (not a valid or a truncated zip archive)") from None
        if len(infos) > MAX_MEMBERS:
            raise fail(file, f"quá nhiều tệp trong gói: {len(infos)} (too many members, max {MAX_MEMBERS})")
        total = 0
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
                raise fail(file, "đường dẫn nguy hiểm trong gói (path traversal refused)", name)
            if info.file_size > MAX_MEMBER_BYTES:
                raise fail(file, f"tệp quá lớn khi giải nén: {info.file_size} byte (member too large)", name)
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise fail(file, "tỉ lệ nén bất thường — nghi zip bomb (compression ratio too high: zip bomb refused)", name)
            total += info.file_size
            self._infos[name] = info
        if total > MAX_TOTAL_BYTES:
            raise fail(file, f"tổng dung lượng giải nén quá lớn: {total} byte (zip bomb refused)")

    def names(self) -> list[str]:
        return list(self._infos)

    def __contains__(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """Read a member, never more than its declared size (a lying header is a bomb too)."""
        info = self._infos.get(name)
        if info is None:
            raise fail(self.file, "thiếu tệp trong gói (member missing)", name)
        try:
            with self._zip.open(info) as handle:
                data = handle.read(info.file_size + 1)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
            raise fail(self.file, f"tệp trong gói bị hỏng hoặc cắt cụt (corrupt or truncated member: {exc})", name) from None
        if len(data) > info.file_size:
            raise fail(self.file, "kích thước thật lớn hơn khai báo — nghi zip bomb (actual size exceeds declared size)", name)
        return data
