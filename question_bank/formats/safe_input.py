"""Refusing hostile or broken input before any parser sees it.

Every reader goes through these three doors: `decode_text` (encodings), `parse_xml`
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


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM or recognisably without one.

    Legacy 8-bit encodings (Windows-1258, TCVN3/VNI fonts) cannot be told apart reliably, so
    they are refused with the line of the first bad byte instead of being guessed wrongly.
    """
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return _decode(data[len(bom) :], codec, file)
    sample = data[:4096]
    if len(sample) >= 2 and sample.count(0) * 4 >= len(sample):
        # ASCII-heavy UTF-16 without BOM: the zero bytes sit at odd (LE) or even (BE) offsets.
        odd_zeros = sample[1::2].count(0)
        even_zeros = sample[0::2].count(0)
        return _decode(data, "utf-16-le" if odd_zeros >= even_zeros else "utf-16-be", file)
    if b"\x00" in sample:
        raise fail(file, "tệp nhị phân, không phải văn bản (binary file, not text)")
    return _decode(data, "utf-8", file)


def _decode(data: bytes, codec: str, file: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise fail(
            file,
            f"không đọc được theo {codec.upper()} tại byte {exc.start} "
            f"(not valid {codec.upper()}; save the file as UTF-8 — Windows-1258/TCVN3/VNI are not supported)",
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
