#!/usr/bin/env python3
"""Message catalogues: extract, update, compile and check them (`make i18n-…` calls this).

    scripts/i18n.py extract [TARGET…]   write <package>/translations/<domain>.pot from the sources
    scripts/i18n.py update  [TARGET…]   merge the sources into every language's .po (creates a
                                        missing one); the English .po gets msgstr = msgid
    scripts/i18n.py compile [TARGET…]   write the .mo beside each .po (committed: installs need
                                        no build step)
    scripts/i18n.py check   [TARGET…]   exit 1 naming file:line and msgid for every problem

A TARGET is `package` or `package:domain` (default: every catalogue below). The catalogues live
in `<package>/translations/<lang>/LC_MESSAGES/<domain>.po`; the extraction mapping is
`babel.cfg`, read with the package directory as the base: its Python and Jinja sections feed
the domain `messages`, its JavaScript sections the domain `js`, each section's `keywords`
naming its gettext functions (Babel parses them; `pybabel extract -F babel.cfg <package>`
honours them too, writing both domains into one file).

Babel's own API does the work (pybabel would too, but needs one run per package and domain,
and has no check for brace parameters or stale `.mo` files), so Poedit and pybabel read and
write the same files.
"""

from __future__ import annotations

import argparse
import io
import string
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.util import pathmatch

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("vi", "en")
SOURCE_LANGUAGE = "en"  # msgids are English; the English catalogue repeats them
MAPPING = ROOT / "babel.cfg"
DOMAIN_METHODS = {"messages": ("python", "jinja2"), "js": ("javascript",)}  # "ignore" applies to both
CATALOGUES: tuple[tuple[str, str], ...] = (
    ("exam_server", "messages"), ("exam_server", "js"),
    ("exam_client", "messages"), ("exam_client", "js"),
    ("question_bank", "messages"),
)
PROJECT = "exam-platform"
BRACE = "python-brace-format"
COMMENT_TAGS = ("TRANSLATORS:",)


@dataclass(frozen=True)
class Target:
    package: str
    domain: str

    @property
    def base(self) -> Path:
        return ROOT / self.package

    @property
    def translations(self) -> Path:
        return self.base / "translations"

    @property
    def pot(self) -> Path:
        return self.translations / f"{self.domain}.pot"

    def po(self, lang: str) -> Path:
        return self.translations / lang / "LC_MESSAGES" / f"{self.domain}.po"

    def mo(self, lang: str) -> Path:
        return self.po(lang).with_suffix(".mo")

    def __str__(self) -> str:
        return f"{self.package}:{self.domain}"


def targets(names: Iterable[str]) -> list[Target]:
    """The catalogues named on the command line (`package` or `package:domain`), else all."""
    chosen = list(names)
    if not chosen:
        return [Target(p, d) for p, d in CATALOGUES]
    out = []
    for name in chosen:
        package, _, domain = name.partition(":")
        found = [Target(p, d) for p, d in CATALOGUES if p == package and (not domain or d == domain)]
        if not found:
            known = ", ".join(f"{p}:{d}" for p, d in CATALOGUES)
            raise SystemExit(f"unknown catalogue {name!r} (known: {known})")
        out.extend(found)
    return out


# ---------------------------------------------------------------------------------- extraction

def _mapping(domain: str) -> list[tuple[str, str, dict[str, Any]]]:
    with MAPPING.open(encoding="utf-8") as fh:
        methods, options = parse_mapping_cfg(fh, str(MAPPING))
    wanted = (*DOMAIN_METHODS[domain], "ignore")
    return [(pattern, method, dict(options.get(pattern, {}))) for pattern, method in methods if method in wanted]


