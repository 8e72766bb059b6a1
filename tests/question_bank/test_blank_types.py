"""Cloze, gapselect and ddwtos (issue 15, items 1-2): Moodle XML in both cloze forms, Moodle's
validity rules, scoring per blank, round trip, papers and per-blank item analysis."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from question_bank.analysis import Attempt, table_from_papers
from question_bank.errors import ImportFailed
from question_bank.formats import moodle_xml
from question_bank.model import Question
from question_bank.papers import Blueprint, Pool, Section, answer_key, generate_papers
from question_bank.scoring import blank_scores, score, validate_response

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()

CLOZE_TEXT = (
    "<p>Thủ đô {1:MCS:=Hà Nội#Đúng~Huế#Sai~%50%Thăng Long#Tên cũ}. "
    "Hồ {2:SAC:=Hoàn Kiếm~%50%Hồ Gươm~%25%*Kiếm*}. "
    "Năm {1:NM:=1010:0~%50%1010:5~*#Sai năm}. "
    "Chọn {1:MRS:%50%Sông Hồng~%50%Sông Đà~%-50%Sông Mê Kông}. "
    "Dọc {:MCV:=a~b} ngang {:MCH:=c~d} dạng {1:MULTICHOICE_HS:=e~f} "
    "và {1:SHORTANSWER:=nước} {1:MW:=lửa} {1:NUMERICAL:=2,5:0,1} {1:MRH:=x~=y~z} {1:MULTIRESPONSE:=\\}~\\#}</p>"
)


def quiz(*questions: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><quiz>' + "".join(questions) + "</quiz>").encode()


def cloze_xml(text: str, name: str = "Cloze", extra: str = "") -> str:
    return (f'<question type="cloze"><name><text>{name}</text></name><questiontext format="html">'
            f"<text><![CDATA[{text}]]></text></questiontext>{extra}</question>")


GAPSELECT = """<question type="gapselect"><name><text>Chọn từ</text></name>
<questiontext format="html"><text>Con [[1]] ngồi trên [[2]], [[3]] kêu.</text></questiontext>
<defaultgrade>3</defaultgrade><shuffleanswers>1</shuffleanswers>
<correctfeedback format="html"><text>Giỏi</text></correctfeedback>
<selectoption><text>mèo</text><group>1</group></selectoption>
<selectoption><text>chiếu</text><group>2</group></selectoption>
<selectoption><text>chó</text><group>1</group></selectoption>
<selectoption><text>ghế</text><group>2</group></selectoption>
</question>"""

DDWTOS = """<question type="ddwtos"><name><text>Kéo thả</text></name>
<questiontext format="html"><text>[[1]] + [[1]] = [[2]]</text></questiontext>
<defaultgrade>1</defaultgrade><shuffleanswers>0</shuffleanswers>
<dragbox><text>một</text><group>1</group><infinite/></dragbox>
<dragbox><text>hai</text><group>1</group></dragbox>
<dragbox><text>ba</text><group>1</group></dragbox>
</question>"""


def read(*questions: str) -> list[Question]:
    return moodle_xml.read(quiz(*questions), "bank.xml").questions


def choice(q: Question, blank: str, text: str) -> str:
    return next(a.id for a in q.blank(blank).answers if a.text == text)


def gap(q: Question, text: str) -> str:
    return next(c.id for c in q.choices if c.text == text)


# -- cloze ------------------------------------------------------------------------------------
def test_cloze_reads_every_sub_question_kind() -> None:
    q = read(cloze_xml(CLOZE_TEXT))[0]
    assert q.type == "cloze" and len(q.blanks) == 12
    assert q.stem.startswith("<p>Thủ đô {#1}. Hồ {#2}. Năm {#3}. Chọn {#4}.") and "{1:" not in q.stem
    # Moodle needs "{weight:" before the code: "{MCV:…}" is plain text there, and here.
    assert read(cloze_xml("A {1:SA:=a} {MCV:=a~b}"))[0].stem == "A {#1} {MCV:=a~b}"
    kinds = [(b.kind, b.layout, b.shuffle, b.case_sensitive) for b in q.blanks]
    assert kinds[:4] == [
        ("multichoice", "dropdown", True, False), ("shortanswer", "", False, True),
        ("numerical", "", False, False), ("multiresponse", "vertical", True, False),
    ]
    assert [k[:3] for k in kinds[4:7]] == [("multichoice", "vertical", False), ("multichoice", "horizontal", False),
                                           ("multichoice", "horizontal", True)]
    assert [k[0] for k in kinds[7:]] == ["shortanswer", "shortanswer", "numerical", "multiresponse", "multiresponse"]
    assert [b.weight for b in q.blanks][:3] == [1, 2, 1] and q.points == 13  # Moodle: the sum of the weights
    b1 = q.blank("1")
    assert [(a.text, a.fraction, a.feedback) for a in b1.answers] == [
        ("Hà Nội", 1.0, "Đúng"), ("Huế", 0.0, "Sai"), ("Thăng Long", 0.5, "Tên cũ")]
    assert [(a.text, a.fraction, a.tolerance) for a in q.blank("3").answers] == [
        ("1010", 1.0, 0.0), ("1010", 0.5, 5.0), ("*", 0.0, 0.0)]
    assert q.blank("3").answers[2].feedback == "Sai năm"
    assert [a.fraction for a in q.blank("4").answers] == [0.5, 0.5, -0.5]
    # Without %n%, Moodle shares the credit among the right choices and each wrong one cancels one.
    assert [a.fraction for a in q.blank("11").answers] == [0.5, 0.5, -0.5]
    assert [a.text for a in q.blank("12").answers] == ["}", "#"]


def test_cloze_scoring_per_blank_with_weights() -> None:
    q = read(cloze_xml("A {1:MC:=x~%50%y~z} B {2:SA:=Hà Nội~%50%*Nội} C {1:NM:=3.14:0.01}"))[0]
    assert q.points == 4
    full = {"1": choice(q, "1", "x"), "2": " hà  nội ", "3": "3,145"}
    assert score(q, full).status == "correct" and score(q, full).points == 4
    half = {"1": choice(q, "1", "y"), "2": "Thủ đô Nội", "3": "3"}
    assert blank_scores(q, half) == {"1": 0.5, "2": 0.5, "3": 0.0}
    assert score(q, half).points == pytest.approx(4 * (0.5 * 1 + 0.5 * 2) / 4)
    assert score(q, {"2": "Hà Nội"}).points == 2 and score(q, {}).status == "unanswered"


def test_cloze_case_sensitivity_multiresponse_and_numeric_catch_all() -> None:
    q = read(cloze_xml("{1:SAC:=NaCl} {1:MR:%50%a~%50%b~%-50%c} {1:NM:=7~%0%*#sai}"))[0]
    mr = lambda *texts: [choice(q, "2", t) for t in texts]  # noqa: E731 - local shorthand
    assert blank_scores(q, {"1": "NaCl", "2": mr("a", "b"), "3": "7"}) == {"1": 1.0, "2": 1.0, "3": 1.0}
    assert blank_scores(q, {"1": "nacl", "2": mr("a", "c"), "3": "8"}) == {"1": 0.0, "2": 0.0, "3": 0.0}
    assert blank_scores(q, {"2": mr("a", "b", "c")})["2"] == 0.5
    assert blank_scores(q, {"2": mr("c")})["2"] == 0.0  # a blank never goes below 0


def test_cloze_response_shape_is_checked() -> None:
    q = read(cloze_xml("{1:MC:=x~y} {1:MR:=a~=b} {1:SA:=t}"))[0]
    assert validate_response(q, {"1": choice(q, "1", "x"), "2": [choice(q, "2", "a")], "3": "t"}) is None
    assert "ô trống" in validate_response(q, {"9": "x"}).text("vi")
    assert validate_response(q, {"1": "zz"}) and validate_response(q, {"2": "a"}) and validate_response(q, {"3": ["t"]})
    with pytest.raises(ValueError):
        score(q, ["x"])


def test_public_dict_hides_the_key() -> None:
    q = read(cloze_xml("{1:MCS:=Hà Nội~Huế} {1:SA:=bí mật} {1:NM:=42:1}"))[0]
    public = q.public_dict()
    blob = repr(public)
    assert "bí mật" not in blob and "42" not in blob and "fraction" not in blob
    assert public["blanks"][0] == {"id": "1", "kind": "multichoice", "layout": "dropdown",
                                   "options": [{"id": a.id, "text": a.text} for a in q.blank("1").answers]}
    assert public["blanks"][1] == {"id": "2", "kind": "shortanswer"}
    # Choice ids are ranked by text, not by position: the first (usually right) one is not "c1".
    assert [a.id for a in q.blank("1").answers] == ["c2", "c1"] and q.blank("1").answers[0].text == "Hà Nội"


def test_moodle_19_cloze_with_image_base64() -> None:
    old = cloze_xml("Xem bản đồ: {1:SA:=Hà Nội}", "Cũ",
                    f"<image>images/ban do.png</image><image_base64>{PNG}</image_base64>")
    q = read(old)[0]
    assert q.type == "cloze" and q.media[0].name == "images_ban do.png" and q.media[0].mime == "image/png"
    assert q.stem.endswith('<img src="@@MEDIA/images_ban do.png" />')
    back = moodle_xml.read(moodle_xml.write([q], "x.xml"), "x.xml").questions[0]
    assert back.media[0].data_b64 == PNG and "@@MEDIA/images_ban do.png" in back.stem


def test_invalid_cloze_is_refused_naming_question_and_blank() -> None:
    data = quiz(
        cloze_xml("{1:SA:=đúng}", "Tốt"),
        cloze_xml("{1:MC:~a~b} và {1:NM:=abc}", "Hỏng"),
        cloze_xml("{1:MC:=chỉ một}", "Một lựa chọn"),
        cloze_xml("Không có ô nào", "Rỗng"),
    )
    with pytest.raises(ImportFailed) as failure:
        moodle_xml.read(data, "cloze.xml")
    messages = [e.message("vi") for e in failure.value.errors]
    assert messages == [
        "cloze.xml: câu hỏi thứ 2 «Hỏng»: ô trống 1: cần một đáp án được 100%",
        "cloze.xml: câu hỏi thứ 2 «Hỏng»: ô trống 2: đáp án phải là số hoặc *: 'abc'",
        "cloze.xml: câu hỏi thứ 3 «Một lựa chọn»: ô trống 1: cần ít nhất 2 lựa chọn",
        "cloze.xml: câu hỏi thứ 4 «Rỗng»: câu cloze không có ô trống nào",
    ]


def test_cloze_round_trip_through_moodle_xml() -> None:
    first = read(cloze_xml(CLOZE_TEXT))[0]
    again = moodle_xml.read(moodle_xml.write([first], "out.xml"), "out.xml").questions[0]
    a, b = first.to_dict(), again.to_dict()
    for volatile in ("source",):
        a.pop(volatile), b.pop(volatile)
    assert a == b and first.uid == again.uid


# -- gapselect and ddwtos ------------------------------------------------------------------------
def test_gapselect_reads_groups_and_scores_per_gap() -> None:
    q = read(GAPSELECT)[0]
    assert q.type == "gapselect" and q.stem == "Con {#1} ngồi trên {#2}, {#3} kêu." and q.points == 3
    assert [(b.group, next(c.text for c in q.choices if c.id == b.key)) for b in q.blanks] == [
        (1, "mèo"), (2, "chiếu"), (1, "chó")]
    public = q.public_dict()
    assert "[[" not in public["stem"] and {c["text"] for c in public["choices"]} == {"mèo", "chiếu", "chó", "ghế"}
    assert "key" not in repr(public["blanks"])
    assert score(q, {"1": gap(q, "mèo"), "2": gap(q, "chiếu"), "3": gap(q, "chó")}).points == 3
    assert score(q, {"1": gap(q, "chó"), "2": gap(q, "ghế"), "3": gap(q, "chó")}).points == 1
    assert validate_response(q, {"1": gap(q, "chiếu")})  # a group-2 choice in a group-1 gap


def test_ddwtos_infinite_choices_and_single_use() -> None:
    q = read(DDWTOS)[0]
    assert q.type == "ddwtos" and not q.shuffle_choices
    assert [c.infinite for c in q.choices] == [True, False, False]
    right = {"1": gap(q, "một"), "2": gap(q, "một"), "3": gap(q, "hai")}
    assert validate_response(q, right) is None and score(q, right).status == "correct"
    reused = validate_response(q, {"1": gap(q, "hai"), "2": gap(q, "hai")})
    assert reused.code == "qb.response.choice_reused" and "chỉ được kéo vào một ô" in reused.text("vi")
    assert "can be dragged into one blank only" in str(reused)
    assert score(q, {"1": gap(q, "một"), "3": gap(q, "ba")}).points == pytest.approx(1 / 3, abs=1e-6)


def test_gap_errors_are_named() -> None:
    bad = GAPSELECT.replace("[[3]]", "[[7]]").replace("Chọn từ", "Thiếu lựa chọn")
    none = GAPSELECT.replace("Con [[1]] ngồi trên [[2]], [[3]] kêu.", "Không có chỗ trống").replace("Chọn từ", "Không ô")
    with pytest.raises(ImportFailed) as failure:
        moodle_xml.read(quiz(GAPSELECT, bad, none), "gaps.xml")
    messages = [e.message("vi") for e in failure.value.errors]
    assert len(messages) == 2
    assert messages[0].startswith("gaps.xml: câu hỏi thứ 2 «Thiếu lựa chọn»: chỗ trống [[7]]")
    assert messages[1].startswith("gaps.xml: câu hỏi thứ 3 «Không ô»") and "không có chỗ trống [[n]] nào" in messages[1]
    assert failure.value.errors[1].code == "qb.moodle.no_gaps" and "no [[n]] gaps" in str(failure.value.errors[1])


def test_gap_types_round_trip() -> None:
    first = read(GAPSELECT, DDWTOS)
    out = moodle_xml.write(first, "out.xml").decode()
    assert "[[1]]" in out and "<selectoption>" in out and "<dragbox>" in out and "<infinite/>" in out
    again = moodle_xml.read(out.encode(), "out.xml").questions
    assert [q.uid for q in again] == [q.uid for q in first]
    assert again[0].stem == first[0].stem and again[1].choices == first[1].choices


# -- Moodle's validity rules on Moodle XML --------------------------------------------------------
def test_fraction_moodle_does_not_allow_is_refused_whole_file() -> None:
    good = ('<question type="multichoice"><name><text>Tốt</text></name><questiontext><text>a</text></questiontext>'
            '<single>false</single><answer fraction="50"><text>x</text></answer>'
            '<answer fraction="50"><text>y</text></answer><answer fraction="0"><text>z</text></answer></question>')
    bad = good.replace("Tốt", "Ba mươi ba").replace('fraction="50"><text>x', 'fraction="33"><text>x')
    single = ('<question type="multichoice"><name><text>Một đáp án</text></name><questiontext><text>b</text>'
              '</questiontext><single>true</single><answer fraction="50"><text>x</text></answer>'
              '<answer fraction="0"><text>y</text></answer></question>')
    short = ('<question type="shortanswer"><name><text>Ngắn</text></name><questiontext><text>c</text></questiontext>'
             '<answer fraction="90"><text>x</text></answer></question>')
    with pytest.raises(ImportFailed) as failure:
        moodle_xml.read(quiz(good, bad, single, short), "grades.xml")
    messages = [e.message("vi") for e in failure.value.errors]
    assert len(messages) == 4
    assert messages[0] == ("grades.xml: câu hỏi thứ 2 «Ba mươi ba»: tỉ lệ điểm không thuộc danh sách Moodle cho phép: "
                           "33%")
    assert messages[1].startswith("grades.xml: câu hỏi thứ 2 «Ba mươi ba»: tổng tỉ lệ điểm các phương án đúng là 83%")
    assert messages[2].startswith("grades.xml: câu hỏi thứ 3 «Một đáp án»: cần một đáp án được 100%")
    assert messages[3].startswith("grades.xml: câu hỏi thứ 4 «Ngắn»: cần một đáp án được 100%")
    assert len(read(good)) == 1  # the good question alone is fine


# -- papers and analysis ---------------------------------------------------------------------------
def test_papers_shuffle_only_shuffled_blanks_and_keep_the_key() -> None:
    q = read(cloze_xml("{1:MCS:=a~b~c~d~e~f} {1:MC:=u~v~w~x~y~z}"))[0]
    g = read(GAPSELECT)[0]
    bp = Blueprint("x", [Section("I", draw=2, pool=Pool(types=["cloze", "gapselect"]))], seed=7)
    papers = generate_papers(bp, [q, g], ["0101", "0102", "0103", "0104"]).papers
    orders = {tuple(a.text for a in p.items[[i.question.type for i in p.items].index("cloze")].question.blanks[0].answers)
              for p in papers}
    assert len(orders) > 1  # MCS shuffled
    for p in papers:
        pq = next(i.question for i in p.items if i.question.type == "cloze")
        assert [a.text for a in pq.blanks[1].answers] == list("uvwxyz")  # MC stays in order
        assert score(pq, {"1": choice(pq, "1", "a"), "2": choice(pq, "2", "u")}).status == "correct"
    assert answer_key(q) == "(1) a; (2) u" and answer_key(g) == "(1) mèo; (2) chiếu; (3) chó"


def test_per_blank_item_analysis() -> None:
    q = read(cloze_xml("{1:MC:=Hà Nội~Huế~Đà Nẵng} {3:SA:=nước}"))[0]
    bp = Blueprint("x", [Section("I", draw=1, pool=Pool(types=["cloze"]))], seed=1)
    paper = generate_papers(bp, [q], ["0101"]).papers[0]
    pq = paper.items[0].question
    right, wrong = choice(pq, "1", "Hà Nội"), choice(pq, "1", "Huế")
    attempts = [
        Attempt("a", "0101", {1: {"1": right, "2": "nước"}}),
        Attempt("b", "0101", {1: {"1": right, "2": "Nước "}}),
        Attempt("c", "0101", {1: {"1": wrong, "2": "lửa"}}),
        Attempt("d", "0101", {1: {"1": wrong}}),
    ]
    table = table_from_papers([paper], attempts, per_blank=True)
    assert table.item_ids == [f"{q.uid}#1", f"{q.uid}#2"]
    assert table.max_points.tolist() == [1.0, 3.0]  # shares of 4 points by weight
    assert table.scores[:, 0].tolist() == [1, 1, 0, 0] and table.scores[:3, 1].tolist() == [3, 3, 0]
    assert np.isnan(table.scores[3, 1])  # blank 2 left empty: omitted
    report = table.analyse()
    first = report.items[0]
    assert first.facility == 0.5 and first.discrimination == 1.0
    assert {(o.label, o.is_key, o.count) for o in first.options} == {("Hà Nội", True, 2), ("Huế", False, 2), ("Đà Nẵng", False, 0)}
    assert {(o.label, o.count) for o in report.items[1].options} == {("nước", 1), ("Nước", 1), ("lửa", 1), ("", 1)}
    whole = table_from_papers([paper], attempts)
    assert whole.scores[:, 0].tolist() == [4, 4, 0, 0]  # without per_blank: one item, same totals


# -- model-level checks, whatever the format ------------------------------------------------------
def test_inconsistent_blank_questions_are_refused_by_every_import() -> None:
    from question_bank.formats.collect import problems

    q = read(cloze_xml("{1:SA:=a} {1:SA:=b}"))[0]
    broken = Question.from_dict({**q.to_dict(), "stem": "{#1} {#1} {#7}"})
    assert [p.text("vi") for p in problems(broken)] == [
        "đề bài và các ô trống không khớp: thiếu {#2} trong đề; {#7} không có ô trống; {#1} xuất hiện hai lần"]
    assert [p.code for p in problems(broken)] == ["qb.blanks.stem_mismatch"]
    g = read(GAPSELECT)[0]
    data = g.to_dict()
    data["blanks"][0]["key"] = gap(g, "chiếu")  # a group-2 choice as the key of a group-1 gap
    assert [p.text("vi") for p in problems(Question.from_dict(data))] == ["chỗ trống 1: đáp án thuộc nhóm 2, chỗ trống nhóm 1"]
    assert [str(p) for p in problems(Question.from_dict(data))] == ["gap 1: the key is in group 2, the gap in group 1"]


def test_excel_refuses_blank_types_instead_of_losing_them() -> None:
    from question_bank.errors import ExportFailed
    from question_bank.formats import xlsx

    with pytest.raises(ExportFailed, match="cloze"):
        xlsx.write(read(cloze_xml("{1:SA:=a}")), "out.xlsx")


def test_model_dict_round_trip_and_old_uids_unchanged() -> None:
    from question_bank.model import Option

    q = read(GAPSELECT, DDWTOS, cloze_xml(CLOZE_TEXT))
    assert [Question.from_dict(x.to_dict()) for x in q] == q
    plain = Question("single_choice", "x", options=[Option("A", "a", 1.0), Option("B", "b")])
    assert "blanks" not in plain.to_dict()  # other types hash as before the blank types existed
