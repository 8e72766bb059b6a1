"""The optional liveness challenge: eye aspect ratio and head turn from dlib's 68 landmarks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from exam_client.faces import FaceMatcher
from exam_client.liveness import (
    LEFT_EYE,
    RIGHT_EYE,
    Challenge,
    LandmarkFinder,
    LivenessTracker,
    check_liveness,
    eye_aspect_ratio,
    yaw_ratio,
)


def _eyes_closed(points: np.ndarray) -> np.ndarray:
    """The same face with both eyelids shut: the upper and lower lid points meet."""
    closed = points.copy()
    for eye in (RIGHT_EYE, LEFT_EYE):
        idx = list(range(eye.start, eye.stop))
        middle = (closed[idx[1]] + closed[idx[5]]) / 2, (closed[idx[2]] + closed[idx[4]]) / 2
        closed[idx[1]] = closed[idx[5]] = middle[0]
        closed[idx[2]] = closed[idx[4]] = middle[1]
    return closed


@pytest.fixture(scope="module")
def open_face(faces_dir: Path) -> np.ndarray:
    points = LandmarkFinder(FaceMatcher()).landmarks(cv2.imread(str(faces_dir / "obama.jpg")))
    assert points is not None and points.shape == (68, 2)
    return points


@pytest.mark.faces
def test_real_face_has_open_eyes_and_faces_the_camera(open_face: np.ndarray) -> None:
    ear = (eye_aspect_ratio(open_face[RIGHT_EYE]) + eye_aspect_ratio(open_face[LEFT_EYE])) / 2
    assert ear > 0.2
    assert 0.6 < yaw_ratio(open_face) < 1.6


@pytest.mark.faces
def test_blink_is_open_closed_open(open_face: np.ndarray) -> None:
    closed = _eyes_closed(open_face)
    assert eye_aspect_ratio(closed[RIGHT_EYE]) < 0.05
    tracker = LivenessTracker(Challenge.BLINK)
    assert not tracker.feed(open_face)
    assert not tracker.feed(closed)
    assert tracker.feed(open_face)
    staring = LivenessTracker(Challenge.BLINK)
    assert not any(staring.feed(open_face) for _ in range(10))  # a photo never blinks


@pytest.mark.faces
def test_head_turn(open_face: np.ndarray) -> None:
    turned = open_face.copy()
    turned[30] = turned[30] + (turned[16] - turned[30]) * 0.6  # nose tip moved towards one cheek
    assert LivenessTracker(Challenge.TURN_HEAD).feed(turned)
    assert not LivenessTracker(Challenge.TURN_HEAD).feed(open_face)


@pytest.mark.faces
def test_still_photo_fails_the_blink_challenge(faces_dir: Path) -> None:
    finder = LandmarkFinder(FaceMatcher())
    frame = cv2.imread(str(faces_dir / "obama2.jpg"))
    assert check_liveness(finder, [frame] * 3, Challenge.BLINK) is False
