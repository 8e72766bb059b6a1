"""Legacy Vietnamese: TCVN3/VNI Word runs, Windows-1258/TCVN3/VNI text files, Word 97 files.

Every file is generated here: the .docx from raw OOXML (the project's DocxBuilder plus a
styles part), the text files by encoding Unicode text, the Word 97 file as an OLE2 compound
file header with a WordDocument stream.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import unicodedata
import zipfile

import pytest

from question_bank.errors import ImportFailed
from question_bank.formats import legacy_vn, read_any, read_bytes_any
from tests.conftest import require
from tests.question_bank.fixtures.docx_builder import W_NS, DocxBuilder

VIETNAMESE = "".join(
    ch for ch in (chr(c) for c in range(0xC0, 0x1EFA))
    if ch in "ĐđÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúýĂăĨĩŨũƠơƯư" or 0x1EA0 <= ord(ch) <= 0x1EF9
)


# -- the tables -------------------------------------------------------------------------------
def test_every_vietnamese_letter_is_in_the_alphabet_under_test() -> None:
    assert len(VIETNAMESE) == 134  # 67 letters with diacritics (incl. đ), lower and upper case


def test_tcvn3_table_is_tcvn_5712_1993_as_glibc_publishes_it() -> None:
    iconv = shutil.which("iconv")
    require(iconv is not None, "iconv (glibc) not installed")
    reference = subprocess.run([iconv, "-f", "TCVN5712-1", "-t", "UTF-8"], input=bytes(range(0xA1, 0x100)), capture_output=True, check=True)
    assert "".join(legacy_vn.TCVN3_TABLE[b] for b in range(0xA1, 0x100)) == reference.stdout.decode("utf-8")


def test_published_samples_convert() -> None:
    # Examples printed by the converters Vietnamese users know (VNI's and TCVN3's own forms).
    assert legacy_vn.vni_to_unicode("Xin chaøo caùc baïn") == "Xin chào các bạn"
    assert legacy_vn.vni_to_unicode("Tieáng Vieät raát hay") == "Tiếng Việt rất hay"
    assert legacy_vn.vni_to_unicode("TRÖÔØNG ÑAÏI HOÏC") == "TRƯỜNG ĐẠI HỌC"
    assert legacy_vn.tcvn3_to_unicode("Xin chµo tÊt c¶ mäi ng\xadêi") == "Xin chào tất cả mọi người"
    assert legacy_vn.tcvn3_to_unicode("hép møt tÕt") == "hộp mứt tết"
    assert legacy_vn.tcvn3_to_unicode("Kh\xad¬ng", capitals=True) == "KHƯƠNG"
    # Word may keep a symbol-encoded font's characters in the private use area (U+F0xx).
    assert legacy_vn.convert_run("ch\uf0b5o", "tcvn3") == "chào"


def test_every_letter_round_trips_through_vni_and_tcvn3() -> None:
    assert legacy_vn.vni_to_unicode(legacy_vn.to_vni(VIETNAMESE)) == VIETNAMESE
    lower = VIETNAMESE.lower()
    assert legacy_vn.tcvn3_to_unicode(legacy_vn.to_tcvn3(lower).decode("cp1252")) == lower
    assert legacy_vn.decode_as(legacy_vn.to_cp1258(VIETNAMESE), "cp1258") == VIETNAMESE


def test_font_families() -> None:
    assert [legacy_vn.font_encoding(f) for f in (".VnTime", ".VnTimeH", ".VnArial", ".VnArialH", ".VnCentury Schoolbook", "VNI-Times", "VNI-Helve", "Times New Roman", "Arial")] == [
        "tcvn3", "tcvn3-caps", "tcvn3", "tcvn3-caps", "tcvn3", "vni", "vni", "", ""]  # fmt: skip


# -- Word runs --------------------------------------------------------------------------------
def font_run(text: str, font: str, underline: bool = False) -> str:
    props = f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}"/>' + ('<w:u w:val="single"/>' if underline else "")
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    return f'<w:r><w:rPr>{props}</w:rPr><w:t xml:space="preserve">{escaped}</w:t></w:r>'


def tcvn3(text: str) -> str:
    """Unicode → the characters Word stores for a TCVN3 run."""
    return legacy_vn.to_tcvn3(text).decode("cp1252")


STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="{W_NS}">
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman"/></w:rPr></w:rPrDefault></w:docDefaults>
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="CauHoi"><w:name w:val="Cau hoi"/><w:basedOn w:val="CauHoiGoc"/></w:style>
<w:style w:type="paragraph" w:styleId="CauHoiGoc"><w:name w:val="Cau hoi goc"/><w:rPr><w:rFonts w:ascii=".VnArial" w:hAnsi=".VnArial"/></w:rPr></w:style>
</w:styles>"""


