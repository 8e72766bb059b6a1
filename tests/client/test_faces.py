"""Face matching against real photos (../shared/faces): dlib's real models, no mocks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from exam_client.faces import FaceMatcher, FaceProblem, FaceQualityError

pytestmark = pytest.mark.faces


@pytest.fixture(scope="module")
def matcher() -> FaceMatcher:
    return FaceMatcher(threshold=0.6)


def _read(faces_dir: Path, name: str) -> np.ndarray:
    image = cv2.imread(str(faces_dir / name))
    assert image is not None, name
    return image


def chip_photo(image: np.ndarray, matcher: FaceMatcher) -> np.ndarray:
    """A chip-like reference: the face cropped, shrunk to 240x320 and stored as JPEG 2000."""
    left, top, right, bottom = matcher.analyse(image).box
    h = bottom - top
    crop = image[max(top - h // 2, 0) : bottom + h // 2, max(left - h // 3, 0) : right + h // 3]
    ok, data = cv2.imencode(".jp2", cv2.resize(crop, (240, 320)))
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def test_same_person_matches_across_photos(matcher: FaceMatcher, faces_dir: Path) -> None:
    reference = matcher.analyse(chip_photo(_read(faces_dir, "obama.jpg"), matcher), reference=True)
    for name in ("obama2.jpg", "obama3.jpg"):
        result = matcher.compare(reference.embedding, matcher.analyse(_read(faces_dir, name)).embedding)
        assert result.matched, (name, result)
        assert result.distance < 0.6


def test_other_person_is_refused(matcher: FaceMatcher, faces_dir: Path) -> None:
    reference = matcher.analyse(chip_photo(_read(faces_dir, "obama.jpg"), matcher), reference=True)
    result = matcher.compare(reference.embedding, matcher.analyse(_read(faces_dir, "biden.jpg")).embedding)
    assert not result.matched
    assert result.distance > 0.6
    assert result.to_dict()["matched"] is False


def test_two_people_is_several_faces(matcher: FaceMatcher, faces_dir: Path) -> None:
    with pytest.raises(FaceQualityError) as caught:
        matcher.analyse(_read(faces_dir, "multi_two_people.jpg"))
    assert caught.value.problem is FaceProblem.SEVERAL_FACES
    assert caught.value.message_key == "client.face.several_faces"


def test_no_face(matcher: FaceMatcher) -> None:
    blank = np.full((480, 640, 3), 200, dtype=np.uint8)
    with pytest.raises(FaceQualityError) as caught:
        matcher.analyse(blank)
    assert caught.value.problem is FaceProblem.NO_FACE


@pytest.mark.parametrize(
    ("transform", "problem"),
    [
        (lambda img: cv2.GaussianBlur(img, (0, 0), 6), FaceProblem.BLURRED),
        (lambda img: (img * 0.25).astype(np.uint8), FaceProblem.TOO_DARK),
        (lambda img: cv2.resize(img, None, fx=0.2, fy=0.2), FaceProblem.TOO_SMALL),
    ],
)
def test_quality_problems_name_the_fix(matcher: FaceMatcher, faces_dir: Path, transform, problem) -> None:
    image = _read(faces_dir, "obama2.jpg")
    matcher.analyse(image)  # the untouched photo passes
    with pytest.raises(FaceQualityError) as caught:
        matcher.analyse(transform(image))
    assert caught.value.problem is problem


def test_instructions_exist_in_both_languages() -> None:
    from exam_client.messages import text

    for problem in FaceProblem:
        vi = text(f"client.face.{problem.value}", "vi")
        en = text(f"client.face.{problem.value}", "en")
        assert vi != en and not vi.startswith("client.")
