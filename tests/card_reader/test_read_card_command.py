"""`read-card` through real pcscd + vpcd with the virtual chip, as an operator would run it."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from card_reader.virtual.identity import Identity
from card_reader.virtual.vpcd import PORTS
from exam_client.card_commands import read_card_command

pytestmark = pytest.mark.pcsc
PORT = PORTS[1]  # the second vpcd reader: the first one is the station's default


@pytest.fixture(autouse=True)
def _no_user_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands follow LANG when --lang is not given: these tests expect the default (Vietnamese)."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


def test_qr_image_keys_trust_and_photo(vpcd_card, csca_file: Path, tmp_path: Path) -> None:  # noqa: ANN001
    identity = Identity()
    card = vpcd_card(port=PORT)
    qr = cv2.QRCodeEncoder.create().encode(identity.qr_text())
    qr_image = tmp_path / "front.png"
    cv2.imwrite(str(qr_image), cv2.resize(np.pad(qr, 4, constant_values=255), None, fx=8, fy=8,
                                          interpolation=cv2.INTER_NEAREST))
    photo = tmp_path / "photo.jpg"
    result = CliRunner().invoke(read_card_command, [
        "--reader", card.reader, "--qr-image", str(qr_image), "--trust", str(csca_file.parent),
        "--expected-id", identity.id_number, "--photo-out", str(photo)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["verified"] is True and report["id_number"] == identity.id_number
    assert report["access_control"] == "PACE-CAN"
    assert "religion" not in report["personal_data"]
    assert cv2.imread(str(photo)) is not None


def test_wrong_can_exits_with_a_vietnamese_message(vpcd_card) -> None:  # noqa: ANN001
    card = vpcd_card(port=PORT, with_photo=False)
    result = CliRunner().invoke(read_card_command, ["--reader", card.reader, "--can", "000000"])
    assert result.exit_code == 2
    error = json.loads(result.stderr)
    assert error["error"] == "WrongKeyError" and error["code"] == "card.wrong_key"
    assert "Khóa truy cập sai" in error["message"] and "expiry" not in error["message"]


def test_mrz_with_sensitive_fields_and_english_errors(vpcd_card) -> None:  # noqa: ANN001
    identity = Identity()
    card = vpcd_card(port=PORT, with_photo=False)
    result = CliRunner().invoke(read_card_command, [
        "--reader", card.reader, "--mrz", identity.mrz(), "--include-sensitive", "--no-photo"])
    assert result.exit_code == 1, result.output  # read fine, but only Vietnam's real CSCA is trusted
    report = json.loads(result.output)
    assert report["access_control"] == "PACE-MRZ" and report["personal_data"]["religion"] == identity.religion
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["data_group_hashes"]["status"] == "passed"
    # the TEST-ONLY CSCA is never trusted by default: the chain fails and says for which issuer (in Vietnamese)
    chain = checks["csca_chain"]
    assert chain["status"] == "failed" and chain["code"] == "pa.no_csca"
    assert "CSCA VN TEST ONLY" in chain["params"]["issuer"] and "Kho tin cậy không có CSCA" in chain["text"]
    missing = CliRunner().invoke(read_card_command, ["--reader", "No Such Reader", "--can", "123456",
                                                     "--lang", "en"])
    assert missing.exit_code == 2 and "No card reader found" in json.loads(missing.stderr)["message"]
