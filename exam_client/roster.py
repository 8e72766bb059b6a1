"""The room's roster as the station knows it, with each candidate's check-in status.

Fetched from the server when the invigilator logs in and after every check-in; kept in a file
beside the offline queue so a station restarted while the server is away still knows who is
expected.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

STATUSES = ("expected", "checked_in", "refused", "absent", "queued")


class Roster:
    def __init__(self, cache: Path | None = None) -> None:
        self._cache = cache
        self._lock = threading.Lock()
        self.room: dict[str, Any] = {}
        self.sitting: dict[str, Any] = {}
        self._by_id: dict[str, dict[str, Any]] = {}
        if cache is not None and cache.exists():
            self.load(json.loads(cache.read_text(encoding="utf-8")), save=False)

    def load(self, body: dict[str, Any], save: bool = True) -> None:
        """Replace the roster with the server's (`GET /roster` body)."""
        with self._lock:
            self.room = body.get("room", {})
            self.sitting = body.get("sitting", {})
            self._by_id = {c["citizen_id"]: dict(c) for c in body.get("candidates", [])}
        if save:
            self._save()

    def _save(self) -> None:
        if self._cache is None:
            return
        body = {"room": self.room, "sitting": self.sitting, "candidates": self.candidates()}
        tmp = self._cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self._cache)

    def find(self, citizen_id: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._by_id.get(citizen_id)
            return dict(entry) if entry else None

    def find_by_sbd(self, sbd: str) -> dict[str, Any] | None:
        with self._lock:
            for entry in self._by_id.values():
                if entry.get("sbd") == sbd:
                    return dict(entry)
        return None

    def candidates(self) -> list[dict[str, Any]]:
        with self._lock:
            return sorted((dict(c) for c in self._by_id.values()), key=lambda c: str(c.get("sbd", "")))

    def _set(self, citizen_id: str, **changes: Any) -> None:
        with self._lock:
            entry = self._by_id.get(citizen_id)
            if entry is None:
                return
            entry.update(changes)
        self._save()

    def mark_queued(self, citizen_id: str) -> None:
        entry = self.find(citizen_id)
        if entry and entry.get("status") != "checked_in":
            self._set(citizen_id, status="queued")

    def apply(self, answer: dict[str, Any]) -> None:
        """Take the status from a check-in answer of the server."""
        citizen_id = (answer.get("candidate") or {}).get("citizen_id")
        status = answer.get("status")
        if not citizen_id or status not in ("accepted", "refused"):
            return
        current = self.find(citizen_id)
        if current is None:
            return
        if status == "accepted":
            self._set(citizen_id, status="checked_in", seat=answer.get("seat") or current.get("seat"),
                      checked_in_at=answer.get("checked_in_at"))
        elif current.get("status") not in ("checked_in",):
            self._set(citizen_id, status="refused")
