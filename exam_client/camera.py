"""Where the station's pictures come from: a webcam, or image files standing in for one.

An `ImageFileCamera` re-reads its file when the file changes, so a kiosk demo or a test can
"put a different person in front of the camera" by replacing the file.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np


class CameraError(Exception):
    pass


class Camera(Protocol):
    def frame(self) -> np.ndarray:
        """The latest picture (BGR); raises CameraError when there is none."""
        ...

    def close(self) -> None: ...


class WebCamera:
    """An OpenCV capture device (DirectShow on Windows, the default backend elsewhere)."""

    def __init__(self, index: int, width: int = 1280, height: int = 720) -> None:
        backend = cv2.CAP_DSHOW if sys.platform == "win32" else cv2.CAP_ANY
        self._capture = cv2.VideoCapture(index, backend)
        if not self._capture.isOpened():
            raise CameraError(f"camera {index} could not be opened")
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._lock = threading.Lock()

    def frame(self) -> np.ndarray:
        with self._lock:
            ok, image = self._capture.read()
        if not ok or image is None:
            raise CameraError("the camera returned no picture")
        return image

    def close(self) -> None:
        self._capture.release()


class ImageFileCamera:
    """A still image file as the camera; reloaded whenever its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._image: np.ndarray | None = None
        self._lock = threading.Lock()

    def frame(self) -> np.ndarray:
        with self._lock:
            try:
                stat = self.path.stat()
            except OSError as exc:
                raise CameraError(f"image {self.path} cannot be read: {exc}") from exc
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp != self._stamp or self._image is None:
                image = cv2.imread(str(self.path), cv2.IMREAD_COLOR)
                if image is None:
                    raise CameraError(f"image {self.path} is not a picture OpenCV can read")
                self._image, self._stamp = image, stamp
            return self._image

    def close(self) -> None:
        pass


def open_camera(index: int | None = None, image: Path | None = None) -> Camera:
    if image is not None:
        return ImageFileCamera(image)
    return WebCamera(index or 0)


def jpeg(image: np.ndarray, max_side: int = 640, quality: int = 75) -> bytes:
    """A preview-sized JPEG of a frame."""
    scale = min(1.0, max_side / max(image.shape[:2]))
    if scale < 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise CameraError("frame could not be encoded")
    return data.tobytes()
