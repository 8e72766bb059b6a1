"""Paper codes (mã đề): blueprints, reproducible shuffles, keys, uniqueness, snapshots."""

from __future__ import annotations

import json
import re

import pytest

from question_bank.model import Answer, Option, Question, Statement
from question_bank.papers import (
    Blueprint,
    BlueprintError,
    Paper,
    Pool,
    Section,
    answer_key,
    generate_papers,
    load_papers,
    paper_codes,
    write_papers,
)
from question_bank.scoring import score


def mcq(n: int, topic: str = "Hàm số", difficulty: str = "NB", locked_last: bool = False) -> Question:
    options = [Option(id=f"q{n}{c}", text=f"Câu {n} phương án {c}", fraction=1.0 if c == "B" else 0.0) for c in "ABCD"]
    if locked_last:
        options[3] = Option(id=f"q{n}D", text="Cả A và B đều đúng", locked=True)
    return Question(type="single_choice", stem=f"Câu hỏi {n}", options=options, topic=topic, difficulty=difficulty,
                    tags=[f"t{n % 3}"]).with_uid()


def cluster(n: int) -> Question:
    statements = [Statement(id=k, text=f"Ý {k} của câu {n}", correct=k in "ac") for k in "abcd"]
    return Question(type="tf_cluster", stem=f"Chùm {n}", statements=statements, topic="Hàm số").with_uid()


def sa4(n: int) -> Question:
    return Question(type="short_answer4", stem=f"Tính {n}", answers=[Answer(f"{n},5")], topic="Hàm số").with_uid()


def bank() -> list[Question]:
    return [mcq(i, difficulty="NB" if i % 2 else "TH") for i in range(30)] + [cluster(i) for i in range(8)] + [
        sa4(i) for i in range(10)
    ]


def math_blueprint(**kw) -> Blueprint:
    return Blueprint(
        title="Đề thi thử Toán",
        seed=2025,
        sections=[
            Section("Phần I", draw=12, points=0.25, pool=Pool(types=["single_choice"])),
            Section("Phần II", draw=4, points=1.0, pool=Pool(types=["tf_cluster"]), shuffle_statements=True),
            Section("Phần III", draw=6, points=0.5, pool=Pool(types=["short_answer4"])),
        ],
        **kw,
    )


def test_paper_codes():
    assert paper_codes(24, "0101")[:2] == ["0101", "0102"]
    assert paper_codes(24, "0101")[-1] == "0124"
    with pytest.raises(ValueError):
        paper_codes(5, "98")
    with pytest.raises(ValueError):
        paper_codes(2, "A1")


def test_generates_distinct_reproducible_papers_worth_ten_points():
    codes = paper_codes(24)
    first = generate_papers(math_blueprint(), bank(), codes)
    assert not first.warnings
    assert len({p.fingerprint() for p in first.papers}) == 24
    for paper in first.papers:
        assert paper.max_points == pytest.approx(10.0)
        assert [i.number for i in paper.items] == list(range(1, 23))
        assert [i.section for i in paper.items] == ["Phần I"] * 12 + ["Phần II"] * 4 + ["Phần III"] * 6
    # Same questions on every paper (same_questions default), in different orders.
    uids = [sorted(i.question.uid for i in p.items) for p in first.papers]
    assert all(u == uids[0] for u in uids)
    # Reproducible from the seed: regenerate with the same inputs.
    same = generate_papers(math_blueprint(), bank(), codes)
    assert [p.to_dict() for p in same.papers] == [p.to_dict() for p in first.papers]
    # The bank's order (e.g. as a database returns it) does not matter.
    reordered = generate_papers(math_blueprint(), list(reversed(bank())), codes)
    assert [p.to_dict() for p in reordered.papers] == [p.to_dict() for p in first.papers]
    # Paper 0107 does not depend on how many others were generated.
    alone = generate_papers(math_blueprint(), bank(), ["0107"]).papers[0]
    assert alone.to_dict() == first.papers[6].to_dict()
    # Another seed gives other papers.
    other = generate_papers(math_blueprint(), bank(), codes, seed=7)
    assert other.papers[0].fingerprint() != first.papers[0].fingerprint()


