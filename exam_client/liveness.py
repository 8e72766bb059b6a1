"""Optional liveness challenge: a blink or a head turn, seen in dlib's 68 facial landmarks.

Off by default and switched on per exam. The 68-point predictor was trained on a data set whose
terms exclude commercial use (see README), so it is loaded only when liveness is asked for.
A blink is the eye aspect ratio (Soukupová and Čech, 2016) dropping below a limit and rising
again; a head turn is the nose tip moving clearly towards one cheek.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import cv2
import dlib
import numpy as np

from exam_client.camera import Camera, CameraError
from exam_client.faces import FaceMatcher, models_dir

RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)
NOSE_TIP = 30
JAW_RIGHT, JAW_LEFT = 0, 16
LIVENESS_WINDOW_S = 4.0  # the candidate blinks or turns while the card is read


class Challenge(StrEnum):
    BLINK = "blink"
    TURN_HEAD = "turn_head"


def eye_aspect_ratio(eye: np.ndarray) -> float:
    """(|p2-p6| + |p3-p5|) / (2 |p1-p4|) for the six points of one eye."""
    vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    horizontal = np.linalg.norm(eye[0] - eye[3])
    return float(vertical / (2.0 * horizontal)) if horizontal else 0.0


def yaw_ratio(points: np.ndarray) -> float:
    """Nose-to-right-jaw over nose-to-left-jaw distance: ~1 facing the camera."""
    right = np.linalg.norm(points[NOSE_TIP] - points[JAW_RIGHT])
    left = np.linalg.norm(points[NOSE_TIP] - points[JAW_LEFT])
    return float(right / left) if left else 0.0


@dataclass
class LivenessTracker:
    """Feed it one frame's landmarks at a time; `passed` once the challenge was seen.

    Open eyes differ between people (EAR ~0.2-0.35), so a blink is measured against the
    candidate's own open-eye level: a drop below `closed_fraction` of it, then a return above
    `reopen_fraction` of it.
    """

    challenge: Challenge
    closed_fraction: float = 0.6
    reopen_fraction: float = 0.85
    min_open_ear: float = 0.15  # below this the eyes were never seen open (or landmarks are off)
    turn_ratio: float = 1.8
    passed: bool = False
    history: list[float] = field(default_factory=list)
    _open_level: float = 0.0
    _saw_closed: bool = False

    def feed(self, points: np.ndarray) -> bool:
        if self.challenge is Challenge.BLINK:
            self._feed_eyes((eye_aspect_ratio(points[RIGHT_EYE]) + eye_aspect_ratio(points[LEFT_EYE])) / 2)
        else:
            ratio = yaw_ratio(points)
            self.history.append(ratio)
            if ratio >= self.turn_ratio or (ratio and 1 / ratio >= self.turn_ratio):
                self.passed = True
        return self.passed

    def _feed_eyes(self, ear: float) -> None:
        self.history.append(ear)
        if self._open_level < self.min_open_ear:
            self._open_level = max(self._open_level, ear)
            return
        if not self._saw_closed:
            if ear <= self._open_level * self.closed_fraction:
                self._saw_closed = True
            else:
                self._open_level = max(self._open_level, ear)
        elif ear >= self._open_level * self.reopen_fraction:
            self.passed = True


class LandmarkFinder:
    """The 68 landmarks of the single face in a frame (loaded lazily: non-commercial model)."""

    def __init__(self, matcher: FaceMatcher, model_path: Path | None = None) -> None:
        self._matcher = matcher
        self._models = model_path or models_dir()

    @cached_property
    def _predictor(self) -> dlib.shape_predictor:
        return dlib.shape_predictor(str(self._models / "shape_predictor_68_face_landmarks.dat"))

    def landmarks(self, image_bgr: np.ndarray) -> np.ndarray | None:
        rects = self._matcher.detect(image_bgr)
        if len(rects) != 1:
            return None
        shape = self._predictor(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB), rects[0])
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def check_liveness(finder: LandmarkFinder, frames: Iterable[np.ndarray], challenge: Challenge) -> bool:
    """True as soon as the frames show the challenge performed."""
    tracker = LivenessTracker(challenge)
    for frame in frames:
        points = finder.landmarks(frame)
        if points is not None and tracker.feed(points):
            return True
    return False


def camera_frames(camera: Camera, seconds: float = LIVENESS_WINDOW_S, interval: float = 0.08) -> Iterator[np.ndarray]:
    """Frames from the camera for `seconds` (frames that fail to arrive are skipped)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            frame: np.ndarray | None = camera.frame()
        except CameraError:
            frame = None
        if frame is not None:
            yield frame
        time.sleep(interval)


def liveness_check(matcher: FaceMatcher, challenge: Challenge) -> Callable[[Camera], bool]:
    """The check a check-in runs beside the card read when the exam asks for liveness."""
    finder = LandmarkFinder(matcher)
    return lambda camera: check_liveness(finder, camera_frames(camera), challenge)
