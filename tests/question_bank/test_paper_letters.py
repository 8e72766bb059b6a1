"""Options are lettered per paper code: keys, printouts and statistics use the code's letters.

The fixture is a two-code paper where the bank's correct option ("o2") is B on code 101 and D
on code 102; bank ids are deliberately letters-free so a test cannot pass by showing an id.
"""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from question_bank.analysis import Attempt, table_from_papers
from question_bank.errors import QuestionBankError
from question_bank.model import Option, Question
from question_bank.papers import (
    Blueprint,
    Paper,
    PaperItem,
    Pool,
    Section,
    answer_key,
    generate_papers,
    key_table,
    letter_map,
    letters_of,
    load_papers,
    option_letters,
    write_papers,
)
from question_bank.print import write_keys_pdf, write_papers_xlsx
from question_bank.scoring import score

TEXTS = {"o1": "Hải Phòng", "o2": "Hà Nội", "o3": "Đà Nẵng", "o4": "Huế"}
ORDER = {"101": ["o1", "o2", "o3", "o4"], "102": ["o3", "o1", "o4", "o2"]}


def _capital(order: list[str]) -> Question:
    options = [Option(i, TEXTS[i], 1.0 if i == "o2" else 0.0) for i in order]
    return Question(type="single_choice", stem="Thủ đô của Việt Nam là", options=options, uid="u-capital")


def _other(order: list[str]) -> Question:
    options = [Option(f"p{i}", f"Số {i}", 1.0 if i == 1 else 0.0) for i in (1, 2)]
    return Question(type="single_choice", stem="Hai cộng hai", uid="u-other",
                    options=options if order[0] == "o1" else options[::-1])


def two_codes() -> list[Paper]:
    return [Paper(code, "s", [PaperItem(1, "Phần I", _capital(order)), PaperItem(2, "Phần I", _other(order))],
                  "Kiểm tra Địa lí") for code, order in ORDER.items()]


def test_the_keys_say_b_on_101_and_d_on_102() -> None:
    p101, p102 = two_codes()
    assert answer_key(p101.items[0].question) == "B" and p101.items[0].key == "B"
    assert answer_key(p102.items[0].question) == "D"
    assert key_table([p101, p102])[0] == (1, {"101": "B", "102": "D"})
    assert letter_map(p102.items[0].question) == {"A": "o3", "B": "o1", "C": "o4", "D": "o2"}
    assert option_letters(p102.items[0].question)["o2"] == "D"
    assert letters_of(p102.items[0].question, "o2") == "D"
    assert letters_of(p102.items[0].question, ["o2", "o3"]) == "AD"
    assert letters_of(p102.items[0].question, "o9") == "?"  # not an option of this paper
    assert letter_map(Question(type="short_text", stem="x")) == {}


def test_the_mapping_round_trips_through_the_stored_snapshot(tmp_path) -> None:
    papers = two_codes()
    write_papers(papers, tmp_path / "papers.json")
    stored = json.loads((tmp_path / "papers.json").read_text(encoding="utf-8"))
    assert stored[1]["items"][0]["letters"] == {"A": "o3", "B": "o1", "C": "o4", "D": "o2"}
    assert stored[1]["items"][0]["key"] == "D"
    back = load_papers(tmp_path / "papers.json")
    assert [p.letters() for p in back] == [p.letters() for p in papers]
    # The server stores the snapshot (Question.to_dict per item): the dict gives the same map.
    snapshot = [i.question.to_dict() for i in back[1].items]
    assert letter_map(snapshot[0]) == letter_map(papers[1].items[0].question)
    assert letters_of(snapshot[0], "o2") == "D"
    # A hand-edited mapping that disagrees with the option order is refused, not trusted.
    stored[1]["items"][0]["letters"]["D"] = "o1"
    (tmp_path / "bad.json").write_text(json.dumps(stored), encoding="utf-8")
    with pytest.raises(QuestionBankError) as err:
        load_papers(tmp_path / "bad.json")
    assert "102" in err.value.message("vi") and "câu 1" in err.value.message("vi")


