"""The server's messages: gettext catalogues in Vietnamese (default) and English.

The catalogue is `exam_server/translations/<lang>/LC_MESSAGES/messages.po` (compiled `.mo`
beside it); ARCHITECTURE.md describes the translator's workflow (`make i18n-update`, Poedit,
`make i18n-check`). Two kinds of messages, both extracted by `scripts/i18n.py`:

* **coded** messages, which APIs return as `code` + translated `message`: each domain declares
  its codes once with the English source text, the code becoming the entry's msgctxt,

      CATALOGUE.register(coded("attempts.saved", "Saved"))

  and `translate("attempts.saved", name=value)` gives the text in the request's language;
* **page texts**, written in templates as English source text with brace parameters,
  `{{ _("Candidates of {room}", room=room.name) }}` (or `pgettext("context", "…")` when the
  same English needs two Vietnamese readings; `ngettext` for plurals).

`init_app` installs Flask-Babel (locale: `?lang=`, then the `lang` cookie, then Vietnamese), the
Jinja globals `_`/`gettext`/`pgettext`/`ngettext` and the `date`/`datetime`/`decimal`/`percent`
filters (Babel's CLDR data: dd/mm/yyyy, decimal comma in Vietnamese).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from exam_common import i18n as common
from exam_common.i18n import Catalogue, coded  # noqa: F401  (re-exported for the domains)
from question_bank import messages as qb_messages
from question_bank.messages import DECLARATIONS as _QB_DECLARATIONS

# The server's gettext catalogue; the question bank's merges in (the server shows its codes).
CATALOGUE = Catalogue(Path(__file__).parent / "translations", *qb_messages.CATALOGUE.directories)
CATALOGUE.register(*_QB_DECLARATIONS)  # `translate("qb.…")` shows the question bank's codes

LANGUAGES = common.LANGUAGES
DEFAULT_LANGUAGE = common.DEFAULT_LANGUAGE
LABELLED_PARAMS = common.LABELLED_PARAMS

def current_language() -> str:
    """The request's language: ?lang=, then the `lang` cookie, then Vietnamese."""
    try:
        from flask import has_request_context, request
    except ImportError:  # used outside Flask (e.g. a CLI)
        return DEFAULT_LANGUAGE
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return common.pick_language((request.args.get("lang"), request.cookies.get("lang")))


def translate(key: str, /, lang: str | None = None, **params: Any) -> str:
    """The coded message `key` in `lang` (default: the request's); an unknown code is returned as
    itself, so a missing declaration shows up in tests and on the page."""
    lang = lang or current_language()
    return CATALOGUE.text(key, lang, **params)


_ = translate


def page_text(message: str, /, **params: Any) -> str:
    """A template's `_()`: English source text by msgid; a code (computed lookups such as
    `_("pages.state." ~ state)`) by its declaration.

    The result is a plain string, so Jinja's autoescaping escapes the text and its parameters
    once, wherever it is printed (element or attribute)."""
    lang = current_language()
    if CATALOGUE.knows(message):
        return translate(message, lang, **params)
    return CATALOGUE.gettext(message, lang, **params)


def page_pgettext(context: str, message: str, /, **params: Any) -> str:
    return CATALOGUE.pgettext(context, message, current_language(), **params)


def page_ngettext(singular: str, plural: str, n: int, /, **params: Any) -> str:
    return CATALOGUE.ngettext(singular, plural, n, current_language(), **params)


def format_date(value: date | datetime | None, lang: str | None = None) -> str:
    """dd/mm/yyyy (Babel, CLDR)."""
    return common.format_date(value, lang or current_language())


def format_datetime(value: datetime | None, lang: str | None = None) -> str:
    return common.format_datetime(value, lang or current_language())


def format_decimal(value: float | Decimal | int | None, digits: int | None = None, lang: str | None = None,
                   *, empty: str = "", min_digits: int = 0, max_digits: int | None = None) -> str:
    """`8,25` in Vietnamese, `8.25` in English (Babel); see exam_common.i18n.format_decimal."""
    return common.format_decimal(value, lang or current_language(), digits, empty=empty,
                                 min_digits=min_digits, max_digits=max_digits)


def format_percent(value: float | None, digits: int = 0, lang: str | None = None) -> str:
    return common.format_percent(value, lang or current_language(), digits)


def catalog(lang: str) -> dict[str, str]:
    """Every coded message in one language, code -> text with its `{params}` still in it."""
    return {code: CATALOGUE.text(code, lang) for code in CATALOGUE.codes()}


def init_app(app: Any) -> None:
    """Flask-Babel (locale selection, `flask_babel.gettext` in Python) and the Jinja helpers.

    Flask-Babel's own Jinja setup is off: its callables format with `%`, ours with braces like
    every other message, and `{% trans %}` blocks are not used."""
    from flask_babel import Babel

    Babel(app, locale_selector=current_language, default_locale=DEFAULT_LANGUAGE,
          default_domain="messages", configure_jinja=False)
    app.jinja_env.globals.update(_=page_text, gettext=page_text, pgettext=page_pgettext,
                                 ngettext=page_ngettext)
    app.jinja_env.filters.update(date=format_date, datetime=format_datetime, decimal=format_decimal,
                                 percent=format_percent)
