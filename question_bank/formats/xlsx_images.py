"""Pictures placed on the first sheet of a workbook, by the row they are anchored in.

openpyxl offers no public way to read pictures, so the drawing part is read directly:
workbook → first sheet → its drawing → each anchor's top-left row and the picture it shows.
Every part goes through the same safe zip and XML doors as the rest of the import.
"""

from __future__ import annotations

import posixpath

from question_bank.formats.safe_input import SafeZip, local, parse_xml

REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _relationships(package: SafeZip, part: str, file: str) -> dict[str, str]:
    """Relationship id -> part path, for `part` (missing rels: none)."""
    rels = _rels_path(part)
    if rels not in package:
        return {}
    targets = {}
    for rel in parse_xml(package.read(rels), f"{file}: {rels}"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(posixpath.dirname(part), target))
        targets[rel.get("Id", "")] = path
    return targets


def first_sheet_images(package: SafeZip, file: str) -> dict[int, list[tuple[str, bytes]]]:
    """Sheet row (1-based) -> [(file name, bytes)], left to right."""
    workbook = "xl/workbook.xml"
    if workbook not in package:
        return {}
    sheets = parse_xml(package.read(workbook), f"{file}: {workbook}").find(f"{MAIN}sheets")
    first = sheets[0] if sheets is not None and len(sheets) else None
    if first is None:
        return {}
    sheet = _relationships(package, workbook, file).get(first.get(f"{REL_ID}id", ""), "")
    found: dict[int, list[tuple[int, str, bytes]]] = {}
    for drawing in (p for p in _relationships(package, sheet, file).values() if "/drawings/" in f"/{p}"):
        if drawing not in package:
            continue
        pictures = _relationships(package, drawing, file)
        for anchor in parse_xml(package.read(drawing), f"{file}: {drawing}"):
            start = next((n for n in anchor if local(n.tag) == "from"), None)
            blip = next((n for n in anchor.iter() if local(n.tag) == "blip"), None)
            if start is None or blip is None:
                continue
            cells = {local(n.tag): (n.text or "0").strip() for n in start}
            target = pictures.get(blip.get(f"{REL_ID}embed", ""), "")
            if target in package and cells.get("row", "").isdecimal() and cells.get("col", "").isdecimal():
                row, col = int(cells["row"]) + 1, int(cells["col"])
                found.setdefault(row, []).append((col, posixpath.basename(target), package.read(target)))
    return {row: [(name, data) for _, name, data in sorted(items, key=lambda item: item[0])] for row, items in found.items()}