def test_generated_papers_letter_their_key_option() -> None:
    bank = [Question(type="single_choice", stem=f"Câu {n}", uid=f"q{n}",
                     options=[Option(f"q{n}-{k}", f"phương án {k}", 1.0 if k == 0 else 0.0) for k in range(4)])
            for n in range(6)]
    blueprint = Blueprint(title="T", seed=7, codes=["101", "102", "103"],
                          sections=[Section("Phần I", draw=6, pool=Pool(types=["single_choice"]))])
    papers = generate_papers(blueprint, bank).papers
    letters_seen = set()
    for paper in papers:
        for item in paper.items:
            right = letter_map(item.question)[item.key]
            assert score(item.question, right).status == "correct"
            letters_seen.add(item.key)
    assert len(letters_seen) > 1  # shuffled: the key is not always the same letter


def test_key_printouts_use_each_codes_letters(tmp_path) -> None:
    papers = two_codes()
    write_keys_pdf(papers, tmp_path / "keys.pdf")
    pages = [page.extract_text() for page in PdfReader(tmp_path / "keys.pdf").pages]
    combined = pages[0]
    assert "BẢNG ĐÁP ÁN CÁC MÃ ĐỀ" in combined and "101" in combined and "102" in combined
    words = combined.split()
    table = words[words.index("Câu"):]
    assert table[:9] == ["Câu", "101", "102", "1", "B", "D", "2", "A", "B"]  # each code's own letters
    rest = "\n".join(pages[1:])
    assert "Mã đề 102" in rest and "o2" not in rest

    write_papers_xlsx(papers, tmp_path / "papers.xlsx")
    wb = load_workbook(tmp_path / "papers.xlsx")
    keys = wb["Đáp án"]
    assert [c.value for c in keys[1]] == ["Câu", "101", "102"]
    assert [c.value for c in keys[2]] == [1, "B", "D"]
    mapping = wb["Đối chiếu phương án"]
    rows = {r[2]: r for r in mapping.iter_rows(min_row=2, values_only=True)}
    assert rows["o2"][3:] == ("Hà Nội", "x", "Câu 1: B", "Câu 1: D")
    assert rows["o3"][5:] == ("Câu 1: C", "Câu 1: A")
    sheet = wb["Đề 102"]
    assert [c.value for c in sheet[2]][4:8] == ["Đà Nẵng", "Hải Phòng", "Huế", "Hà Nội"]


def _attempts() -> list[Attempt]:
    # On 102 the strong candidates choose "o2" (shown as D); on 101 too (shown as B).
    out = []
    for n in range(12):
        code = "101" if n % 2 else "102"
        strong = n >= 4
        out.append(Attempt(f"c{n}", code, {1: "o2" if strong else "o3", 2: "p1" if strong else "p2"}))
    return out


def test_pooled_analysis_counts_one_bank_option_with_its_letter_per_code() -> None:
    report = table_from_papers(two_codes(), _attempts()).analyse()
    capital = report.items[0]
    right = next(o for o in capital.options if o.label == "o2")
    assert right.is_key and right.count == 8
    assert right.text == "Hà Nội" and right.letters == {"101": "B", "102": "D"}
    assert right.counts_by_code == {"101": 4, "102": 4}
    wrong = next(o for o in capital.options if o.label == "o3")
    assert wrong.letters == {"101": "C", "102": "A"} and wrong.counts_by_code == {"101": 2, "102": 2}
    unchosen = next(o for o in capital.options if o.label == "o4")  # an option nobody chose still shows
    assert unchosen.count == 0 and unchosen.letters == {"101": "D", "102": "C"}
    assert report.to_dict()["items"][0]["options"][1]["letters"] == {"101": "B", "102": "D"}


def test_analysis_of_one_code_names_options_by_its_letters() -> None:
    report = table_from_papers(two_codes(), _attempts(), code="102").analyse()
    assert report.test.candidates == 6
    labels = {o.label: o for o in report.items[0].options}
    assert set(labels) == {"A", "B", "C", "D"}
    assert labels["D"].is_key and labels["D"].count == 4 and labels["D"].text == "Hà Nội"
    assert labels["A"].count == 2 and labels["A"].text == "Đà Nẵng"
    with pytest.raises(QuestionBankError):
        table_from_papers(two_codes(), _attempts(), code="999")
