"""Vietnamese typed before Unicode: TCVN3 (ABC) and VNI fonts, Windows-1258 text files.

Why this module exists: exam files from the 1990s–2010s were typed in 8-bit "font
encodings". Word keeps such text as the Windows-1252 characters of the bytes ("Xin chµo"),
and only the font (".VnTime", "VNI-Times") made it look Vietnamese. Plain text saved from
those machines is the bytes themselves, or Windows-1258 (Vietnamese Windows code page,
tone marks as *combining* characters after the letter).

No maintained converter is on PyPI (checked December 2026: only VIQR/VNI-typing helpers and
a VISCII codec), so the tables are here:

- TCVN3: TCVN 5712:1993 ("VN1"; the ABC fonts' "VN3" set is its lower half plus Ă Â Ê Ô Ơ
  Ư Đ). Bytes 0xA1–0xFF follow the standard and are checked byte for byte in the tests
  against glibc's TCVN5712-1 table (iconv); bytes below 0xA1 are Windows-1252, as the ABC
  fonts are ANSI fonts (curly quotes and dashes stay what they are). Fonts whose name ends
  in "H" (.VnTimeH, .VnArialH) draw every letter as a capital: their text is upper-cased.
- VNI: VNI Software's published VNI-Windows table — a base letter followed by a mark
  character (Windows-1252 "aù" = á, "eä" = ệ, "oâ" = ô) and single characters for
  ơ ư đ and the i/ỵ forms ("ô" = ơ, "ö" = ư, "ñ" = đ, "í ì æ ó ò" = í ì ỉ ĩ ị, "î" = ỵ).
- Windows-1258: Python's cp1258 codec, then NFC.

For a text file of unknown encoding, `detect_text` decodes the bytes with every candidate
and counts how many of the words that contain a non-ASCII letter are Vietnamese syllables:
the encoding that makes the text Vietnamese wins; when several do equally well (or none
does), the file is refused with the candidates named, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# -- TCVN3 / TCVN 5712:1993 ---------------------------------------------------------------
_TCVN_HIGH = (
    "ĂÂÊÔƠƯĐăâêôơưđẰ\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịò"
    "ỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ"
)
assert len(_TCVN_HIGH) == 0x100 - 0xA1


def _cp1252_char(byte: int) -> str:
    """Windows-1252, with its five undefined bytes kept as the Latin-1 code points."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


TCVN3_TABLE: dict[int, str] = {b: _cp1252_char(b) for b in range(0x100)} | {
    0xA1 + i: ch for i, ch in enumerate(_TCVN_HIGH)
}
# The same, keyed by the character Word stores for the byte (Windows-1252 of it).
_TCVN3_FROM_WORD = str.maketrans({_cp1252_char(b): TCVN3_TABLE[b] for b in range(0x80, 0x100)})

_TCVN3_FROM_LATIN1 = str.maketrans({chr(b): ch for b, ch in TCVN3_TABLE.items() if chr(b) != ch})
_CP1252_FROM_LATIN1 = str.maketrans({chr(b): _cp1252_char(b) for b in range(0x80, 0xA0) if chr(b) != _cp1252_char(b)})

# -- VNI-Windows ---------------------------------------------------------------------------
GRAVE, ACUTE, HOOK, TILDE, DOT, CIRCUMFLEX, BREVE = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323", "\u0302", "\u0306"
_TONES = {"ø": GRAVE, "ù": ACUTE, "û": HOOK, "õ": TILDE, "ï": DOT}
_CIRCUMFLEX_TONES = {"â": "", "à": GRAVE, "á": ACUTE, "å": HOOK, "ã": TILDE, "ä": DOT}
_BREVE_TONES = {"ê": "", "è": GRAVE, "é": ACUTE, "ú": HOOK, "ü": TILDE, "ë": DOT}
# Marks that follow a base letter: lower-case mark characters and their capital forms.
_MARKS: dict[str, dict[str, str]] = {}
for _base in "aeouyAEOUYơưƠƯ":
    _table = {m: t for m, t in _TONES.items()}
    if _base.lower() in "aeo":
        _table |= {m: CIRCUMFLEX + t for m, t in _CIRCUMFLEX_TONES.items()}
    if _base.lower() == "a":
        _table |= {m: BREVE + t for m, t in _BREVE_TONES.items()}
    _MARKS[_base] = _table | {m.upper(): t for m, t in _table.items()}
_VNI_SINGLE = {"ô": "ơ", "Ô": "Ơ", "ö": "ư", "Ö": "Ư", "ñ": "đ", "Ñ": "Đ", "í": "í", "Í": "Í", "ì": "ì", "Ì": "Ì",
               "æ": "ỉ", "Æ": "Ỉ", "ó": "ĩ", "Ó": "Ĩ", "ò": "ị", "Ò": "Ị", "î": "ỵ", "Î": "Ỵ"}  # fmt: skip


