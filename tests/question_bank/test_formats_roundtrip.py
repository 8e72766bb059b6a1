"""Write → read → the same questions, for every format that writes; plus the registry."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from question_bank.errors import ExportFailed
from question_bank.formats import moodle_xml, qti, read_any, read_bytes_any, write_any, xlsx
from question_bank.model import Answer, Media, Question
from tests.question_bank.fixtures.samples import (
    all_types,
    comparable,
    numeric,
    ordering,
    single_choice,
    tf_cluster,
)


def without(question: Question, *, locked: bool = False, option_feedback: bool = False, media: bool = False) -> dict:
    """The content a format is documented to carry (what it cannot hold is dropped)."""
    data = comparable(question)
    for option in data["options"]:
        if locked:
            option["locked"] = False
        if option_feedback:
            option["feedback"] = ""
    if media:
        data["media"] = []
    return data


MOODLE_TYPES = all_types()
QTI_TYPES = all_types()


def test_moodle_xml_round_trip_every_type() -> None:
    result = moodle_xml.read(moodle_xml.write(MOODLE_TYPES, "bank.xml"), "bank.xml")
    assert [comparable(q) for q in result.questions] == [without(q, locked=True) for q in MOODLE_TYPES]
    assert result.warnings == []
    assert result.questions[0].media[0].data_b64 == single_choice().media[0].data_b64


def test_qti_round_trip_every_type() -> None:
    result = qti.read(qti.write(QTI_TYPES, "bank.zip"), "bank.zip")
    assert [comparable(q) for q in result.questions] == [comparable(q) for q in QTI_TYPES]


def test_xlsx_round_trip_every_type() -> None:
    questions = all_types()
    result = xlsx.read(xlsx.write(questions, "bank.xlsx"), "bank.xlsx")
    assert [comparable(q) for q in result.questions] == [without(q, option_feedback=True) for q in questions]


@pytest.mark.parametrize("suffix", [".xml", ".zip", ".xlsx"])
def test_reimport_gives_the_same_uids(tmp_path: Path, suffix: str) -> None:
    questions = all_types()
    path = tmp_path / f"bank{suffix}"
    write_any(questions, path)
    first, second = read_any(path), read_any(path)
    assert [q.uid for q in first.questions] == [q.uid for q in second.questions]
    assert all(len(q.uid) == 32 for q in first.questions)
    assert [q.uid for q in first.questions] == [Question.from_dict(comparable(q) | {"source": ""}).content_hash() for q in first.questions]


def test_convert_moodle_to_qti_to_xlsx_keeps_content(tmp_path: Path) -> None:
    questions = all_types()
    write_any(questions, tmp_path / "a.xml")
    write_any(read_any(tmp_path / "a.xml").questions, tmp_path / "b.zip")
    write_any(read_any(tmp_path / "b.zip").questions, tmp_path / "c.xlsx")
    final = read_any(tmp_path / "c.xlsx").questions
    assert [comparable(q) for q in final] == [without(q, option_feedback=True, locked=True) for q in questions]
    assert final[8].rubric[0].description == "Nêu đúng bối cảnh <1945> & nguyên nhân"


def test_text_is_normalised_to_nfc_on_import() -> None:
    question = single_choice()
    question.stem = unicodedata.normalize("NFD", "Thủ đô của Việt Nam?")
    question.options[0].text = unicodedata.normalize("NFD", "Huế")
    data = moodle_xml.write([question], "nfd.xml")
    assert unicodedata.normalize("NFD", "ủ").encode() in data
    imported = moodle_xml.read(data, "nfd.xml").questions[0]
    assert imported.stem == "Thủ đô của Việt Nam?" and unicodedata.is_normalized("NFC", imported.stem)
    assert imported.options[0].text == "Huế"


def test_export_refuses_what_the_format_cannot_hold_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.zip"
    two_numbers = numeric()
    two_numbers.answers.append(Answer("3.1416", 1.0))
    with pytest.raises(ExportFailed) as failure:
        write_any([single_choice(), two_numbers], target)
    assert failure.value.message("vi") == "out.zip: câu 2: QTI chỉ giữ một đáp án số"
    assert str(failure.value) == "out.zip: question 2: QTI holds one numeric answer only"
    assert failure.value.code == "qb.qti.one_numeric_answer"
    assert not target.exists()
    equation = single_choice()
    equation.media[0] = Media("eq1.wmf", "image/x-wmf", "AAAA")
    with pytest.raises(ExportFailed, match="eq1.wmf"):
        xlsx.write([equation], "x.xlsx")
    with pytest.raises(ExportFailed, match="supported") as refused:
        write_any([single_choice()], tmp_path / "out.gift")
    assert "hỗ trợ" in refused.value.message("vi")


def test_read_bytes_any_sniffs_content_without_a_known_extension() -> None:
    moodle = moodle_xml.write([single_choice()], "x.xml")
    assert read_bytes_any(moodle, "upload.bin").questions[0].type == "single_choice"
    aiken = "Tập {1; 2} có mấy phần tử?\nA. Một\nB. Hai\nANSWER: B\n".encode()
    assert read_bytes_any(aiken, "upload.txt").questions[0].options[1].correct
    gift = "Câu hỏi? {=Một ~Hai}".encode()
    assert read_bytes_any(gift, "upload.txt").questions[0].options[0].correct
    package = qti.write([single_choice()], "x.zip")
    assert read_bytes_any(package, "upload").questions[0].stem == single_choice().stem
    sheet = xlsx.write([tf_cluster()], "x.xlsx")
    assert read_bytes_any(sheet, "upload").questions[0].type == "tf_cluster"


def test_ordering_ids_do_not_give_the_order_away() -> None:
    question = ordering()
    assert [o.text for o in question.options] == ["Nhà Lý", "Nhà Trần", "Nhà Lê sơ", "Nhà Nguyễn"]  # the key
    assert [o.id for o in question.options] == ["o2", "o4", "o1", "o3"]  # ranked by text
    shown = [o["text"] for o in question.public_dict()["options"]]
    assert shown == ["Nhà Lê sơ", "Nhà Lý", "Nhà Nguyễn", "Nhà Trần"]
    for module, name in ((moodle_xml, "o.xml"), (xlsx, "o.xlsx"), (qti, "o.zip")):
        (back,) = module.read(module.write([question], name), name).questions
        assert [(o.id, o.text) for o in back.options] == [(o.id, o.text) for o in question.options], name