def test_key_follows_shuffled_options_and_grades():
    paper = generate_papers(math_blueprint(), bank(), ["0101"]).papers[0]
    for item in paper.items[:12]:
        q = item.question
        letter = item.key
        assert len(letter) == 1
        correct = q.options["ABCD".index(letter)]
        assert correct.text.endswith("phương án B")
        assert score(q, correct.id).points == 0.25
    cl = paper.items[12].question
    assert answer_key(cl) == " ".join(f"{'abcd'[i]}) {'Đ' if s.correct else 'S'}" for i, s in enumerate(cl.statements))
    perfect = {s.id: s.correct for s in cl.statements}
    assert score(cl, perfect).points == 1.0


def test_options_shuffle_across_papers_and_locked_options_stay():
    questions = [mcq(i, locked_last=True) for i in range(5)]
    bp = Blueprint("x", [Section("I", draw=5, pool=Pool())], seed=1)
    papers = generate_papers(bp, questions, paper_codes(10)).papers
    orders = set()
    for p in papers:
        for item in p.items:
            assert item.question.options[3].text == "Cả A và B đều đúng"
            orders.add(tuple(o.id for o in item.question.options))
    assert len(orders) > 5  # options really move


def test_section_overrides_points_and_table_without_touching_bank():
    questions = [cluster(i) for i in range(4)]
    table = {0: 0.0, 1: 0.25, 2: 0.5, 3: 0.75, 4: 1.0}
    bp = Blueprint("x", [Section("II", draw=4, points=2.0, table=table, pool=Pool())])
    q = generate_papers(bp, questions, ["0101"]).papers[0].items[0].question
    assert q.points == 2.0 and q.scoring.table == table
    assert all(b.points == 1.0 and not b.scoring.table for b in questions)
    three_right = {s.id: s.correct for s in q.statements}
    three_right[q.statements[0].id] = not q.statements[0].correct
    assert score(q, three_right).points == 1.5


def test_pool_filters_and_no_question_twice():
    questions = bank()
    bp = Blueprint("x", [
        Section("NB", draw=10, pool=Pool(types=["single_choice"], difficulties=["NB"])),
        Section("any", draw=15, pool=Pool(types=["single_choice"])),
    ])
    paper = generate_papers(bp, questions, ["1"]).papers[0]
    assert all(i.question.difficulty == "NB" for i in paper.items[:10])
    assert len({i.question.uid for i in paper.items}) == 25
    tagged = Blueprint("x", [Section("t", draw=10, pool=Pool(tags=["t0"]))])
    assert all("t0" in i.question.tags for i in generate_papers(tagged, questions, ["1"]).papers[0].items)


def test_pool_too_small_is_a_clear_error():
    bp = Blueprint("x", [Section("Phần II", draw=9, pool=Pool(types=["tf_cluster"]))])
    with pytest.raises(BlueprintError, match="Phần II.*needs 9 questions.*only 8") as err:
        generate_papers(bp, bank(), ["0101"])
    assert err.value.code == "qb.paper.pool_too_small" and err.value.params["draw"] == 9
    assert err.value.message("vi") == "phần 'Phần II': cần 9 câu nhưng ngân hàng chỉ có 8 câu phù hợp"


def test_identical_papers_only_when_pool_cannot_allow_and_then_warns():
    fixed = Blueprint("x", [Section("I", draw=3, pool=Pool(), shuffle_questions=False, shuffle_options=False)])
    result = generate_papers(fixed, [mcq(i) for i in range(3)], paper_codes(3))
    assert len(result.papers) == 3
    assert result.warnings and "0102 = 0101" in result.warnings[0].text("vi") and "1 đề" in result.warnings[0].text("vi")
    # Two questions with options fixed: 2 orders only; four codes -> two repeats.
    two = Blueprint("x", [Section("I", draw=2, pool=Pool(), shuffle_options=False)])
    result = generate_papers(two, [mcq(i) for i in range(2)], paper_codes(4))
    assert len({p.fingerprint() for p in result.papers}) == 2
    assert "khoảng 2 đề" in result.warnings[0].text("vi") and "about 2 distinct papers" in str(result.warnings[0])


def test_unique_paper_per_candidate_draws_from_pool():
    bp = Blueprint("x", [Section("I", draw=10, pool=Pool(types=["single_choice"]))], same_questions=False, seed="kỳ 1")
    candidates = [f"079{i:09d}" for i in range(40)]
    result = generate_papers(bp, bank(), candidates)
    assert not result.warnings
    assert len({p.fingerprint() for p in result.papers}) == 40
    assert len({frozenset(i.question.uid for i in p.items) for p in result.papers}) > 1  # different draws
    again = generate_papers(bp, bank(), candidates[5:6]).papers[0]
    assert again.to_dict() == result.papers[5].to_dict()


