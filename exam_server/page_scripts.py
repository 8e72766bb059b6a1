"""What the pages' scripts get from the server: the shared modules and their message catalogue.

Scripts are written with English source text (`t("Saved")`); the translations are the server's
`js` gettext domain (`exam_server/translations/<lang>/LC_MESSAGES/js.po`), handed to a page as
JSON in its configuration element (the CSP allows no inline script). The modules shared with
the check-in station (`i18n.js`, `dom.js`) live in `exam_common/static/js/` and are served at
`/static/common/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from exam_common import assets
from exam_server.i18n import current_language

TRANSLATIONS = Path(__file__).parent / "translations"


def install(app: Flask) -> None:
    app.register_blueprint(assets.common_static_blueprint())


def script_messages(lang: str | None = None) -> dict[str, Any]:
    """The `js` catalogue in the request's language (or `lang`)."""
    return assets.script_messages(TRANSLATIONS, lang or current_language())