def with_part(docx: bytes, name: str, data: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(docx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info))
        out.writestr(name, data)
    return buffer.getvalue()


def legacy_docx() -> bytes:
    doc = (
        DocxBuilder()
        .p(font_run(tcvn3("PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn"), ".VnTime"))
        .p(font_run("C©u 1: ", ".VnTime"), font_run(tcvn3("Thủ đô của nước Việt Nam là thành phố nào?"), ".VnTime"))
        .p(font_run("A. ", ".VnTime"), font_run(tcvn3("Huế"), ".VnTime"))
        .p(font_run("B. ", ".VnTime", underline=True), font_run(tcvn3("Hà Nội"), ".VnTime", underline=True))
        .p(font_run("C. ", ".VnTime"), font_run(tcvn3("đà nẵng"), ".VnTimeH"))  # an "H" font: capitals
        .p(font_run("D. ", ".VnTime"), font_run(tcvn3("Sài Gòn"), ".VnTime"))
        .p(font_run(legacy_vn.to_vni("Câu 2: Sông nào dài nhất chảy qua Việt Nam?"), "VNI-Times"))
        .p(font_run(legacy_vn.to_vni("A. Sông Hồng"), "VNI-Times"))
        .p(font_run(legacy_vn.to_vni("B. Sông Mê Kông"), "VNI-Helve", underline=True))
        .p(font_run("C. Sông Đà", "Times New Roman"))  # Unicode text in a Unicode font stays as it is
        .p(font_run(legacy_vn.to_vni("D. Sông Đồng Nai"), "VNI-Times"))
    )
    doc.body.append(f'<w:p><w:pPr><w:pStyle w:val="CauHoi"/></w:pPr>{font_run("C©u 3: ", "")}<w:r><w:t>{tcvn3("Đâu là số nguyên tố?")}</w:t></w:r></w:p>')
    for label, text, key in (("A", "4", False), ("B", "7", True), ("C", "9", False), ("D", "15", False)):
        doc.p(font_run(f"{label}. {text}", "Times New Roman", underline=key))
    return with_part(doc.build(), "word/styles.xml", STYLES)


def test_docx_runs_in_tcvn3_and_vni_fonts_become_unicode() -> None:
    result = read_bytes_any(legacy_docx(), "de_cu.docx")
    first, second, third = result.questions
    assert first.stem == "Thủ đô của nước Việt Nam là thành phố nào?"
    assert [o.text for o in first.options] == ["Huế", "Hà Nội", "ĐÀ NẴNG", "Sài Gòn"]
    assert [o.id for o in first.options if o.correct] == ["B"]
    assert second.stem == "Sông nào dài nhất chảy qua Việt Nam?"
    assert [o.text for o in second.options] == ["Sông Hồng", "Sông Mê Kông", "Sông Đà", "Sông Đồng Nai"]
    assert [o.id for o in second.options if o.correct] == ["B"]
    assert third.stem == "Đâu là số nguyên tố?"  # the font came from the paragraph style (basedOn)
    assert all(unicodedata.is_normalized("NFC", q.stem) for q in result.questions)
    (note,) = [n.text("vi") for n in result.report if n.code == "qb.docx.legacy_converted"]
    assert note.startswith("đã chuyển các đoạn phông cũ sang Unicode")
    assert "13 đoạn phông TCVN3 (.VnArial ×2, .VnTime ×10, .VnTimeH ×1)" in note
    assert "4 đoạn phông VNI (VNI-Helve ×1, VNI-Times ×3)" in note


