"""Import 10,000 cloze questions from a QTI 3.0 and a QTI 2.1 content package (time, memory).

    .venv/bin/python benchmarks/qb_qti_cloze_bench.py [--questions 10000] [--repeat 3]

Each question is one item with five interactions where its blanks stand: a shuffled
inline-choice drop-down (weight 2, partial credit), a vertical choice, a horizontal
multi-response with negative credit, a text entry with two mapped answers, a numerical text
entry with two tolerances. The packages are written by `qti3.write` / `qti.write` (one item
file per question, manifest metadata) and read back with `read_any`: zip guards, defusedxml
per item, 3.0 renamed to 2.1 names, blanks rebuilt, every question validated, NFC, uids.
(The Moodle XML form of the same benchmark is `qb_cloze_bench.py`.)
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from question_bank.formats import read_any, write_any  # noqa: E402
from question_bank.model import Blank, BlankAnswer, Question  # noqa: E402


def make_question(i: int) -> Question:
    return Question(
        "cloze",
        stem=f"Câu {i}: Thủ đô là {{#1}}, sông {{#2}} chảy qua; các số chẵn {{#3}}; sông dài nhất {{#4}}; {i} / 7 ≈ {{#5}}.",
        points=2.0,
        title=f"Câu {i}",
        topic=f"Địa lí/Chương {i % 20 + 1}",
        blanks=[
            Blank("1", "multichoice", weight=2.0, layout="dropdown", shuffle=True,
                  answers=[BlankAnswer("Hà Nội", 1.0), BlankAnswer("Huế", 0.0), BlankAnswer("Thăng Long", 0.5)]),
            Blank("2", "multichoice", layout="vertical", answers=[BlankAnswer("Hồng", 1.0), BlankAnswer("Cửu Long", 0.0), BlankAnswer("Đà", 0.0)]),
            Blank("3", "multiresponse", layout="horizontal",
                  answers=[BlankAnswer(str(2 * i), 0.5), BlankAnswer(str(2 * i + 2), 0.5), BlankAnswer(str(2 * i + 1), -0.5)]),
            Blank("4", "shortanswer", answers=[BlankAnswer("Mê Kông", 1.0), BlankAnswer("Cửu Long", 0.5)]),
            Blank("5", "numerical", answers=[BlankAnswer(f"{i / 7:.3f}", 1.0, tolerance=0.001), BlankAnswer(f"{i / 7:.1f}", 0.5, tolerance=0.05)]),
        ],
    )  # fmt: skip


def bench(questions: list[Question], name: str, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        started = time.perf_counter()
        write_any(questions, path)
        written = time.perf_counter() - started
        timings, cpu = [], []
        for _ in range(repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = read_any(path)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        assert len(result.questions) == len(questions) and result.questions[0].type == "cloze"
        assert [b.weight for b in result.questions[0].blanks] == [2.0, 1.0, 1.0, 1.0, 1.0]
        size = path.stat().st_size
    print(f"{name}: {size / 1e6:.1f} MB, written in {written:.1f} s")
    print(f"  import wall: best {min(timings):.2f} s, median {sorted(timings)[len(timings) // 2]:.2f} s; CPU best {min(cpu):.2f} s")
    print(f"  peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    questions = [make_question(i) for i in range(1, args.questions + 1)]
    print(f"questions: {args.questions} cloze, 5 blanks each")
    bench(questions, "bank.qti3.zip", args.repeat)
    bench(questions, "bank.zip", args.repeat)


if __name__ == "__main__":
    main()
