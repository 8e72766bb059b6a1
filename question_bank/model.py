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
    description        (no response)
"""

from __future__ import annotations

import hashlib
import json
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
]
QUESTION_TYPES: tuple[str, ...] = get_args(QuestionType)

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

    def __post_init__(self) -> None:
        if self.type not in QUESTION_TYPES:
            raise ValueError(f"unknown question type {self.type!r}")
        if any(not p.right_id for p in self.pairs):
            # Rank by text so the ids say nothing about which left they belong to.
            for rank, pair in enumerate(sorted(self.pairs, key=lambda p: (p.right, p.id)), start=1):
                pair.right_id = pair.right_id or f"r{rank}"

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
        data = asdict(self)
        data["scoring"]["table"] = {str(k): v for k, v in self.scoring.table.items()}
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
        return d
