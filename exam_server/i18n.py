"""Messages in Vietnamese (default) and English.

Each domain package keeps its own catalogue in a `messages.py` and registers it at import:

    register({"vi": {"attempts.saved": "Đã lưu"}, "en": {"attempts.saved": "Saved"}})

so no shared file grows with every feature. Keys are namespaced by domain. Pages use `_()` in
templates; APIs return the key as `code` and the translated text as `message`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
_CATALOGS: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}


def register(messages: dict[str, dict[str, str]]) -> None:
    """Add a domain's catalogue. Every key must exist in every language."""
    keys = {lang: set(messages.get(lang, {})) for lang in LANGUAGES}
    if keys["vi"] != keys["en"]:
        diff = sorted(keys["vi"] ^ keys["en"])
        raise ValueError(f"message keys not translated in both languages: {', '.join(diff)}")
    for lang in LANGUAGES:
        for key, text in messages[lang].items():
            known = _CATALOGS[lang].get(key)
            if known is not None and known != text:
                raise ValueError(f"message key {key!r} registered twice with different texts")
            _CATALOGS[lang][key] = text


def current_language() -> str:
    """The request's language: ?lang=, then the `lang` cookie, then Vietnamese."""
    try:
        from flask import has_request_context, request
    except ImportError:  # used outside Flask (e.g. the station's CLI)
        return DEFAULT_LANGUAGE
    if not has_request_context():
        return DEFAULT_LANGUAGE
    for candidate in (request.args.get("lang"), request.cookies.get("lang")):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


# Parameters that name a state or an action are shown by their label, never raw ("ở trạng thái
# started"): `<domain>.state.<value>` (e.g. `attempts.state.submitted`), else `exams.state.<value>`.
LABELLED_PARAMS = ("state", "action")


def _lookup(lang: str, key: str) -> str | None:
    return _CATALOGS.get(lang, {}).get(key) or _CATALOGS[DEFAULT_LANGUAGE].get(key)


def _labelled(key: str, lang: str, params: dict[str, Any]) -> dict[str, Any]:
    domain = key.split(".", 1)[0]
    out = dict(params)
    for name in LABELLED_PARAMS:
        value = params.get(name)
        if isinstance(value, str):
            out[name] = _lookup(lang, f"{domain}.{name}.{value}") or _lookup(lang, f"exams.{name}.{value}") or value
    return out


def translate(key: str, lang: str | None = None, **params: Any) -> str:
    """The text for `key`; falls back to Vietnamese, then to the key itself (visible in tests)."""
    lang = lang or current_language()
    text = _lookup(lang, key) or key
    return text.format(**_labelled(key, lang, params)) if params else text


_ = translate


def format_date(value: date | datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def format_datetime(value: datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M:%S") if value else ""


def catalog(lang: str) -> dict[str, str]:
    """The whole catalogue for one language (pages hand it to their scripts)."""
    return dict(_CATALOGS.get(lang, _CATALOGS[DEFAULT_LANGUAGE]))
