"""Papers and keys as one XLSX workbook for archiving: a key matrix and a sheet per paper.

Sheet "Đáp án": one row per question number, one column per paper code, each in that code's
letters (what examiners pin up after the exam). Sheet "Đối chiếu phương án": every option of
every choice question by its bank identity, with the question number and letter it has on each
code — the mapping the stored paper keeps (`papers.letter_map`), for tracing a letter on one
code to the same option on another. Sheets "Đề 0101" …: the paper's questions with options in
paper order, key, points and the bank question's uid (to trace an item back to the bank).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from question_bank.papers import LETTERS, Paper, key_table, letter_map, option_letters

FORMULA_START = ("=", "+", "-", "@")


def _put(ws, row: int, col: int, value: Any) -> None:
    """Write a cell; text that a spreadsheet would run as a formula stays text."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"


def _options(item) -> list[str]:
    q = item.question
    if q.type == "tf_cluster":
        return [s.text for s in q.statements]
    if q.type == "matching":
        return [f"{p.left} → {p.right}" if p.left else f"(nhiễu) {p.right}" for p in q.pairs]
    return [o.text for o in q.options]


def write_papers_xlsx(papers: Sequence[Paper], path: str | Path, *, keys_only: bool = False) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Đáp án"
    bold = Font(bold=True)
    _put(ws, 1, 1, "Câu")
    codes = [p.code for p in papers]
    for col, code in enumerate(codes, start=2):
        _put(ws, 1, col, code)
    for row, (number, keys) in enumerate(key_table(list(papers)), start=2):
        _put(ws, row, 1, number)
        for col, code in enumerate(codes, start=2):
            if code in keys:
                _put(ws, row, col, keys[code])
    for cell in ws[1]:
        cell.font = bold
    ws.freeze_panes = "B2"

    if not keys_only:
        _mapping_sheet(wb, papers, bold)
        for paper in papers:
            _paper_sheet(wb, paper, bold)
    wb.save(str(path))


def _mapping_sheet(wb: Workbook, papers: Sequence[Paper], bold: Font) -> None:
    """One row per option of each choice question (by bank option id), one column per code: "Câu 3: B"."""
    ws = wb.create_sheet("Đối chiếu phương án")
    codes = [p.code for p in papers]
    header = ["Mã câu hỏi", "Câu hỏi", "Mã phương án", "Phương án", "Đúng", *codes]
    for col, title in enumerate(header, start=1):
        _put(ws, 1, col, title)
        ws.cell(row=1, column=col).font = bold
    where: dict[str, dict[str, tuple[int, dict[str, str]]]] = {}  # uid -> code -> (number, id -> letter)
    for paper in papers:
        for item in paper.items:
            if letter_map(item.question):
                where.setdefault(item.question.uid, {})[paper.code] = (item.number, option_letters(item.question))
    first = {i.question.uid: i.question for p in reversed(papers) for i in p.items}
    row = 2
    for uid, places in where.items():
        q = first[uid]
        for option in sorted(q.options, key=lambda o: o.id):
            cells = [uid, q.stem, option.id, option.text, "x" if option.correct else ""]
            cells += [f"Câu {places[c][0]}: {places[c][1].get(option.id, '?')}" if c in places else "" for c in codes]
            for col, value in enumerate(cells, start=1):
                _put(ws, row, col, value)
            row += 1
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["D"].width = 40
    ws.freeze_panes = "F2"


def _paper_sheet(wb: Workbook, paper: Paper, bold: Font) -> None:
    ws = wb.create_sheet(f"Đề {paper.code}"[:31])
    width = max((len(_options(i)) for i in paper.items), default=0)
    header = ["Câu", "Phần", "Loại", "Nội dung", *(LETTERS[i] for i in range(width)), "Đáp án", "Điểm", "Mã câu hỏi"]
    for col, title in enumerate(header, start=1):
        _put(ws, 1, col, title)
        ws.cell(row=1, column=col).font = bold
    for row, item in enumerate(paper.items, start=2):
        q = item.question
        values = [item.number, item.section, q.type, q.stem]
        options = _options(item)
        values += options + [""] * (width - len(options))
        values += [item.key, q.points, q.uid]
        for col, value in enumerate(values, start=1):
            _put(ws, row, col, value)
            ws.cell(row=row, column=col).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["D"].width = 60
    for col in range(5, 5 + width):
        ws.column_dimensions[get_column_letter(col)].width = 25
    ws.freeze_panes = "B2"
