"""`question-bank`: validate and convert question files, generate papers, analyse results.

Exit status: 0 on success, 1 when the input is refused (the reasons go to stderr and nothing
is written), 2 for a wrong command line (click's own usage errors).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import click

from question_bank.analysis import FLAG_TEXT, read_attempts_json, read_responses_csv, table_from_papers
from question_bank.errors import FormatError, ImportResult
from question_bank.model import Question
from question_bank.papers import (
    Blueprint,
    BlueprintError,
    generate_papers,
    load_papers,
    paper_codes,
    write_papers,
)

BANK_JSON = ".json"  # a list of Question.to_dict(): the model's own form, read without a format


def _vi(number: str) -> str:
    """Vietnamese decimal comma for figures shown to people (files keep the point)."""
    return number.replace(".", ",")


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


def _warn(result: ImportResult) -> None:
    for warning in result.warnings:
        click.echo(f"cảnh báo (warning): {warning}", err=True)
    for note in result.report:
        click.echo(f"ghi chú (note): {note}", err=True)


def read_bank(path: Path) -> ImportResult:
    """Questions from any supported file; ImportFailed/ValueError when the file is refused.

    A bank JSON gets the same checks as every import (formats.collect): all-or-nothing,
    NFC, content-hash uids, duplicate stems reported.
    """
    from question_bank.formats import read_any  # the formats load only when a file is read
    from question_bank.formats.collect import Issues

    if path.suffix.lower() != BANK_JSON:
        return read_any(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path.name}: không đọc được JSON (cannot read JSON): {exc}") from exc
    if not isinstance(data, list):
        raise ValueError(f"{path.name}: cần một danh sách câu hỏi (a list of questions)")
    issues = Issues(path.name)
    questions, locations = [], []
    for n, item in enumerate(data, start=1):
        try:
            questions.append(Question.from_dict(item))
            locations.append(f"câu {n}")
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            issues.error(f"câu {n}", f"không phải câu hỏi hợp lệ (not a question): {exc}")
    return issues.finish(questions, locations)


def _read_or_fail(path: Path) -> ImportResult:
    try:
        return read_bank(path)
    except FormatError as exc:
        _fail("\n".join(str(e) for e in exc.errors) or str(exc))
    except ValueError as exc:
        _fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Ngân hàng câu hỏi: kiểm tra, chuyển đổi, tạo mã đề, phân tích câu hỏi.

    Question bank: validate, convert, generate papers, item analysis.
    """


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Kiểm tra tệp câu hỏi FILE (validate FILE; nothing is written)."""
    result = _read_or_fail(file)
    _warn(result)
    counts: dict[str, int] = {}
    for q in result.questions:
        counts[q.type] = counts.get(q.type, 0) + 1
    detail = ", ".join(f"{t}: {n}" for t, n in sorted(counts.items()))
    click.echo(f"{file.name}: hợp lệ, {len(result.questions)} câu hỏi ({detail}) — valid")


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def convert(source: Path, target: Path) -> None:
    """Chuyển đổi SOURCE sang TARGET theo phần mở rộng (convert by extension; .json = bank JSON)."""
    result = _read_or_fail(source)
    _warn(result)
    if target.suffix.lower() == BANK_JSON:
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps([q.to_dict() for q in result.questions], ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(target)
    else:
        from question_bank.formats import write_any

        try:
            write_any(result.questions, target)
        except FormatError as exc:
            _fail("\n".join(str(e) for e in exc.errors) or str(exc))
    click.echo(f"{source.name} -> {target.name}: {len(result.questions)} câu hỏi (questions)")


@main.group()
def papers() -> None:
    """Mã đề: tạo đề từ thiết kế (papers from a blueprint)."""


@papers.command("generate")
@click.argument("blueprint", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "banks", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tệp ngân hàng câu hỏi (thêm vào 'bank' của thiết kế). Question files.")
@click.option("--count", type=click.IntRange(1, 9999), help="Số mã đề (number of paper codes).")
@click.option("--start", default="0101", show_default=True, help="Mã đề đầu tiên (first code).")
@click.option("--candidates", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Một đề riêng cho mỗi thí sinh: tệp mỗi dòng một mã thí sinh (one paper per candidate id).")
@click.option("--seed", help="Hạt giống ngẫu nhiên (seed); mặc định lấy từ thiết kế.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục kết quả (output directory).")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="papers.pdf và keys.pdf")
@click.option("--xlsx/--no-xlsx", default=True, show_default=True, help="papers.xlsx")
def papers_generate(
    blueprint: Path,
    banks: tuple[Path, ...],
    count: int | None,
    start: str,
    candidates: Path | None,
    seed: str | None,
    out_dir: Path,
    pdf: bool,
    xlsx: bool,
) -> None:
    """Tạo các mã đề từ thiết kế BLUEPRINT (.toml/.json) — generate paper codes.

    Writes OUT/papers.json (the snapshots the server stores), OUT/<code>.json per paper,
    papers.pdf, keys.pdf and papers.xlsx.
    """
    try:
        bp = Blueprint.load(blueprint)
    except BlueprintError as exc:
        _fail("\n".join(exc.problems))
    questions: list[Question] = []
    sources = [Path(b) for b in bp.bank] + list(banks)
    if not sources:
        _fail("chưa có ngân hàng câu hỏi: dùng --bank hoặc khoá 'bank' trong thiết kế (no question bank given)")
    for source in sources:
        if not source.exists():
            _fail(f"{blueprint.name}: không thấy tệp ngân hàng {source} (bank file not found)")
        result = _read_or_fail(source)
        _warn(result)
        questions += result.questions
    if candidates is not None:
        codes = [line.strip() for line in candidates.read_text(encoding="utf-8").splitlines() if line.strip()]
    elif count is not None:
        try:
            codes = paper_codes(count, start)
        except ValueError as exc:
            _fail(str(exc))
    else:
        codes = bp.codes
    try:
        result = generate_papers(bp, questions, codes, seed=seed)
    except BlueprintError as exc:
        _fail("\n".join(exc.problems))
    for warning in result.warnings:
        click.echo(f"cảnh báo (warning): {warning}", err=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Written aside first, so a failure half-way leaves no half set of papers behind.
    from question_bank.print.pdf import FontMissing

    staging = Path(tempfile.mkdtemp(prefix=".papers-", dir=out_dir))
    try:
        _write_paper_files(result.papers, staging, pdf=pdf, xlsx=xlsx)
        for file in staging.iterdir():
            file.replace(out_dir / file.name)
    except FontMissing as exc:  # names the package to install
        _fail(str(exc))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    click.echo(f"{len(result.papers)} mã đề, {len(result.papers[0].items)} câu mỗi đề -> {out_dir}")


def _write_paper_files(papers: list, out_dir: Path, *, pdf: bool, xlsx: bool) -> None:
    write_papers(papers, out_dir / "papers.json")
    for paper in papers:
        (out_dir / f"{paper.code}.json").write_text(json.dumps(paper.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    if pdf:
        from question_bank.print import write_keys_pdf, write_papers_pdf

        write_papers_pdf(papers, out_dir / "papers.pdf")
        write_keys_pdf(papers, out_dir / "keys.pdf")
    if xlsx:
        from question_bank.print import write_papers_xlsx

        write_papers_xlsx(papers, out_dir / "papers.xlsx")


@main.command()
@click.argument("responses", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Tệp kết quả; mặc định in ra màn hình.")
@click.option("--bins", type=click.IntRange(1, 100), default=10, show_default=True, help="Số khoảng của biểu đồ điểm.")
@click.option("--papers", "papers_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="papers.json: RESPONSES là bài làm JSON trên các mã đề này (responses are attempts on these papers).")
def analyze(responses: Path, fmt: str, out: Path | None, bins: int, papers_file: Path | None) -> None:
    """Phân tích câu hỏi từ tệp RESPONSES — item analysis.

    RESPONSES.csv: first column candidate id, one column per item. Optional rows KEY (cells
    are the chosen options, scored against the key) and MAX (points per item); otherwise cells
    are points. Empty cell = omitted.

    With --papers papers.json, RESPONSES is JSON: [{"candidate", "code", "responses":
    {"1": <response>, …}, "graded": {"<n>": points}}]; every code is pooled per bank question.
    """
    try:
        text = responses.read_text(encoding="utf-8-sig")
        if papers_file is None:
            table = read_responses_csv(text, responses.name)
        else:
            table = table_from_papers(load_papers(papers_file), read_attempts_json(text, responses.name))
    except UnicodeDecodeError:
        _fail(f"{responses.name}: không phải UTF-8 (not UTF-8 text)")
    except (ValueError, KeyError, TypeError) as exc:
        _fail(str(exc))
    report = table.analyse(bins=bins)
    if fmt == "json":
        text = json.dumps(report.to_dict(), ensure_ascii=False, indent=1)
    else:
        buffer = io.StringIO()
        rows = report.item_rows()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    if out is None:
        click.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
    t = report.test
    alpha = "–" if t.alpha is None else _vi(f"{round(t.alpha, 3) + 0.0:.3f}")
    summary = f"{t.candidates} thí sinh × {t.items} câu; trung bình {_vi(f'{t.mean:.2f}')}/{_vi(f'{t.max_total:g}')}"
    click.echo(f"{summary}, α = {alpha}", err=True)
    for item in report.items:
        for flag in item.flags:
            click.echo(f"câu {item.id}: {FLAG_TEXT[flag]}", err=True)
