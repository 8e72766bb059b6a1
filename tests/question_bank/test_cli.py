"""The `question-bank` CLI, as documented in README.md ("Question bank CLI")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from question_bank.cli import main
from question_bank.model import Question
from question_bank.papers import load_papers
from question_bank.scoring import score
from tests.question_bank.test_papers import bank

BLUEPRINT = """
title = "Đề thi thử Toán"
seed = 2025
codes = { count = 4, start = "0101" }
bank = ["bank.json"]

[[sections]]
name = "Phần I"
draw = 12
points = 0.25
pool = { types = ["single_choice"] }

[[sections]]
name = "Phần II"
draw = 4
points = 1.0
shuffle_statements = true
pool = { types = ["tf_cluster"] }

[[sections]]
name = "Phần III"
draw = 6
points = 0.5
pool = { types = ["short_answer4"] }
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "bank.json").write_text(json.dumps([q.to_dict() for q in bank()], ensure_ascii=False), encoding="utf-8")
    (tmp_path / "de.toml").write_text(BLUEPRINT, encoding="utf-8")
    return tmp_path


NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}  # the default language: Vietnamese


def run(*args: str, env: dict[str, str | None] | None = None) -> object:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, env={**NO_LOCALE, **(env or {})})


def test_convert_and_validate_round_trip_through_xlsx(workdir):
    result = run("convert", workdir / "bank.json", workdir / "bank.xlsx")
    assert result.exit_code == 0, result.output
    result = run("validate", workdir / "bank.xlsx")
    assert result.exit_code == 0
    assert "48 câu hỏi" in result.stdout and "tf_cluster: 8" in result.stdout
    assert run("convert", workdir / "bank.xlsx", workdir / "back.json").exit_code == 0
    back = [Question.from_dict(d) for d in json.loads((workdir / "back.json").read_text(encoding="utf-8"))]
    assert [q.stem for q in back] == [q.stem for q in bank()]
    assert [q.type for q in back] == [q.type for q in bank()]


