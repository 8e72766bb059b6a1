"""Excel template (import and export): one question per row of the first sheet.

Row 1 holds the headers (Vietnamese as below, or the English name in brackets); their order
does not matter, unknown columns are refused, empty rows are skipped.

| Column (English)        | Content |
|-------------------------|---------|
| Loại (type)             | single_choice, multiple_response, true_false, short_text, numeric, matching, ordering, essay, tf_cluster, short_answer4, description |
| Chủ đề (topic)          | e.g. "Toán 12/Hàm số" |
| Mức độ (difficulty)     | NB, TH, VD, VDC (or any label) |
| Điểm (points)           | number, decimal comma or point; empty = 1 |
| Thẻ (tags)              | comma-separated |
| Tiêu đề (title)         | optional |
| Đề bài (stem)           | the question text; LaTeX between $…$ |
| A … H                   | options (choice, ordering: in the correct order), statements a)–d) of a Đúng/Sai cluster, matching pairs "left => right" ("=> right" alone is a distractor), or an essay's rubric criteria "id | points | description" |
| Đáp án (key)            | single_choice "B"; multiple_response "A, C"; with credits "A=50%, C=50%, D=-100%" (partial credit); true_false "Đúng"/"Sai"; tf_cluster "ĐSĐS" (one letter per statement); short_text / numeric answers separated by "|", numeric as "3,14 ± 0,01", a credit as "[50%]"; short_answer4 "-1,5"; empty for ordering, matching, essay, description |
| Chấm (scoring)          | short_text: exact, ci, accent_insensitive, regex; multiple_response: all_or_nothing (default without %) or partial |
| Khoá (locked)           | option letters that stay in place when shuffling, e.g. "D" |
| Giải thích (feedback)   | general feedback shown after the exam |
| Ảnh (media)             | names of the pictures placed in this row's cell, one per line, as the stem refers to them (`@@MEDIA/name`); pictures pasted into a row without names are attached and shown after the stem |

Pictures (PNG, JPEG, GIF) are placed over their row's Ảnh cell; other media (e.g. WMF
equations from Word) cannot be exported to XLSX (use Moodle XML or QTI).
Per-option feedback has no column and is not carried.
"""

from __future__ import annotations

import io
import mimetypes
import re
from base64 import b64decode, b64encode
from dataclasses import replace
from typing import Any, cast

from question_bank.errors import ExportFailed, FormatIssue, ImportResult, Place, QuestionBankError
from question_bank.formats.collect import Issues, parse_number
from question_bank.formats.safe_input import SafeZip, fail
from question_bank.formats.xlsx_images import first_sheet_images
from question_bank.messages import msg, render
from question_bank.model import (
    BLANK_TYPES,
    QUESTION_TYPES,
    TF_CLUSTER_TABLE,
    Answer,
    Media,
    Option,
    Pair,
    Question,
    QuestionType,
    RubricCriterion,
    Scoring,
    Statement,
    nfc,
)