def test_docx_without_legacy_fonts_reports_nothing_of_them() -> None:
    docx = DocxBuilder().p("Câu 1: Thủ đô?").p("A. Huế").p("B. ", "<w:r><w:rPr><w:u w:val=\"single\"/></w:rPr><w:t>Hà Nội</w:t></w:r>").build()
    result = read_bytes_any(docx, "moi.docx")
    assert not [n for n in result.report if n.code == "qb.docx.legacy_converted"]
    assert [o.text for o in result.questions[0].options] == ["Huế", "Hà Nội"]


# -- text files -------------------------------------------------------------------------------
GIFT = """// Đề kiểm tra
::Câu 1:: Thủ đô của nước Việt Nam là thành phố nào? {=Hà Nội ~Huế ~Đà Nẵng ~Thành phố Hồ Chí Minh}

::Câu 2:: Người viết Truyện Kiều là Nguyễn Du. {T}

::Câu 3:: Sông dài nhất chảy qua lãnh thổ nước ta là sông {=Mê Kông =Cửu Long}.
"""
AIKEN = """Thủ đô của nước Việt Nam là thành phố nào?
A. Huế
B. Hà Nội
C. Đà Nẵng
ANSWER: B
"""


@pytest.mark.parametrize(
    ("encode", "name"),
    [
        (legacy_vn.to_cp1258, "Windows-1258"),
        (legacy_vn.to_tcvn3, "TCVN3 (ABC)"),
        (lambda text: legacy_vn.to_vni(text).encode("cp1252"), "VNI-Windows"),
    ],
)
@pytest.mark.parametrize(("text", "suffix"), [(GIFT, ".gift"), (GIFT, ".txt"), (AIKEN, ".txt")])
def test_legacy_text_files_are_detected_and_converted(encode, name: str, text: str, suffix: str) -> None:
    data = encode(text)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = read_bytes_any(data, f"de{suffix}")
    expected = unicodedata.normalize("NFC", text)
    stems = [q.stem for q in result.questions]
    if text is AIKEN:
        assert stems == [expected.splitlines()[0]]
        assert [o.text for o in result.questions[0].options] == [line[3:] for line in expected.splitlines()[1:4]]
    else:
        assert stems[0] == expected.splitlines()[1].split(":: ", 1)[1].split(" {")[0]
        assert any(a.text == expected.split("{=")[2].split(" =")[0] for a in result.questions[2].answers)
    assert f"đã chuyển từ bảng mã {name} sang Unicode" in result.report_text("vi")[1]


def test_ambiguous_legacy_text_is_refused_with_the_candidates() -> None:
    # "c\xe1" is "cá" in Windows-1258 and "cỏ" in TCVN3: both Vietnamese, nothing decides.
    with pytest.raises(ImportFailed) as failure:
        read_bytes_any(b"Con c\xe1 {=a ~b}\n", "mo_ho.gift")
    (error,) = failure.value.errors
    assert error.file == "mo_ho.gift" and error.where("vi") == "dòng 1"
    assert "Windows-1258" in error.text("vi") and "TCVN3" in error.text("vi") and "không xác định được bảng mã" in error.text("vi")
    assert error.code == "qb.input.ambiguous_encoding" and "ambiguous" in error.reason
    assert "VNI" not in error.text("vi")


