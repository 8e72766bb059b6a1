"""The station's last device token, so the invigilator can log in while the server is away.

Kept in the station's data folder beside the offline queue, with a salted hash of the
invigilator's password (never the password): an offline login needs the same account and
password that obtained the token. The token stays revocable on the server.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from exam_client.server_api import Device


def save(path: Path, device: Device, username: str, password: str) -> None:
    body = {"device": dataclasses.asdict(device), "username": username,
            "password_hash": generate_password_hash(password)}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def load(path: Path, username: str, password: str) -> Device | None:
    """The cached device when this account and password obtained it, else None."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if body.get("username") != username or not check_password_hash(body.get("password_hash", ""), password):
        return None
    return Device(**body["device"])
