"""Every text the staff pages show exists in Vietnamese and English (a missing key would show
up on the page as the bare key)."""

from __future__ import annotations

import re
from pathlib import Path

import exam_server.accounts.page_messages  # noqa: F401  (registers the catalogues)
import exam_server.bank.page_messages  # noqa: F401
import exam_server.exams.page_messages  # noqa: F401
from exam_server.accounts.models import STAFF_ROLES
from exam_server.attempts.models import ATTEMPT_STATES
from exam_server.attempts.views import LIFECYCLE
from exam_server.exams.models import ROOM_STATES, SITTING_STATES
from exam_server.exams.views import SITTING_ACTIONS
from exam_server.i18n import catalog
from tests.conftest import ROOT

TEMPLATES = ROOT / "exam_server" / "templates"
STAFF_TEMPLATES = [p for p in TEMPLATES.rglob("*.html") if p.parent.name not in ("candidate", "monitor")]
VIEWS = [ROOT / "exam_server" / d / "views.py" for d in ("accounts", "exams", "attempts")]
# States shown as badges, including the room page's own words for a candidate.
DISPLAY_STATES = {*SITTING_STATES, *ROOM_STATES, *ATTEMPT_STATES, "none", "locked", "waiting", "code_issued"}


def literal_keys(path: Path) -> set[str]:
    return set(re.findall(r"""["'](pages\.[a-z0-9_.]+[a-z0-9_])["']""", path.read_text()))


def test_every_literal_key_is_translated() -> None:
    used = set().union(*(literal_keys(p) for p in STAFF_TEMPLATES + VIEWS))
    assert len(used) > 80
    for lang in ("vi", "en"):
        missing = sorted(k for k in used if k not in catalog(lang) and not k.endswith("."))
        assert missing == [], f"{lang}: {missing}"


def test_every_state_role_outcome_and_error_heading_is_translated() -> None:
    needed = ({f"pages.state.{s}" for s in DISPLAY_STATES} | {f"pages.role.{r}" for r in STAFF_ROLES}
              | {f"pages.error.{n}" for n in (400, 403, 404, 409, 429)}
              | {f"pages.sitting.done.{a}" for a in SITTING_ACTIONS} | {f"pages.room.done.{a}" for a in LIFECYCLE})
    vi, en = catalog("vi"), catalog("en")
    assert sorted(needed - vi.keys()) == [] and sorted(needed - en.keys()) == []
    # Vietnamese texts are really Vietnamese (diacritics), not copies of the English ones.
    assert vi["pages.state.submitted"] == "Đã nộp bài" and en["pages.state.submitted"] == "Submitted"
    same = [k for k in needed if vi[k] == en[k]]
    assert same == [], same
