"""`question-bank`: validate and convert question files, generate papers, analyse results.

Exit status: 0 on success, 1 when the input is refused (the reasons go to stderr and nothing
is written), 2 for a wrong command line (click's own usage errors).

Everything printed is in the user's language: `--lang vi|en`, else the locale environment
(LC_ALL, LC_MESSAGES, LANG: `vi*` is Vietnamese, `en*` English), else Vietnamese. The help
texts follow the environment only (click builds them before `--lang` is read).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

import click

from exam_common.i18n import DEFAULT_LANGUAGE, LANGUAGES, format_decimal
from question_bank.analysis import flag_text, read_attempts_json, read_responses_csv, table_from_papers
from question_bank.errors import FormatError, ImportResult, QuestionBankError
from question_bank.messages import Message, msg, render
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


LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")  # POSIX precedence


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """`vi`/`en` from the first locale variable that names a language (`C`, `POSIX` do not)."""
    environ = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = (environ.get(name) or "").strip().lower()
        if value.startswith("vi"):
            return "vi"
        if value.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


def _lang() -> str:
    """The language of this run: `--lang`, else the environment."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    chosen = (root.obj or {}).get("lang") if root is not None and isinstance(root.obj, dict) else None
    return chosen or language_from_env()


def _t(code: str, **params: Any) -> str:
    return msg(code, **params).text(_lang())


def _help(code: str) -> str:
    """A help text, in the environment's language (click needs it before parsing)."""
    return msg(code).text(language_from_env())


def _fail(message: str | Message) -> NoReturn:
    click.echo(render(message, _lang()), err=True)
    sys.exit(1)


def _refused(exc: Exception) -> str:
    """A refusal in the run's language: every issue of a FormatError, every problem of a coded one."""
    lang = _lang()
    if isinstance(exc, (FormatError, QuestionBankError)):
        return exc.message(lang)
    return str(exc)


def _warn(result: ImportResult) -> None:
    lang = _lang()
    for warning in result.warnings:
        click.echo(_t("qb.cli.warning", text=warning.message(lang)), err=True)
    for note in result.report:
        click.echo(_t("qb.cli.note", text=note.text(lang)), err=True)


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
        raise QuestionBankError(msg("qb.cli.bad_json", file=path.name, detail=str(exc))) from exc
    if not isinstance(data, list):
        raise QuestionBankError(msg("qb.cli.not_list", file=path.name))
    issues = Issues(path.name)
    questions: list[Question] = []
    locations: list[Message | str] = []
    for n, item in enumerate(data, start=1):
        try:
            questions.append(Question.from_dict(item))
            locations.append(msg("qb.where.question", number=n))
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            issues.error(msg("qb.where.question", number=n), msg("qb.cli.not_question", detail=str(exc)))
    return issues.finish(questions, locations)


