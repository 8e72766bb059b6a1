"""One parser per LDS file (ICAO Doc 9303 Part 10) and the file table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileId:
    name: str
    fid: int
    sfi: int
    tag: int | None  # the outer LDS tag (None for EF.CardAccess, a bare SET)
    dg: int | None = None


COM = FileId("EF.COM", 0x011E, 0x1E, 0x60)
SOD = FileId("EF.SOD", 0x011D, 0x1D, 0x77)
CARD_ACCESS = FileId("EF.CardAccess", 0x011C, 0x1C, None)
DG1 = FileId("DG1", 0x0101, 0x01, 0x61, 1)
DG2 = FileId("DG2", 0x0102, 0x02, 0x75, 2)
DG3 = FileId("DG3", 0x0103, 0x03, 0x63, 3)  # fingerprints: EAC-protected, CCCD answers 6982
DG11 = FileId("DG11", 0x010B, 0x0B, 0x6B, 11)  # additional personal details: CCCD answers 6A82
DG13 = FileId("DG13", 0x010D, 0x0D, 0x6D, 13)
DG14 = FileId("DG14", 0x010E, 0x0E, 0x6E, 14)
DG15 = FileId("DG15", 0x010F, 0x0F, 0x6F, 15)
DATA_GROUPS = {f.dg: f for f in (DG1, DG2, DG3, DG11, DG13, DG14, DG15)}