LETTERS = "ABCDEFGH"
COLUMNS: list[tuple[str, str]] = [
    ("type", "Loại"),
    ("topic", "Chủ đề"),
    ("difficulty", "Mức độ"),
    ("points", "Điểm"),
    ("tags", "Thẻ"),
    ("title", "Tiêu đề"),
    ("stem", "Đề bài"),
    *[(letter, letter) for letter in LETTERS],
    ("key", "Đáp án"),
    ("scoring", "Chấm"),
    ("locked", "Khoá"),
    ("feedback", "Giải thích"),
    ("media", "Ảnh"),
]
HEADER_ALIASES = {nfc(vi).casefold(): key for key, vi in COLUMNS} | {key.casefold(): key for key, _ in COLUMNS}
CREDIT = re.compile(r"^(.*?)\s*\[(-?\d+(?:[.,]\d+)?)%\]$")
TRUE_WORDS = {"đúng", "đ", "true", "t", "1"}
FALSE_WORDS = {"sai", "s", "false", "f", "0"}
SHEET = "Câu hỏi"
GUIDE = [  # the "Hướng dẫn" sheet of every exported file: the template for the teacher
    ("Loại (type)", "single_choice (một đáp án), multiple_response (nhiều đáp án), true_false, short_text (điền từ), numeric (số), "
     "matching (ghép cặp), ordering (sắp xếp), essay (tự luận), tf_cluster (Đúng/Sai 4 ý), short_answer4 (trả lời ngắn), description (đoạn dẫn)"),
    ("Chủ đề (topic)", "ví dụ \"Toán 12/Hàm số\""),
    ("Mức độ (difficulty)", "NB, TH, VD, VDC"),
    ("Điểm (points)", "số, dấu phẩy hoặc dấu chấm thập phân; để trống = 1"),
    ("Thẻ (tags)", "cách nhau bởi dấu phẩy"),
    ("Tiêu đề (title)", "không bắt buộc"),
    ("Đề bài (stem)", "nội dung câu hỏi; công thức LaTeX đặt giữa $…$"),
    ("A … H", "các phương án (câu sắp xếp: theo thứ tự đúng); các ý a) b) c) d) của câu Đúng/Sai; cặp ghép \"trái => phải\" "
     "(\"=> phải\" là phương án nhiễu); tiêu chí chấm câu tự luận \"mã | điểm | mô tả\""),
    ("Đáp án (key)", "một đáp án: B; nhiều đáp án: A, C; có tỉ lệ điểm: A=50%, C=50%, D=-100%; Đúng/Sai: Đúng hoặc Sai; "
     "tf_cluster: ĐSĐS (mỗi ý một chữ); điền từ / số: các đáp án cách nhau bởi |, số dạng 3,14 ± 0,01, tỉ lệ [50%]; "
     "trả lời ngắn: -1,5; để trống với sắp xếp, ghép cặp, tự luận, đoạn dẫn"),
    ("Chấm (scoring)", "điền từ: exact (chính xác), ci (không phân biệt hoa thường), accent_insensitive (bỏ qua dấu), regex; "
     "nhiều đáp án: all_or_nothing (mặc định khi không có %) hoặc partial"),
    ("Khoá (locked)", "chữ cái các phương án giữ nguyên vị trí khi trộn, ví dụ D (\"Cả A và B đều đúng\")"),
    ("Giải thích (feedback)", "lời giải hiển thị sau khi thi"),
    ("Ảnh (media)", "tên các ảnh đặt trong ô này của dòng, mỗi tên một dòng, đề bài tham chiếu bằng @@MEDIA/tên; "
     "ảnh dán vào dòng mà không ghi tên sẽ được gắn vào cuối đề bài"),
]
PICTURE_TYPES = {"image/png", "image/jpeg", "image/gif"}  # what openpyxl stores byte for byte
TAKES_CELLS = {"single_choice", "multiple_response", "ordering", "tf_cluster", "matching", "essay"}


# -- import -------------------------------------------------------------------------------
def read(data: bytes, file: str) -> ImportResult:
    package = SafeZip(data, file)  # bombs and traversal are refused before openpyxl unpacks anything
    for name in package.names():
        if name.endswith((".xml", ".rels")) and b"<!DOCTYPE" in package.read(name):
            raise fail(file, msg("qb.xlsx.dtd_refused"), name)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
    except Exception as exc:  # openpyxl raises many kinds for broken workbooks
        raise fail(file, msg("qb.xlsx.unreadable", detail=f"{type(exc).__name__}: {exc}")) from None
    issues = Issues(file)
    if not rows:
        raise fail(file, msg("qb.xlsx.empty_sheet"))
    header: list[str | None] = []
    for col, cell in enumerate(rows[0], start=1):
        name = nfc(str(cell or "")).strip().casefold()
        if not name:
            header.append(None)
        elif name in HEADER_ALIASES:
            header.append(HEADER_ALIASES[name])
        else:
            issues.error(msg("qb.where.cell", row=1, column=col), msg("qb.xlsx.unknown_column", heading=str(cell)))
            header.append(None)
    for required in ("type", "stem"):
        if required not in header:
            issues.error(msg("qb.where.row", row=1), msg("qb.xlsx.missing_column", column=dict(COLUMNS)[required], key=required))
    issues.raise_if_errors()
    questions: list[Question] = []
    locations: list[Place] = []
    pictures = first_sheet_images(package, file)
    for number, values in enumerate(rows[1:], start=2):
        row = {key: _cell(v) for key, v in zip(header, values, strict=False) if key}
        if not any(row.values()):
            continue
        where = msg("qb.where.row", row=number)
        try:
            question = _question(row)
            question.media = _media(question, row.get("media", ""), pictures.get(number, []), issues, number)
        except QuestionBankError as exc:
            for problem in exc.problems:
                issues.error(where, problem)
            continue
        except ValueError as exc:  # the model refusing a value
            issues.error(where, msg("qb.invalid_value", detail=str(exc)))
            continue
        question.source = f"{file}: {render(where)}"
        questions.append(question)
        locations.append(where)
    return issues.finish(questions, locations)


