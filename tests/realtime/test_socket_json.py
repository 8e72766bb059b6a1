"""Socket.IO's JSON: what the standard library decodes, with engine.io's guard against huge
integers kept (one decoder built once instead of one per packet)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exam_server import socket_json
from tests.server.conftest import make_app


@pytest.mark.parametrize("text", ['{"attempt": 7, "q": 3, "seq": 12, "value": ["A", "C"]}', "[1, 2.5, null]",
                                  '"Nguyễn Văn An"', '{"nested": {"x": [true, false, -0.0]}}', "42"])
def test_decodes_as_the_standard_library(text: str) -> None:
    assert socket_json.loads(text) == json.loads(text)
    assert socket_json.loads(text.encode()) == json.loads(text)


def test_a_huge_integer_is_refused() -> None:
    assert socket_json.loads("9" * 100) == int("9" * 100)
    with pytest.raises(ValueError, match="too large"):
        socket_json.loads("[" + "9" * 101 + "]")


def test_the_apps_socket_packets_use_it(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'exam.db'}", tmp_path / "instance")
    server = app.extensions["socketio"].server
    assert server.packet_class.json is socket_json