def _sources(target: Target) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """Each source file of the package with its extraction method (first matching section)."""
    mapping = _mapping(target.domain)
    for path in sorted(target.base.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        rel = path.relative_to(target.base).as_posix()
        for pattern, method, options in mapping:
            if pathmatch(pattern, rel):
                if method != "ignore":
                    yield path, method, options
                break


def extract_catalog(target: Target) -> Catalog:
    """The template catalogue (what a .pot holds) of one package and domain, read from its sources."""
    catalog = Catalog(project=PROJECT, charset="utf-8", fuzzy=False)
    for path, method, options in _sources(target):
        options = dict(options)
        keywords = options.pop("keywords", None) or parse_keywords(["_"])
        rel = path.relative_to(ROOT).as_posix()
        with path.open("rb") as fh:
            try:
                found = list(extract(method, fh, keywords=keywords, comment_tags=COMMENT_TAGS,
                                     options=options, strip_comment_tags=True))
            except Exception as exc:  # a syntax error in one file must name the file
                raise SystemExit(f"{rel}: cannot extract messages: {exc}") from exc
        for lineno, message, comments, context in found:
            if isinstance(message, tuple | list) and not all(message):
                continue  # e.g. ngettext with a computed argument
            catalog.add(message, None, [(rel, lineno)], auto_comments=comments, context=context)
    for message in catalog:
        if message.id:
            _set_flags(message)
    return catalog


def _set_flags(message: Message) -> None:
    """Our texts use braces, never %: Babel's guess `python-format` (from "25% of") is dropped."""
    message.flags.discard("python-format")
    if any(_fields(text) for text in _ids(message)):
        message.flags.add(BRACE)


def _ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def _strings(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def _fields(text: str) -> set[str] | None:
    """The brace parameters of `text`; None if it is not valid str.format syntax."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return None
    out = set()
    for _literal, field, _spec, _conv in parsed:
        if field is not None:
            out.add(field.split(".", 1)[0].split("[", 1)[0])
    return out


# ------------------------------------------------------------------------------ update/compile

def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def _po_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, ignore_obsolete=True, include_previous=False)
    return buf.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def _without_dates(data: bytes) -> bytes:
    return b"\n".join(line for line in data.split(b"\n")
                      if not line.startswith((b'"POT-Creation-Date:', b'"PO-Revision-Date:')))


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write unless only the header dates differ (an update without changes touches nothing)."""
    if path.exists() and _without_dates(path.read_bytes()) == _without_dates(data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def merged_catalog(target: Target, lang: str, template: Catalog | None = None) -> Catalog:
    """The language's catalogue brought up to date with the sources (not written)."""
    template = template or extract_catalog(target)
    po = target.po(lang)
    if po.exists():
        catalog = _read(po, lang)
        catalog.update(template, update_header_comment=False)
    else:
        catalog = Catalog(locale=lang, domain=target.domain, project=PROJECT, charset="utf-8", fuzzy=False)
        catalog.update(template)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    for message in catalog:
        if not message.id:
            continue
        _set_flags(message)
        if lang == SOURCE_LANGUAGE:  # the source language translates each text into itself
            ids = _ids(message)
            message.string = tuple(ids) if isinstance(message.id, tuple | list) else ids[0]
            message.flags.discard("fuzzy")
    return catalog


def write_catalog(target: Target, lang: str, catalog: Catalog) -> bool:
    catalog.revision_date = datetime.now()
    return _write_if_changed(target.po(lang), _po_bytes(catalog))


def cmd_extract(chosen: list[Target]) -> int:
    for target in chosen:
        template = extract_catalog(target)
        changed = _write_if_changed(target.pot, _po_bytes(template))
        print(f"{target.pot.relative_to(ROOT)}: {len(template)} messages{'' if changed else ' (unchanged)'}")
    return 0


def cmd_update(chosen: list[Target]) -> int:
    for target in chosen:
        template = extract_catalog(target)
        for lang in LANGUAGES:
            catalog = merged_catalog(target, lang, template)
            changed = write_catalog(target, lang, catalog)
            todo = sum(1 for m in catalog if m.id and (m.fuzzy or not all(_strings(m))))
            print(f"{target.po(lang).relative_to(ROOT)}: {len(catalog)} messages, {todo} to translate"
                  f"{'' if changed else ' (unchanged)'}")
    return 0


def cmd_compile(chosen: list[Target]) -> int:
    status = 0
    for target in chosen:
        for lang in LANGUAGES:
            po = target.po(lang)
            if not po.exists():
                print(f"{po.relative_to(ROOT)}: missing catalogue (run `scripts/i18n.py update {target}`)",
                      file=sys.stderr)
                status = 1
                continue
            data = _mo_bytes(_read(po, lang))
            changed = _write_if_changed(target.mo(lang), data)
            print(f"{target.mo(lang).relative_to(ROOT)}: {'compiled' if changed else 'unchanged'}")
    return status


# -------------------------------------------------------------------------------------- check

def check_target(target: Target) -> list[str]:
    """Every problem of one package's domain, each as `file:line: msgid …: what is wrong`."""
    problems: list[str] = []
    template = extract_catalog(target)
    wanted = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in template if m.id}
    for lang in LANGUAGES:
        po = target.po(lang)
        rel = po.relative_to(ROOT).as_posix()
        if not po.exists():
            problems.append(f"{rel}: missing catalogue for {target} in {lang!r} "
                            f"(create it with `scripts/i18n.py update {target}`)")
            continue
        try:
            catalog = _read(po, lang)
        except Exception as exc:
            problems.append(f"{rel}: unreadable catalogue: {exc}")
            continue
        present = {}
        for message in catalog:
            if not message.id:
                continue
            key = (message.context, _ids(message)[0])
            present[key] = message
            where = f"{rel}:{message.lineno}: {_describe(message)}"
            if key not in wanted:
                problems.append(f"{where}: obsolete (no longer in the sources; run `make i18n-update`)")
                continue
            if message.fuzzy:
                problems.append(f"{where}: fuzzy (review the translation, then remove the fuzzy flag)")
            if not all(_strings(message)):
                problems.append(f"{where}: untranslated")
                continue
            problems.extend(f"{where}: {p}" for p in _parameter_problems(message))
        for message in catalog.obsolete.values():
            problems.append(f"{rel}:{message.lineno}: {_describe(message)}: obsolete entry kept (#~); "
                            "run `make i18n-update`")
        for key, message in wanted.items():
            if key not in present:
                source = ", ".join(f"{f}:{n}" for f, n in message.locations[:3])
                problems.append(f"{source}: {_describe(message)}: missing from {rel} (run `make i18n-update`)")
        mo = target.mo(lang)
        mo_rel = mo.relative_to(ROOT).as_posix()
        if not mo.exists():
            problems.append(f"{mo_rel}: missing (run `make i18n-compile`)")
        elif mo.read_bytes() != _mo_bytes(catalog):
            problems.append(f"{mo_rel}: not the compile of {rel} (run `make i18n-compile`)")
    return problems


def _describe(message: Message) -> str:
    text = f"msgid {_ids(message)[0]!r}"
    return f"msgctxt {message.context!r} {text}" if message.context else text


def _parameter_problems(message: Message) -> list[str]:
    sources = [_fields(t) for t in _ids(message)]
    if not any(sources):
        return []
    allowed = [s for s in sources if s is not None]
    out = []
    for i, text in enumerate(_strings(message)):
        got = _fields(text)
        label = "msgstr" if isinstance(message.string, str) else f"msgstr[{i}]"
        if got is None:
            out.append(f"{label} is not valid brace format: {text!r}")
        elif got not in allowed:
            want = " or ".join(str(sorted(s)) for s in allowed)
            out.append(f"{label} parameters {sorted(got)} differ from the msgid's {want}")
    return out


def cmd_check(chosen: list[Target]) -> int:
    problems = [p for target in chosen for p in check_target(target)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"i18n check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"i18n check: {len(chosen)} catalogue(s) complete and up to date")
    return 0


COMMANDS = {"extract": cmd_extract, "update": cmd_update, "compile": cmd_compile, "check": cmd_check}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("targets", nargs="*", help="package or package:domain (default: all)")
    args = parser.parse_args(argv)
    return COMMANDS[args.command](targets(args.targets))


if __name__ == "__main__":
    sys.exit(main())