def test_snapshot_round_trip(tmp_path):
    papers = generate_papers(math_blueprint(), bank(), paper_codes(3)).papers
    data = papers[0].to_dict()
    assert set(data) >= {"code", "seed", "items"}
    item = data["items"][0]
    assert set(item) >= {"number", "section", "question"}
    assert item["question"]["points"] == 0.25
    json.dumps(data, ensure_ascii=False)  # plain JSON
    assert Paper.from_dict(data).to_dict() == data
    write_papers(papers, tmp_path / "p.json")
    assert [p.to_dict() for p in load_papers(tmp_path / "p.json")] == [p.to_dict() for p in papers]


def test_blueprint_from_toml(tmp_path):
    path = tmp_path / "de.toml"
    path.write_text(
        """
title = "Đề Toán"
seed = 5
codes = { count = 4, start = "0201" }
bank = ["bank.json"]

[[sections]]
name = "Phần II"
draw = 2
points = 1.0
table = { "1" = 0.1, "2" = 0.25, "3" = 0.5, "4" = 1.0 }
[sections.pool]
types = ["tf_cluster"]
""",
        encoding="utf-8",
    )
    bp = Blueprint.load(path)
    assert bp.codes == ["0201", "0202", "0203", "0204"]
    assert bp.sections[0].table == {1: 0.1, 2: 0.25, 3: 0.5, 4: 1.0}
    assert bp.bank == [str(tmp_path / "bank.json")]


def test_bad_blueprint_names_every_problem():
    with pytest.raises(BlueprintError) as err:
        Blueprint.from_dict({
            "title": "x",
            "colour": "red",
            "sections": [{"draw": 0}, {"draw": 2, "pool": {"types": ["mcq"], "level": 1}}],
        })
    text = str(err.value)
    assert "colour" in text
    assert "sections[0]" in text and "draw" in text
    assert "sections[1].pool" in text and "level" in text and "mcq" in text
    with pytest.raises(BlueprintError, match="section"):
        Blueprint.from_dict({"title": "x", "sections": []})
    with pytest.raises(BlueprintError) as err:
        Blueprint.from_dict({
            "title": "x",
            "same_questions": "yes",
            "sections": [{"draw": 2, "points": "0,25", "shuffle_options": 1, "pool": {"topics": "Hàm số"}},
                         {"draw": True}, {"draw": 2, "points": -1}],
        })
    text = err.value.message("vi")
    for expected in ("'same_questions' sai kiểu", "sections[0]: 'points' sai kiểu", "'shuffle_options' sai kiểu",
                     "sections[0].pool: 'topics' sai kiểu, cần list of text", "sections[1]: 'draw' sai kiểu",
                     "sections[2]: 'points' phải dương"):
        assert expected in text


def every_type_paper() -> Paper:
    import base64
    import io

    from PIL import Image as PILImage

    from question_bank.model import Media, Pair
    from question_bank.papers import PaperItem

    png = io.BytesIO()
    PILImage.new("RGB", (40, 20), (200, 30, 30)).save(png, format="PNG")
    picture = Media("hinh1.png", "image/png", base64.b64encode(png.getvalue()).decode())
    questions = [
        Question(type="single_choice", stem="Đồ thị hàm số nào? @@MEDIA/hinh1.png", media=[picture],
                 options=[Option("a", "$y=x^2$", 1.0), Option("b", "y = 2x"), Option("c", "Cả A và B đều đúng", locked=True)]),
        Question(type="multiple_response", stem="=HYPERLINK(\"http://x\")", options=[Option("a", "+1", 0.5), Option("b", "@2", 0.5)]),
        Question(type="true_false", stem="Nước sôi ở 100 °C.", correct_bool=True),
        Question(type="matching", stem="Ghép thủ đô", pairs=[Pair("l1", "Việt Nam", "Hà Nội"), Pair("l2", "Lào", "Viêng Chăn")]),
        Question(type="ordering", stem="Sắp xếp", options=[Option("o1", "Lý"), Option("o2", "Trần")]),
        Question(type="numeric", stem="π ≈ ?", answers=[Answer("3,14", tolerance=0.01)]),
        Question(type="short_text", stem="Thủ đô?", answers=[Answer("Hà Nội")]),
        Question(type="essay", stem="Nghị luận về lòng biết ơn.", points=3),
        cluster(1),
        sa4(2),
        Question(type="description", stem="Đọc đoạn văn sau <và> trả lời & giải thích."),
    ]
    items = [PaperItem(n, "Phần chung", q) for n, q in enumerate(questions, start=1)]
    return Paper("0301", "7", items, "Kiểm tra học kỳ — Ngữ văn & Toán")


