"""Benchmark: 24 paper codes (mã đề) of 50 questions from a 2,000-question pool.

Target (issue 3): under 1 s on the 2-core reference machine.
Run: .venv/bin/python benchmarks/qb_papers_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from question_bank.model import Answer, Option, Question, Statement
from question_bank.papers import Blueprint, Pool, Section, generate_papers, paper_codes

TOPICS = ["Hàm số", "Mũ và lôgarit", "Nguyên hàm", "Hình học không gian", "Xác suất"]
LEVELS = ["NB", "TH", "VD", "VDC"]


def make_pool(size: int = 2000) -> list[Question]:
    pool = []
    for n in range(size):
        topic, level = TOPICS[n % len(TOPICS)], LEVELS[(n // 5) % len(LEVELS)]
        kind = n % 10
        if kind < 7:
            options = [Option(f"q{n}-{c}", f"Phương án {c} của câu {n}: $x^{n % 7}$", 1.0 if c == "A" else 0.0) for c in "ABCD"]
            if n % 13 == 0:
                options[3] = Option(f"q{n}-D", "Cả A và B đều đúng", locked=True)
            q = Question("single_choice", f"Câu hỏi số {n} về {topic}", options=options)
        elif kind < 9:
            q = Question("tf_cluster", f"Chùm Đúng/Sai {n}",
                         statements=[Statement(s, f"Ý {s} của câu {n}", s in "ac") for s in "abcd"])
        else:
            q = Question("short_answer4", f"Tính giá trị {n}", answers=[Answer(f"{n % 100},5")])
        q.topic, q.difficulty, q.tags = topic, level, [f"chương {n % 7}"]
        pool.append(q.with_uid())
    return pool


def blueprint() -> Blueprint:
    return Blueprint(
        title="Bench",
        seed=2025,
        sections=[
            Section("Phần I — nhận biết", draw=20, points=0.2, pool=Pool(types=["single_choice"], difficulties=["NB", "TH"])),
            Section("Phần I — vận dụng", draw=14, points=0.2, pool=Pool(types=["single_choice"])),
            Section("Phần II", draw=8, points=0.25, pool=Pool(types=["tf_cluster"]), shuffle_statements=True),
            Section("Phần III", draw=8, points=0.25, pool=Pool(types=["short_answer4"])),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    t0 = time.perf_counter()
    pool = make_pool()
    build = time.perf_counter() - t0
    codes = paper_codes(24)
    for label, bp_kwargs in (("same questions, shuffled", {}), ("own draw per paper", {"same_questions": False})):
        times, cpu = [], []
        for _ in range(args.repeat):
            bp = blueprint()
            for key, value in bp_kwargs.items():
                setattr(bp, key, value)
            t0, c0 = time.perf_counter(), time.process_time()
            result = generate_papers(bp, pool, codes)
            snapshots = [p.to_dict() for p in result.papers]  # what the server stores
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        assert len(snapshots) == 24 and all(len(s["items"]) == 50 for s in snapshots) and not result.warnings
        print(f"{label}: 24 papers × 50 questions from {len(pool)}: median {statistics.median(times):.3f} s, "
              f"min {min(times):.3f} s, CPU median {statistics.median(cpu):.3f} s over {args.repeat} runs (incl. snapshots to dict)")
    print(f"pool construction (not timed above): {build:.3f} s")


if __name__ == "__main__":
    main()
