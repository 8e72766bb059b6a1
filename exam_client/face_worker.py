"""Live-frame face analysis in a worker process, so it runs beside the chip read.

dlib's ResNet embedding holds Python's GIL for its whole ~200 ms, which would stall the card
read running in the station's thread. In a process of its own it uses the second core instead.
The worker loads its own models once (spawned processes on Windows and Linux alike).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from exam_client.faces import DetectedFace, FaceMatcher, QualityLimits

_matcher: FaceMatcher | None = None


def _load(threshold: float, limits: QualityLimits) -> None:
    global _matcher
    _matcher = FaceMatcher(threshold, limits)
    _matcher.warm_up()


def _analyse(frame: np.ndarray) -> DetectedFace:
    assert _matcher is not None
    return _matcher.analyse(frame)


class FaceWorker:
    """`analyse(frame)` like `FaceMatcher.analyse`, computed in the worker process."""

    def __init__(self, matcher: FaceMatcher) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"),
            initializer=_load, initargs=(matcher.threshold, matcher.limits),
        )

    def warm_up(self) -> None:
        """Start the process and load its models now, not on the first candidate."""
        self._pool.submit(_noop).result()

    def analyse(self, frame: np.ndarray) -> DetectedFace:
        return self._pool.submit(_analyse, frame).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _noop() -> None:
    return None
