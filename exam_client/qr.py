"""Reading the QR code printed on the front of a CCCD through the webcam.

OpenCV's QRCodeDetector finds and decodes it; the text is parsed into card keys by card_reader.
"""

from __future__ import annotations

import cv2
import numpy as np

# Detection cost grows with the pixel count; a card QR held up to a webcam stays readable when
# the frame is shrunk to this many pixels on its longer side. Full size is the fallback.
FAST_MAX_SIDE = 800


def decode_qr(image_bgr: np.ndarray) -> str | None:
    """The QR payload in the frame, or None when no readable code is visible."""
    detector = cv2.QRCodeDetector()
    scale = FAST_MAX_SIDE / max(image_bgr.shape[:2])
    if scale < 0.9:
        small = cv2.resize(image_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        text, _, _ = detector.detectAndDecode(small)
        if text:
            return text
    text, points, _ = detector.detectAndDecode(image_bgr)
    if text:
        return text
    if points is None:
        # A card held at an angle in a busy frame: retry on a contrast-stretched grey image.
        grey = cv2.equalizeHist(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY))
        text, _, _ = detector.detectAndDecode(grey)
    return text or None
