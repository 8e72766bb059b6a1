"""Word equations (OMML, `m:oMath`) to LaTeX, for the structures teachers actually use.

Converted: runs, fractions, powers/indices, roots, delimiters, n-ary operators (∑ ∫ ∏),
functions (sin, log …), limits, accents/bars, equation arrays and matrices. Anything else is
kept as its plain text and reported as `partial`, so the import report can say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from question_bank.formats.safe_input import local

M_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
SYMBOLS = {
    "≤": r"\le ", "≥": r"\ge ", "≠": r"\ne ", "±": r"\pm ", "∓": r"\mp ", "×": r"\times ", "÷": r"\div ", "·": r"\cdot ",
    "∞": r"\infty ", "→": r"\to ", "⇒": r"\Rightarrow ", "⇔": r"\Leftrightarrow ", "∈": r"\in ", "∉": r"\notin ",
    "⊂": r"\subset ", "∪": r"\cup ", "∩": r"\cap ", "∅": r"\varnothing ", "≈": r"\approx ", "°": r"^\circ ", "∠": r"\angle ",
    "⊥": r"\perp ", "∥": r"\parallel ", "△": r"\triangle ", "Δ": r"\Delta ", "π": r"\pi ", "α": r"\alpha ", "β": r"\beta ",
    "γ": r"\gamma ", "δ": r"\delta ", "ε": r"\varepsilon ", "θ": r"\theta ", "λ": r"\lambda ", "μ": r"\mu ", "ρ": r"\rho ",
    "σ": r"\sigma ", "φ": r"\varphi ", "ω": r"\omega ", "Ω": r"\Omega ", "∀": r"\forall ", "∃": r"\exists ", "−": "-",
    "ℝ": r"\mathbb{R} ", "ℕ": r"\mathbb{N} ", "ℤ": r"\mathbb{Z} ", "ℚ": r"\mathbb{Q} ", "{": r"\{", "}": r"\}", "%": r"\%",
}
NARY = {"∑": r"\sum", "∫": r"\int", "∏": r"\prod", "∬": r"\iint", "∮": r"\oint", "⋃": r"\bigcup", "⋂": r"\bigcap"}
ACCENTS = {"̂": r"\hat", "̃": r"\tilde", "⃗": r"\vec", "̄": r"\bar", "̇": r"\dot", "→": r"\overrightarrow"}
FUNCTIONS = {"sin", "cos", "tan", "cot", "log", "ln", "lg", "exp", "lim", "max", "min", "arcsin", "arccos", "arctan"}
DELIMS = {"(": "(", ")": ")", "[": "[", "]": "]", "{": r"\{", "}": r"\}", "|": "|", "‖": r"\|", "": "."}


@dataclass
class Conversion:
    latex: str
    partial: bool = False
    unknown: set[str] = field(default_factory=set)


def _prop(node: Element, prop: str, name: str, default: str) -> str:
    pr = node.find(f"{M_NS}{prop}")
    if pr is None:
        return default
    value = pr.find(f"{M_NS}{name}")
    return default if value is None else value.get(f"{M_NS}val", "")


class _Converter:
    def __init__(self) -> None:
        self.unknown: set[str] = set()

    def part(self, node: Element | None, name: str) -> str:
        child = node.find(f"{M_NS}{name}") if node is not None else None
        return self.children(child) if child is not None else ""

    def children(self, node: Element) -> str:
        return "".join(self.convert(child) for child in node)

    def convert(self, node: Element) -> str:
        tag = local(node.tag)
        if tag.endswith("Pr") or tag in ("rPr",):
            return ""
        if tag == "r":
            text = "".join(t.text or "" for t in node if local(t.tag) == "t")
            return text if text.strip() in FUNCTIONS else "".join(SYMBOLS.get(ch, ch) for ch in text)
        if tag in ("oMath", "oMathPara", "e", "num", "den", "sub", "sup", "deg", "lim", "fName", "box", "borderBox"):
            return self.children(node)
        if tag == "f":
            return rf"\frac{{{self.part(node, 'num')}}}{{{self.part(node, 'den')}}}"
        if tag == "sSup":
            return f"{{{self.part(node, 'e')}}}^{{{self.part(node, 'sup')}}}"
        if tag == "sSub":
            return f"{{{self.part(node, 'e')}}}_{{{self.part(node, 'sub')}}}"
        if tag == "sSubSup":
            return f"{{{self.part(node, 'e')}}}_{{{self.part(node, 'sub')}}}^{{{self.part(node, 'sup')}}}"
        if tag == "rad":
            degree = self.part(node, "deg")
            return rf"\sqrt[{degree}]{{{self.part(node, 'e')}}}" if degree else rf"\sqrt{{{self.part(node, 'e')}}}"
        if tag == "d":
            begin, end = _prop(node, "dPr", "begChr", "("), _prop(node, "dPr", "endChr", ")")
            sep = _prop(node, "dPr", "sepChr", "|")
            inner = sep.join(self.children(e) for e in node.findall(f"{M_NS}e"))
            return rf"\left{DELIMS.get(begin, begin)}{inner}\right{DELIMS.get(end, end)}"
        if tag == "nary":
            op = NARY.get(_prop(node, "naryPr", "chr", "∫"), r"\int")
            sub, sup = self.part(node, "sub"), self.part(node, "sup")
            return op + (f"_{{{sub}}}" if sub else "") + (f"^{{{sup}}}" if sup else "") + f" {self.part(node, 'e')}"
        if tag == "func":
            name = self.part(node, "fName").strip()
            head = f"\\{name}" if name in FUNCTIONS else name
            return f"{head} {self.part(node, 'e')}"
        if tag == "limLow":
            return f"{self.part(node, 'e')}_{{{self.part(node, 'lim')}}}"
        if tag == "limUpp":
            return f"{self.part(node, 'e')}^{{{self.part(node, 'lim')}}}"
        if tag == "acc":
            accent = ACCENTS.get(_prop(node, "accPr", "chr", "̂"), r"\hat")
            return f"{accent}{{{self.part(node, 'e')}}}"
        if tag == "bar":
            return rf"\overline{{{self.part(node, 'e')}}}"
        if tag == "eqArr":
            rows = [self.children(e) for e in node.findall(f"{M_NS}e")]
            return r"\begin{array}{l}" + r" \\ ".join(rows) + r"\end{array}"
        if tag == "m":
            rows = [" & ".join(self.children(e) for e in mr.findall(f"{M_NS}e")) for mr in node.findall(f"{M_NS}mr")]
            return r"\begin{matrix}" + r" \\ ".join(rows) + r"\end{matrix}"
        self.unknown.add(tag)
        return "".join(t.text or "" for t in node.iter() if local(t.tag) == "t")


def to_latex(math: Element) -> Conversion:
    converter = _Converter()
    latex = " ".join(converter.convert(math).split())
    return Conversion(latex, bool(converter.unknown), converter.unknown)
