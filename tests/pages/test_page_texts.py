"""Every text the staff pages show exists in Vietnamese and English: a template's English source
text has a Vietnamese msgstr, and a code the views or a computed template lookup use is declared
(a missing one would show up on the page as the bare key or as English)."""

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
from exam_server.i18n import CATALOGUE, catalog
from scripts.i18n import Target, extract_catalog
from tests.conftest import ROOT

TEMPLATES = ROOT / "exam_server" / "templates"
STAFF_TEMPLATES = [p for p in TEMPLATES.rglob("*.html") if p.parent.name not in ("candidate", "monitor")]
VIEWS = [ROOT / "exam_server" / d / "views.py" for d in ("accounts", "exams", "attempts")]
# States shown as badges, including the room page's own words for a candidate.
DISPLAY_STATES = {*SITTING_STATES, *ROOM_STATES, *ATTEMPT_STATES, "none", "locked", "waiting", "code_issued"}


# Texts that read the same in both languages (names and abbreviations).
NOT_TRANSLATED = {"CSV", "JSON", "PDF", "Excel (.xlsx)", "Moodle XML (.xml)", "QTI 2.1 (.zip)", "QTI 3.0 (.zip)", "SBD"}


def literal_keys(path: Path) -> set[str]:
    """Codes named in a file (a pgettext context is a translator's hint, not a code)."""
    text = re.sub(r"""pgettext\(\s*["'][^"']*["']""", "pgettext(", path.read_text())
    return set(re.findall(r"""["'](pages\.[a-z0-9_.]+[a-z0-9_])["']""", text))


def test_every_code_the_views_name_is_declared() -> None:
    used = set().union(*(literal_keys(p) for p in STAFF_TEMPLATES + VIEWS))
    assert len(used) > 20
    missing = sorted(k for k in used if not CATALOGUE.knows(k) and not k.endswith("."))
    assert missing == []


def test_every_template_text_reads_in_vietnamese() -> None:
    """Each `_()`/`pgettext()` text of the templates has its own Vietnamese entry in the catalogue."""
    staff = {p.relative_to(ROOT).as_posix() for p in STAFF_TEMPLATES}
    texts = [m for m in extract_catalog(Target("exam_server", "messages"))
             if m.id and any(f in staff for f, _ in m.locations)]
    assert len(texts) > 300
    vi = CATALOGUE.translations("vi")
    untranslated = [(m.context, m.id) for m in texts if isinstance(m.id, str)
                    and (vi.pgettext(m.context, m.id) if m.context else vi.gettext(m.id)) == m.id
                    and any(c.isalpha() for c in m.id) and m.id not in NOT_TRANSLATED]
    assert untranslated == []
    assert vi.gettext("Candidates") == "Thí sinh"


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
