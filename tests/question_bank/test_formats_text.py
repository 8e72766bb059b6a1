"""GIFT and Aiken: every construct, errors with line numbers, and text encodings."""

from __future__ import annotations

import codecs
import unicodedata

import pytest

from question_bank.errors import ImportFailed
from question_bank.formats import aiken, gift

GIFT = r"""// Ngân hàng câu hỏi lớp 10
$CATEGORY: top/Địa lí/Việt Nam

::Thủ đô::Thủ đô của Việt Nam là {=Hà Nội#Chính xác ~Huế#Sai rồi ~Đà Nẵng}

::Số nguyên tố::[html]Chọn các số nguyên tố {~%50%2 ~%50%3 ~%-100%4 ####Số nguyên tố chỉ chia hết cho 1 và chính nó.}

Mặt trời mọc ở hướng đông. {T}

::Nhà thơ::Tác giả "Truyện Kiều" là {=Nguyễn Du =%50%Tố Như}

Số pi xấp xỉ {#3.14:0.01}

Năm Thăng Long được đổi tên {#1000..1020}

Nối thủ đô {
=Việt Nam -> Hà Nội
=Lào -> Viêng Chăn
=Thái Lan -> Băng Cốc
}

Trình bày cảm nghĩ về mùa thu. {}

Đọc đoạn văn sau\: "Mùa thu \{vàng\}" rồi trả lời.

Ngày {=1 ~2 ~3} tháng 9 năm 1945 là ngày Quốc khánh.

Dấu \= trong toán học {=bằng ~lớn hơn}
"""


def test_gift_reads_every_question_kind() -> None:
    result = gift.read(GIFT.encode(), "bank.gift")
    q = result.questions
    assert [x.type for x in q] == [
        "single_choice", "multiple_response", "true_false", "short_text", "numeric", "numeric",
        "matching", "essay", "description", "single_choice", "single_choice",
    ]
    assert q[0].title == "Thủ đô" and q[0].topic == "Địa lí/Việt Nam" and q[0].stem == "Thủ đô của Việt Nam là"
    assert [(o.text, o.fraction, o.feedback) for o in q[0].options] == [("Hà Nội", 1.0, "Chính xác"), ("Huế", 0.0, "Sai rồi"), ("Đà Nẵng", 0.0, "")]
    assert [o.fraction for o in q[1].options] == [0.5, 0.5, -1.0] and q[1].scoring.negative and q[1].scoring.mode == "partial"
    assert q[1].general_feedback == "Số nguyên tố chỉ chia hết cho 1 và chính nó." and q[1].stem == "Chọn các số nguyên tố"
    assert q[2].correct_bool is True
    assert [(a.text, a.fraction) for a in q[3].answers] == [("Nguyễn Du", 1.0), ("Tố Như", 0.5)] and q[3].scoring.mode == "ci"
    assert (q[4].answers[0].text, q[4].answers[0].tolerance) == ("3.14", 0.01)
    assert (q[5].answers[0].text, q[5].answers[0].tolerance) == ("1010", 10.0)
    assert [(p.left, p.right) for p in q[6].pairs] == [("Việt Nam", "Hà Nội"), ("Lào", "Viêng Chăn"), ("Thái Lan", "Băng Cốc")]
    assert q[8].stem == 'Đọc đoạn văn sau: "Mùa thu {vàng}" rồi trả lời.'
    assert q[9].stem == "Ngày _____ tháng 9 năm 1945 là ngày Quốc khánh."
    assert q[10].stem == "Dấu = trong toán học"
    assert q[4].source == "bank.gift: dòng 12"


def test_gift_errors_name_the_line_and_import_nothing() -> None:
    # "{?x}" is a short answer "?x" for Moodle (one answer may go without "="); "{=a ~b" is not.
    text = "Câu đúng {=a ~b}\n\nCâu hỏng {=a ~b\n\nSố {#abc}\n\nCâu lạ }{?x}\n"
    with pytest.raises(ImportFailed) as failure:
        gift.read(text.encode(), "bad.gift")
    messages = [e.message("vi") for e in failure.value.errors]
    assert messages == [
        "bad.gift: câu 2 (dòng 3): thiếu dấu } đóng khối đáp án",
        "bad.gift: câu 2 (dòng 5): đáp án số không hợp lệ: 'abc'",
        "bad.gift: câu 2 (dòng 7): thừa dấu }",
    ]


def test_utf16_without_bom_is_detected_and_utf8_bom_is_skipped() -> None:
    text = "Thủ đô? {=Hà Nội ~Huế}\n"
    assert gift.read(text.encode("utf-16-le"), "le.gift").questions[0].options[0].text == "Hà Nội"
    assert gift.read(text.encode("utf-16-be"), "be.gift").questions[0].options[0].text == "Hà Nội"
    assert gift.read(codecs.BOM_UTF8 + text.encode(), "bom.gift").questions[0].stem == "Thủ đô?"
    assert gift.read(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "bom16.gift").questions[0].stem == "Thủ đô?"


def cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: letters with their vowel mark, tone combined."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            vowel = [m for m in marks if m in "\u0302\u0306\u031b"]
            tone = [m for m in marks if m not in vowel]
            out += (unicodedata.normalize("NFC", base + "".join(vowel)) + "".join(tone)).encode("cp1258")
    return out


def test_windows_1258_is_detected_and_converted() -> None:
    # Issue 15: legacy Vietnamese text is converted (tests/question_bank/test_legacy_vn.py).
    data = cp1258("Cau dau {=a ~b}\n\nThủ đô? {=Hà Nội ~Huế}\n")
    question = gift.read(data, "legacy.gift").questions[1]
    assert question.stem == "Thủ đô?" and [o.text for o in question.options] == ["Hà Nội", "Huế"]


def test_binary_garbage_is_refused() -> None:
    with pytest.raises(ImportFailed, match="binary"):
        gift.read(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "image.gift")


AIKEN = """Thủ đô của Việt Nam là?
A. Huế
B. Hà Nội
C) Đà Nẵng
ANSWER: B

Sông dài nhất
chảy qua Việt Nam là?
A. Sông Hồng
B. Sông Mê Kông
ANSWER: B
"""


def test_aiken_reads_questions() -> None:
    q = aiken.read(AIKEN.encode(), "a.txt").questions
    assert [o.text for o in q[0].options] == ["Huế", "Hà Nội", "Đà Nẵng"] and q[0].options[1].correct
    assert q[1].stem == "Sông dài nhất\nchảy qua Việt Nam là?" and q[1].source == "a.txt: dòng 7"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hỏi?\nA. x\nB. y\nANSWER: E\n", "dòng 4: đáp án 'E' không phải một phương án"),
        ("Hỏi?\nA. x\nC. y\nANSWER: A\n", "dòng 3: phương án C không đúng thứ tự"),
        ("Hỏi?\nA. x\nB. y\n", "dòng 1: câu cuối thiếu dòng ANSWER"),
        ("Hỏi?\nA. x\nB. y\nHỏi tiếp?\nA. x\nB. y\nANSWER: A\n", "dòng 4: thiếu dòng ANSWER"),
    ],
)
def test_aiken_errors(text: str, message: str) -> None:
    with pytest.raises(ImportFailed) as failure:
        aiken.read(text.encode(), "a.txt")
    assert message in failure.value.message("vi")