def _media(question: Question, listed: str, pictures: list[tuple[str, bytes]], issues: Issues, number: int) -> list[Media]:
    """The pictures anchored in a question's row, named by the Ảnh column (in order)."""
    names = [name.strip() for name in listed.splitlines() if name.strip()]
    if names and len(names) != len(pictures):
        raise QuestionBankError(msg("qb.xlsx.media_count", names=len(names), pictures=len(pictures)))
    if not names:  # pictures pasted by a teacher: keep Excel's names and show them after the stem
        names = [f"dong{number}_{name}" for name, _ in pictures]
        if names:
            question.stem += "".join(f"\n@@MEDIA/{name}" for name in names)
            issues.note(msg("qb.xlsx.pictures_appended", row=number, count=len(names)))
    return [
        Media(name, mimetypes.guess_type(name)[0] or "application/octet-stream", b64encode(data).decode())
        for name, (_, data) in zip(names, pictures, strict=True)
    ]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(text: str, what: str) -> float:
    """`what` names the cell's meaning: a code under qb.xlsx.what."""
    value = parse_number(text)
    if value is None:
        raise QuestionBankError(msg("qb.xlsx.not_a_number", what=msg(f"qb.xlsx.what.{what}"), value=text))
    return value


def _credit(text: str) -> tuple[str, float]:
    if m := CREDIT.match(text):
        return m.group(1), _number(m.group(2), "fraction") / 100
    return text, 1.0


def _question(row: dict[str, str]) -> Question:
    qtype = row.get("type", "")
    if qtype not in QUESTION_TYPES:
        raise QuestionBankError(msg("qb.xlsx.unknown_type", type=qtype, types=", ".join(QUESTION_TYPES)))
    cells = [row.get(letter, "") for letter in LETTERS]
    while cells and not cells[-1]:
        cells.pop()
    if "" in cells:
        raise QuestionBankError(msg("qb.xlsx.option_gap", letter=LETTERS[cells.index("")]))
    if cells and qtype not in TAKES_CELLS:
        raise QuestionBankError(msg("qb.xlsx.no_options", type=qtype))
    key, mode = row.get("key", ""), row.get("scoring", "")
    q = Question(
        cast(QuestionType, qtype),  # checked against QUESTION_TYPES above
        stem=row.get("stem", ""),
        points=_number(row["points"], "points") if row.get("points") else 1.0,
        title=row.get("title", ""),
        topic=row.get("topic", ""),
        tags=[t.strip() for t in row.get("tags", "").split(",") if t.strip()],
        difficulty=row.get("difficulty", ""),
        general_feedback=row.get("feedback", ""),
    )
    locked = {letter.strip().upper() for letter in row.get("locked", "").split(",") if letter.strip()}
    if qtype in ("single_choice", "multiple_response", "ordering"):
        q.options = [Option(LETTERS[i], text, locked=LETTERS[i] in locked) for i, text in enumerate(cells)]
    if qtype in ("single_choice", "multiple_response"):
        credits: dict[str, float] = {}
        for part in (p.strip() for p in key.split(",") if p.strip()):
            letter, _, percent = part.partition("=")
            letter = letter.strip().upper()
            if letter not in LETTERS[: len(cells)]:
                raise QuestionBankError(msg("qb.xlsx.key_not_option", letter=letter))
            credits[letter] = _number(percent.strip().rstrip("%"), "fraction") / 100 if percent else 1.0
        for option in q.options:
            option.fraction = credits.get(option.id, 0.0)
        if qtype == "multiple_response":
            partial = "%" in key or mode == "partial"
            q.scoring = Scoring(mode="partial" if partial else "all_or_nothing", negative=any(v < 0 for v in credits.values()))
    elif qtype == "true_false":
        word = key.casefold()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise QuestionBankError(msg("qb.xlsx.bad_true_false", key=key))
        q.correct_bool = word in TRUE_WORDS
    elif qtype == "tf_cluster":
        letters = [c for c in key.upper() if c in "ĐSTF"]
        if len(letters) != len(cells):
            raise QuestionBankError(msg("qb.xlsx.tf_key_length", key=key, count=len(cells)))
        q.statements = [Statement("abcdefgh"[i], text, letters[i] in "ĐT") for i, text in enumerate(cells)]
        q.scoring = Scoring(table=dict(TF_CLUSTER_TABLE))
    elif qtype in ("short_text", "numeric", "short_answer4"):
        for part in (p.strip() for p in key.split("|") if p.strip()):
            text, fraction = _credit(part)
            value, _, tolerance = text.partition("±")
            tol = _number(tolerance.strip(), "tolerance") if qtype == "numeric" and tolerance else 0.0
            q.answers.append(Answer(value.strip() if qtype == "numeric" else text, fraction, tol))
        q.scoring = Scoring(mode=mode or ("exact" if qtype == "short_answer4" else "ci" if qtype == "short_text" else ""))
    elif qtype == "matching":
        pairs = []
        for i, cell in enumerate(cells, start=1):
            left, arrow, right = cell.partition("=>")
            if not arrow:
                raise QuestionBankError(msg("qb.xlsx.bad_pair", letter=LETTERS[i - 1]))
            pairs.append(Pair(f"p{i}", left.strip(), right.strip()))
        q = replace(q, pairs=pairs)  # re-runs __post_init__, which assigns the right-hand ids
    elif qtype == "essay":
        for i, cell in enumerate(cells):
            parts = [part.strip() for part in cell.split("|", 2)]
            if len(parts) != 3:
                raise QuestionBankError(msg("qb.xlsx.bad_criterion", letter=LETTERS[i]))
            q.rubric.append(RubricCriterion(parts[0], parts[2], _number(parts[1], "criterion_points")))
    return q


