"""Printed papers and keys of the blank types (issue 15): numbered blanks "(1) ………", the choices
of choice blanks and gapselect gaps listed by letter, the word bank of a ddwtos, and each
blank's key on the keys PDF — never a raw `{#N}` / `[[N]]` placeholder."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader

from question_bank.papers import Blueprint, Pool, Section, generate_papers
from question_bank.print.pdf import write_keys_pdf, write_papers_pdf
from tests.question_bank.test_blank_types import DDWTOS, GAPSELECT, cloze_xml, read

CLOZE = ("<p>Thủ đô của Việt Nam là {1:MC:=Hà Nội~Huế~Đà Nẵng}.</p><p>Hồ ở trung tâm là hồ "
         "{2:SA:=Hoàn Kiếm~%50%Hồ Gươm}, lập năm {1:NM:=1010:2}; sông chảy qua là {1:MR:%50%Sông Hồng~%50%Sông Đuống~%-100%Sông Cửu Long}"
         " &amp; x &lt; 3.</p>")


def _pdf_text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def _papers(shuffle: bool = False):
    questions = read(cloze_xml(CLOZE), GAPSELECT, DDWTOS)
    blueprint = Blueprint("Đề kiểm tra Tiếng Việt", [Section("Phần I", draw=3, pool=Pool(), shuffle_questions=False,
                                                             shuffle_options=shuffle)], seed=3)
    return generate_papers(blueprint, questions, ["0101"]).papers


def test_paper_prints_numbered_blanks_choices_and_word_bank(tmp_path: Path) -> None:
    write_papers_pdf(_papers(), tmp_path / "de.pdf")
    text = _pdf_text(tmp_path / "de.pdf")
    assert "{#" not in text and "[[" not in text and "<p>" not in text
    # cloze: the stem's blanks are numbered, HTML gone (entities read as text)
    assert "Thủ đô của Việt Nam là (1) ………" in text and "hồ (2) ………, lập năm (3) ………" in text
    assert "& x < 3." in text
    # the choices of the multichoice and multiresponse blanks, by letter; none for typed ones
    assert re.search(r"\(1\) A\. (Hà Nội|Huế|Đà Nẵng) B\. (Hà Nội|Huế|Đà Nẵng) C\. ", text)
    cloze = text.split("Câu 2.")[0]
    assert "(4) (chọn một hoặc nhiều) A." in cloze and "(2) A." not in cloze and "(3) A." not in cloze
    # gapselect: each gap with the choices of its group
    assert "Con (1) ……… ngồi trên (2) ………, (3) ……… kêu." in text
    assert re.search(r"\(1\) A\. (mèo|chó) B\. (mèo|chó)", text) and re.search(r"\(2\) A\. (chiếu|ghế) B\.", text)
    # ddwtos: the word bank, the reusable word marked
    assert "(1) ……… + (2) ……… = (3) ………" in text
    assert "Các từ cho sẵn:" in text and "[ một (dùng được nhiều lần) ]" in text and "[ hai ]" in text


def test_keys_pdf_shows_each_blanks_key(tmp_path: Path) -> None:
    papers = _papers(shuffle=True)
    write_keys_pdf(papers, tmp_path / "dap-an.pdf")
    text = _pdf_text(tmp_path / "dap-an.pdf")
    cloze, gapselect, ddwtos = (i.question for i in papers[0].items)
    hanoi = "ABC"[[a.text for a in cloze.blanks[0].answers].index("Hà Nội")]
    assert f"(1) {hanoi}. Hà Nội" in text  # the letter of this paper's (shuffled) order
    assert "(2) Hoàn Kiếm | Hồ Gươm (50 %)" in text and "(3) 1010 ± 2" in text
    assert re.search(r"\(4\) [ABC]\. Sông (Hồng|Đuống) \+ [ABC]\. Sông (Hồng|Đuống)", text)
    assert "Cửu Long" not in text.split("(4)")[1].split("điểm")[0]
    # each blank's share: the cloze is worth Σ weights = 5 points, blank 2 weighs 2; a
    # ddwtos of 1 point has three equal gaps
    assert "(2) Hoàn Kiếm | Hồ Gươm (50 %) — 2 điểm" in text and "(3) hai — 0,33 điểm" in text
    mèo = "AB"[[c.text for c in gapselect.choices if c.group == 1].index("mèo")]
    assert f"(1) {mèo}. mèo" in text
    assert "(1) một" in text and "(2) một" in text and "(3) hai" in text
    assert "{#" not in text and ddwtos.type == "ddwtos"
