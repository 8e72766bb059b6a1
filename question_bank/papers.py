"""Papers (mã đề): a blueprint draws questions from pools and shuffles them into paper codes.

A blueprint has sections; each section selects a pool (topic, tag, difficulty, type), draws
`draw` questions, may set the points per item and another scoring table, and says what is
shuffled. `generate_papers` turns a blueprint and a bank into papers, reproducibly: every
paper's random stream is derived from (seed, code) alone, so paper 0107 is the same whether
7 or 24 papers are generated, and a per-candidate paper (code = candidate id) never depends
on the other candidates.

Shuffling keeps the bank's option ids: a candidate's answer is an option id, so the same
option keeps one id on every paper and item analysis can pool all codes. Pages and printouts
label options by position (A, B, C …), never by id: the letter is what the candidate saw on
their code. The stored paper (its snapshot, papers.json) holds the options in paper order, so
that order *is* the mapping letter <-> bank option; `letter_map` / `option_letters` read it
from a Question or a stored snapshot dict, and everything that shows a letter goes through
them. papers.json also writes the mapping out ("letters") for readers outside this code, and
`Paper.from_dict` refuses a file whose mapping disagrees with its option order. Ordering
questions keep their option order — it *is* the key — but get opaque option ids on each paper.
"""

from __future__ import annotations

import json
import math
import random
import re
import tomllib
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from question_bank.errors import QuestionBankError
from question_bank.messages import Message, msg
from question_bank.model import BLANK_TYPES, QUESTION_TYPES, Blank, Question

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CODE = re.compile(r"[0-9A-Za-z_-]{1,64}")  # codes name files and URLs: nothing else may hide in them
MAX_RETRIES = 50  # redraws of one paper before accepting that it repeats another


class BlueprintError(QuestionBankError):
    """A blueprint that cannot be used; `problems` lists every reason (coded) with its place."""


# -- blueprint -------------------------------------------------------------------------------
@dataclass
class Pool:
    """Which bank questions a section may draw; an empty list means "any"."""

    topics: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # a question needs at least one of them
    difficulties: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    def matches(self, q: Question) -> bool:
        return (
            (not self.topics or q.topic in self.topics)
            and (not self.tags or any(t in self.tags for t in q.tags))
            and (not self.difficulties or q.difficulty in self.difficulties)
            and (not self.types or q.type in self.types)
        )


@dataclass
class Section:
    name: str
    draw: int
    pool: Pool = field(default_factory=Pool)
    points: float | None = None  # per item; None keeps each question's own points
    table: dict[int, float] | None = None  # replaces the questions' scoring tables
    mode: str | None = None  # replaces the questions' scoring mode
    shuffle_questions: bool = True
    shuffle_options: bool = True  # choices and matching pairs; locked options stay in place
    shuffle_statements: bool = False  # a) b) c) d) of Đúng/Sai clusters


