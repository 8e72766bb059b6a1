"""Every event kind the server's code writes, read from its source (not from a hand-kept list):
the literal action of each `append_event(...)`, `Entry(...)` and attempt-control `_log(...)` call,
module constants passed as one, both branches of a conditional, and `f"checkin.{status}"` over
the statuses a check-in can have. A call whose action this reader cannot resolve is reported,
so a new way of naming an event cannot slip past the test that uses it."""

from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "exam_server"
WRITERS = {"append_event": 1, "Entry": 0, "_log": 1}  # call name -> index of its action argument
CHECKIN_STATUSES = ("accepted", "refused")  # exam_server/checkin/service.py decides between these


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _kinds(node: ast.expr, constants: dict[str, str]) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    if isinstance(node, ast.IfExp):
        body, orelse = _kinds(node.body, constants), _kinds(node.orelse, constants)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant) \
            and node.values[0].value == "checkin." and len(node.values) == 2:
        return [f"checkin.{s}" for s in CHECKIN_STATUSES]
    return None


def written_event_kinds() -> tuple[set[str], list[str]]:
    """(kinds, unresolved call sites as "path:line")."""
    kinds: set[str] = set()
    unresolved: list[str] = []
    for path in sorted(SERVER.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                     and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                     for t in n.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node.func) not in WRITERS:
                continue
            index = WRITERS[_name(node.func)]
            if len(node.args) <= index:
                continue
            found = _kinds(node.args[index], constants)
            if found is None:
                # the writers' own definitions pass their `action` parameter on
                if isinstance(node.args[index], ast.Attribute | ast.Name) and path.parent.name == "events":
                    continue
                if path.name == "control.py" and isinstance(node.args[index], ast.Name):
                    continue  # _log(attempt, action, ...) itself
                unresolved.append(f"{path.relative_to(SERVER)}:{node.lineno}")
            else:
                kinds.update(found)
    return kinds, unresolved