def test_keys_of_every_type():
    keys = [i.key for i in every_type_paper().items]
    assert keys == ["A", "AB", "Đúng", "1-A, 2-B", "Lý → Trần", "3,14", "Hà Nội", "(chấm tay)",
                    "a) Đ b) S c) Đ d) S", "2,5", ""]


def test_pdf_of_every_type_with_vietnamese_text_and_image(tmp_path):
    from pypdf import PdfReader

    from question_bank.print import write_keys_pdf, write_papers_pdf

    paper = every_type_paper()
    write_papers_pdf([paper], tmp_path / "de.pdf")
    reader = PdfReader(tmp_path / "de.pdf")
    text = "".join(p.extract_text() for p in reader.pages)
    for expected in ("Mã đề: 0301", "Câu 1.", "Cả A và B đều đúng", "Nghị luận về lòng biết ơn", "Viêng Chăn",
                     "<và> trả lời & giải thích", "3 điểm", "$y=x^2$"):
        assert expected in text
    assert "@@MEDIA" not in text
    assert sum(len(p.images) for p in reader.pages) == 1
    write_keys_pdf([paper], tmp_path / "dapan.pdf")
    keys = "".join(p.extract_text() for p in PdfReader(tmp_path / "dapan.pdf").pages)
    assert "a) Đ b) S c) Đ d) S" in keys and "(chấm tay)" in keys


def test_xlsx_keeps_formula_like_text_as_text(tmp_path):
    from openpyxl import load_workbook

    from question_bank.print import write_papers_xlsx

    write_papers_xlsx([every_type_paper()], tmp_path / "de.xlsx")
    ws = load_workbook(tmp_path / "de.xlsx")["Đề 0301"]
    row = [c.value for c in ws[3]]
    assert row[3] == '=HYPERLINK("http://x")' and ws.cell(row=3, column=4).data_type == "s"
    assert row[4:6] == ["+1", "@2"]
    assert [c.value for c in ws[1]][:5] == ["Câu", "Phần", "Loại", "Nội dung", "A"]
    keys_only = tmp_path / "keys.xlsx"
    write_papers_xlsx([every_type_paper()], keys_only, keys_only=True)
    assert load_workbook(keys_only).sheetnames == ["Đáp án"]


def test_overlapping_pools_draw_narrow_first_or_refuse():
    questions = [mcq(i, difficulty="NB" if i < 15 else "TH") for i in range(30)]
    # "Any" listed first takes 20 of 30; the 10 NB ones still fit because narrow pools draw first.
    ok = Blueprint("x", [Section("any", draw=20, pool=Pool()), Section("NB", draw=10, pool=Pool(difficulties=["NB"]))])
    for code in paper_codes(20):
        paper = generate_papers(ok, questions, [code]).papers[0]
        assert len({i.question.uid for i in paper.items}) == 30
        assert all(i.question.difficulty == "NB" for i in paper.items[20:])
    too_many = Blueprint("x", [Section("any", draw=21, pool=Pool()), Section("NB", draw=10, pool=Pool(difficulties=["NB"]))])
    with pytest.raises(BlueprintError) as err:
        generate_papers(too_many, questions, ["1"])
    assert re.search("'any'.*cần 21.*10 câu có thể đã được phần khác rút", err.value.message("vi"))


def test_ordering_key_does_not_leak_to_the_candidate():
    q = Question(type="ordering", stem="Sắp xếp các triều đại", points=1,
                 options=[Option(f"o{i}", name) for i, name in enumerate(["Lý", "Trần", "Hồ", "Lê", "Nguyễn"], 1)])
    bp = Blueprint("x", [Section("I", draw=1, pool=Pool())], seed=1)
    shown = set()
    for paper in generate_papers(bp, [q.with_uid()], paper_codes(6)).papers:
        stored = paper.items[0].question
        assert [o.text for o in stored.options] == ["Lý", "Trần", "Hồ", "Lê", "Nguyễn"]  # the key
        assert not any(o.id.startswith("o") for o in stored.options)
        public = [o["text"] for o in stored.public_dict()["options"]]
        shown.add(tuple(public))
        assert score(stored, [o.id for o in stored.options]).status == "correct"
    assert len(shown) > 1