def test_convert_refused_writes_nothing(workdir):
    # Excel carries PNG/JPEG/GIF pictures only: a WMF image refuses the whole export, naming the question.
    data = json.loads((workdir / "bank.json").read_text(encoding="utf-8"))
    data[0]["media"] = [{"name": "hinh.wmf", "mime": "image/wmf", "data_b64": "AAAA"}]
    data[0]["stem"] += " @@MEDIA/hinh.wmf"
    (workdir / "wmf.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = run("convert", workdir / "wmf.json", workdir / "bank.xlsx")
    assert result.exit_code == 1
    assert "wmf" in result.stderr.lower()
    assert not (workdir / "bank.xlsx").exists()
    assert run("convert", workdir / "bank.json", workdir / "bank.gift").exit_code == 1  # import-only format


def test_validate_reports_a_broken_file(workdir):
    broken = workdir / "broken.xml"
    broken.write_text("<quiz><question type='multichoice'><name>", encoding="utf-8")
    result = run("validate", broken)
    assert result.exit_code == 1
    assert "broken.xml" in result.stderr


def test_validate_bank_json_names_each_bad_question(workdir):
    data = [q.to_dict() for q in bank()[:3]]
    data[1]["type"] = "mcq"
    data[2]["options"] = []  # a single choice without options
    (workdir / "bad.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = run("validate", workdir / "bad.json")
    assert result.exit_code == 1
    assert "bad.json: câu 2" in result.stderr and "mcq" in result.stderr
    assert "bad.json: câu 3" in result.stderr


def test_papers_generate_writes_snapshots_pdf_and_xlsx(workdir):
    out = workdir / "out"
    result = run("papers", "generate", workdir / "de.toml", "--out", out)
    assert result.exit_code == 0, result.output
    papers = load_papers(out / "papers.json")
    assert [p.code for p in papers] == ["0101", "0102", "0103", "0104"]
    assert json.loads((out / "0102.json").read_text(encoding="utf-8")) == papers[1].to_dict()
    assert all(p.max_points == 10 for p in papers)
    # The stored key grades the stored paper.
    first = papers[0].items[0].question
    key_option = first.options["ABCD".index(papers[0].items[0].key)]
    assert score(first, key_option.id).status == "correct"

    text = PdfReader(out / "papers.pdf").pages[0].extract_text()
    assert "Mã đề: 0101" in text and "Câu 1." in text and "0,25 điểm" in text
    keys = "".join(page.extract_text() for page in PdfReader(out / "keys.pdf").pages)
    assert "Mã đề 0104" in keys
    wb = load_workbook(out / "papers.xlsx")
    assert wb.sheetnames == ["Đáp án", "Đối chiếu phương án", "Đề 0101", "Đề 0102", "Đề 0103", "Đề 0104"]
    matrix = wb["Đáp án"]
    assert [c.value for c in matrix[1]] == ["Câu", "0101", "0102", "0103", "0104"]
    assert matrix.cell(row=2, column=2).value == papers[0].items[0].key
    assert not [f for f in out.iterdir() if f.name.startswith(".")]  # staging removed


def test_papers_generate_per_candidate_and_bad_pool(workdir):
    (workdir / "cands.txt").write_text("079200000001\n079200000002\n\n079200000003\n", encoding="utf-8")
    out = workdir / "cand"
    result = run("papers", "generate", workdir / "de.toml", "--candidates", workdir / "cands.txt", "--out", out,
                 "--no-pdf", "--no-xlsx")
    assert result.exit_code == 0, result.output
    assert sorted(f.name for f in out.iterdir()) == ["079200000001.json", "079200000002.json", "079200000003.json",
                                                     "papers.json"]
    (workdir / "big.toml").write_text(BLUEPRINT.replace("draw = 4", "draw = 40"), encoding="utf-8")
    result = run("papers", "generate", workdir / "big.toml", "--out", workdir / "none")
    assert result.exit_code == 1
    assert "Phần II" in result.stderr and "cần 40 câu" in result.stderr
    assert not (workdir / "none").exists()


def test_analyze_choices_csv(workdir):
    # Key row: options; candidates' rows: chosen options.  Item 3 is answered "right" only by
    # the weakest candidates, so it is reported as possibly miskeyed.
    csv_text = "\n".join([
        "thí sinh,1,2,3",
        "KEY,A,B,C",
        "c1,A,B,D",
        "c2,A,B,D",
        "c3,A,B,D",
        "c4,A,C,C",
        "c5,B,,C",
        "c6,C,A,C",
    ])
    (workdir / "r.csv").write_text(csv_text, encoding="utf-8")
    result = run("analyze", workdir / "r.csv")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["test"]["candidates"] == 6
    assert [i["facility"] for i in report["items"]] == pytest.approx([4 / 6, 3 / 6, 3 / 6], abs=1e-6)
    assert report["items"][1]["omitted_rate"] == pytest.approx(1 / 6, abs=1e-6)  # JSON rounds to 6 places
    assert "negative_discrimination" in report["items"][2]["flags"]
    assert "câu 3: phân biệt âm" in result.stderr
    # Every item offers A–D (seen on the sheet); nobody chose D on item 1.
    assert {o["label"]: o["count"] for o in report["items"][0]["options"]} == {"A": 4, "B": 1, "C": 1, "D": 0}
    assert "non_functional_distractor" in report["items"][0]["flags"]
    result = run("analyze", workdir / "r.csv", "--format", "csv", "--out", workdir / "items.csv")
    assert result.exit_code == 0
    lines = (workdir / "items.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,max_points,facility") and len(lines) == 4


def test_analyze_points_csv_and_errors(workdir):
    (workdir / "p.csv").write_text("sbd,1,2\nMAX,0.25,1\nc1,\"0,25\",1\nc2,0,\"0,5\"\nc3,,0\n", encoding="utf-8")
    result = run("analyze", workdir / "p.csv")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["test"]["max_total"] == 1.25
    (workdir / "bad.csv").write_text("sbd,1,2\nc1,1,x\nc2,1\nc3,2,1\n", encoding="utf-8")
    result = run("analyze", workdir / "bad.csv")
    assert result.exit_code == 1
    assert "dòng 2, cột 2" in result.stderr and "'x'" in result.stderr
    assert "dòng 3" in result.stderr
    assert "dòng 4, cột 1" in result.stderr  # 2 points on an item worth 1


def test_console_script_is_installed(workdir):
    exe = Path(sys.executable).with_name("question-bank")
    assert exe.exists(), "pip install -e . declares the question-bank console script"
    env = {k: v for k, v in os.environ.items() if k not in NO_LOCALE}
    done = subprocess.run([str(exe), "validate", str(workdir / "bank.json")], capture_output=True, text=True,
                          timeout=60, check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert "48 câu hỏi" in done.stdout


def test_analyze_attempts_on_stored_papers(workdir):
    out = workdir / "out"
    assert run("papers", "generate", workdir / "de.toml", "--out", out, "--no-pdf", "--no-xlsx").exit_code == 0
    papers = load_papers(out / "papers.json")

    def perfect(paper) -> dict[str, object]:
        answers: dict[str, object] = {}
        for item in paper.items:
            q = item.question
            if q.type == "single_choice":
                answers[str(item.number)] = next(o.id for o in q.options if o.correct)
            elif q.type == "tf_cluster":
                answers[str(item.number)] = {s.id: s.correct for s in q.statements}
            else:
                answers[str(item.number)] = q.answers[0].text
        return answers

    attempts = [
        {"candidate": "c1", "code": "0101", "responses": perfect(papers[0])},
        {"candidate": "c2", "code": "0103", "responses": perfect(papers[2])},
        {"candidate": "c3", "code": "0102", "responses": {}},
    ]
    (workdir / "attempts.json").write_text(json.dumps(attempts, ensure_ascii=False), encoding="utf-8")
    result = run("analyze", workdir / "attempts.json", "--papers", out / "papers.json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["test"]["max_total"] == 10 and report["test"]["mean"] == pytest.approx(20 / 3, abs=1e-6)
    assert [i["id"] for i in report["items"]] == [i.question.uid for i in papers[0].items]
    assert all(i["facility"] == pytest.approx(2 / 3, abs=1e-6) for i in report["items"])

    attempts[0]["responses"]["1"] = "not-an-option"
    (workdir / "attempts.json").write_text(json.dumps(attempts, ensure_ascii=False), encoding="utf-8")
    result = run("analyze", workdir / "attempts.json", "--papers", out / "papers.json")
    assert result.exit_code == 1
    assert "thí sinh c1, câu 1" in result.stderr
