"""Translations through gettext catalogues, numbers and dates through Babel's CLDR data.

Each package that shows text keeps a `translations/<lang>/LC_MESSAGES/<domain>.po` (Vietnamese is
the default language, English the source language of every msgid) and a compiled `.mo` beside it.

Two kinds of messages:

* **Coded messages** are what libraries and APIs return: a stable code (`exams.sitting_not_found`)
  with parameters. A package declares each code once with its English source text,

      CATALOGUE.register(coded("exams.sitting_not_found", "Sitting not found."))

  and the code travels as the entry's `msgctxt`, so a translator sees which message it is and
  two codes with the same English text may read differently in Vietnamese.
* **Page texts** are written in templates and scripts as English source text, `_("Candidates")`,
  and translated by msgid.

Parameters use `str.format` braces (`{count}`) everywhere, so one convention serves Python,
Jinja and JavaScript. A parameter named `state` or `action` is shown by its label
(`<domain>.state.<value>`), never raw.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCALES = {"vi": "vi_VN", "en": "en_GB"}
LABELLED_PARAMS = ("state", "action")


def coded(code: str, source: str) -> tuple[str, str]:
    """Declare a coded message (extraction keyword `coded:1c,2`)."""
    return code, source


class Catalogue:
    """One package's gettext catalogues (several directories merge) and its coded messages."""

    def __init__(self, *directories: Path, domain: str = "messages") -> None:
        self.directories = [Path(d) for d in directories]
        self.domain = domain
        self._sources: dict[str, str] = {}
        self._loaded: dict[str, _gettext.NullTranslations] = {}

    def add_directory(self, directory: Path) -> None:
        """Merge another package's catalogue (e.g. the server shows question-bank codes)."""
        self.directories.append(Path(directory))
        self._loaded.clear()

    def register(self, *messages: tuple[str, str]) -> None:
        for code, source in messages:
            known = self._sources.get(code)
            if known is not None and known != source:
                raise ValueError(f"message code {code!r} declared twice with different texts")
            self._sources[code] = source

    def codes(self) -> dict[str, str]:
        """Every declared code with its English source text."""
        return dict(self._sources)

    def translations(self, lang: str) -> _gettext.NullTranslations:
        lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        if lang not in self._loaded:
            merged: _gettext.NullTranslations | None = None
            # Later directories are merged first, so the package's own entries (the first
            # directory) win over a merged package's entry with the same msgctxt and msgid.
            for directory in reversed(self.directories):
                one = load_translations(directory, lang, self.domain)
                if not isinstance(merged, Translations):  # nothing yet, or a directory without catalogue
                    merged = one
                elif isinstance(one, Translations):
                    merged.merge(one)
            self._loaded[lang] = merged or _gettext.NullTranslations()
        return self._loaded[lang]

    def knows(self, code: str) -> bool:
        return code in self._sources

    def text(self, code: str, lang: str, /, **params: Any) -> str:
        """The coded message in `lang`; an undeclared code is returned as itself (visible in tests).

        The leading arguments are positional-only, so a message may have a parameter `code`."""
        source = self._sources.get(code)
        if source is None:
            return code
        text = self.translations(lang).pgettext(code, source)
        return text.format(**self._labelled(code, lang, params)) if params else text

    def gettext(self, message: str, lang: str, /, **params: Any) -> str:
        text = self.translations(lang).gettext(message)
        return text.format(**params) if params else text

    def pgettext(self, context: str, message: str, lang: str, /, **params: Any) -> str:
        text = self.translations(lang).pgettext(context, message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, lang: str, /, **params: Any) -> str:
        text = self.translations(lang).ngettext(singular, plural, n)
        return text.format(n=n, **params)

    def all_messages(self, lang: str) -> dict[str, str]:
        """msgid → translation of every entry without context (what a page's script needs)."""
        catalog = getattr(self.translations(lang), "_catalog", {})
        return {k: v for k, v in catalog.items() if isinstance(k, str) and k and "\x04" not in k}

    def _labelled(self, code: str, lang: str, params: dict[str, Any]) -> dict[str, Any]:
        domain = code.split(".", 1)[0]
        out = dict(params)
        for name in LABELLED_PARAMS:
            value = params.get(name)
            if isinstance(value, str):
                for label in (f"{domain}.{name}.{value}", f"exams.{name}.{value}"):
                    if label in self._sources:
                        out[name] = self.text(label, lang)
                        break
        return out


def load_translations(directory: Path, lang: str, domain: str) -> _gettext.NullTranslations:
    """The compiled `.mo`; a `.po` newer than it (a translator's unsaved compile) is read directly."""
    folder = Path(directory) / lang / "LC_MESSAGES"
    mo, po = folder / f"{domain}.mo", folder / f"{domain}.po"
    if po.exists() and (not mo.exists() or po.stat().st_mtime > mo.stat().st_mtime + 1):
        return translations_from_po(po)
    if mo.exists():
        with mo.open("rb") as fh:
            return Translations(fh, domain=domain)
    return _gettext.NullTranslations()


def translations_from_po(po: Path) -> Translations:
    import io

    with po.open("rb") as fh:
        catalog = read_po(fh)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


@cache  # a score table formats every cell: parse each locale once, not per number
def locale(lang: str) -> Locale:
    return Locale.parse(LOCALES.get(lang, LOCALES[DEFAULT_LANGUAGE]))


@lru_cache(maxsize=64)  # likewise the few decimal patterns the pages use
def _decimal_pattern(min_digits: int, max_digits: int) -> numbers.NumberPattern:
    decimals = "0" * min_digits + "#" * max(0, max_digits - min_digits)
    return numbers.parse_pattern("#,##0" + ("." + decimals if decimals else ""))


def format_decimal(value: float | Decimal | int | None, lang: str, digits: int | None = None,
                   *, empty: str = "", min_digits: int = 0, max_digits: int | None = None) -> str:
    """`8,25` in Vietnamese, `8.25` in English; `digits` fixes the number of decimals, else
    `min_digits`..`max_digits` are shown (trailing zeros dropped: 22.5 -> `22,5`, 8.0 -> `8`)."""
    if value is None:
        return empty
    if digits is not None:
        min_digits = max_digits = digits
    pattern = None if max_digits is None else _decimal_pattern(min_digits, max_digits)
    return numbers.format_decimal(value, format=pattern, locale=locale(lang), decimal_quantization=True)


def format_percent(value: float | None, lang: str, digits: int = 0) -> str:
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return numbers.format_percent(value, format=pattern, locale=locale(lang))


def format_date(value: date | datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """dd/mm/yyyy in both languages (the board's documents use it)."""
    return dates.format_date(value, "dd/MM/yyyy", locale=locale(lang)) if value else ""


def format_datetime(value: datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    return dates.format_datetime(value, "dd/MM/yyyy HH:mm:ss", locale=locale(lang)) if value else ""


def pick_language(candidates: Iterable[str | None]) -> str:
    """The first supported language among `candidates`, else Vietnamese."""
    for candidate in candidates:
        if candidate and candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE
