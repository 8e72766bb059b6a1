"""Word files written the way Vietnamese teachers write exams (2025 structure), built in code."""

from __future__ import annotations

import base64

import pytest

from question_bank.errors import ImportFailed
from question_bank.formats import docx, read_bytes_any
from tests.question_bank.fixtures.docx_builder import DocxBuilder, math, mrun, run, tab
from tests.question_bank.fixtures.samples import tiny_png

FRACTION = "<m:f><m:num>" + mrun("1") + "</m:num><m:den>" + mrun("2") + "</m:den></m:f>"
POWER = "<m:sSup><m:e>" + mrun("x") + "</m:e><m:sup>" + mrun("2") + "</m:sup></m:sSup>"
ROOT = "<m:rad><m:radPr><m:degHide m:val=\"1\"/></m:radPr><m:deg/><m:e>" + mrun("x+1") + "</m:e></m:rad>"


def national_exam() -> bytes:
    """PHẦN I (underline / bold / red / several options per line), PHẦN II (marked and keyed
    clusters), PHẦN III (inline key and key table), an image, equations."""
    d = DocxBuilder()
    d.p(run("SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI", bold=True))
    d.p(run("ĐỀ THI THỬ TỐT NGHIỆP THPT 2025 — MÔN TOÁN", bold=True))
    d.p(run("PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn.", bold=True), " Thí sinh trả lời từ câu 1 đến câu 3.")
    d.p(run("Câu 1:", bold=True), " Giá trị của ", math(FRACTION), " + ", math(POWER), " khi x = 1 là")
    d.p(run("A.", bold=True), " 1", tab(), run("B.", bold=True, underline=True), run(" 1,5", underline=True), tab(), run("C.", bold=True), " 2", tab(), run("D.", bold=True), " 3")
    d.p(run("Câu 2.", bold=True), " Hình nào sau đây là hình vuông?")
    d.p(d.image("image1.png", tiny_png()))
    d.p("A. Hình 1")
    d.p(run("B. Hình 2", color="FF0000"))
    d.p("C. Hình 3")
    d.p("D. Cả A và C")
    d.p(run("Câu 3:", bold=True), " Tập xác định của hàm số ", math(ROOT), " là")
    d.p("A. ", run("[-1; +∞)", bold=True), tab(), "B. (-1; +∞)")
    d.p("C. ℝ", tab(), "D. (0; +∞)")
    d.p(run("PHẦN II. Câu trắc nghiệm đúng sai.", bold=True), " Trong mỗi ý a), b), c), d) ở mỗi câu, thí sinh chọn đúng hoặc sai.")
    d.p(run("Câu 1:", bold=True), " Cho hàm số y = x³ − 3x.")
    d.p(run("a) Hàm số có hai điểm cực trị.", underline=True))
    d.p("b) Hàm số đồng biến trên ℝ.")
    d.p(run("c) Đồ thị đi qua gốc toạ độ.", underline=True))
    d.p("d) Giá trị cực đại bằng 3.")
    d.p(run("Câu 2:", bold=True), " Một vật rơi tự do từ độ cao 20 m.")
    d.p("a) Vật rơi mất 2 s.", tab(), "b) Vận tốc chạm đất là 10 m/s.")
    d.p("c) Gia tốc là g.", tab(), "d) Quãng đường giây đầu là 10 m.")
    d.p(run("PHẦN III. Câu trắc nghiệm trả lời ngắn.", bold=True))
    d.p(run("Câu 1:", bold=True), " Nghiệm của phương trình 2x + 3 = 0 là bao nhiêu?")
    d.p("Đáp án: -1,5")
    d.p("Lời giải: 2x = −3 nên x = −1,5.")
    d.p(run("Câu 2:", bold=True), " Có bao nhiêu số nguyên dương nhỏ hơn 10?")
    d.p(run("Câu 3:", bold=True), " Giá trị nhỏ nhất của x² − 2x là?")
    d.p("Đáp án: ", "<w:r><w:noBreakHyphen/><w:t>1</w:t></w:r>")
    d.p(run("Câu 4:", bold=True), " Nghiệm âm của x² = 0,25 là?")
    d.p("Đáp án: −0,5")
    d.p(run("ĐÁP ÁN", bold=True))
    d.p("PHẦN II")
    d.table([["Câu", "a", "b", "c", "d"], ["1", "Đ", "S", "Đ", "S"], ["2", "Đ", "S", "Đ", "S"]])
    d.p("PHẦN III")
    d.table([["Câu", "Đáp án"], ["2", "9"]])
    return d.build()


def test_national_exam_structure_is_read_with_keys_media_and_equations() -> None:
    result = docx.read(national_exam(), "de-thi.docx")
    q = result.questions
    assert [x.type for x in q] == ["single_choice"] * 3 + ["tf_cluster"] * 2 + ["short_answer4"] * 4
    first = q[0]
    assert first.stem == "Giá trị của $\\frac{1}{2}$ + ${x}^{2}$ khi x = 1 là"
    assert [(o.id, o.text) for o in first.options] == [("A", "1"), ("B", "1,5"), ("C", "2"), ("D", "3")]
    assert [o.correct for o in first.options] == [False, True, False, False]  # bold labels are layout, underline is the key
    assert first.points == 0.25 and first.title == "Câu 1" and first.source == "de-thi.docx: PHẦN I, Câu 1"
    second = q[1]
    assert second.stem == "Hình nào sau đây là hình vuông?\n@@MEDIA/image1.png"
    assert base64.b64decode(second.media[0].data_b64) == tiny_png() and second.media[0].mime == "image/png"
    assert [o.correct for o in second.options] == [False, True, False, False]  # red
    assert "\\sqrt{x+1}" in q[2].stem and [o.correct for o in q[2].options] == [True, False, False, False]  # bold text
    cluster = q[3]
    assert [(s.id, s.correct) for s in cluster.statements] == [("a", True), ("b", False), ("c", True), ("d", False)]
    assert cluster.points == 1.0 and cluster.scoring.table == {0: 0.0, 1: 0.1, 2: 0.25, 3: 0.5, 4: 1.0}
    assert [s.text for s in q[4].statements] == ["Vật rơi mất 2 s.", "Vận tốc chạm đất là 10 m/s.", "Gia tốc là g.", "Quãng đường giây đầu là 10 m."]
    assert [s.correct for s in q[4].statements] == [True, False, True, False]  # from the key table
    assert q[5].answers[0].text == "-1,5" and q[5].general_feedback == "2x = −3 nên x = −1,5."
    assert q[6].answers[0].text == "9" and q[6].scoring.mode == "exact"
    assert (q[7].answers[0].text, q[8].answers[0].text) == ("-1", "-0,5")  # Word's minus signs, as typed
    assert any("3/3 phương trình OMML" in line for line in result.report_text("vi"))
    assert any("1 ảnh" in line for line in result.report_text("vi"))
    assert result.warnings == []


def test_answer_key_tables_and_text_keys_at_the_end() -> None:
    d = DocxBuilder()
    for n in range(1, 5):
        d.p(f"Câu {n}. Câu hỏi số {n}?")
        d.p("A. một", tab(), "B. hai", tab(), "C. ba", tab(), "D. bốn")
    d.p("BẢNG ĐÁP ÁN")
    d.table([["Câu", "1", "2"], ["Đáp án", "A", "C"]])  # horizontal table
    d.p("3-D 4-B")
    result = docx.read(d.build(), "key.docx")
    assert [next(o.id for o in q.options if o.correct) for q in result.questions] == ["A", "C", "D", "B"]
    assert all(q.points == 1.0 for q in result.questions)  # no PHẦN: no 2025 points assumed


def test_key_table_overrides_a_different_marking_with_a_warning() -> None:
    d = DocxBuilder()
    d.p("Câu 1: Một cộng một bằng?")
    d.p("A. 1", tab(), run("B. 2", underline=True), tab(), "C. 3", tab(), "D. 4")
    d.p("Câu 2: Hai cộng hai bằng?")
    d.p(run("A. 4", underline=True), tab(), run("B. 5", underline=True), tab(), "C. 6", tab(), "D. 7")
    d.p("Câu 3: Ba cộng ba bằng?")
    d.p("A. 6", tab(), "B. 5", tab(), "C. 4", tab(), "D. 3")
    d.table([["Câu", "Đáp án", "Câu", "Đáp án"], ["1", "C", "3", "A"]])
    result = docx.read(d.build(), "w.docx")
    first, second, third = result.questions
    assert next(o.id for o in first.options if o.correct) == "C"
    assert [o.id for o in second.options if o.correct] == ["A", "B"]  # reported, not silently fixed
    assert next(o.id for o in third.options if o.correct) == "A"
    assert any(w.where("vi") == "Câu 1" and w.text("vi").startswith("phương án đánh dấu (B) khác đáp án (C)") for w in result.warnings)
    assert any(loc == "Câu 2" and "several correct options" in r for loc, r in ((w.where("vi"), w.reason) for w in result.warnings))


