"""Benchmark: item analysis of 10,000 candidates × 50 items, with distractor analysis.

Target (issue 3): under 2 s on the 2-core reference machine.
Responses are simulated with a two-parameter logistic model (ability ~ N(0, 1)), wrong
answers spread over three distractors, 2 % omissions, two deliberately miskeyed items.
Run: .venv/bin/python benchmarks/qb_analysis_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from question_bank.analysis import analyse


def simulate(n: int = 10_000, k: int = 50, seed: int = 2025) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=(n, 1))
    a = rng.uniform(0.5, 2.0, size=k)
    b = rng.normal(size=k)
    right = rng.random((n, k)) < 1 / (1 + np.exp(-a * (ability - b)))
    keys = [str(c) for c in rng.choice(list("ABCD"), size=k)]
    letters = np.array(list("ABCD"))
    wrong = np.array([[c for c in "ABCD" if c != key] for key in keys])  # k × 3
    choices = np.where(right, np.array(keys)[None, :], wrong[np.arange(k)[None, :], rng.integers(0, 3, size=(n, k))])
    omitted = rng.random((n, k)) < 0.02
    choices = np.where(omitted, "", choices).astype(object)
    scores = np.where(omitted, np.nan, right.astype(float))
    keys[7] = str(letters[(letters != keys[7]).argmax()])  # miskeyed on purpose
    keys[31] = str(letters[(letters != keys[31]).argmax()])
    scores[:, 7] = np.where(omitted[:, 7], np.nan, (choices[:, 7] == keys[7]).astype(float))
    scores[:, 31] = np.where(omitted[:, 31], np.nan, (choices[:, 31] == keys[31]).astype(float))
    return scores, choices, keys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    scores, choices, keys = simulate()
    for label, kwargs in (("scores only", {}), ("with distractor analysis", {"choices": choices, "keys": keys})):
        times, cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            report = analyse(scores, **kwargs)
            data = report.to_dict()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        flagged = [i["id"] for i in data["items"] if "negative_discrimination" in i["flags"]]
        print(f"{label}: {scores.shape[0]} × {scores.shape[1]}: median {statistics.median(times):.3f} s, "
              f"min {min(times):.3f} s, CPU median {statistics.median(cpu):.3f} s over {args.repeat} runs; α = {data['test']['alpha']:.3f}; "
              f"flagged miskeyed: {flagged}")


if __name__ == "__main__":
    main()
