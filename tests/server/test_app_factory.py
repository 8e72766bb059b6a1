"""The app factory names its blueprints: a missing module stops the server at start, and the
live layer refuses to run without the dashboards the factory attaches to it."""

from __future__ import annotations

import importlib
import sys
import uuid
from pathlib import Path

import pytest

from exam_server.app import _blueprints, create_app
from exam_server.realtime import NoDashboardsAttached


def _config(tmp_path: Path) -> dict[str, object]:
    return {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'exam.db'}", "SECRET_KEY": "test-" + uuid.uuid4().hex,
            "RATELIMIT_STORAGE_URI": "memory://", "SOCKETIO_ASYNC_MODE": "threading"}


def test_every_domain_blueprint_is_registered(tmp_path: Path) -> None:
    app = create_app(_config(tmp_path))
    names = set(app.blueprints)
    assert {bp.name for bp in _blueprints()} <= names
    assert {"accounts_api", "exams_api", "attempts_api", "checkin_api", "results_api", "bank_api",
            "account_pages", "exam_pages", "room_pages", "monitor_pages", "results_pages", "bank_pages",
            "live"} <= names
    # the dashboards are attached to the live layer by the factory
    assert not isinstance(app.extensions["exam_realtime"].broadcaster, NoDashboardsAttached)


@pytest.mark.parametrize("module", ["exam_server.bank.views", "exam_server.checkin.api", "exam_server.monitor.messages"])
def test_a_missing_module_stops_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    parent, _, name = module.rpartition(".")
    monkeypatch.setitem(sys.modules, module, None)  # as if the file were renamed or deleted
    monkeypatch.delattr(importlib.import_module(parent), name, raising=False)
    with pytest.raises(ImportError, match=module.replace(".", r"\.")):
        create_app(_config(tmp_path))


def test_live_layer_without_dashboards_says_so() -> None:
    with pytest.raises(RuntimeError, match="monitor.init_app"):
        NoDashboardsAttached().mark(1, 2)