# -- export -------------------------------------------------------------------------------
def _percent(fraction: float) -> str:
    return f"{fraction * 100:.5f}".rstrip("0").rstrip(".")


def _row(q: Question) -> dict[str, str | float]:
    row: dict[str, str | float] = {
        "type": q.type, "topic": q.topic, "difficulty": q.difficulty, "points": q.points, "tags": ", ".join(q.tags),
        "title": q.title, "stem": q.stem, "feedback": q.general_feedback, "scoring": q.scoring.mode,
        "media": "\n".join(m.name for m in q.media),
    }
    cells: list[str] = []
    if q.type in ("single_choice", "multiple_response", "ordering"):
        cells = [o.text for o in q.options]
        row["locked"] = ", ".join(LETTERS[i] for i, o in enumerate(q.options) if o.locked)
    if q.type in ("single_choice", "multiple_response"):
        plain = all(o.fraction in (0.0, 1.0) for o in q.options) and q.scoring.mode != "partial"
        row["key"] = ", ".join(
            LETTERS[i] if plain else f"{LETTERS[i]}={_percent(o.fraction)}%" for i, o in enumerate(q.options) if o.fraction
        )
        if q.type == "single_choice":
            row["scoring"] = ""
    elif q.type == "true_false":
        row["key"] = "Đúng" if q.correct_bool else "Sai"
    elif q.type == "tf_cluster":
        cells = [s.text for s in q.statements]
        row["key"] = "".join("Đ" if s.correct else "S" for s in q.statements)
    elif q.type in ("short_text", "numeric", "short_answer4"):
        parts = []
        for a in q.answers:
            text = a.text + (f" ± {a.tolerance:g}" if q.type == "numeric" and a.tolerance else "")
            parts.append(text if a.fraction == 1.0 else f"{text} [{_percent(a.fraction)}%]")
        row["key"] = " | ".join(parts)
    elif q.type == "matching":
        cells = [f"{p.left} => {p.right}" for p in q.pairs]
    elif q.type == "essay":
        cells = [f"{c.id} | {c.max_points:g} | {c.description}" for c in q.rubric]
    row.update(zip(LETTERS, cells, strict=False))
    return row


def write(questions: list[Question], file: str) -> bytes:
    errors = []
    for i, q in enumerate(questions, start=1):
        width = max(len(q.options), len(q.statements), len(q.pairs), len(q.rubric))
        for m in q.media:
            if m.mime not in PICTURE_TYPES:
                errors.append(FormatIssue(file, msg("qb.where.question", number=i), msg("qb.xlsx.picture_type", name=m.name)))
        if width > len(LETTERS):
            errors.append(FormatIssue(file, msg("qb.where.question", number=i), msg("qb.xlsx.too_many_options", max=len(LETTERS))))
        if q.type in BLANK_TYPES:
            errors.append(FormatIssue(file, msg("qb.where.question", number=i), msg("qb.xlsx.type_not_supported", type=q.type)))
    if errors:
        raise ExportFailed(errors)
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append([vi for _, vi in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    media_column = get_column_letter([key for key, _ in COLUMNS].index("media") + 1)
    for number, q in enumerate(questions, start=2):
        row = _row(q)
        sheet.append([row.get(key, "") for key, _ in COLUMNS])
        for m in q.media:  # each picture sits in its question's row, in the Ảnh cell
            sheet.add_image(Image(io.BytesIO(b64decode(m.data_b64))), f"{media_column}{number}")
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if cell.data_type == "f":  # a text starting with "=" is text, never a formula
                cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.number_format = "@" if cell.column_letter != "D" else "General"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("Hướng dẫn")
    guide.append(["Cột", "Nội dung"])
    for guide_row in GUIDE:
        guide.append(list(guide_row))
    guide["A1"].font = guide["B1"].font = Font(bold=True)
    guide.column_dimensions["A"].width, guide.column_dimensions["B"].width = 22, 120
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
