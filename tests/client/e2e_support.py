"""Helpers for the check-in end-to-end tests: seeding a roster that matches virtual cards,
camera pictures with a card QR in them, and polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from card_reader.virtual.identity import Identity

T = TypeVar("T")


def identity(id_number: str, name: str) -> Identity:
    return Identity(id_number=id_number, full_name=name, date_of_birth=date(2007, 1, 15), issue_date=date(2022, 3, 10))


def qr_text(person: Identity) -> str:
    return "|".join([person.id_number, "", person.full_name, person.date_of_birth.strftime("%d%m%Y"), person.sex,
                     person.place_of_residence, person.issue_date.strftime("%d%m%Y")])


def with_qr(photo: Path, text: str, out: Path) -> Path:
    """The photo with the card's QR code held up beside the face (bottom-left corner)."""
    image = cv2.imread(str(photo))
    code = cv2.QRCodeEncoder.create().encode(text)
    code = cv2.resize(code, None, fx=5, fy=5, interpolation=cv2.INTER_NEAREST)
    code = cv2.copyMakeBorder(code, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255)
    code = cv2.cvtColor(code, cv2.COLOR_GRAY2BGR)
    h, w = code.shape[:2]
    height, width = image.shape[:2]
    if h > height or w > width:
        raise ValueError("photo too small for the QR code")
    image[height - h:, :w] = code
    cv2.imwrite(str(out), image)
    return out


def set_camera(camera_file: Path, picture: Path) -> None:
    """Put another picture in front of the station's (file) camera, atomically."""
    data = np.fromfile(str(picture), dtype=np.uint8)
    tmp = camera_file.with_suffix(".tmp" + camera_file.suffix)
    data.tofile(str(tmp))
    tmp.replace(camera_file)


def wait_for(check: Callable[[], T | None], timeout: float = 20.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
