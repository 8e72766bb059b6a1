"""The JSON module Socket.IO encodes and decodes packets with.

python-engineio's own (`engineio.json`) guards against huge integers by calling
`json.loads(text, parse_int=...)` for every incoming packet, which builds a new decoder, and its
scanner, each time: 7 % of a worker's CPU at 10,000 candidates writing (py-spy), for every save
and ping answer. This module keeps the same guard with one decoder built once.
"""

from __future__ import annotations

import json
from json import dumps
from typing import Any

__all__ = ["dumps", "loads"]

MAX_INT_DIGITS = 100  # engine.io's limit: a longer integer is refused, not parsed


def _safe_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise ValueError("Integer is too large")
    return int(text)


_DECODER = json.JSONDecoder(parse_int=_safe_int)


def loads(text: str | bytes, **kwargs: Any) -> Any:
    if kwargs:  # a caller with options of its own gets exactly the standard library's answer
        return json.loads(text, **{"parse_int": _safe_int, **kwargs})
    return _DECODER.decode(text.decode() if isinstance(text, bytes) else text)
