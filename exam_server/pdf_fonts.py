"""The font every server PDF prints Vietnamese with (DejaVu Sans, Debian's fonts-dejavu-core).

Shared by the result sheets (`results`) and the login-code sheets (`exams`), so it sits below
both domains.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("C:/Windows/Fonts"))


def pdf_font() -> tuple[str, str]:
    """The regular and bold font names, registered with reportlab on first use."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
                pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            return "DejaVuSans", "DejaVuSans-Bold"
    raise RuntimeError("no Vietnamese-capable font found: install fonts-dejavu-core")
