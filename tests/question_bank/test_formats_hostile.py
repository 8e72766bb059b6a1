"""Hostile and broken files of every format are refused with a clear error, importing nothing."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from question_bank.errors import ImportFailed
from question_bank.formats import moodle_xml, qti, read_any, read_bytes_any, xlsx
from tests.question_bank.fixtures.docx_builder import DocxBuilder
from tests.question_bank.fixtures.samples import single_choice

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<quiz><question type="essay"><questiontext><text>&lol4;</text></questiontext></question></quiz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><questiontext><text>&xxe;</text></questiontext></question></quiz>"""


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED if len(members) < 1000 else zipfile.ZIP_STORED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return buffer.getvalue()


def docx_with_document(document: bytes) -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": document})


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_entities_are_refused_in_every_xml_based_format(payload: bytes) -> None:
    with pytest.raises(ImportFailed, match="DTD"):
        moodle_xml.read(payload, "evil.xml")
    with pytest.raises(ImportFailed, match="DTD"):
        read_bytes_any(docx_with_document(payload), "evil.docx")
    with pytest.raises(ImportFailed, match="DTD"):
        qti.read(zipped({"imsmanifest.xml": payload}), "evil.zip")
    with pytest.raises(ImportFailed, match="DTD"):
        xlsx.read(zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": payload}), "evil.xlsx")


def test_pathologically_deep_nesting_is_refused() -> None:
    deep = (
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'
        + b"<w:hyperlink>" * 5000 + b"</w:hyperlink>" * 5000 + b"</w:p></w:body></w:document>"
    )
    with pytest.raises(ImportFailed, match="nesting too deep"):
        read_bytes_any(docx_with_document(deep), "deep.docx")


@pytest.mark.parametrize("name", ["bomb.docx", "bomb.zip", "bomb.xlsx"])
def test_zip_bomb_is_refused_before_decompression(name: str) -> None:
    bomb = zipped({"word/document.xml": b"<a/>", "imsmanifest.xml": b"<a/>", "xl/x.xml": b"\0" * (8 * 1024 * 1024)})
    with pytest.raises(ImportFailed, match="zip bomb"):
        read_bytes_any(bomb, name)


def test_declared_total_size_and_member_count_limits() -> None:
    data = bytearray(zipped({"a.xml": b"x" * 1000}))
    # Claim 300 MB in the central directory: refused from the header alone.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 300 * 1024 * 1024)
    with pytest.raises(ImportFailed, match="zip bomb|too large"):
        qti.read(bytes(data), "huge.zip")
    many = zipped({f"f{i}.txt": b"" for i in range(20_001)})
    with pytest.raises(ImportFailed, match="too many members"):
        qti.read(many, "many.zip")


def test_a_member_larger_than_its_header_says_is_refused() -> None:
    content = b"<manifest>" + b"y" * 100_000 + b"</manifest>"
    data = bytearray(zipped({"imsmanifest.xml": content}))
    size = struct.pack("<I", len(content))
    for at in (data.find(b"PK\x03\x04") + 22, data.rfind(b"PK\x01\x02") + 24):  # local and central headers
        assert data[at : at + 4] == size
        data[at : at + 4] = struct.pack("<I", 100)
    with pytest.raises(ImportFailed, match="zip bomb|corrupt"):
        qti.read(bytes(data), "liar.zip")


@pytest.mark.parametrize("member", ["../../etc/cron.d/evil", "/abs/path.xml", "C:/windows/x.xml", "a\\..\\..\\b"])
def test_path_traversal_is_refused(member: str) -> None:
    with pytest.raises(ImportFailed, match="path traversal"):
        qti.read(zipped({"imsmanifest.xml": b"<manifest/>", member: b"x"}), "trav.zip")


def test_truncated_files_of_every_format() -> None:
    packages = {
        "cut.zip": qti.write([single_choice()], "x.zip"),
        "cut.xlsx": xlsx.write([], "x.xlsx"),
        "cut.docx": DocxBuilder().p("Câu 1: x").build(),
    }
    for name, data in packages.items():
        with pytest.raises(ImportFailed, match="truncated") as failure:
            read_bytes_any(data[: len(data) * 2 // 3], name)
        assert failure.value.errors[0].file == name
    with pytest.raises(ImportFailed, match="truncated"):
        read_bytes_any(moodle_xml.write([single_choice()], "x.xml")[:300], "cut.xml")


def test_non_xml_and_garbage_are_refused() -> None:
    for name in ("x.xml", "x.zip", "x.xlsx", "x.docx"):
        with pytest.raises(ImportFailed):
            read_bytes_any(b"%PDF-1.7 not what you think", name)


def test_empty_file_and_missing_file(tmp_path) -> None:
    with pytest.raises(ImportFailed, match="no questions"):
        read_bytes_any(b"", "empty.gift")
    with pytest.raises(ImportFailed, match="cannot open"):
        read_any(tmp_path / "missing.xml")
