"""Face matching: the live camera frame against the chip photo.

dlib's HOG detector finds faces, the 5-point predictor aligns them and dlib's ResNet model turns
an aligned face into a 128-d vector; two photos show the same person when the Euclidean distance
between their vectors is below the threshold (0.6 by default, from config). The model files come
from the `face-recognition-models` package, located without importing it (its import needs
`pkg_resources`, which recent setuptools no longer ships). The 5-point predictor and the ResNet
model are public domain.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import cv2
import dlib
import numpy as np

# Frames are shrunk to this many pixels on their longer side before detection: HOG costs grow
# with the pixel count and a webcam frame at this size still shows a door-side face at >100 px.
DETECT_MAX_SIDE = 800
# Chip photos are small (often 240x320); HOG finds faces from ~80 px, so a small image with no
# face found is searched again upsampled.
UPSAMPLE_BELOW_SIDE = 400
# Quality is measured on the face crop scaled to a fixed size, so the limits do not depend on
# the camera's resolution.
QUALITY_CROP_SIDE = 128


class FaceProblem(StrEnum):
    """Why a photo cannot be used; each value is also the message key suffix `client.face.*`."""

    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    TOO_SMALL = "too_small"
    BLURRED = "blurred"
    TOO_DARK = "too_dark"


class FaceQualityError(Exception):
    """The photo cannot be matched; `problem` says what the invigilator should fix."""

    def __init__(self, problem: FaceProblem, detail: str = "") -> None:
        super().__init__(problem, detail)  # the args rebuild it when it crosses a process boundary
        self.problem = FaceProblem(problem)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.problem.value}{': ' + self.detail if self.detail else ''}"

    @property
    def message_key(self) -> str:
        return f"client.face.{self.problem.value}"


@dataclass(frozen=True)
class QualityLimits:
    min_face_px: int = 80
    min_sharpness: float = 40.0  # variance of the Laplacian on the 128 px face crop
    min_brightness: float = 45.0  # mean grey level of the face crop (0-255)


@dataclass(frozen=True)
class DetectedFace:
    """One face found in a photo, in the photo's own pixel coordinates."""

    box: tuple[int, int, int, int]  # left, top, right, bottom
    embedding: np.ndarray
    sharpness: float
    brightness: float

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]


@dataclass(frozen=True)
class MatchResult:
    distance: float
    threshold: float

    @property
    def matched(self) -> bool:
        return self.distance < self.threshold

    @property
    def score(self) -> float:
        """A 0..1 similarity for people to read (1 = identical); the decision uses `distance`."""
        return round(max(0.0, 1.0 - self.distance), 3)

    def to_dict(self) -> dict[str, float | bool]:
        return {
            "distance": round(self.distance, 4),
            "threshold": self.threshold,
            "matched": self.matched,
            "score": self.score,
        }


def models_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the face-recognition-models package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def decode_image(data: bytes) -> np.ndarray:
    """A BGR image from encoded bytes (JPEG, PNG, JPEG 2000)."""
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("the image could not be decoded")
    return image


