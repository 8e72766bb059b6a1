"""Import a generated 10,000-question cloze Moodle XML file (issue 15: time and memory).

    .venv/bin/python benchmarks/qb_cloze_bench.py [--questions 10000] [--repeat 3]

Each question is a Vietnamese cloze text with five embedded answers of every kind (shuffled
drop-down, vertical radios, multi-response with negative credit, case-sensitive short answer
with a wildcard alternative, numerical with tolerance and a catch-all), weights and feedback.
The file is made by the Moodle XML writer and read back with `read_any`, which parses every
blank the way Moodle does, checks Moodle's rules, normalises to NFC and hashes each question.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from question_bank.formats import cloze, read_any, write_any  # noqa: E402
from question_bank.model import Question  # noqa: E402


def make_question(i: int) -> Question:
    text = (
        f"Câu {i}: Thủ đô của Việt Nam là {{1:MCS:=Hà Nội#Đúng~Huế#Sai~%50%Thăng Long#Tên cũ}}; "
        f"sông {{1:MCV:=Hồng~Cửu Long~Đà}} chảy qua; chọn các số chẵn {{2:MRS:%50%{2 * i}~%50%{2 * i + 2}~%-50%{2 * i + 1}}}; "
        f"hồ {{2:SAC:=Hoàn Kiếm#Đúng~%50%*Gươm*}}; năm dời đô {{1:NM:=1010:0~%50%1010:5~*#Sai năm}} (lần {i})."
    )
    parsed = cloze.parse(text)
    return Question("cloze", stem=parsed.stem, blanks=parsed.blanks, points=7, title=f"Cloze {i}",
                    topic=f"Lịch sử/Chương {i % 40 + 1}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    questions = [make_question(i) for i in range(1, args.questions + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cloze.xml"
        write_any(questions, path)
        size = path.stat().st_size
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        timings, cpu = [], []
        for _ in range(args.repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = read_any(path)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        assert len(result.questions) == args.questions and all(len(q.blanks) == 5 for q in result.questions)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"questions: {args.questions} cloze × 5 blanks, file: {size / 1e6:.1f} MB")
    print(f"import wall: best {min(timings):.2f} s, median {sorted(timings)[len(timings) // 2]:.2f} s over {args.repeat} runs")
    print(f"import CPU: best {min(cpu):.2f} s (wall > CPU means other processes shared the cores)")
    print(f"throughput: {args.questions / min(timings):,.0f} questions/s; peak RSS {peak_mib:.0f} MiB "
          f"({rss_before:.0f} MiB before the first import, with the generated bank in memory)")
    print(f"warnings: {len(result.warnings)}")


if __name__ == "__main__":
    main()