def _read_or_fail(path: Path) -> ImportResult:
    try:
        return read_bank(path)
    except (FormatError, ValueError) as exc:
        _fail(_refused(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, help=_help("qb.cli.help.main"))
@click.option("--lang", type=click.Choice(LANGUAGES), help=_help("qb.cli.help.lang"))
@click.pass_context
def main(ctx: click.Context, lang: str | None) -> None:
    ctx.ensure_object(dict)
    ctx.obj["lang"] = lang or language_from_env()


@main.command(help=_help("qb.cli.help.validate"))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    result = _read_or_fail(file)
    _warn(result)
    counts: dict[str, int] = {}
    for q in result.questions:
        counts[q.type] = counts.get(q.type, 0) + 1
    detail = ", ".join(f"{t}: {n}" for t, n in sorted(counts.items()))
    click.echo(_t("qb.cli.valid", file=file.name, count=len(result.questions), detail=detail))


@main.command(help=_help("qb.cli.help.convert"))
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def convert(source: Path, target: Path) -> None:
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
            _fail(_refused(exc))
    click.echo(_t("qb.cli.converted", source=source.name, target=target.name, count=len(result.questions)))


@main.group(help=_help("qb.cli.help.papers"))
def papers() -> None:
    pass


@papers.command("generate", help=_help("qb.cli.help.generate"))
@click.argument("blueprint", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "banks", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=_help("qb.cli.help.bank"))
@click.option("--count", type=click.IntRange(1, 9999), help=_help("qb.cli.help.count"))
@click.option("--start", default="0101", show_default=True, help=_help("qb.cli.help.start"))
@click.option("--candidates", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=_help("qb.cli.help.candidates"))
@click.option("--seed", help=_help("qb.cli.help.seed"))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help=_help("qb.cli.help.out_dir"))
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="papers.pdf, keys.pdf")
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
    """Writes OUT/papers.json (the snapshots the server stores), OUT/<code>.json per paper,
    papers.pdf, keys.pdf and papers.xlsx."""
    try:
        bp = Blueprint.load(blueprint)
    except BlueprintError as exc:
        _fail("\n".join(p.text(_lang()) for p in exc.problems))
    questions: list[Question] = []
    sources = [Path(b) for b in bp.bank] + list(banks)
    if not sources:
        _fail(msg("qb.cli.no_bank"))
    for source in sources:
        if not source.exists():
            _fail(msg("qb.cli.bank_not_found", blueprint=blueprint.name, bank=str(source)))
        result = _read_or_fail(source)
        _warn(result)
        questions += result.questions
    if candidates is not None:
        codes = [line.strip() for line in candidates.read_text(encoding="utf-8").splitlines() if line.strip()]
    elif count is not None:
        try:
            codes = paper_codes(count, start)
        except ValueError as exc:
            _fail(_refused(exc))
    else:
        codes = bp.codes
    try:
        paper_set = generate_papers(bp, questions, codes, seed=seed)
    except BlueprintError as exc:
        _fail("\n".join(p.text(_lang()) for p in exc.problems))
    for warning in paper_set.warnings:
        click.echo(_t("qb.cli.warning", text=warning.text(_lang())), err=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Written aside first, so a failure half-way leaves no half set of papers behind.
    from question_bank.print.pdf import FontMissing

    staging = Path(tempfile.mkdtemp(prefix=".papers-", dir=out_dir))
    try:
        _write_paper_files(paper_set.papers, staging, pdf=pdf, xlsx=xlsx)
        for file in staging.iterdir():
            file.replace(out_dir / file.name)
    except FontMissing as exc:  # names the package to install
        _fail(exc.message(_lang()))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    click.echo(_t("qb.cli.generated", papers=len(paper_set.papers), items=len(paper_set.papers[0].items), out=str(out_dir)))


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


@main.command(help=_help("qb.cli.help.analyze"))
@click.argument("responses", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help=_help("qb.cli.help.out"))
@click.option("--bins", type=click.IntRange(1, 100), default=10, show_default=True, help=_help("qb.cli.help.bins"))
@click.option("--papers", "papers_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=_help("qb.cli.help.papers_file"))
def analyze(responses: Path, fmt: str, out: Path | None, bins: int, papers_file: Path | None) -> None:
    """RESPONSES.csv: first column candidate id, one column per item. Optional rows KEY (cells
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
        _fail(msg("qb.cli.not_utf8", file=responses.name))
    except (ValueError, KeyError, TypeError) as exc:
        _fail(_refused(exc))
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
    t, lang = report.test, _lang()
    alpha = "–" if t.alpha is None else format_decimal(round(t.alpha, 3) + 0.0, lang, 3)
    click.echo(_t("qb.cli.summary", candidates=t.candidates, items=t.items, mean=format_decimal(t.mean, lang, 2),
                  max=format_decimal(t.max_total, lang), alpha=alpha), err=True)
    for item in report.items:
        for flag in item.flags:
            click.echo(_t("qb.cli.flag", item=item.id, flag=flag_text(flag, lang)), err=True)