def test_nfd_text_and_a_duplicate_stem_are_handled() -> None:
    import unicodedata

    d = DocxBuilder()
    for _ in range(2):
        d.p(unicodedata.normalize("NFD", "Câu 1: Thủ đô của Việt Nam?"))
        # NFD shortens when composed: the key marks must stay on the right characters
        d.p(unicodedata.normalize("NFD", "A. Huế Thừa Thiên	B. Hà Nội	"), run("C. Hồ Chí Minh", color="C00000"))
    result = docx.read(d.build(), "nfd.docx")
    assert result.questions[0].stem == "Thủ đô của Việt Nam?"
    assert [o.text for o in result.questions[0].options] == ["Huế Thừa Thiên", "Hà Nội", "Hồ Chí Minh"]
    assert [o.correct for o in result.questions[0].options] == [False, False, True]
    assert [w.text("vi").split(" (")[0] for w in result.warnings] == ["đề bài trùng với Câu 1"]


def test_unconvertible_equations_and_mathtype_are_reported() -> None:
    d = DocxBuilder()
    odd = "<m:phant><m:e>" + mrun("y") + "</m:e></m:phant>"
    d.p("Câu 1: Biểu thức ", math(odd), '<w:r><w:sym w:font="Symbol" w:char="F0B3"/></w:r>', " và ", d.ole_equation("image2.wmf", b"\xd7\xcd\xc6\x9a fake wmf"), " bằng?")
    d.p("A. 1", tab(), run("B. 2", underline=True))
    result = docx.read(d.build(), "eq.docx")
    question = result.questions[0]
    assert "$y$≥" in question.stem and "@@MEDIA/image2.wmf" in question.stem
    assert question.media[0].name == "image2.wmf"
    assert any("một phần" in line for line in result.report_text("vi"))
    assert any("MathType/OLE" in line for line in result.report_text("vi"))


def test_errors_name_the_question_and_nothing_is_imported() -> None:
    d = DocxBuilder()
    d.p("PHẦN I")
    d.p("Câu 1: Không đánh dấu đáp án nào?")
    d.p("A. 1", tab(), "B. 2", tab(), "C. 3", tab(), "D. 4")
    d.p("Câu 2: Câu tốt?")
    d.p("A. 1", tab(), run("B. 2", underline=True))
    d.p("PHẦN II")
    d.p("Câu 1: Cụm không có đáp án")
    d.p("a) x", tab(), "b) y", tab(), "c) z", tab(), "d) t")
    d.p("PHẦN III")
    d.p("Câu 1: Trả lời ngắn quá dài")
    d.p("Đáp án: 12345")
    d.p("Câu 2: Thiếu đáp án")
    with pytest.raises(ImportFailed) as failure:
        docx.read(d.build(), "loi.docx")
    where = sorted(e.where("vi") for e in failure.value.errors)
    assert where == ["PHẦN I, Câu 1", "PHẦN II, Câu 1", "PHẦN III, Câu 1", "PHẦN III, Câu 2"]
    assert all(e.file == "loi.docx" for e in failure.value.errors)


def test_old_doc_and_non_docx_zip_are_refused() -> None:
    with pytest.raises(ImportFailed, match=r"\.doc"):
        docx.read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "cu.docx")
    with pytest.raises(ImportFailed, match="word/document.xml"):
        read_bytes_any(DocxBuilder().build().replace(b"word/document.xml", b"word/documenX.xml"), "x.docx")


def test_options_in_a_table_inline_keys_levels_and_keys_per_part() -> None:
    d = DocxBuilder()
    d.p("PHẦN I. TRẮC NGHIỆM NHIỀU PHƯƠNG ÁN")
    d.p("Câu 1 (NB): Kim loại dẫn điện tốt nhất là")
    d.table([["A. Đồng", "B. Bạc"], ["C. Vàng", "D. Nhôm"]])
    d.p("Đáp án: B")
    d.p("Câu 2 (Vận dụng). Khí nào chiếm nhiều nhất trong không khí?")
    d.p("A. O₂", tab(), "B. N₂", tab(), "C. CO₂", tab(), "D. Ar")
    d.table([["Câu", "Đáp án"], ["2", "B"]])  # key of part I right after part I
    d.p("PHẦN II. Câu trắc nghiệm đúng sai")
    d.p("Câu 1: Về nước:")
    d.p("a) Sôi ở 100 °C (1 atm).", tab(), "b) Là hợp chất.")
    d.p("Đáp án: a) Đ b) Đ")
    result = docx.read(d.build(), "tron.docx")
    first, second, cluster = result.questions
    assert [o.text for o in first.options] == ["Đồng", "Bạc", "Vàng", "Nhôm"] and first.options[1].correct
    assert (first.difficulty, second.difficulty) == ("NB", "VD")
    assert second.options[1].correct and cluster.type == "tf_cluster"
    assert [s.correct for s in cluster.statements] == [True, True] and cluster.source == "tron.docx: PHẦN II, Câu 1"


