"""GIFT as Moodle reads it (issue 15, item 3) and Moodle's validity rules (item 4)."""

from __future__ import annotations

import pytest

from question_bank.errors import ImportFailed
from question_bank.formats import gift
from question_bank.scoring import score

# The sample of Moodle's "GIFT format" documentation page, with the numerical variant of
# Moodle's own GIFT import test (`{#3:2~#Completely wrong}`) as a ninth question.
MOODLE_SAMPLE = """// true/false
::Q1:: 1+1=2 {T}

// multiple choice with specified feedback for right and wrong answers
::Q2:: What's between orange and green in the spectrum?
{ =yellow # right; good! ~red # wrong, it's yellow ~blue # wrong, it's yellow }

// fill-in-the-blank
::Q3:: Two plus {=two =2} equals four.

// matching
::Q4:: Which animal eats which food? { =cat -> cat food =dog -> dog food }

// math range question
::Q5:: What is a number from 1 to 5? {#3:2}

// math range specified with interval end points
::Q6:: What is a number from 1 to 5? {#1..5}
// translated on import to the same as Q5, but unavailable from Moodle question interface

// multiple numeric answers with partial credit and feedback
::Q7:: When was Ulysses S. Grant born? {#
         =1822:0      # Correct! Full credit.
         =%50%1822:2  # He was born in 1822. Half credit for being close.
}

// essay
::Q8:: How are you? {}

// math range question with a catch-all wrong answer
::Q9:: What is a number from 1 to 5? {#3:2~#Completely wrong}
"""


def _read(text: str):
    return gift.read(text.encode(), "t.gift").questions


def test_moodle_sample_file_imports_whole() -> None:
    q = _read(MOODLE_SAMPLE)
    assert [x.title for x in q] == [f"Q{i}" for i in range(1, 10)]
    assert [x.type for x in q] == [
        "true_false", "single_choice", "short_text", "matching", "numeric", "numeric", "numeric", "essay", "numeric",
    ]
    assert q[0].correct_bool is True and q[0].stem == "1+1=2"
    assert [(o.text, o.fraction, o.feedback) for o in q[1].options] == [
        ("yellow", 1.0, "right; good!"), ("red", 0.0, "wrong, it's yellow"), ("blue", 0.0, "wrong, it's yellow"),
    ]
    assert q[2].stem == "Two plus _____ equals four." and [a.text for a in q[2].answers] == ["two", "2"]
    assert [(p.left, p.right) for p in q[3].pairs] == [("cat", "cat food"), ("dog", "dog food")]
    assert [(a.text, a.tolerance) for a in q[4].answers] == [("3", 2.0)]
    assert [(a.text, a.tolerance) for a in q[5].answers] == [("3", 2.0)]  # same as Q5, as the docs say
    assert [(a.text, a.fraction, a.tolerance) for a in q[6].answers] == [("1822", 1.0, 0.0), ("1822", 0.5, 2.0)]
    assert score(q[6], "1822").status == "correct" and score(q[6], "1823").points == 0.5
    assert score(q[6], "1830").points == 0
    assert [(a.text, a.fraction) for a in q[8].answers] == [("3", 1.0), ("*", 0.0)]
    assert score(q[8], "4,5").status == "correct" and score(q[8], "9").status == "incorrect"


def test_single_choice_when_there_is_an_equals_sign_multiple_otherwise() -> None:
    q = _read("Câu a {=đúng ~%50%gần đúng ~sai}\n\nCâu b {~%50%x ~%50%y ~%-100%z}\n")
    assert q[0].type == "single_choice" and [o.fraction for o in q[0].options] == [1.0, 0.5, 0.0]
    assert score(q[0], "B").points == 0.5
    assert q[1].type == "multiple_response" and q[1].scoring.negative


def test_missing_word_escapes_formats_and_general_feedback() -> None:
    q = _read(
        "::T\\:1::[markdown]Giá trị \\{x\\} \\= 2 \\# 3 \\~ 4 \\\\ là {=[plain]đúng#[html]<b>tốt</b> ~sai ####[html]Xem lại.} rồi.\n\n"
        "Dòng 1\\nDòng 2 {T#sai#đúng}\n"
    )
    assert q[0].title == "T:1"
    assert q[0].stem == "Giá trị {x} = 2 # 3 ~ 4 \\ là _____ rồi."
    assert [(o.text, o.feedback) for o in q[0].options] == [("đúng", "<b>tốt</b>"), ("sai", "")]
    assert q[0].general_feedback == "Xem lại."
    assert q[1].stem == "Dòng 1\nDòng 2" and q[1].correct_bool is True


def test_short_answer_without_equals_and_weights() -> None:
    q = _read("Thủ đô? {Hà Nội}\n\nNhà thơ {=Nguyễn Du =%50%Tố Như#gần đúng}\n")
    assert [(a.text, a.fraction) for a in q[0].answers] == [("Hà Nội", 1.0)]
    assert [(a.text, a.fraction) for a in q[1].answers] == [("Nguyễn Du", 1.0), ("Tố Như", 0.5)]


