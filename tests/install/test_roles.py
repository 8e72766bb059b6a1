"""Each role installs what it needs and nothing of the other role's stack.

`pip install '.[server]'` and `pip install '.[station]'` are run for real, each into a fresh
isolated venv (no system site-packages, dependencies resolved by pip from pyproject.toml), and
the installed role is then started from that venv. The installs are editable, the way
`scripts/setup.sh` installs the project (the server reads `config/` beside its package), so
the venv runs the working tree's code with only its role's packages.

Slow (a minute or two with pip's cache warm), so marked `slow`; they run in CI like any test.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

# Distribution names as `pip list` spells them (lower case, "-" for "_").
CARD_AND_CAMERA = {"pyscard", "opencv-python-headless", "opencv-python", "dlib-bin", "dlib",
                   "face-recognition-models"}
SERVER_ONLY = {"gunicorn", "gevent", "psycopg", "psycopg-binary", "alembic", "redis", "flask-socketio",
               "sqlalchemy"}
# Import names of the same stacks: a module of the other role must not even be importable.
CARD_AND_CAMERA_MODULES = ("smartcard", "cv2", "dlib", "face_recognition_models")
SERVER_ONLY_MODULES = ("gunicorn", "gevent", "psycopg", "alembic", "redis", "flask_socketio", "sqlalchemy")


def _run(cmd: list[str], *, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd="/")
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {done.returncode}\n--- stdout\n{done.stdout[-4000:]}"
                             f"\n--- stderr\n{done.stderr[-4000:]}")
    return done.stdout


def _role_venv(base: Path, extra: str) -> Path:
    """A fresh venv holding `.[extra]` installed by pip from the working tree."""
    home = base / f"venv-{extra}"
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    python = home / "bin" / "python"
    quiet = ["--disable-pip-version-check", "-q"]
    _run([str(python), "-m", "pip", "install", *quiet, "-e", f"{ROOT}[{extra}]"])
    return python


def _clean_env(tmp: Path) -> dict[str, str]:
    """The environment without this venv's traces, so the role's venv imports only its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["HOME"] = str(tmp)
    return env


def _installed(python: Path) -> set[str]:
    listed = json.loads(_run([str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"]))
    return {p["name"].lower().replace("_", "-") for p in listed}


@pytest.fixture(scope="module")
def role_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("roles")


SERVER_CHECK = textwrap.dedent("""
    import importlib, pkgutil, sys, tempfile
    from pathlib import Path

    import exam_server
    # Every server module imports without the card stack, the camera or the face models.
    for info in pkgutil.walk_packages(exam_server.__path__, "exam_server."):
        if not info.name.startswith("exam_server.migrations."):  # alembic's env and revisions run under alembic
            importlib.import_module(info.name)

    from exam_server.app import create_app
    from exam_server.migrations import upgrade

    instance = Path(tempfile.mkdtemp())
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance),
                      "DATABASE_URL": f"sqlite:///{instance / 'exam.db'}", "SECRET_KEY": "x" * 40,
                      "RATELIMIT_STORAGE_URI": "memory://", "SOCKETIO_ASYNC_MODE": "threading"})
    upgrade(app)
    client = app.test_client()
    login = client.get("/exam/login")
    assert login.status_code == 200, login.status_code
    assert client.get("/api/v1/auth/csrf").status_code == 200
    loaded = sorted(m for m in {MODULES} if m in sys.modules)
    assert not loaded, loaded
    print("server ok")
""")

STATION_CHECK = textwrap.dedent("""
    import importlib, pkgutil, sys, tempfile
    from pathlib import Path

    import cv2
    import numpy as np

    import card_reader
    import exam_client
    # Every station module imports without gunicorn, gevent, a database driver or Redis.
    for package in (exam_client, card_reader):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)

    from card_reader.trust import load_trust_store
    from exam_client.camera import ImageFileCamera
    from exam_client.chip import CardReaderChip
    from exam_client.faces import FaceMatcher
    from exam_client.station import create_app
    from exam_client.station.service import Station, StationConfig

    work = Path(tempfile.mkdtemp())
    picture = work / "camera.jpg"
    cv2.imwrite(str(picture), np.full((240, 320, 3), 128, dtype=np.uint8))
    config = StationConfig(server_url="http://127.0.0.1:9", room="1", data_dir=work / "data",
                           station_name="P01")
    station = Station(config, ImageFileCamera(picture), CardReaderChip(load_trust_store([], builtin=True)),
                      FaceMatcher())
    page = create_app(station).test_client().get("/")
    assert page.status_code == 200, page.status_code
    loaded = sorted(m for m in {MODULES} if m in sys.modules)
    assert not loaded, loaded
    print("station ok")
""")


def test_server_role_has_no_card_stack_and_starts(role_base: Path) -> None:
    python = _role_venv(role_base, "server")
    installed = _installed(python)
    assert "flask-socketio" in installed and "gunicorn" in installed  # the role itself is there
    assert not installed & CARD_AND_CAMERA, sorted(installed & CARD_AND_CAMERA)
    env = _clean_env(role_base)
    for module in CARD_AND_CAMERA_MODULES:
        probe = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, env=env, cwd="/")
        assert probe.returncode != 0, f"{module} is importable in the server's venv"
    out = _run([str(python), "-c", SERVER_CHECK.replace("{MODULES}", repr(CARD_AND_CAMERA_MODULES))], env=env)
    assert "server ok" in out
    assert "Usage" in _run([str(python.parent / "exam-server"), "--help"], env=env)


def test_station_role_has_no_server_stack_and_starts(role_base: Path) -> None:
    python = _role_venv(role_base, "station")
    installed = _installed(python)
    assert {"pyscard", "opencv-python-headless", "dlib-bin"} <= installed  # the role itself is there
    assert not installed & SERVER_ONLY, sorted(installed & SERVER_ONLY)
    env = _clean_env(role_base)
    out = _run([str(python), "-c", STATION_CHECK.replace("{MODULES}", repr(SERVER_ONLY_MODULES))], env=env)
    assert "station ok" in out
    assert "--room" in _run([str(python.parent / "exam-client"), "station", "--help"], env=env)