# Every VNI letter: the two-character forms (raw base + mark) and the single characters.
_VNI_LETTERS: dict[str, str] = {
    raw + mark: unicodedata.normalize("NFC", _VNI_SINGLE.get(raw, raw) + marks)
    for raw in (*"aeouyAEOUY", "ô", "ö", "Ô", "Ö")
    for mark, marks in _MARKS[_VNI_SINGLE.get(raw, raw)].items()
} | _VNI_SINGLE
_VNI_PATTERN = re.compile("|".join(sorted(map(re.escape, _VNI_LETTERS), key=len, reverse=True)))
# Strict: a Latin-1 letter that is no VNI letter (and not × ÷) counts against VNI.
_VNI_STRICT = re.compile(_VNI_PATTERN.pattern + "|[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]")


def vni_to_unicode(text: str, *, strict: bool = False) -> str:
    """VNI text as Word keeps it (Windows-1252 characters) → Unicode NFC.

    strict: a Latin-1 letter left over (not a VNI letter, not after a base) becomes U+FFFD,
    so that detection can count it against VNI.
    """
    pattern = _VNI_STRICT if strict else _VNI_PATTERN
    return pattern.sub(lambda m: _VNI_LETTERS.get(m.group(), "\ufffd"), text)


def tcvn3_to_unicode(text: str, *, capitals: bool = False) -> str:
    """TCVN3 text as Word keeps it (Windows-1252 characters) → Unicode NFC.

    capitals: the run is in an "H" font (.VnTimeH …), which draws every letter as a capital.
    """
    converted = unicodedata.normalize("NFC", text.translate(_TCVN3_FROM_WORD))
    return converted.upper() if capitals else converted


# -- Word fonts -----------------------------------------------------------------------------
@lru_cache(maxsize=256)
def font_encoding(font: str) -> str:
    """"tcvn3", "tcvn3-caps", "vni" or "" for a font name as Word stores it."""
    name = font.strip()
    if name.lower().startswith(".vn"):
        return "tcvn3-caps" if name.endswith("H") else "tcvn3"
    if name.upper().startswith("VNI-") or name.upper().startswith("VNI "):
        return "vni"
    return ""


_PRIVATE_USE = re.compile("[\uf000-\uf0ff]")


def _word_bytes(text: str) -> str:
    """Symbol-font private-use characters (U+F0xx) back to the 8-bit characters they stand for."""
    return _PRIVATE_USE.sub(lambda m: _cp1252_char(ord(m.group()) - 0xF000), text)


def convert_run(text: str, encoding: str) -> str:
    """The text of a Word run in a legacy font (`font_encoding`) → Unicode NFC."""
    text = _word_bytes(text)
    if encoding == "vni":
        return unicodedata.normalize("NFC", vni_to_unicode(text))
    return tcvn3_to_unicode(text, capitals=encoding == "tcvn3-caps")


# -- plain text -----------------------------------------------------------------------------
ENCODING_NAMES = {"cp1258": "Windows-1258", "tcvn3": "TCVN3 (ABC)", "vni": "VNI-Windows"}
_ONSET = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
# Vowel groups that may take a final consonant, and those that end in a glide (no final).
_OPEN = "a|ă|â|e|ê|i|o|ô|ơ|u|ư|y|iê|yê|oa|oă|oe|uâ|uê|uô|ươ|uy|uyê|oo"
_GLIDE = "ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu|uơ|ya|oai|oay|oao|oeo|uây|uôi|ươi|ươu|uya|uyu|iêu|yêu|uai|uay"
_SYLLABLE = re.compile(rf"^(?:{_ONSET})?(?:(?:{_OPEN})(?:ch|ng|nh|c|m|n|p|t)?|(?:{_GLIDE}))$")
_TONE_MARKS = {GRAVE, ACUTE, HOOK, TILDE, DOT}
_TOKEN = re.compile(r"[^\s!-/:-@\[-`{-~]+")


@lru_cache(maxsize=65_536)  # a text repeats its words: each is judged once
def is_vietnamese_syllable(word: str) -> bool:
    """A Vietnamese syllable (any case, at most one tone mark), e.g. "người", "Nguyễn"."""
    if not word.isalpha():
        return False
    if word != word.lower() and word[1:] != word[1:].lower() and word != word.upper():
        return False  # "hỔi": capitals inside a lower-case word come from a wrong table
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(ch in _TONE_MARKS for ch in decomposed)
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    return tones <= 1 and bool(_SYLLABLE.match(bare))


