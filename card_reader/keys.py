"""Turning what the operator has (typed/scanned MRZ, the front QR, the CAN) into `Credentials`."""

from __future__ import annotations

import re
from pathlib import Path

from card_reader.errors import KeyInputError
from card_reader.mrz import parse_access_key
from card_reader.qr import can_from_id, read_qr
from card_reader.reader import Credentials


def credentials_from(mrz: str | None = None, qr_text: str | None = None, can: str | None = None) -> Credentials:
    """MRZ → BAC/PACE-MRZ key; QR → CAN (last 6 digits) then the expiry candidates; CAN → PACE-CAN."""
    keys = []
    derived_can = None
    if mrz:
        keys.append(parse_access_key(mrz))
    if qr_text:
        # The 2021 front QR gives the CAN and the BAC keys; any other layout (the 2024 card's back
        # QR) still gives the 12-digit ID, hence the CAN for PACE.
        qr = read_qr(qr_text)
        keys.extend(qr.access_keys())
        derived_can = qr.can
    if can is not None and not re.fullmatch(r"\d{6}", can.strip()):
        if re.fullmatch(r"\d{12}", can.strip()):
            can = can_from_id(can.strip())
        else:
            raise KeyInputError(f"the CAN {can!r} must be 6 digits")
    return Credentials(access_keys=keys, can=(can.strip() if can else None) or derived_can)


def qr_text_from_image(path: Path) -> str:
    """Decode the CCCD front QR from a photo or scan with OpenCV's QRCodeDetector."""
    import cv2

    image = cv2.imread(str(path))
    if image is None:
        raise KeyInputError(f"{path}: not an image OpenCV can read")
    detector = cv2.QRCodeDetector()
    text, _points, _ = detector.detectAndDecode(image)
    if not text:
        grey = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
        text, _points, _ = detector.detectAndDecode(grey)
    if not text:
        raise KeyInputError(f"{path}: no readable QR code found")
    return text
