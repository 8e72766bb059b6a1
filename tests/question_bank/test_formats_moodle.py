"""Moodle XML as Moodle itself writes it: CDATA, HTML, categories, fractions, embedded files."""

from __future__ import annotations

import base64
import re

import pytest

from question_bank.errors import ImportFailed
from question_bank.formats import moodle_xml
from tests.question_bank.fixtures.samples import PNG_B64, tiny_png

MOODLE_EXPORT = f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<!-- question: 0  -->
  <question type="category">
    <category><text>$course$/top/Toán 12/Hàm số</text></category>
    <info format="moodle_auto_format"><text></text></info>
  </question>
  <question type="multichoice">
    <name><text>Đạo hàm</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Đạo hàm của <strong>x²</strong> là? <img src="@@PLUGINFILE@@/h%C3%ACnh%201.png" alt=""></p>]]></text>
      <file name="hình 1.png" path="/" encoding="base64">{PNG_B64[:20]}
{PNG_B64[20:]}</file>
    </questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>Áp dụng (x<sup>n</sup>)' = n·x<sup>n-1</sup></p>]]></text></generalfeedback>
    <defaultgrade>0.2500000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
    <single>true</single>
    <shuffleanswers>true</shuffleanswers>
    <answernumbering>abc</answernumbering>
    <answer fraction="100" format="html"><text><![CDATA[<p>2x</p>]]></text><feedback format="html"><text>Đúng</text></feedback></answer>
    <answer fraction="0" format="html"><text><![CDATA[<p>x</p>]]></text><feedback format="html"><text></text></feedback></answer>
    <answer fraction="0" format="html"><text>2</text><feedback format="html"><text></text></feedback></answer>
    <tags><tag><text>đạo hàm</text></tag><tag><text>difficulty:TH</text></tag></tags>
  </question>
  <question type="multichoice">
    <name><text>Chia hết</text></name>
    <questiontext format="html"><text>Số nào chia hết cho 3?</text></questiontext>
    <single>false</single>
    <answer fraction="33.33333"><text>3</text></answer>
    <answer fraction="33.33333"><text>6</text></answer>
    <answer fraction="33.33334"><text>9</text></answer>
    <answer fraction="-50"><text>4</text></answer>
    <answer fraction="-100"><text>5</text></answer>
  </question>
  <question type="category"><category><text>$course$/top/Vật lí</text></category></question>
  <question type="truefalse">
    <name><text>Ánh sáng</text></name>
    <questiontext format="moodle_auto_format"><text>Ánh sáng truyền nhanh hơn âm thanh.</text></questiontext>
    <answer fraction="100"><text>true</text></answer>
    <answer fraction="0"><text>false</text></answer>
  </question>
  <question type="shortanswer">
    <name><text>Đơn vị</text></name>
    <questiontext format="html"><text>Đơn vị của lực là?</text></questiontext>
    <usecase>1</usecase>
    <answer fraction="100"><text>N</text></answer>
    <answer fraction="50"><text>Newton</text></answer>
  </question>
  <question type="numerical">
    <name><text>Gia tốc</text></name>
    <questiontext format="html"><text>g = ? (m/s²)</text></questiontext>
    <answer fraction="100"><text>9.8</text><tolerance>0.05</tolerance></answer>
    <units><unit><multiplier>1</multiplier><unit_name>m/s²</unit_name></unit></units>
  </question>
  <question type="matching">
    <name><text>Nối</text></name>
    <questiontext format="html"><text>Nối đại lượng với đơn vị</text></questiontext>
    <subquestion format="html"><text>Lực</text><answer><text>N</text></answer></subquestion>
    <subquestion format="html"><text>Công</text><answer><text>J</text></answer></subquestion>
    <subquestion format="html"><text></text><answer><text>W</text></answer></subquestion>
  </question>
  <question type="essay">
    <name><text>Tự luận</text></name>
    <questiontext format="html"><text>Giải thích hiện tượng cầu vồng.</text></questiontext>
    <defaultgrade>2</defaultgrade>
    <responseformat>editor</responseformat>
  </question>
  <question type="description">
    <name><text>Thông tin</text></name>
    <questiontext format="html"><text>Dùng dữ kiện sau cho câu 8–9.</text></questiontext>
  </question>
