"""The Excel template as a teacher fills it in (any column order, numbers typed as numbers)."""

from __future__ import annotations

import base64
import io

import pytest
from openpyxl import Workbook, load_workbook

from question_bank.errors import ImportFailed
from question_bank.formats import xlsx
from tests.question_bank.fixtures.samples import all_types, tiny_png


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_teacher_sheet_in_any_column_order() -> None:
    data = workbook([
        ["Đề bài", "Loại", "A", "B", "C", "D", "Đáp án", "Điểm", "Chủ đề", "Mức độ"],
        ["Thủ đô của Việt Nam?", "single_choice", "Huế", "Hà Nội", "Đà Nẵng", "Cả A và C", "B", 0.25, "Địa lí", "NB"],
        ["Cho hàm số y = x².", "tf_cluster", "Hàm chẵn", "Đồng biến trên ℝ", "Đi qua O", "Có cực đại", "Đ S Đ S", 1, "Toán", "TH"],
        [None, None, None, None, None, None, None, None, None, None],
        ["Nghiệm của 2x + 3 = 0?", "short_answer4", None, None, None, None, "-1,5", 0.5, "Toán", "VD"],
        ["Số pi?", "numeric", None, None, None, None, 3.14, None, "Toán", ""],
    ])
    result = xlsx.read(data, "nganhang.xlsx")
    q = result.questions
    assert [x.type for x in q] == ["single_choice", "tf_cluster", "short_answer4", "numeric"]
    assert q[0].options[1].correct and q[0].points == 0.25 and q[0].difficulty == "NB"
    assert [s.correct for s in q[1].statements] == [True, False, True, False] and q[1].points == 1.0
    assert q[2].answers[0].text == "-1,5" and q[2].source == "nganhang.xlsx: dòng 5"
    assert q[3].answers[0].text == "3.14" and q[3].points == 1.0


def test_english_headers_are_accepted() -> None:
    data = workbook([["type", "stem", "A", "B", "key"], ["multiple_response", "Số chẵn?", "2", "3", "A=100%, B=-50%"]])
    (q,) = xlsx.read(data, "en.xlsx").questions
    assert [o.fraction for o in q.options] == [1.0, -0.5] and q.scoring.mode == "partial" and q.scoring.negative


def test_every_bad_row_is_reported_by_row_number() -> None:
    data = workbook([
        ["Loại", "Đề bài", "A", "B", "C", "Đáp án", "Điểm"],
        ["single_choice", "Thiếu đáp án", "x", "y", None, None, 1],
        ["multiple_choice", "Loại sai", "x", "y", None, "A", 1],
        ["single_choice", "Khoảng trống", "x", None, "z", "A", 1],
        ["tf_cluster", "Thiếu chữ", "p", "q", "r", "ĐS", 1],
        ["short_answer4", "Quá dài", None, None, None, "12345", 1],
        ["single_choice", "Điểm chữ", "x", "y", None, "A", "một"],
        ["single_choice", "Đáp án lạ", "x", "y", None, "E", 1],
        ["single_choice", "Câu tốt", "x", "y", None, "A", 1],
    ])
    with pytest.raises(ImportFailed) as failure:
        xlsx.read(data, "loi.xlsx")
    assert sorted(e.where("vi") for e in failure.value.errors) == [f"dòng {n}" for n in range(2, 9)]
    by_row = {e.location: e.reason for e in failure.value.errors}  # English
    assert "no correct option" in by_row["row 2"] and "unknown question type" in by_row["row 3"]
    assert "empty between options" in by_row["row 4"] and "one per statement" in by_row["row 5"]
    assert "at most 4 characters" in by_row["row 6"] and "not a number" in by_row["row 7"] and "names no option" in by_row["row 8"]
    codes = {e.where("vi"): e.code for e in failure.value.errors}
    assert codes["dòng 3"] == "qb.xlsx.unknown_type" and codes["dòng 7"] == "qb.xlsx.not_a_number"
    vi = {e.where("vi"): e.text("vi") for e in failure.value.errors}
    assert vi["dòng 7"] == "điểm không phải số: 'một'" and "tối đa 4 ký tự" in vi["dòng 6"]


def test_unknown_or_missing_columns_are_refused() -> None:
    with pytest.raises(ImportFailed, match="unknown column heading"):
        xlsx.read(workbook([["Loại", "Đề bài", "Ghi chú lạ"], ["essay", "x", "y"]]), "a.xlsx")
    with pytest.raises(ImportFailed, match=r"column Loại \(type\) missing"):
        xlsx.read(workbook([["Đề bài"], ["x"]]), "b.xlsx")


def test_exported_template_has_a_guide_sheet() -> None:
    book = load_workbook(io.BytesIO(xlsx.write(all_types()[1:], "t.xlsx")))
    assert book.sheetnames == ["Câu hỏi", "Hướng dẫn"]
    guide = [row[0] for row in book["Hướng dẫn"].iter_rows(values_only=True)]
    assert "Loại (type)" in guide and "Đáp án (key)" in guide


def test_text_starting_with_equals_stays_text_not_a_formula() -> None:
    question = all_types()[4]  # short_text
    question.stem = "=HYPERLINK(\"http://evil\") — chép lại công thức này?"
    question.answers[0].text = "=1+1"
    data = xlsx.write([question], "f.xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    (back,) = xlsx.read(data, "f.xlsx").questions
    assert back.stem == question.stem and back.answers[0].text == "=1+1"


def test_pictures_pasted_into_a_row_are_attached() -> None:
    from openpyxl.drawing.image import Image

    book = Workbook()
    sheet = book.active
    sheet.append(["Loại", "Đề bài", "A", "B", "Đáp án", "Ảnh"])
    sheet.append(["single_choice", "Hình nào là hình vuông?", "Hình 1", "Hình 2", "A", None])
    sheet.append(["single_choice", "Quan sát @@MEDIA/so-do.png", "x", "y", "B", "so-do.png"])
    sheet.add_image(Image(io.BytesIO(tiny_png())), "F2")
    sheet.add_image(Image(io.BytesIO(tiny_png())), "F3")
    buffer = io.BytesIO()
    book.save(buffer)
    result = xlsx.read(buffer.getvalue(), "anh.xlsx")
    pasted, named = result.questions
    assert pasted.stem == "Hình nào là hình vuông?\n@@MEDIA/dong2_image1.png" and pasted.media[0].name == "dong2_image1.png"
    assert base64.b64decode(pasted.media[0].data_b64) == tiny_png()
    assert named.media[0].name == "so-do.png" and named.media[0].mime == "image/png"
    assert any("dòng 2" in line and "ảnh" in line for line in result.report_text("vi"))


def test_media_names_must_match_the_pictures_in_the_row() -> None:
    data = workbook([["Loại", "Đề bài", "Ảnh"], ["essay", "Tả bức ảnh @@MEDIA/a.png", "a.png"]])
    with pytest.raises(ImportFailed) as failure:
        xlsx.read(data, "thieu.xlsx")
    assert "dòng 2: cột Ảnh ghi 1 tên nhưng dòng có 0 ảnh" in failure.value.message("vi")
