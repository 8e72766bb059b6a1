"""The question model shared by the bank, its formats, the server and the candidate page.

A question is plain data: every format reads into it and writes from it, the server stores
its dict form inside a paper snapshot, and the candidate page renders `public_dict()` (the
same dict with every key and credit removed).

Response shapes (what a candidate's answer looks like in JSON, per type):

    single_choice      "B"                      one option id
    multiple_response  ["A", "C"]               option ids
    true_false         true | false
    short_text         "Hà Nội"
    numeric            "3,14"                   text; decimal comma or point
    matching           {"l1": "r3", ...}        left pair id -> right pair id
    ordering           ["o3", "o1", "o2"]       option ids in the chosen order
    essay              "free text"
    tf_cluster         {"a": true, "b": false}  statement id -> judged true
    short_answer4      "-1,5"                   up to four characters
    cloze              {"1": "c2", "2": "Hà Nội", "3": "3,14", "4": ["c1", "c3"]}
                       blank id -> per blank: a choice id (multichoice), a list of choice
                       ids (multiresponse), text (shortanswer) or text/number (numerical)
    gapselect          {"1": "c3", "2": "c1"}   gap id -> GapChoice id
    ddwtos             {"1": "c3", "2": "c1"}   gap id -> GapChoice id (a choice that is not
                       `infinite` may fill one gap only)
    description        (no response)

Blank types (Moodle's "embedded answers", "select missing words", "drag and drop into
text"): the stem holds one placeholder `{#N}` per blank, N being the blank's `id` ("1",
"2", … in reading order, as Moodle itself stores a cloze text). Each blank is a `Blank`:

    cloze      Blank.kind "multichoice" | "multiresponse" | "shortanswer" | "numerical",
               its alternatives in Blank.answers (choice kinds: BlankAnswer.id is the id a
               response names), Blank.weight the blank's share of the points ({2:SA:…}).
    gapselect  Blank.kind "gap", Blank.key the id of the right `GapChoice` in
    ddwtos     `Question.choices`, Blank.group the group whose choices the gap offers.

Choice ids (BlankAnswer.id, GapChoice.id) are opaque ("c1", "c2" … ranked by text, given
in `__post_init__` when empty) so neither the page nor the order of ids shows the key.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

QuestionType = Literal[
    "single_choice",
    "multiple_response",
    "true_false",
    "short_text",
    "numeric",
    "matching",
    "ordering",
    "essay",
    "tf_cluster",
    "short_answer4",
    "description",
    "cloze",
    "gapselect",
    "ddwtos",
]
QUESTION_TYPES: tuple[str, ...] = get_args(QuestionType)
BLANK_TYPES: tuple[str, ...] = ("cloze", "gapselect", "ddwtos")  # stems with {#N} placeholders
BlankKind = Literal["multichoice", "multiresponse", "shortanswer", "numerical", "gap"]
BLANK_KINDS: tuple[str, ...] = get_args(BlankKind)
CHOICE_KINDS: tuple[str, ...] = ("multichoice", "multiresponse")
BlankLayout = Literal["", "dropdown", "vertical", "horizontal"]
PLACEHOLDER = re.compile(r"\{#([^\s{}]+)\}")  # a blank in a blank type's stem

# Official 2025 THPT scoring of a Đúng/Sai cluster: fraction of the question's points
# by the number of statements judged correctly.
TF_CLUSTER_TABLE: dict[int, float] = {0: 0.0, 1: 0.1, 2: 0.25, 3: 0.5, 4: 1.0}


def nfc(text: str) -> str:
    """Vietnamese text arrives in NFD from some editors; everything is stored in NFC."""
    return unicodedata.normalize("NFC", text)


@dataclass
class Option:
    """A choice (single/multiple/ordering). `fraction` is the Moodle-style credit, -1..1."""

    id: str
    text: str
    fraction: float = 0.0
    locked: bool = False  # stays in place when options are shuffled ("Cả A và B đều đúng")
    feedback: str = ""

    @property
    def correct(self) -> bool:
        return self.fraction > 0


@dataclass
class Statement:
    """One statement a) b) c) d) of a Đúng/Sai cluster."""

    id: str
    text: str
    correct: bool


@dataclass
class Answer:
    """An accepted answer for short_text, numeric and short_answer4."""

    text: str
    fraction: float = 1.0
    tolerance: float = 0.0  # numeric only, absolute


@dataclass
class Pair:
    """A matching pair: `left` (id `id`) is matched by `right` (id `right_id`).

    Right ids are opaque so the page cannot pair them by id; a pair with an empty `left`
    is a distractor (an extra right-hand side, as Moodle allows).
    """

    id: str
    left: str
    right: str
    right_id: str = ""


@dataclass
class RubricCriterion:
    id: str
    description: str
    max_points: float


@dataclass
class Media:
    """A file carried with the question; stems reference it as `@@MEDIA/name`."""

    name: str
    mime: str
    data_b64: str


@dataclass
class BlankAnswer:
    """One alternative of a cloze blank, as Moodle writes it: `%50%text#feedback`.

    fraction: Moodle-style credit of this alternative (-1..1; `=` is 1). For a
      multiresponse blank the positive fractions add up to 1 (Moodle normalises them).
    tolerance: numerical blanks only, absolute ("1.5:0.1"); text "*" accepts any number.
    id: choice kinds only, the opaque id a response names; shortanswer text may use `*`
      as Moodle's wildcard.
    """

    text: str
    fraction: float = 0.0
    feedback: str = ""
    tolerance: float = 0.0
    id: str = ""


@dataclass
class Blank:
    """One blank of a blank type; the stem shows it where `{#<id>}` stands.

    kind: "multichoice" (one choice), "multiresponse" (several), "shortanswer",
      "numerical" (cloze) or "gap" (gapselect/ddwtos).
    weight: the blank's share of the question's points (Moodle's `{2:SA:…}`; default 1).
      A cloze is worth points × Σ weight·fraction / Σ weight.
    layout: choice kinds: "dropdown" (MC), "vertical" (MCV, MR), "horizontal" (MCH, MRH).
    shuffle: choice kinds: the alternatives are shuffled for each paper (MCS, MRS, …).
    case_sensitive: shortanswer only (SAC / MWC).
    answers: the alternatives (cloze kinds); empty for gaps.
    group: gaps only: the choice group the gap offers (Moodle's groups 1…).
    key: gaps only: id of the right `GapChoice`.
    """

    id: str
    kind: BlankKind
    weight: float = 1.0
    layout: BlankLayout = ""
    shuffle: bool = False
    case_sensitive: bool = False
    answers: list[BlankAnswer] = field(default_factory=list)
    group: int = 1
    key: str = ""

    def __post_init__(self) -> None:
        if self.kind not in BLANK_KINDS:
            raise ValueError(f"unknown blank kind {self.kind!r}")
        if self.kind in CHOICE_KINDS and any(not a.id for a in self.answers):
            _opaque_ids(self.answers, lambda a: a.text)


@dataclass
class GapChoice:
    """A word or phrase offered to the gaps of a gapselect/ddwtos question.

    group: gaps of group g offer the choices of group g. infinite (ddwtos only): the
    choice may be dropped into several gaps; otherwise it fills at most one.
    """

    id: str
    text: str
    group: int = 1
    infinite: bool = False


def _opaque_ids(items: list[Any], text: Any) -> None:
    """Give items ids "c1", "c2" … ranked by their text (ties by position), not by position."""
    ranked = sorted(range(len(items)), key=lambda i: (text(items[i]), i))
    for rank, index in enumerate(ranked, start=1):
        items[index].id = f"c{rank}"


@dataclass
class Scoring:
    """How a response becomes points. Tables are data so a section can use another scheme.

    mode: multiple_response "all_or_nothing" | "partial"; short_text "exact" | "ci" |
          "accent_insensitive" | "regex".
    table: correct-count -> fraction of the points (tf_cluster; partial matching/ordering).
    negative: allow negative credit (multiple_response partial with negative fractions).
    negative_total: let negative credit take a question below 0 (otherwise floored at 0).
    """

    mode: str = ""
    table: dict[int, float] = field(default_factory=dict)
    negative: bool = False
    units_ignored: bool = True
    negative_total: bool = False


@dataclass
class Question:
    type: QuestionType
    stem: str
    points: float = 1.0
    title: str = ""
    options: list[Option] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    correct_bool: bool | None = None  # true_false
    scoring: Scoring = field(default_factory=Scoring)
    rubric: list[RubricCriterion] = field(default_factory=list)
    topic: str = ""
    tags: list[str] = field(default_factory=list)
    difficulty: str = ""  # e.g. "NB" "TH" "VD" "VDC" (nhận biết … vận dụng cao) or "easy"...
    general_feedback: str = ""
    media: list[Media] = field(default_factory=list)
    source: str = ""  # where it was imported from: "file.docx: Câu 12"
    uid: str = ""  # content hash; filled by `with_uid()`
    # Blank types only (cloze, gapselect, ddwtos); see the module docstring.
    blanks: list[Blank] = field(default_factory=list)
    choices: list[GapChoice] = field(default_factory=list)  # gapselect / ddwtos
    shuffle_choices: bool = True  # gapselect / ddwtos: Moodle's "shuffle" of the choices

    def __post_init__(self) -> None:
        if self.type not in QUESTION_TYPES:
            raise ValueError(f"unknown question type {self.type!r}")
        if any(not p.right_id for p in self.pairs):
            # Rank by text so the ids say nothing about which left they belong to.
            for rank, pair in enumerate(sorted(self.pairs, key=lambda p: (p.right, p.id)), start=1):
                pair.right_id = pair.right_id or f"r{rank}"
        if self.choices and any(not c.id for c in self.choices):
            _opaque_ids(self.choices, lambda c: (c.group, c.text))

    # -- identity -----------------------------------------------------------------------
    def content_hash(self) -> str:
        """Hash of what the question *is* (not where it came from), for idempotent imports."""
        data = self.to_dict()
        for volatile in ("uid", "source"):
            data.pop(volatile, None)
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def with_uid(self) -> Question:
        self.uid = self.content_hash()
        return self

    # -- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        # What `dataclasses.asdict` gives, built directly: asdict's generic deep copy was
        # most of the cost of importing a bank (a cloze holds dozens of nested objects).
        data = dict(self.__dict__)
        for name in ("options", "statements", "answers", "pairs", "rubric", "media", "choices"):
            data[name] = [dict(item.__dict__) for item in data[name]]
        data["blanks"] = [{**b.__dict__, "answers": [dict(a.__dict__) for a in b.answers]} for b in self.blanks]
        data["tags"] = list(self.tags)
        data["scoring"] = dict(self.scoring.__dict__)
        data["scoring"]["table"] = {str(k): v for k, v in self.scoring.table.items()}
        if self.type not in BLANK_TYPES:
            # Fields added with the blank types stay out of other questions' dicts, so
            # their content hashes (uids) are what they were before.
            for name in BLANK_FIELDS:
                data.pop(name)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown question fields: {', '.join(sorted(unknown))}")
        d = dict(data)
        d["options"] = [Option(**o) for o in d.get("options", [])]
        d["statements"] = [Statement(**s) for s in d.get("statements", [])]
        d["answers"] = [Answer(**a) for a in d.get("answers", [])]
        d["pairs"] = [Pair(**p) for p in d.get("pairs", [])]
        d["rubric"] = [RubricCriterion(**r) for r in d.get("rubric", [])]
        d["media"] = [Media(**m) for m in d.get("media", [])]
        d["blanks"] = [
            Blank(**{**b, "answers": [BlankAnswer(**a) for a in b.get("answers", [])]}) for b in d.get("blanks", [])
        ]
        d["choices"] = [GapChoice(**c) for c in d.get("choices", [])]
        sc = dict(d.get("scoring") or {})
        sc["table"] = {int(k): float(v) for k, v in (sc.get("table") or {}).items()}
        d["scoring"] = Scoring(**sc)
        d["tags"] = list(d.get("tags", []))
        return cls(**d)

    def public_dict(self) -> dict[str, Any]:
        """What a candidate may see: no keys, credits, tolerances or feedback."""
        d: dict[str, Any] = {
            "type": self.type,
            "stem": self.stem,
            "points": self.points,
            # An ordering question's options are stored in the right order: show them by id.
            "options": [
                {"id": o.id, "text": o.text}
                for o in (sorted(self.options, key=lambda o: o.id) if self.type == "ordering" else self.options)
            ],
            "statements": [{"id": s.id, "text": s.text} for s in self.statements],
            "media": [asdict(m) for m in self.media],
        }
        if self.type == "matching":
            d["left"] = [{"id": p.id, "text": p.left} for p in self.pairs if p.left]
            d["right"] = sorted(({"id": p.right_id, "text": p.right} for p in self.pairs), key=lambda r: r["id"])
        if self.type in BLANK_TYPES:
            # cloze: {"id", "kind", "layout", "options": [{"id", "text"}] (choice kinds)};
            # gaps: {"id", "kind": "gap", "group"} and the question's "choices".
            d["blanks"] = [_public_blank(b) for b in self.blanks]
        if self.type in ("gapselect", "ddwtos"):
            d["choices"] = [{"id": c.id, "text": c.text, "group": c.group, "infinite": c.infinite} for c in self.choices]
        return d

    def blank(self, blank_id: str) -> Blank | None:
        return next((b for b in self.blanks if b.id == blank_id), None)


BLANK_FIELDS: tuple[str, ...] = ("blanks", "choices", "shuffle_choices")


def _public_blank(blank: Blank) -> dict[str, Any]:
    out: dict[str, Any] = {"id": blank.id, "kind": blank.kind}
    if blank.kind in CHOICE_KINDS:
        out["layout"] = blank.layout or ("dropdown" if blank.kind == "multichoice" else "vertical")
        out["options"] = [{"id": a.id, "text": a.text} for a in blank.answers]
    elif blank.kind == "gap":
        out["group"] = blank.group
    return out