</quiz>
""".encode()


def test_moodle_export_is_read_with_all_its_details() -> None:
    result = moodle_xml.read(MOODLE_EXPORT, "moodle.xml")
    q = result.questions
    assert [x.type for x in q] == ["single_choice", "multiple_response", "true_false", "short_text", "numeric", "matching", "essay", "description"]
    first = q[0]
    assert first.topic == "Toán 12/Hàm số" and first.title == "Đạo hàm" and first.points == 0.25
    assert '<img src="@@MEDIA/hình 1.png"' in first.stem and "<strong>x²</strong>" in first.stem
    assert base64.b64decode(first.media[0].data_b64) == tiny_png() and first.media[0].mime == "image/png"
    assert [o.correct for o in first.options] == [True, False, False] and first.options[0].feedback == "Đúng"
    assert first.difficulty == "TH" and first.tags == ["đạo hàm"]
    multi = q[1]
    assert [o.fraction for o in multi.options] == [0.3333333, 0.3333333, 0.3333334, -0.5, -1.0]
    assert multi.scoring.mode == "partial" and multi.scoring.negative
    assert q[2].topic == "Vật lí" and q[2].correct_bool is True
    assert q[3].scoring.mode == "exact" and [(a.text, a.fraction) for a in q[3].answers] == [("N", 1.0), ("Newton", 0.5)]
    assert q[4].answers[0].tolerance == 0.05
    assert [(p.left, p.right) for p in q[5].pairs] == [("Lực", "N"), ("Công", "J"), ("", "W")]
    assert q[6].points == 2.0
    assert result.warnings == [] and "8 câu hỏi" in result.report_text("vi")[0]


def test_reimport_is_idempotent() -> None:
    a = moodle_xml.read(MOODLE_EXPORT, "moodle.xml").questions
    b = moodle_xml.read(MOODLE_EXPORT, "copy.xml").questions
    assert [x.uid for x in a] == [x.uid for x in b] and len({x.uid for x in a}) == len(a)


def _question(body: str) -> bytes:
    return f'<?xml version="1.0"?><quiz>{body}</quiz>'.encode()


def test_every_error_is_reported_and_nothing_is_imported() -> None:
    data = _question(
        '<question type="multichoice"><name><text>Q1</text></name><questiontext><text>Không có đáp án đúng</text></questiontext>'
        '<single>true</single><answer fraction="0"><text>a</text></answer><answer fraction="0"><text>b</text></answer></question>'
        '<question type="calculated"><name><text>Q2</text></name><questiontext><text>x</text></questiontext></question>'
        '<question type="numerical"><name><text>Q3</text></name><questiontext><text>n</text></questiontext>'
        '<answer fraction="100"><text>ba</text></answer></question>'
        '<question type="truefalse"><name><text>Q4</text></name><questiontext><text>t</text></questiontext>'
        '<answer fraction="abc"><text>true</text></answer></question>'
        '<question type="essay"><name><text>Q5</text></name><questiontext><text>e</text></questiontext>'
        "<defaultgrade>inf</defaultgrade></question>"
    )
    with pytest.raises(ImportFailed) as failure:
        moodle_xml.read(data, "bad.xml")
    messages = sorted(str(e) for e in failure.value.errors)  # English: str()
    assert len(messages) == 5
    assert messages[0].startswith("bad.xml: question 1 «Q1»") and "no correct option" in messages[0]
    assert messages[1].startswith("bad.xml: question 2 «Q2»") and "calculated" in messages[1]
    assert messages[2].startswith("bad.xml: question 3 «Q3»") and "not a number" in messages[2]
    assert messages[3].startswith("bad.xml: question 4 «Q4»") and "invalid value" in messages[3]
    assert messages[4].startswith("bad.xml: question 5 «Q5»") and "not a finite number" in messages[4]


def test_warnings_for_duplicates_and_two_keys_in_single_choice() -> None:
    body = (
        '<question type="multichoice"><name><text>A</text></name><questiontext><text>Câu hỏi giống nhau</text></questiontext>'
        '<single>true</single><answer fraction="100"><text>a</text></answer><answer fraction="100"><text>b</text></answer></question>'
    )
    result = moodle_xml.read(_question(body + body.replace("<text>a</text>", "<text>c</text>")), "w.xml")
    reasons = [w.reason for w in result.warnings]  # English
    assert any("several correct" in r for r in reasons) and any("duplicate stem" in r for r in reasons)
    assert all(w.severity == "warning" for w in result.warnings)
    assert len(result.questions) == 2  # warnings do not stop the import, nor change the questions
    assert sum(o.correct for o in result.questions[0].options) == 2


def test_wrong_root_and_truncated_file_are_refused() -> None:
    with pytest.raises(ImportFailed, match="<quiz>"):
        moodle_xml.read(b"<html><body/></html>", "page.xml")
    with pytest.raises(ImportFailed, match=r"line \d+, column \d+") as failure:
        moodle_xml.read(MOODLE_EXPORT[: len(MOODLE_EXPORT) // 2], "cut.xml")
    assert re.search(r"dòng \d+, cột \d+", failure.value.message("vi"))
    with pytest.raises(ImportFailed, match="malformed"):
        moodle_xml.read(b"this is not xml at all", "plain.xml")
