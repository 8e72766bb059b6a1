"""Every import/export format behind two calls: `read_any(path)` and `write_any(questions, path)`.

| format           | extension      | import | export |
|------------------|----------------|--------|--------|
| Moodle XML       | .xml           | yes    | yes    |
| GIFT             | .gift, .txt    | yes    | –      |
| Aiken            | .aiken, .txt   | yes    | –      |
| IMS QTI 2.1 zip  | .zip           | yes    | yes    |
| IMS QTI 3.0 zip  | .zip, .qti3.zip| yes    | yes    |
| Excel template   | .xlsx          | yes    | yes    |
| Word (Vietnamese)| .docx          | yes    | –      |

A `.txt` file is Aiken when it has "ANSWER: X" lines and no GIFT answer block ({=…}, {~…},
{#…}, {T}, {}), otherwise GIFT. Readers take bytes (`read_bytes_any` for uploads) and raise
`ImportFailed`; writers return bytes and raise `ExportFailed`. Office 97-2003 files (OLE2) are
refused by their content whatever their name; text in Windows-1258, TCVN3 or VNI is detected and
converted, the report naming the encoding (`legacy_vn`).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from question_bank.errors import ExportFailed, FormatIssue, ImportResult
from question_bank.formats import aiken, docx, gift, moodle_xml, qti, qti3, xlsx
from question_bank.formats.legacy_vn import ENCODING_NAMES
from question_bank.formats.safe_input import MAX_FILE_BYTES, decode_text_encoding, fail, refuse_ole2
from question_bank.messages import msg
from question_bank.model import Question

Reader = Callable[[bytes, str], ImportResult]
Writer = Callable[[list[Question], str], bytes]

READERS: dict[str, Reader] = {
    "moodle": moodle_xml.read,
    "gift": gift.read,
    "aiken": aiken.read,
    "qti": qti.read,
    "xlsx": xlsx.read,
    "docx": docx.read,
}
WRITERS: dict[str, Writer] = {"moodle": moodle_xml.write, "qti": qti.write, "qti3": qti3.write, "xlsx": xlsx.write}
BY_EXTENSION = {".xml": "moodle", ".gift": "gift", ".aiken": "aiken", ".zip": "qti", ".xlsx": "xlsx", ".docx": "docx"}
TEXT_KINDS = ("gift", "aiken")
QTI3_SUFFIX = ".qti3.zip"
AIKEN_KEY = re.compile(rb"^\s*ANSWER\s*:\s*[A-Za-z]\s*$", re.MULTILINE)
GIFT_BLOCK = re.compile(rb"\{\s*[=~#]|\{\s*(T|F|TRUE|FALSE)\s*\}|\{\s*\}")


def detect(data: bytes, name: str) -> str:
    """The format of a file, by extension, then by content for text and unknown extensions."""
    kind = BY_EXTENSION.get(Path(name).suffix.lower())
    if kind:
        return kind
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(b"<"):
        return "moodle"
    if AIKEN_KEY.search(data) and not GIFT_BLOCK.search(data):
        return "aiken"
    return "gift"


def _zip_kind(data: bytes) -> str:
    """docx, xlsx or QTI by the members a zip names (the central directory only is read)."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "qti"  # its reader reports the broken archive
    if "word/document.xml" in names:
        return "docx"
    return "xlsx" if "xl/workbook.xml" in names else "qti"


def read_bytes_any(data: bytes, name: str) -> ImportResult:
    if len(data) > MAX_FILE_BYTES:
        raise fail(name, msg("qb.file.too_large", size=len(data), max=MAX_FILE_BYTES))
    refuse_ole2(data, name)  # a Word 97 file named .docx, .txt or anything else
    kind = detect(data, name)
    legacy = ""
    if kind in TEXT_KINDS:
        text, encoding = decode_text_encoding(data, name)
        if encoding in ENCODING_NAMES:
            data, legacy = text.encode("utf-8"), ENCODING_NAMES[encoding]
    try:
        result = READERS[kind](data, name)
    except RecursionError:  # pathologically deep nesting: our tree walks are recursive
        raise fail(name, msg("qb.file.too_deep")) from None
    if legacy:
        result.report.insert(1, msg("qb.file.converted_encoding", encoding=legacy))
    return result


def read_any(path: str | Path) -> ImportResult:
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise fail(path.name, msg("qb.file.cannot_open", detail=exc.strerror or str(exc))) from None
    if size > MAX_FILE_BYTES:
        raise fail(path.name, msg("qb.file.too_large", size=size, max=MAX_FILE_BYTES))
    return read_bytes_any(path.read_bytes(), path.name)


def write_bytes_any(questions: list[Question], name: str) -> bytes:
    """By extension; `.qti3.zip` writes a QTI 3.0 package, any other `.zip` QTI 2.1."""
    kind = "qti3" if name.lower().endswith(QTI3_SUFFIX) else BY_EXTENSION.get(Path(name).suffix.lower())
    if kind not in WRITERS:
        supported = ", ".join(ext for ext, k in BY_EXTENSION.items() if k in WRITERS)
        raise ExportFailed([FormatIssue(name, "", msg("qb.file.no_writer", supported=supported))])
    return WRITERS[kind](questions, name)


def write_any(questions: list[Question], path: str | Path) -> None:
    """Write all questions or nothing (the file appears only when the whole export succeeded)."""
    path = Path(path)
    data = write_bytes_any(questions, path.name)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
