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

from question_bank.errors import FormatIssue, ImportFailed, Place
from question_bank.messages import Message, msg

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 400 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed, for members bigger than RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024


def fail(file: str, reason: Message, location: Place = "") -> ImportFailed:
    return ImportFailed([FormatIssue(file, location, reason)])


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 .doc, Excel .xls, PowerPoint .ppt


def refuse_ole2(data: bytes, file: str) -> None:
    """Office 97-2003 binary files are refused by their content, whatever they are named."""
    if data.startswith(OLE2_MAGIC):
        raise fail(file, msg("qb.input.ole2_refused"))


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
        raise fail(file, msg("qb.input.binary"))
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
        raise fail(file, msg("qb.input.ambiguous_encoding", names=names), msg("qb.where.line", line=line))
    raise fail(file, msg("qb.input.unknown_encoding", byte=bad_at), msg("qb.where.line", line=line))


def _decode(data: bytes, codec: str, file: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise fail(file, msg("qb.input.bad_codec", codec=codec.upper(), byte=exc.start),
                   msg("qb.where.line", line=line)) from None


def parse_xml(data: bytes | str, file: str) -> Element:
    """Parse XML refusing DTDs (billion laughs, external entities) and reporting line/column."""
    try:
        return safe_et.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise fail(file, msg("qb.xml.dtd_refused", kind=type(exc).__name__)) from None
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":", 1)[0]  # expat's message without its own "line …, column …"
        raise fail(file, msg("qb.xml.malformed", detail=reason),
                   msg("qb.where.line_column", line=line, column=column)) from None


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
            raise fail(file, msg("qb.zip.invalid")) from None
        if len(infos) > MAX_MEMBERS:
            raise fail(file, msg("qb.zip.too_many_members", count=len(infos), max=MAX_MEMBERS))
        total = 0
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
                raise fail(file, msg("qb.zip.path_traversal"), name)
            if info.file_size > MAX_MEMBER_BYTES:
                raise fail(file, msg("qb.zip.member_too_large", size=info.file_size), name)
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise fail(file, msg("qb.zip.ratio"), name)
            total += info.file_size
            self._infos[name] = info
        if total > MAX_TOTAL_BYTES:
            raise fail(file, msg("qb.zip.total_too_large", size=total))

    def names(self) -> list[str]:
        return list(self._infos)

    def __contains__(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """Read a member, never more than its declared size (a lying header is a bomb too)."""
        info = self._infos.get(name)
        if info is None:
            raise fail(self.file, msg("qb.zip.member_missing"), name)
        try:
            with self._zip.open(info) as handle:
                data = handle.read(info.file_size + 1)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
            raise fail(self.file, msg("qb.zip.member_corrupt", detail=str(exc)), name) from None
        if len(data) > info.file_size:
            raise fail(self.file, msg("qb.zip.size_lies"), name)
        return data
