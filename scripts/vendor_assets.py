"""Copy the front-end files the pages use from node_modules into exam_server/static/vendor.

Nothing third-party is committed: `scripts/setup.sh` runs `npm ci` from the lockfile and then
this script, so the server can serve every script, style and font on an isolated LAN.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "exam_server" / "static" / "vendor"

FILES = {
    "socket.io-client/dist/socket.io.min.js": "socket.io.min.js",
    "katex/dist/katex.min.js": "katex/katex.min.js",
    "katex/dist/katex.min.css": "katex/katex.min.css",
    "katex/dist/contrib/auto-render.min.js": "katex/auto-render.min.js",
    # An ES module (imported by the candidate renderer): stem/option HTML is sanitised before use.
    "dompurify/dist/purify.es.mjs": "dompurify/purify.es.js",
}
DIRS = {"katex/dist/fonts": "katex/fonts"}
FONT_FACES = [("vietnamese", 400), ("vietnamese", 700), ("latin", 400), ("latin", 700), ("latin-ext", 400), ("latin-ext", 700)]


def main() -> None:
    for src, dst in FILES.items():
        target = VENDOR / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(NODE / src, target)
    for src, dst in DIRS.items():
        shutil.copytree(NODE / src, VENDOR / dst, dirs_exist_ok=True)
    fonts = VENDOR / "fonts"
    fonts.mkdir(parents=True, exist_ok=True)
    css = []
    for subset, weight in FONT_FACES:
        name = f"noto-sans-{subset}-{weight}-normal.woff2"
        shutil.copy2(NODE / "@fontsource/noto-sans/files" / name, fonts / name)
        css.append(
            "@font-face{font-family:'Noto Sans';font-style:normal;font-display:swap;"
            f"font-weight:{weight};src:url(./{name}) format('woff2');}}"
        )
    (fonts / "noto-sans.css").write_text("\n".join(css) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
