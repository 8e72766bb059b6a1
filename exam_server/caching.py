"""Per-process caches with a bound, installed once per app.

A serving process lives for a whole exam day and sees every attempt of its sittings; an
unbounded dict keyed by attempt grows with each of them. `Bounded` is a small LRU (the
standard library's OrderedDict: no dependency for twenty lines) that keeps the most recently
used entries. The paper cache (`exam_server.exams.papers`) checks a revision number so a
key correction made by another process is never graded with the old key.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

from flask import Flask

K = TypeVar("K")
V = TypeVar("V")


class Bounded(Generic[K, V]):
    """A dict-like LRU of at most `limit` entries (get / [] = / pop / len / in)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a cache needs room for at least one entry, not {limit}")
        self.limit = limit
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, default: V | None = None) -> V | None:
        try:
            self._data.move_to_end(key)
        except KeyError:
            return default
        return self._data[key]

    def __setitem__(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.limit:
            self._data.popitem(last=False)

    def __getitem__(self, key: K) -> V:
        value = self._data[key]
        self._data.move_to_end(key)
        return value

    def pop(self, key: K, default: V | None = None) -> V | None:
        return self._data.pop(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()


def install(app: Flask) -> None:
    """The bounded caches every process shares between requests ([cache] settings)."""
    app.extensions.setdefault("exam_attempt_cache", Bounded(int(app.config.get("CACHE_ATTEMPTS", 50_000))))
    app.extensions.setdefault("exam_paper_cache", Bounded(int(app.config.get("CACHE_PAPERS", 2_000))))
