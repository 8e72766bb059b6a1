"""Front-end pieces both web apps serve: the shared ES modules and the scripts' message catalogues.

The server's pages and the check-in station import the same `i18n.js` and `dom.js` from
`exam_common/static/js/`; each app serves that folder at `/static/common/` (one copy, no build
step, and the station imports nothing of `exam_server`). Scripts are written with English
source text; their translations are each app's `js` gettext domain
(`<package>/translations/<lang>/LC_MESSAGES/js.po`), handed to the page as JSON.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exam_common.i18n import DEFAULT_LANGUAGE, LANGUAGES, Catalogue

if TYPE_CHECKING:
    from flask import Blueprint

COMMON_JS = Path(__file__).parent / "static" / "js"
COMMON_URL = "/static/common"
JS_DOMAIN = "js"


def common_static_blueprint() -> Blueprint:
    """The shared modules at /static/common/<file> (a more specific rule than the app's /static/)."""
    from flask import Blueprint

    return Blueprint("common_static", __name__, static_folder=str(COMMON_JS), static_url_path=COMMON_URL)


@lru_cache(maxsize=8)
def _catalogue(directory: str) -> Catalogue:
    return Catalogue(Path(directory), domain=JS_DOMAIN)


def script_messages(translations: Path, lang: str) -> dict[str, Any]:
    """msgid -> text of the `js` catalogue in `lang`, for `i18n.js`'s `setCatalogue`.

    A plural entry maps its singular msgid to the list of its forms (gettext order), which
    `all_messages` leaves out; `tn()` picks the form by the language's plural rule."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    catalogue = _catalogue(str(Path(translations).resolve()))
    messages: dict[str, Any] = dict(catalogue.all_messages(lang))
    raw = getattr(catalogue.translations(lang), "_catalog", {})
    plurals: dict[str, dict[int, str]] = {}
    for key, text in raw.items():
        if isinstance(key, tuple) and isinstance(key[0], str) and key[0] and "\x04" not in key[0]:
            plurals.setdefault(key[0], {})[int(key[1])] = text
    for msgid, forms in plurals.items():
        messages[msgid] = [forms[i] for i in sorted(forms)]
    return messages