def test_ordering_extension() -> None:
    q = _read(
        "::Sắp xếp::Sắp xếp theo thời gian {>3 ALL VERTICAL ALL_OR_NOTHING\nNhà Lý\nNhà Trần\nNhà Lê\n}\n\n"
        "Xếp các số {>2 EXACT HORIZONTAL ABSOLUTE_POSITION SHOW\n1\n2\n3\n}\n"
    )
    assert q[0].type == "ordering" and q[0].title == "Sắp xếp" and q[0].stem == "Sắp xếp theo thời gian"
    assert [o.text for o in q[0].options] == ["Nhà Lý", "Nhà Trần", "Nhà Lê"] and q[0].scoring.mode == "all_or_nothing"
    right = [o.id for o in q[0].options]
    assert score(q[0], right).status == "correct" and score(q[0], right[::-1]).status == "incorrect"
    assert q[1].scoring.mode == "partial" and [o.text for o in q[1].options] == ["1", "2", "3"]


def test_ordering_with_relative_grading_warns() -> None:
    result = gift.read("Xếp {>3\na\nb\nc\n}\n".encode(), "o.gift")
    assert result.questions[0].type == "ordering"
    assert any("RELATIVE" in str(w) for w in result.warnings)


def test_cloze_syntax_inside_gift_becomes_a_cloze() -> None:
    q = _read("::Cloze::Nước {1:SA:=H2O} sôi ở {2:NM:=100:1} độ \\{C\\}.\n")[0]
    assert q.type == "cloze" and q.stem == "Nước {#1} sôi ở {#2} độ {C}." and q.points == 3
    assert score(q, {"1": "h2o", "2": "100,5"}).status == "correct"


def test_several_answer_blocks_are_refused_with_advice() -> None:
    with pytest.raises(ImportFailed, match="Cloze"):
        gift.read("Nước {=H2O} sôi ở {#100} độ.\n".encode(), "two.gift")


def test_numeric_errors_name_the_question() -> None:
    with pytest.raises(ImportFailed) as failure:
        gift.read("Đúng {#1}\n\nSai {#1..x}\n\nSai nữa {#2:abc}\n".encode(), "n.gift")
    messages = [e.message("vi") for e in failure.value.errors]
    assert messages[0].startswith("n.gift: câu 2 (dòng 3)") and "khoảng số không hợp lệ" in messages[0]
    assert messages[1].startswith("n.gift: câu 2 (dòng 5)") and "đáp án số không hợp lệ" in messages[1]


# -- Moodle's validity rules -------------------------------------------------------------------
def test_grade_not_in_moodles_list_is_refused_naming_every_question() -> None:
    text = (
        "Tốt {=a ~%33.33333%b ~c}\n\n"
        "Sai tỉ lệ {=a ~%33%b}\n\n"
        "Không đủ 100% {~%50%a ~%40%b ~c}\n\n"
        "Ngắn {=%50%x}\n\n"
        "Số {#=%90%3}\n"
    )
    with pytest.raises(ImportFailed) as failure:
        gift.read(text.encode(), "grades.gift")
    messages = [str(e) for e in failure.value.errors]  # English
    assert len(messages) == 4
    assert messages[0].startswith("grades.gift: question 2 (line 3)") and "33%" in messages[0] and "not allowed" in messages[0]
    assert messages[1].startswith("grades.gift: question 3 (line 5)") and "90%" in messages[1] and "add up to 100%" in messages[1]
    assert messages[2].startswith("grades.gift: question 4 (line 7)") and "worth 100%" in messages[2]
    assert messages[3].startswith("grades.gift: question 5 (line 9)") and "worth 100%" in messages[3]


@pytest.mark.parametrize("percent", ["83.33333", "66.66667", "16.66667", "14.28571", "12.5", "11.11111", "-33.33333"])
def test_every_moodle_grade_is_accepted(percent: str) -> None:
    q = _read(f"Câu {{=a ~%{percent}%b ~c}}\n")[0]
    assert q.options[1].fraction == pytest.approx(float(percent) / 100, abs=1e-6)


def test_category_as_moodle_exports_it() -> None:
    q = _read("$CATEGORY: $course$/top/Toán 10/Hàm số\n\nCâu {T}\n")
    assert q[0].topic == "Toán 10/Hàm số"


def test_cloze_entities_and_escapes() -> None:
    from question_bank.formats import cloze

    parsed = cloze.parse("{1:MC:=l&#39;eau#c&#39;est ça~a \\~ b~c\\}d} {1:SA:=x\\#1}")
    assert parsed.errors == []
    assert [(a.text, a.feedback) for a in parsed.blanks[0].answers] == [("l'eau", "c'est ça"), ("a ~ b", ""), ("c}d", "")]
    assert parsed.blanks[1].answers[0].text == "x#1"
    again = cloze.parse(cloze.write(parsed.stem, parsed.blanks))
    assert [[a.text for a in b.answers] for b in again.blanks] == [[a.text for a in b.answers] for b in parsed.blanks]