class FaceMatcher:
    """Loads dlib's models once; `analyse` one photo, `compare` two embeddings."""

    def __init__(
        self,
        threshold: float = 0.6,
        limits: QualityLimits | None = None,
        model_path: Path | None = None,
    ) -> None:
        self.threshold = threshold
        self.limits = limits or QualityLimits()
        self._models = model_path or models_dir()

    @cached_property
    def _detector(self) -> dlib.fhog_object_detector:
        return dlib.get_frontal_face_detector()

    @cached_property
    def _aligner(self) -> dlib.shape_predictor:
        return dlib.shape_predictor(str(self._models / "shape_predictor_5_face_landmarks.dat"))

    @cached_property
    def _encoder(self) -> dlib.face_recognition_model_v1:
        return dlib.face_recognition_model_v1(str(self._models / "dlib_face_recognition_resnet_model_v1.dat"))

    def warm_up(self) -> None:
        """Load the models now rather than on the first candidate (~0.5 s)."""
        _ = self._detector, self._aligner, self._encoder

    def detect(self, image_bgr: np.ndarray) -> list[dlib.rectangle]:
        """Face rectangles in the image's own coordinates, best first."""
        height, width = image_bgr.shape[:2]
        scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
        small = image_bgr if scale == 1.0 else cv2.resize(image_bgr, None, fx=scale, fy=scale)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        rects, scores, _ = self._detector.run(rgb, 0, 0.0)
        if not rects and max(small.shape[:2]) < UPSAMPLE_BELOW_SIDE:
            # Upsampling quadruples the cost: only for a small photo where nothing was found.
            rects, scores, _ = self._detector.run(rgb, 1, 0.0)
        ordered = [r for _, r in sorted(zip(scores, rects, strict=True), key=lambda pair: -pair[0])]
        return [
            dlib.rectangle(
                int(r.left() / scale), int(r.top() / scale), int(r.right() / scale), int(r.bottom() / scale)
            )
            for r in ordered
        ]

    def analyse(self, image_bgr: np.ndarray, *, reference: bool = False) -> DetectedFace:
        """The one face in the photo, embedded; raises FaceQualityError when it cannot be used.

        A chip photo (`reference=True`) is small and was taken under controlled light, so only
        "exactly one face" applies to it; a live frame also has to be large, sharp and lit enough.
        """
        rects = self.detect(image_bgr)
        if not rects:
            raise FaceQualityError(FaceProblem.NO_FACE)
        if len(rects) > 1:
            raise FaceQualityError(FaceProblem.SEVERAL_FACES, f"{len(rects)} faces")
        rect = rects[0]
        sharpness, brightness = _crop_quality(image_bgr, rect)
        if not reference:
            self._check_quality(rect, sharpness, brightness)
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        shape = self._aligner(rgb, rect)
        chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
        embedding = np.asarray(self._encoder.compute_face_descriptor(chip), dtype=np.float64)
        return DetectedFace(
            box=(rect.left(), rect.top(), rect.right(), rect.bottom()),
            embedding=embedding,
            sharpness=sharpness,
            brightness=brightness,
        )

    def _check_quality(self, rect: dlib.rectangle, sharpness: float, brightness: float) -> None:
        limits = self.limits
        if rect.width() < limits.min_face_px:
            raise FaceQualityError(FaceProblem.TOO_SMALL, f"{rect.width()} px < {limits.min_face_px} px")
        if brightness < limits.min_brightness:
            raise FaceQualityError(FaceProblem.TOO_DARK, f"{brightness:.0f} < {limits.min_brightness:.0f}")
        if sharpness < limits.min_sharpness:
            raise FaceQualityError(FaceProblem.BLURRED, f"{sharpness:.0f} < {limits.min_sharpness:.0f}")

    def compare(self, reference: np.ndarray, live: np.ndarray) -> MatchResult:
        return MatchResult(distance=float(np.linalg.norm(reference - live)), threshold=self.threshold)


def _crop_quality(image_bgr: np.ndarray, rect: dlib.rectangle) -> tuple[float, float]:
    """(sharpness, brightness) of the face crop scaled to a fixed size."""
    height, width = image_bgr.shape[:2]
    left, top = max(rect.left(), 0), max(rect.top(), 0)
    right, bottom = min(rect.right(), width), min(rect.bottom(), height)
    grey = cv2.cvtColor(image_bgr[top:bottom, left:right], cv2.COLOR_BGR2GRAY)
    if grey.size == 0:
        return 0.0, 0.0
    grey = cv2.resize(grey, (QUALITY_CROP_SIDE, QUALITY_CROP_SIDE), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var()), float(grey.mean())


def thumbnail_jpeg(image_bgr: np.ndarray, box: tuple[int, int, int, int], side: int = 96) -> bytes:
    """A small JPEG of the face (kept on the server only when the exam says so)."""
    left, top, right, bottom = box
    pad = (right - left) // 4
    height, width = image_bgr.shape[:2]
    crop = image_bgr[max(top - pad, 0) : min(bottom + pad, height), max(left - pad, 0) : min(right + pad, width)]
    crop = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise ValueError("thumbnail could not be encoded")
    return data.tobytes()