def test_text_in_no_known_encoding_is_refused_with_the_line() -> None:
    with pytest.raises(ImportFailed) as failure:
        read_bytes_any(b"Question {=a ~b}\n\nQ2 \xd7\xa9\xb4\xcf\xc8 \xbf\xe3\xf0 {=x ~y}\n", "rac.gift")
    (error,) = failure.value.errors
    assert error.where("vi") == "dòng 3" and "not recognisable as Windows-1258, TCVN3 or VNI" in error.reason


def test_utf8_is_never_taken_for_a_legacy_encoding() -> None:
    result = read_bytes_any(GIFT.encode("utf-8"), "de.gift")
    assert result.questions[0].stem.startswith("Thủ đô") and not [n for n in result.report_text("vi") if "bảng mã" in n]


# -- Word 97 --------------------------------------------------------------------------------
def word97() -> bytes:
    """An OLE2 compound file as Word 97 writes it: header, then a directory naming WordDocument."""
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
        + struct.pack("<IIIIIII", 0, 1, 1, 0, 0x1000, 0xFFFFFFFE, 0) + struct.pack("<I", 0xFFFFFFFE) + struct.pack("<I", 0)
    )  # fmt: skip
    header = header.ljust(512, b"\xff")
    directory = "Root Entry".encode("utf-16-le").ljust(64, b"\0") + bytes(64) + "WordDocument".encode("utf-16-le").ljust(64, b"\0")
    text = "Câu 1: Thủ đô của Việt Nam là? A. Huế B. Hà Nội ANSWER: B".encode("utf-16-le")
    return header + directory.ljust(512, b"\0") + text.ljust(4096, b"\0")


def test_word97_is_read_as_a_description_bank_no_more() -> None:
    # The bug of issue 15: the zero bytes made the UTF-16 sniffing read it as one description.
    for name in ("de.doc", "de.docx", "de.txt", "de.gift", "de.aiken", "de.xml", "de.zip", "de.xlsx", "de"):
        with pytest.raises(ImportFailed) as failure:
            read_bytes_any(word97(), name)
        (error,) = failure.value.errors
        assert error.file == name and "Word 97-2003 / OLE2 file refused" in error.reason, name
        assert error.code == "qb.input.ole2_refused" and "định dạng OLE2" in error.text("vi")


def test_word97_file_on_disk(tmp_path) -> None:
    path = tmp_path / "de_thi.docx"
    path.write_bytes(word97())
    with pytest.raises(ImportFailed, match="OLE2"):
        read_any(path)


def test_document_default_font_and_theme_fonts() -> None:
    # The whole document defaults to .VnTime (an old template); one run sets a theme font,
    # which Word draws in Unicode and which must stay as it is.
    styles = STYLES.replace('w:ascii="Times New Roman" w:hAnsi="Times New Roman"', 'w:ascii=".VnTime" w:hAnsi=".VnTime"')
    theme = '<w:r><w:rPr><w:rFonts w:asciiTheme="minorHAnsi" w:hAnsiTheme="minorHAnsi"/></w:rPr><w:t>B. Hà Nội</w:t></w:r>'
    doc = DocxBuilder().p(f"C©u 1: {tcvn3('Thủ đô của nước ta?')}").p(f"A. {tcvn3('Huế')}").p(theme.replace("B. Hà Nội", "B. ") + theme.replace("<w:rFonts", '<w:u w:val="single"/><w:rFonts').replace("B. ", ""))
    result = read_bytes_any(with_part(doc.build(), "word/styles.xml", styles), "mac_dinh.docx")
    (question,) = result.questions
    assert question.stem == "Thủ đô của nước ta?" and [o.text for o in question.options] == ["Huế", "Hà Nội"]
    assert [o.id for o in question.options if o.correct] == ["B"]
    assert "2 đoạn phông TCVN3 (.VnTime ×2)" in next(n.text("vi") for n in result.report if n.code == "qb.docx.legacy_converted")