@dataclass
class Blueprint:
    title: str
    sections: list[Section]
    same_questions: bool = True  # every paper has the same questions, in its own order
    seed: int | str = 0
    codes: list[str] = field(default_factory=list)
    bank: list[str] = field(default_factory=list)  # files to read the pool from (CLI)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "blueprint") -> Blueprint:
        problems: list[Message] = []
        top = _known(data, cls, where, problems, extra={"sections"})
        _check_types(top, BLUEPRINT_TYPES, where, problems)
        sections = []
        raw_sections = data.get("sections")
        if not isinstance(raw_sections, list) or not raw_sections:
            problems.append(msg("qb.paper.no_sections", where=where))
            raw_sections = []
        for i, raw in enumerate(raw_sections):
            place = f"{where}: sections[{i}]"
            if not isinstance(raw, dict):
                problems.append(msg("qb.paper.not_table", where=place))
                continue
            kwargs = _known(raw, Section, place, problems, extra={"pool"})
            pool_kwargs = _known(raw.get("pool", {}), Pool, f"{place}.pool", problems)
            # `&`, not `and`: both are checked so every wrong type is reported at once.
            if not (_check_types(kwargs, SECTION_TYPES, place, problems)
                    & _check_types(pool_kwargs, POOL_TYPES, f"{place}.pool", problems)):
                continue
            pool = Pool(**pool_kwargs)
            if "name" not in kwargs:
                kwargs["name"] = f"Phần {i + 1}"
            if not isinstance(kwargs.get("draw"), int) or kwargs["draw"] < 1:
                problems.append(msg("qb.paper.bad_draw", where=place))
                continue
            if kwargs.get("points") is not None and kwargs["points"] <= 0:
                problems.append(msg("qb.paper.bad_points", where=place))
                continue
            if kwargs.get("table") is not None:
                try:
                    kwargs["table"] = {int(k): float(v) for k, v in kwargs["table"].items()}
                except (AttributeError, TypeError, ValueError):
                    problems.append(msg("qb.paper.bad_table", where=place))
                    continue
            unknown_types = set(pool.types) - set(QUESTION_TYPES)
            if unknown_types:
                problems.append(msg("qb.paper.unknown_types", where=f"{place}.pool", types=", ".join(sorted(unknown_types))))
            sections.append(Section(pool=pool, **kwargs))
        codes = top.get("codes", [])
        if isinstance(codes, dict):
            try:
                codes = paper_codes(int(codes.get("count", 0)), str(codes.get("start", "0101")))
            except QuestionBankError as exc:
                problems.extend(msg("qb.paper.bad_codes", where=where, reason=p) for p in exc.problems)
            except ValueError as exc:  # a count that is not a number
                problems.append(msg("qb.paper.bad_codes", where=where, reason=msg("qb.invalid_value", detail=str(exc))))
                codes = []
        top["codes"] = [str(c) for c in codes]
        top["bank"] = [str(b) for b in top.get("bank", [])]
        if problems:
            raise BlueprintError(problems)
        return cls(sections=sections, **{"title": "", **top})

    @classmethod
    def load(cls, path: str | Path) -> Blueprint:
        """A blueprint from a .toml or .json file; bank paths are relative to the file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise BlueprintError([msg("qb.paper.unreadable", where=str(path), detail=str(exc))]) from exc
        if not isinstance(data, dict):
            raise BlueprintError([msg("qb.paper.not_object", where=str(path))])
        blueprint = cls.from_dict(data, where=str(path))
        blueprint.bank = [str((path.parent / b).resolve()) for b in blueprint.bank]
        return blueprint


_LIST_OF_STR = "list of text"
BLUEPRINT_TYPES: dict[str, Any] = {
    "title": str, "same_questions": bool, "seed": (int, str), "codes": (list, dict), "bank": _LIST_OF_STR,
}
SECTION_TYPES: dict[str, Any] = {
    "name": str, "draw": int, "points": (int, float), "table": dict, "mode": str,
    "shuffle_questions": bool, "shuffle_options": bool, "shuffle_statements": bool,
}
POOL_TYPES: dict[str, Any] = {name: _LIST_OF_STR for name in ("topics", "tags", "difficulties", "types")}


def _check_types(values: dict[str, Any], spec: dict[str, Any], where: str, problems: list[Message]) -> bool:
    """True when every value has its expected type; otherwise each wrong one is a problem."""
    ok = True
    for name, value in values.items():
        expected = spec.get(name)
        if expected == _LIST_OF_STR:
            good = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            # bool is an int in Python; a flag is not a count and a count is not a flag.
            good = expected is not None and isinstance(value, expected) and (expected is bool or not isinstance(value, bool))
        if expected is not None and not good:
            what = expected if isinstance(expected, str) else " | ".join(
                t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,)))
            problems.append(msg("qb.paper.wrong_type", where=where, name=name, expected=what))
            ok = False
    return ok


def _known(data: Any, cls: type, where: str, problems: list[Message], extra: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(data, dict):
        problems.append(msg("qb.paper.not_table", where=where))
        return {}
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names - extra
    if unknown:
        problems.append(msg("qb.paper.unknown_keys", where=where, keys=", ".join(sorted(unknown))))
    return {k: v for k, v in data.items() if k in names - extra}


def paper_codes(count: int, start: str = "0101") -> list[str]:
    """['0101', '0102', …]: consecutive codes keeping the width of `start`."""
    if count < 1:
        raise QuestionBankError(msg("qb.paper.count_positive"))
    if not start.isdigit():
        raise QuestionBankError(msg("qb.paper.start_digits", start=start))
    first = int(start)
    if len(str(first + count - 1)) > len(start):
        raise QuestionBankError(msg("qb.paper.codes_overflow", count=count, width=len(start), start=start))
    return [str(first + i).zfill(len(start)) for i in range(count)]


# -- papers ----------------------------------------------------------------------------------
CHOICE_TYPES = ("single_choice", "multiple_response")


def _options_of(question: Question | dict[str, Any]) -> tuple[str, list[str]]:
    """(type, option ids in paper order) of a Question or of a stored snapshot dict."""
    if isinstance(question, Question):
        return question.type, [o.id for o in question.options]
    return str(question.get("type", "")), [str(o.get("id")) for o in question.get("options") or []]


def letter_map(question: Question | dict[str, Any]) -> dict[str, str]:
    """Letter -> bank option id, in the order the candidate sees the options on this paper.

    Only choice questions (single choice, multiple response) are lettered for answers; any
    other type gives {}. Accepts the paper's Question or its stored snapshot dict, so the
    server, the printouts and the analysis all read the same mapping from the same order.
    """
    kind, ids = _options_of(question)
    if kind not in CHOICE_TYPES:
        return {}
    if len(ids) > len(LETTERS):
        raise QuestionBankError(msg("qb.paper.too_many_options", count=len(ids), max=len(LETTERS)))
    return {LETTERS[i]: option_id for i, option_id in enumerate(ids)}


def option_letters(question: Question | dict[str, Any]) -> dict[str, str]:
    """Bank option id -> the letter it has on this paper (the reverse of `letter_map`)."""
    return {option_id: letter for letter, option_id in letter_map(question).items()}


def letters_of(question: Question | dict[str, Any], response: Any) -> str:
    """A choice response (an option id, or a list of them) as this paper's letters: "B", "AC".

    Letters come sorted, as on the key; an id the paper does not hold is shown as "?" (a
    response saved against another paper would otherwise pass for a real answer).
    """
    if response is None or response == "" or response == []:
        return ""
    ids = [response] if isinstance(response, str) else [str(r) for r in response]
    letters = option_letters(question)
    return "".join(sorted(letters.get(i, "?") for i in ids))


@dataclass
class PaperItem:
    number: int
    section: str
    question: Question  # options already in paper order, points and scoring of the section

    @property
    def key(self) -> str:
        return answer_key(self.question)


@dataclass
class Paper:
    code: str
    seed: str
    items: list[PaperItem]
    title: str = ""

    @property
    def max_points(self) -> float:
        return round(sum(i.question.points for i in self.items if i.question.type != "description"), 6)

    def fingerprint(self) -> tuple:
        return tuple(_arrangement(i.question) for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        items = []
        for i in self.items:
            item = {"number": i.number, "section": i.section, "question": i.question.to_dict(), "key": i.key}
            letters = letter_map(i.question)
            if letters:  # derived from the option order; written for readers of papers.json
                item["letters"] = letters
            items.append(item)
        return {"code": self.code, "seed": self.seed, "title": self.title, "items": items}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Paper:
        items = []
        for i in data["items"]:
            item = PaperItem(int(i["number"]), str(i["section"]), Question.from_dict(i["question"]))
            # The option order is the mapping; a "letters" that says otherwise was edited by hand
            # and would make keys and statistics disagree with the printed paper.
            if "letters" in i and i["letters"] != letter_map(item.question):
                raise QuestionBankError(msg("qb.paper.letters_mismatch", code=data["code"], number=item.number))
            items.append(item)
        return cls(str(data["code"]), str(data["seed"]), items, str(data.get("title", "")))

    def letters(self) -> dict[int, dict[str, str]]:
        """Question number -> letter -> bank option id, for every choice question of this code."""
        return {i.number: m for i in self.items if (m := letter_map(i.question))}


@dataclass
class PaperSet:
    papers: list[Paper]
    warnings: list[Message] = field(default_factory=list)


def _arrangement(q: Question) -> tuple:
    return (
        q.uid,
        tuple(o.id for o in q.options),
        tuple(s.id for s in q.statements),
        tuple(p.id for p in q.pairs),
        tuple(tuple(a.id for a in b.answers) for b in q.blanks),
        tuple(c.id for c in q.choices),
    )


def answer_key(q: Question) -> str:
    """The key as printed on the answer sheet, with options labelled by position."""
    if q.type in CHOICE_TYPES:
        return letters_of(q, [o.id for o in q.options if o.correct]) or "?"
    if q.type == "true_false":
        return "Đúng" if q.correct_bool else "Sai"
    if q.type == "tf_cluster":
        return " ".join(f"{chr(ord('a') + i)}) {'Đ' if s.correct else 'S'}" for i, s in enumerate(q.statements))
    if q.type in ("short_text", "numeric", "short_answer4"):
        best = max((a.fraction for a in q.answers), default=0)
        return " | ".join(a.text for a in q.answers if a.fraction == best and best > 0) or "?"
    if q.type == "matching":
        rights = {r: LETTERS[i] for i, r in enumerate(sorted(p.right_id for p in q.pairs))}
        return ", ".join(f"{n}-{rights[p.right_id]}" for n, p in enumerate((p for p in q.pairs if p.left), start=1))
    if q.type == "ordering":
        return " → ".join(o.text for o in q.options)
    if q.type == "essay":
        return "(chấm tay)"
    if q.type in BLANK_TYPES:
        return "; ".join(f"({b.id}) {_blank_key(q, b)}" for b in q.blanks)
    return ""


def key_table(papers: list[Paper]) -> list[tuple[int, dict[str, str]]]:
    """The combined key: one row per question number, each code's key side by side.

    Row n holds what question n of each code expects, in that code's letters, as the board
    pins it up after the exam ("Câu 1: 101 B, 102 D …"); a code with fewer items has no cell.
    """
    numbers = sorted({i.number for p in papers for i in p.items})
    by_code = {p.code: {i.number: i.key for i in p.items} for p in papers}
    return [(n, {code: keys[n] for code, keys in by_code.items() if n in keys}) for n in numbers]


def _blank_key(q: Question, blank: Blank) -> str:
    if blank.kind == "gap":
        return next((c.text for c in q.choices if c.id == blank.key), "?")
    if blank.kind == "multiresponse":
        return " + ".join(a.text for a in blank.answers if a.fraction > 0) or "?"
    best = max((a.fraction for a in blank.answers), default=0)
    return " | ".join(a.text for a in blank.answers if a.fraction == best and best > 0) or "?"


def _shuffle_locked(items: list, rng: random.Random, locked: list[bool]) -> list:
    """Shuffle the unlocked items among the unlocked positions; locked ones stay put."""
    free = [x for x, lock in zip(items, locked, strict=True) if not lock]
    rng.shuffle(free)
    it = iter(free)
    return [x if lock else next(it) for x, lock in zip(items, locked, strict=True)]


def _paper_question(q: Question, section: Section, rng: random.Random) -> Question:
    options = [replace(o) for o in q.options]
    statements = [replace(s) for s in q.statements]
    pairs = [replace(p) for p in q.pairs]
    if section.shuffle_options and q.type in ("single_choice", "multiple_response"):
        options = _shuffle_locked(options, rng, [o.locked for o in options])
    if section.shuffle_options and q.type == "matching":
        rng.shuffle(pairs)
    if section.shuffle_statements and q.type == "tf_cluster":
        rng.shuffle(statements)
    # Blank types: a blank's choices / the gap choices are shuffled where the question says
    # so (Moodle's MCS, MRS … and "shuffle"), and only in a section that shuffles options.
    blanks = [replace(b, answers=[replace(a) for a in b.answers]) for b in q.blanks]
    choices = [replace(c) for c in q.choices]
    if section.shuffle_options:
        for blank in blanks:
            if blank.shuffle:
                rng.shuffle(blank.answers)
        if q.type in ("gapselect", "ddwtos") and q.shuffle_choices:
            rng.shuffle(choices)
    if q.type == "ordering":
        # The option order is the key, so the ids must not tell it ("o1", "o2" …): opaque ids,
        # which the candidate page sorts by to show the items in an order that says nothing.
        tokens = rng.sample(range(16**6), len(options))
        options = [replace(o, id=f"k{t:06x}") for o, t in zip(options, tokens, strict=True)]
    scoring = replace(q.scoring, table=dict(q.scoring.table))
    if section.table is not None:
        scoring.table = dict(section.table)
    if section.mode is not None:
        scoring.mode = section.mode
    return replace(
        q,
        options=options,
        statements=statements,
        pairs=pairs,
        blanks=blanks,
        choices=choices,
        scoring=scoring,
        points=q.points if section.points is None else section.points,
        tags=list(q.tags),
    )


def _arrangements(section: Section, drawn: list[Question], pool_size: int, same_questions: bool) -> int:
    """How many different ways this section can appear on a paper (for the warning)."""
    count = math.factorial(len(drawn)) if section.shuffle_questions else 1
    if not same_questions:
        count = math.perm(pool_size, section.draw) if section.shuffle_questions else math.comb(pool_size, section.draw)
    for q in drawn:
        if section.shuffle_options and q.type in ("single_choice", "multiple_response"):
            count *= math.factorial(sum(1 for o in q.options if not o.locked))
        if section.shuffle_options and q.type == "matching":
            count *= math.factorial(len(q.pairs))
        if section.shuffle_statements and q.type == "tf_cluster":
            count *= math.factorial(len(q.statements))
        if section.shuffle_options:
            for blank in q.blanks:
                count *= math.factorial(len(blank.answers)) if blank.shuffle else 1
            if q.type in ("gapselect", "ddwtos") and q.shuffle_choices:
                count *= math.factorial(len(q.choices))
    return count


class _Drawer:
    """Pools resolved once; draws a paper's questions per section without repeats."""

    def __init__(self, blueprint: Blueprint, bank: list[Question]) -> None:
        self.blueprint = blueprint
        uids = [q.uid or q.content_hash() for q in bank]
        seen: set[str] = set()
        self.bank: list[Question] = []
        for q, uid in zip(bank, uids, strict=True):
            if uid not in seen:  # the same question twice in a bank is one question
                seen.add(uid)
                self.bank.append(q if q.uid == uid else replace(q, uid=uid))
        self.position = {q.uid: i for i, q in enumerate(self.bank)}
        # Pools are sampled in uid order so the papers do not depend on the bank's order.
        by_uid = sorted(self.bank, key=lambda q: q.uid)
        self.pools = [[q for q in by_uid if s.pool.matches(q)] for s in blueprint.sections]
        # Narrow pools draw first, so "any question" sections take what the specific ones
        # left; a section's worst case is every earlier section drawing from its pool.
        self.order = sorted(range(len(self.pools)), key=lambda i: len(self.pools[i]))
        uid_sets = [{q.uid for q in pool} for pool in self.pools]
        problems: list[Message] = []
        for n, i in enumerate(self.order):
            section = blueprint.sections[i]
            shared = sum(min(blueprint.sections[e].draw, len(uid_sets[i] & uid_sets[e])) for e in self.order[:n])
            if len(self.pools[i]) - shared < section.draw:
                problems.append(msg("qb.paper.pool_too_small_shared" if shared else "qb.paper.pool_too_small",
                                    section=section.name, draw=section.draw, available=len(self.pools[i]), shared=shared))
        if problems:
            raise BlueprintError(problems)

    def draw(self, rng: random.Random) -> list[list[Question]]:
        taken: set[str] = set()
        drawn: list[list[Question]] = [[] for _ in self.pools]
        for i in self.order:
            section, pool = self.blueprint.sections[i], self.pools[i]
            free = [q for q in pool if q.uid not in taken] if taken else pool
            picked = rng.sample(free, section.draw)
            if not section.shuffle_questions:
                picked.sort(key=lambda q: self.position[q.uid])  # bank order when not shuffled
            taken.update(q.uid for q in picked)
            drawn[i] = picked
        return drawn


