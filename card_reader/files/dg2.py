"""DG2: the facial image (ISO/IEC 19794-5 record, or 39794-5), JPEG or JPEG 2000."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from card_reader import tlv
from card_reader.errors import CardDataError

JPEG_MAGIC = b"\xff\xd8\xff"
JP2_MAGICS = (b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")
_FACIAL_INFO = 20
_FEATURE_POINT = 8
_IMAGE_INFO = 12


@dataclass(frozen=True)
class FaceImage:
    image: bytes  # as stored: JPEG or JPEG 2000
    mime_type: str
    width: int
    height: int

    def decode(self) -> np.ndarray:
        """The photo as an OpenCV BGR array."""
        array = cv2.imdecode(np.frombuffer(self.image, np.uint8), cv2.IMREAD_COLOR)
        if array is None:
            raise CardDataError("DG2", f"OpenCV cannot decode the {self.mime_type} photo")
        return array

    @property
    def extension(self) -> str:
        return ".jpg" if self.mime_type == "image/jpeg" else ".jp2"


def _biometric_blocks(data: bytes) -> list[bytes]:
    group = tlv.parse(tlv.unwrap(data, 0x75)).get(0x7F61)
    if group is None:
        raise CardDataError("DG2", "no biometric information group template (7F61)")
    blocks = []
    for tag, value in tlv.iter_tlv(group):
        if tag == 0x7F60:
            inner = tlv.parse(value)
            block = inner.get(0x5F2E) or inner.get(0x7F2E)
            if block:
                blocks.append(block)
    return blocks


def _image_from_19794(block: bytes) -> bytes | None:
    if not block.startswith(b"FAC\x00"):
        return None
    offset = 14  # format id, version, record length, number of images
    points = int.from_bytes(block[offset + 4 : offset + 6], "big")
    start = offset + _FACIAL_INFO + points * _FEATURE_POINT + _IMAGE_INFO
    return block[start:] if start < len(block) else None


def _image_by_magic(block: bytes) -> bytes | None:
    """39794-5 and unusual encoders: locate the image stream by its signature."""
    positions = [p for p in (block.find(m) for m in (JPEG_MAGIC, *JP2_MAGICS)) if p >= 0]
    return block[min(positions):] if positions else None


def parse_dg2(data: bytes) -> FaceImage:
    blocks = _biometric_blocks(data)
    if not blocks:
        raise CardDataError("DG2", "no facial record (5F2E/7F2E)")
    image = _image_from_19794(blocks[0])
    if image is None or not (image.startswith(JPEG_MAGIC) or image.startswith(JP2_MAGICS)):
        image = _image_by_magic(blocks[0])
    if image is None:
        raise CardDataError("DG2", "no JPEG or JPEG 2000 image in the facial record")
    mime = "image/jpeg" if image.startswith(JPEG_MAGIC) else "image/jp2"
    face = FaceImage(image, mime, 0, 0)
    height, width = face.decode().shape[:2]
    return FaceImage(image, mime, width, height)