def test_word_list_numbering_supplies_question_and_option_labels() -> None:
    d = DocxBuilder()
    d.numbering = (
        '<w:abstractNum w:abstractNumId="0">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="Câu %1:"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="upperLetter"/><w:lvlText w:val="%2."/></w:lvl>'
        "</w:abstractNum>"
        '<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
        '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>'
    )
    d.numbered(2, 0, "Đề gồm 2 câu (a bullet: no label).")
    for n, key in ((1, 2), (2, 0)):
        d.numbered(1, 0, f"Nội dung câu hỏi thứ {n}?")
        for k in range(4):
            # the key: the whole paragraph underlined, including the paragraph mark (so the label too)
            marked = k == key
            d.numbered(1, 1, run(f"lựa chọn {k}", underline=marked), paragraph_marks='<w:u w:val="single"/>' if marked else "")
    first, second = read_bytes_any(d.build(), "upload-without-extension").questions
    assert (first.title, second.title) == ("Câu 1", "Câu 2")
    assert [o.id for o in second.options] == ["A", "B", "C", "D"]  # option letters restart under each question
    assert next(o.id for o in first.options if o.correct) == "C" and next(o.id for o in second.options if o.correct) == "A"


def test_a_word_exam_converts_to_qti_moodle_and_excel_without_loss() -> None:
    from question_bank.formats import moodle_xml, qti, xlsx

    original = docx.read(national_exam(), "de.docx").questions
    for module, name in ((qti, "de.zip"), (moodle_xml, "de.xml"), (xlsx, "de.xlsx")):
        again = module.read(module.write(original, name), name).questions
        assert [q.uid for q in again] == [q.uid for q in original], name
        assert [q.type for q in again] == [q.type for q in original]


def test_part_words_inside_a_stem_do_not_start_a_part() -> None:
    d = DocxBuilder()
    d.p("Phần I. Đọc hiểu (3,0 điểm)")
    d.p("Câu 1: Nêu nội dung chính của đoạn trích.")
    d.p("PHẦN II")
    d.p("Câu 1: Xét câu thơ sau.")
    d.p("Phần I của bài thơ nói về mùa xuân.")  # part of the stem, not a heading
    d.p("a) Câu thơ dùng phép so sánh.", tab(), run("b) Câu thơ có ẩn dụ.", color="FF0000"))
    essay, cluster = docx.read(d.build(), "van.docx").questions
    assert essay.type == "essay" and essay.source == "van.docx: PHẦN I, Câu 1"
    assert cluster.stem == "Xét câu thơ sau.\nPhần I của bài thơ nói về mùa xuân."
    assert [s.correct for s in cluster.statements] == [False, True]


def test_key_headings_with_parts_and_text_keys() -> None:
    d = DocxBuilder()
    d.p("PHẦN I")
    for n in (1, 2):
        d.p(f"Câu {n}: Phép tính số {n}?")
        d.p("A. 1", tab(), "B. 2", tab(), "C. 3", tab(), "D. 4")
    d.p("PHẦN III")
    d.p("Câu 1: Kết quả của 3 − 4,5?")
    d.p("Câu 2: Kết quả của 2 × 3?")
    d.p("ĐÁP ÁN VÀ HƯỚNG DẪN CHẤM")
    d.p("Phần I:")
    d.p("Câu 1: D   Câu 2: A")
    d.p("Phần III:")
    d.p("1. -1,5  2. 6")
    q = docx.read(d.build(), "khoa.docx").questions
    assert [next(o.id for o in x.options if o.correct) for x in q[:2]] == ["D", "A"]
    assert [x.answers[0].text for x in q[2:]] == ["-1,5", "6"]


def test_a_question_label_without_punctuation_is_reported_not_swallowed_silently() -> None:
    d = DocxBuilder()
    d.p("Câu 1: Một cộng một?")
    d.p("A. 1", tab(), run("B. 2", underline=True))
    d.p("Câu 2 Hai cộng hai?")
    result = docx.read(d.build(), "thieu.docx")
    assert len(result.questions) == 1
    (warning,) = result.warnings
    assert warning.where("vi") == "Câu 1" and "Câu 2 Hai cộng hai?" in warning.text("vi")
