"""The station runs on the invigilators' Windows PCs: every exam_client and card_reader module must
import without the POSIX-only modules. A fresh interpreter makes `fcntl`, `termios`, `pwd`, `grp`
and `resource` unimportable (a sys.meta_path blocker), then imports every module of both packages
(the virtual card's Linux runner included: it imports `fcntl` only when it takes its port lock)
and runs the CLI's help for the station, checkin, read-card and trust commands."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import ROOT

BLOCKED = ("fcntl", "termios", "pwd", "grp", "resource")

SCRIPT = textwrap.dedent(f"""
    import importlib, importlib.abc, pkgutil, sys

    BLOCKED = {BLOCKED!r}

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: not on Windows)", name=name)
            return None

    for name in BLOCKED:
        sys.modules.pop(name, None)
    sys.meta_path.insert(0, Blocker())
    try:
        import fcntl  # noqa: F401
        raise SystemExit("blocker does not work")
    except ModuleNotFoundError:
        pass

    imported = []
    for package in ("card_reader", "exam_client"):
        root = importlib.import_module(package)
        imported.append(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            importlib.import_module(info.name)
            imported.append(info.name)
    leaked = sorted(name for name in BLOCKED if name in sys.modules)
    assert not leaked, leaked

    from click.testing import CliRunner
    from exam_client.cli import main
    for args in (["--help"], ["station", "--help"], ["checkin", "--help"], ["read-card", "--help"],
                 ["trust", "show", "--help"], ["trust", "update", "--help"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    print(len(imported), " ".join(imported))
""")


def test_every_module_imports_without_posix_only_modules() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    count, names = result.stdout.strip().splitlines()[-1].split(" ", 1)
    modules = set(names.split())
    for expected in ("exam_client.cli", "exam_client.station.service", "exam_client.checkin", "exam_client.card_commands",
                     "card_reader.reader", "card_reader.certs", "card_reader.trust", "card_reader.virtual.runner",
                     "exam_client.trust_store"):
        assert expected in modules, expected
    assert int(count) >= 60
