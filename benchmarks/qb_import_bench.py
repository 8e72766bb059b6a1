"""Import a generated 10,000-question Moodle XML file (target: under 10 s on 2 cores).

    .venv/bin/python benchmarks/qb_import_bench.py [--questions 10000] [--repeat 3]

The file is written by the Moodle XML writer from a realistic mix (80 % single/multiple
choice with HTML and Vietnamese text, the rest true/false, short answer, numerical,
matching, essay; 50 categories; one question in 100 carries a small base64 image), then
imported with `read_any`, which validates, normalises to NFC and hashes every question.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from question_bank.formats import read_any, write_any  # noqa: E402
from question_bank.model import Answer, Media, Option, Pair, Question, Scoring  # noqa: E402

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"


def make_question(i: int, rng: random.Random) -> Question:
    topic = f"Toán 12/Chương {i % 50 + 1}"
    stem = f"<p>Câu {i}: Cho hàm số <strong>y = x^{i % 7 + 2}</strong> − {i}x. Giá trị nào sau đây đúng về đạo hàm tại x = {i % 13}?</p>"
    kind = rng.random()
    if kind < 0.6:
        key = rng.randrange(4)
        options = [Option("ABCD"[k], f"<p>Phương án {k + 1} của câu {i}: {rng.randint(-99, 99)}</p>", 1.0 if k == key else 0.0) for k in range(4)]
        q = Question("single_choice", stem=stem, options=options, topic=topic)
    elif kind < 0.8:
        options = [Option("ABCDE"[k], f"Mệnh đề {k} câu {i}", (0.5 if k < 2 else -0.5)) for k in range(5)]
        q = Question("multiple_response", stem=stem, options=options, topic=topic, scoring=Scoring(mode="partial", negative=True))
    elif kind < 0.85:
        q = Question("true_false", stem=stem, correct_bool=bool(i % 2), topic=topic)
    elif kind < 0.9:
        q = Question("short_text", stem=stem, answers=[Answer(f"đáp án {i}"), Answer(f"da {i}", 0.5)], topic=topic, scoring=Scoring(mode="ci"))
    elif kind < 0.95:
        q = Question("numeric", stem=stem, answers=[Answer(f"{i / 7:.3f}", 1.0, 0.01)], topic=topic)
    elif kind < 0.98:
        q = Question("matching", stem=stem, pairs=[Pair(f"p{k}", f"Vế trái {k}.{i}", f"Vế phải {k}.{i}") for k in range(1, 5)], topic=topic)
    else:
        q = Question("essay", stem=stem, topic=topic, points=2.0)
    q.title = f"Câu {i}"
    if i % 100 == 0:
        q.media = [Media(f"hinh{i}.png", "image/png", PNG_B64)]
        q.stem += f' <img src="@@MEDIA/hinh{i}.png">'
    return q


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20250627)
    questions = [make_question(i, rng) for i in range(1, args.questions + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bank.xml"
        write_any(questions, path)
        size = path.stat().st_size
        timings, cpu = [], []
        for _ in range(args.repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = read_any(path)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        assert len(result.questions) == args.questions
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"questions: {args.questions}, file: {size / 1e6:.1f} MB")
    print(f"import wall: best {min(timings):.2f} s, median {sorted(timings)[len(timings) // 2]:.2f} s over {args.repeat} runs")
    print(f"import CPU: best {min(cpu):.2f} s (wall > CPU means other processes shared the cores)")
    print(f"throughput: {args.questions / min(timings):,.0f} questions/s; peak RSS {peak_mib:.0f} MiB")
    print(f"warnings: {len(result.warnings)}")


if __name__ == "__main__":
    main()