def generate_papers(
    blueprint: Blueprint, bank: list[Question], codes: list[str] | None = None, seed: int | str | None = None
) -> PaperSet:
    """Papers for `codes` (default: the blueprint's), each with its own order and key.

    Raises BlueprintError when a pool is too small. When the blueprint allows fewer distinct
    papers than codes, the repeats are generated anyway and a warning names them.
    """
    codes = list(codes if codes is not None else blueprint.codes)
    if not codes:
        raise BlueprintError([msg("qb.paper.no_codes")])
    bad = [c for c in codes if not CODE.fullmatch(c)]
    if bad:
        raise BlueprintError([msg("qb.paper.bad_code", codes=", ".join(map(repr, bad[:5])))])
    if len(set(codes)) != len(codes):
        raise BlueprintError([msg("qb.paper.duplicate_codes")])
    seed = blueprint.seed if seed is None else seed
    drawer = _Drawer(blueprint, bank)
    shared = drawer.draw(random.Random(f"{seed}:questions")) if blueprint.same_questions else None
    papers: list[Paper] = []
    first_with: dict[tuple, str] = {}
    repeats: list[str] = []
    capacity = 1
    for code in codes:
        for attempt in range(MAX_RETRIES):
            rng = random.Random(f"{seed}:{code}" + (f":{attempt}" if attempt else ""))
            paper, drawn = _make_paper(blueprint, drawer, shared, rng, code, str(seed))
            if attempt == 0 and not papers:
                capacity = math.prod(
                    _arrangements(s, d, len(p), blueprint.same_questions)
                    for s, d, p in zip(blueprint.sections, drawn, drawer.pools, strict=True)
                )
            if paper.fingerprint() not in first_with or len(first_with) >= capacity:
                break
        fp = paper.fingerprint()
        if fp in first_with:
            repeats.append(f"{code} = {first_with[fp]}")
        else:
            first_with[fp] = code
        papers.append(paper)
    warnings: list[Message] = []
    if repeats:
        warnings.append(msg("qb.paper.repeats", capacity=capacity, count=len(codes), repeats=", ".join(repeats)))
    return PaperSet(papers, warnings)