def vietnamese_score(text: str) -> tuple[int, int]:
    """(words that are Vietnamese syllables, words that are not), over words with non-ASCII."""
    good = bad = 0
    for token in _TOKEN.findall(text):
        word = token.strip("".join(ch for ch in token if unicodedata.category(ch).startswith("P")))
        word = word.strip("0123456789")
        if not word or word.isascii():
            continue
        if is_vietnamese_syllable(word):
            good += 1
        else:
            bad += 1
    return good, bad


def decode_as(data: bytes, encoding: str, *, strict: bool = False) -> str | None:
    """The text of `data` in a legacy encoding (NFC), None if the bytes cannot be one."""
    if encoding == "cp1258":
        try:
            return unicodedata.normalize("NFC", data.decode("cp1258"))
        except UnicodeDecodeError:
            return None
    if encoding == "vni":
        return unicodedata.normalize("NFC", vni_to_unicode(data.decode("latin-1").translate(_CP1252_FROM_LATIN1), strict=strict))
    return unicodedata.normalize("NFC", data.decode("latin-1").translate(_TCVN3_FROM_LATIN1))


@dataclass(frozen=True)
class Detection:
    encoding: str  # "cp1258" | "tcvn3" | "vni" | "" (refused)
    text: str
    candidates: tuple[str, ...]  # encodings that made the text Vietnamese (for the message)


PLAUSIBLE = 0.85  # share of non-ASCII words that must be Vietnamese syllables
MARGIN = 0.10  # how much better the winner must be than the runner-up
SAMPLE_BYTES = 128 * 1024  # the words of the first 128 KB decide (a big bank is one encoding)


def detect_text(data: bytes) -> Detection:
    """Which legacy encoding `data` is in (see the module docstring)."""
    scores: dict[str, float] = {}
    sample = data[:SAMPLE_BYTES]
    if len(data) > SAMPLE_BYTES:  # do not cut a VNI letter (base + mark) or a line in two
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    for encoding in ENCODING_NAMES:
        text = decode_as(sample, encoding, strict=True)
        if text is None:
            continue
        good, bad = vietnamese_score(text)
        if good + bad:
            scores[encoding] = good / (good + bad)
    ranked = sorted(scores, key=lambda e: -scores[e])
    plausible = tuple(e for e in ranked if scores[e] >= PLAUSIBLE)
    if not plausible:
        return Detection("", "", ())
    best = plausible[0]
    runner_up = scores[ranked[1]] if len(ranked) > 1 else 0.0
    if len(plausible) > 1 and scores[best] - runner_up < MARGIN:
        return Detection("", "", plausible)
    text = decode_as(data, best)
    if text is None:  # a byte past the sample that the encoding does not have
        return Detection("", "", ())
    return Detection(best, text, (best,))


# -- the other way (tests, benchmarks, and files for teachers still on those fonts) ---------
_TO_TCVN3 = {ch: bytes([b]) for b, ch in sorted(TCVN3_TABLE.items(), reverse=True) if b >= 0xA1 or b < 0x80}
_VNI_BASE_OF = {v: k for k, v in _VNI_SINGLE.items() if k != v}


def to_tcvn3(text: str) -> bytes:
    """Unicode → TCVN3 bytes; raises ValueError on a character TCVN3 cannot hold."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        code = _TO_TCVN3.get(ch)
        if code is None:
            try:
                code = ch.encode("cp1252")
            except UnicodeEncodeError:
                raise ValueError(f"TCVN3 has no {ch!r}") from None
        out += code
    return bytes(out)


def to_vni(text: str) -> str:
    """Unicode → VNI as Word keeps it (Windows-1252 characters); `.encode("cp1252")` for bytes."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _VNI_BASE_OF:
            out.append(_VNI_BASE_OF[ch])
            continue
        if ch in "íìÍÌ":
            out.append(ch)
            continue
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        if not marks:
            out.append(ch)
            continue
        if "\u031b" in marks:  # horn: ơ ư are single VNI characters that take the tone
            base, marks = unicodedata.normalize("NFC", base + "\u031b"), marks.replace("\u031b", "")
            base = _VNI_BASE_OF.get(base, base)
        if not marks:
            out.append(base)
            continue
        wanted = "".join(sorted(marks))
        table = _MARKS.get(_VNI_SINGLE.get(base, base), {})
        mark = next((m for m, t in table.items() if "".join(sorted(t)) == wanted and (m.isupper() == base.isupper())), None)
        if mark is None:
            raise ValueError(f"VNI has no {ch!r}")
        out.append(base + mark)
    return "".join(out)


def to_cp1258(text: str) -> bytes:
    """Unicode → Windows-1258 bytes as Windows writes them (tone marks combining)."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        letter = "".join(m for m in decomposed if m not in _TONE_MARKS)
        tones = "".join(m for m in decomposed if m in _TONE_MARKS)
        out += (unicodedata.normalize("NFC", letter) + tones).encode("cp1258")
    return bytes(out)
