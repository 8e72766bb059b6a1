"""Word's automatic list numbering, turned back into the text a reader sees.

Many teachers number "Câu 1." and options "A." with Word's list feature, so the labels are
not in the paragraph text but in word/numbering.xml. `Numbering.label(paragraph)` returns
the label Word would draw ("Câu 3:", "B."), keeping one counter per list and level; deeper
levels restart when a higher level advances. Bullets give no label.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def _roman(n: int) -> str:
    out = ""
    for value, letters in ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _letters(n: int) -> str:
    # Word repeats the letter after Z: AA, BB, …
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _format(n: int, fmt: str) -> str | None:
    if n > 9999 and fmt != "bullet":  # a hostile start value must not build a huge label
        return str(n)
    return {
        "decimal": str(n),
        "decimalZero": f"{n:02d}",
        "upperLetter": _letters(n).upper(),
        "lowerLetter": _letters(n),
        "upperRoman": _roman(n).upper(),
        "lowerRoman": _roman(n),
    }.get(fmt)


def _val(node: Element | None, child: str, default: str = "") -> str:
    found = node.find(f"{W}{child}") if node is not None else None
    return found.get(f"{W}val", default) if found is not None else default


def _int(text: str | None, default: int) -> int:
    """Numbers from the file; a broken one falls back to Word's default rather than failing."""
    return int(text) if text and text.isdecimal() else default


class Numbering:
    def __init__(self, root: Element | None) -> None:
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # numId -> ilvl -> (start, fmt, text)
        self.counters: dict[str, dict[int, int]] = {}
        if root is None:
            return
        abstract: dict[str, dict[int, tuple[int, str, str]]] = {}
        for node in root.iter(f"{W}abstractNum"):
            abstract[node.get(f"{W}abstractNumId", "")] = {
                _int(lvl.get(f"{W}ilvl"), 0): (_int(_val(lvl, "start"), 1), _val(lvl, "numFmt", "decimal"), _val(lvl, "lvlText"))
                for lvl in node.iter(f"{W}lvl")
            }
        for num in root.iter(f"{W}num"):
            levels = dict(abstract.get(_val(num, "abstractNumId"), {}))
            for override in num.iter(f"{W}lvlOverride"):
                ilvl = _int(override.get(f"{W}ilvl"), 0)
                start = _val(override, "startOverride")
                if start.isdecimal() and ilvl in levels:
                    levels[ilvl] = (int(start), *levels[ilvl][1:])
            self.levels[num.get(f"{W}numId", "")] = levels

    def label(self, paragraph: Element) -> str:
        ppr = paragraph.find(f"{W}pPr")
        num_pr = ppr.find(f"{W}numPr") if ppr is not None else None
        if num_pr is None:
            return ""
        num_id, ilvl = _val(num_pr, "numId"), _int(_val(num_pr, "ilvl"), 0)
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels:
            return ""
        counters = self.counters.setdefault(num_id, {})
        start, fmt, text = levels[ilvl]
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]

        def number(m: re.Match[str]) -> str:
            level = int(m.group(1)) - 1
            lvl_start, lvl_fmt, _ = levels.get(level, (1, "decimal", ""))
            return _format(counters.get(level, lvl_start), lvl_fmt) or ""

        if _format(1, fmt) is None:  # bullets and unknown formats draw no text label
            return ""
        return re.sub(r"%(\d)", number, text) + " "