def _make_paper(
    blueprint: Blueprint,
    drawer: _Drawer,
    shared: list[list[Question]] | None,
    rng: random.Random,
    code: str,
    seed: str,
) -> tuple[Paper, list[list[Question]]]:
    drawn = shared if shared is not None else drawer.draw(rng)
    items: list[PaperItem] = []
    for section, questions in zip(blueprint.sections, drawn, strict=True):
        order = list(questions)
        if section.shuffle_questions:
            rng.shuffle(order)
        for q in order:
            items.append(PaperItem(len(items) + 1, section.name, _paper_question(q, section, rng)))
    return Paper(code, seed, items, blueprint.title), drawn


def load_papers(path: str | Path) -> list[Paper]:
    """Papers written by `write_papers` (one JSON file holding a list, or one paper)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [Paper.from_dict(d) for d in (data if isinstance(data, list) else [data])]


def write_papers(papers: list[Paper], path: str | Path) -> None:
    Path(path).write_text(
        json.dumps([p.to_dict() for p in papers], ensure_ascii=False, indent=1), encoding="utf-8"
    )


__all__ = [
    "Blueprint",
    "BlueprintError",
    "Paper",
    "PaperItem",
    "PaperSet",
    "Pool",
    "Section",
    "answer_key",
    "key_table",
    "letter_map",
    "letters_of",
    "option_letters",
    "generate_papers",
    "load_papers",
    "paper_codes",
    "write_papers",
]
