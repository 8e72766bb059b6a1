"""The uploaded roster kept between its preview and the examiner's "import" click.

The page shows what the file would do; the import then reads exactly the bytes that were
previewed (not a file chosen again), so what was checked is what is stored. The bytes sit in a
private temporary directory under an unguessable token bound to the user and the sitting, and
expire after `TTL_S`.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
from pathlib import Path

TTL_S = 30 * 60
_TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _directory() -> Path:
    path = Path(tempfile.gettempdir()) / f"exam-roster-previews-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _sweep(directory: Path, now: float) -> None:
    for entry in directory.iterdir():
        try:
            if now - entry.stat().st_mtime > TTL_S:
                entry.unlink()
        except FileNotFoundError:
            pass


def keep(user_id: int, sitting_id: int, filename: str, data: bytes) -> str:
    """Store the upload; returns its token."""
    directory = _directory()
    _sweep(directory, time.time())
    token = secrets.token_urlsafe(24)
    (directory / f"{token}.json").write_text(json.dumps(
        {"user_id": user_id, "sitting_id": sitting_id, "filename": filename}))
    (directory / f"{token}.bin").write_bytes(data)
    return token


def take(token: str, user_id: int, sitting_id: int) -> tuple[str, bytes] | None:
    """(filename, bytes) of a kept upload of this user and sitting, removed once taken; None if
    the token is unknown, expired or someone else's."""
    if not token or not set(token) <= _TOKEN_CHARS or len(token) > 64:
        return None
    directory = _directory()
    meta_path, data_path = directory / f"{token}.json", directory / f"{token}.bin"
    try:
        if time.time() - meta_path.stat().st_mtime > TTL_S:
            return None
        meta = json.loads(meta_path.read_text())
        if meta.get("user_id") != user_id or meta.get("sitting_id") != sitting_id:
            return None
        data = data_path.read_bytes()
    except (FileNotFoundError, ValueError):
        return None
    meta_path.unlink(missing_ok=True)
    data_path.unlink(missing_ok=True)
    return str(meta["filename"]), data
