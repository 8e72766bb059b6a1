"""Item analysis after an exam: which questions worked, which look miskeyed or useless.

Input is a candidates × items matrix of points (NaN = omitted, scored 0), the items' maximum
points and, optionally, the options each candidate chose with the keys (for distractor
analysis). Everything is vectorised with numpy: 10,000 × 50 takes a fraction of a second.

Conventions (stated because textbooks differ):
- variances and SDs are population ones (ddof=0), the form KR-20 is defined with;
- facility p is the mean fraction of an item's points (the proportion correct for 0/1 items);
- upper and lower groups are the top and bottom 27 % of candidates by total score
  (round(0.27 n), at least 1), ties broken by candidate order; the discrimination index
  D = p(upper) − p(lower);
- point-biserial r is item vs total; the corrected item-total r is item vs total minus the
  item, which removes the item's correlation with itself;
- Cronbach's α uses points; KR-20 is given when every item is scored all-or-nothing, on 0/1;
- SEM = SD × √(1 − α).
"""

from __future__ import annotations

import csv
import html
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from exam_common.i18n import DEFAULT_LANGUAGE
from question_bank.errors import QuestionBankError
from question_bank.messages import Message, msg
from question_bank.model import BLANK_TYPES, Blank, Question
from question_bank.scoring import blank_scores, score, validate_response

if TYPE_CHECKING:
    from question_bank.papers import Paper

OMITTED = ""
TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Thresholds:
    group_fraction: float = 0.27
    too_easy: float = 0.95  # p at or above: almost everyone gets it
    too_hard: float = 0.05  # p at or below: almost no one gets it
    low_discrimination: float = 0.10  # corrected item-total r below: the item tells nothing
    functional_distractor: float = 0.05  # a distractor chosen by fewer is not doing its job


@dataclass
class OptionStats:
    label: str  # pooled over codes: the bank option id(s); one code analysed: that code's letters
    is_key: bool
    count: int
    proportion: float
    upper: float  # proportion of the upper group choosing it
    middle: float
    lower: float
    text: str = ""  # the option's text (options of a multiple response joined by " + ")
    letters: dict[str, str] = field(default_factory=dict)  # paper code -> its letter(s) on that code
    counts_by_code: dict[str, int] = field(default_factory=dict)  # paper code -> candidates choosing it


@dataclass
class ItemStats:
    id: str
    max_points: float
    facility: float
    discrimination: float  # upper − lower 27 % index
    point_biserial: float | None
    corrected_item_total: float | None
    omitted_rate: float
    options: list[OptionStats] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass
class TestStats:
    candidates: int
    items: int
    max_total: float
    mean: float
    sd: float
    alpha: float | None
    kr20: float | None
    sem: float | None
    histogram: list[dict[str, float]]


@dataclass
class AnalysisReport:
    test: TestStats
    items: list[ItemStats]

    def to_dict(self) -> dict[str, Any]:
        return _clean({"test": asdict(self.test), "items": [asdict(i) for i in self.items]})

    def item_rows(self) -> list[dict[str, Any]]:
        """One flat row per item, for CSV."""
        rows = []
        for item in self.items:
            row = {k: v for k, v in asdict(item).items() if k not in ("options", "flags")}
            row["flags"] = " ".join(item.flags)
            rows.append(_clean(row))
        return rows


FLAGS = ("negative_discrimination", "distractor_beats_key", "low_discrimination", "too_easy", "too_hard",
         "no_variance", "non_functional_distractor")


def flag_text(flag: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """What a flag means, in `lang` (its code is `qb.flag.<flag>`); an unknown flag as itself."""
    return msg(f"qb.flag.{flag}").text(lang) if flag in FLAGS else flag


# English texts of the flags (kept for callers that want a plain dict, e.g. logs).
FLAG_TEXT = {flag: flag_text(flag, "en") for flag in FLAGS}


def _clean(value: Any) -> Any:
    """NaN/inf -> None and numpy scalars -> Python, so the report is plain JSON."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value


def _finite(value: float) -> float | None:
    """A statistic that does not exist (no variance, one item) is None, not NaN."""
    value = float(value)
    return value if math.isfinite(value) else None


def _corr(cov: np.ndarray, var_a: np.ndarray, var_b: np.ndarray | float) -> np.ndarray:
    denom = np.sqrt(var_a * var_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 1e-12, cov / np.where(denom > 1e-12, denom, 1.0), np.nan)


def _histogram(totals: np.ndarray, max_total: float, bins: int) -> list[dict[str, float]]:
    lo = min(0.0, float(totals.min())) if totals.size else 0.0
    hi = max(max_total, float(totals.max()) if totals.size else 0.0, lo + 1e-9)
    counts, edges = np.histogram(totals, bins=bins, range=(lo, hi))
    return [{"from": float(a), "to": float(b), "count": int(c)} for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)]


def analyse(
    scores: np.ndarray,
    max_points: np.ndarray | list[float] | None = None,
    *,
    item_ids: list[str] | None = None,
    choices: np.ndarray | None = None,
    keys: Sequence[str | list[str]] | None = None,
    option_labels: list[list[str]] | None = None,
    option_details: list[dict[str, OptionDetail]] | None = None,
    candidate_codes: list[str] | None = None,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, immutable default
    bins: int = 10,
) -> AnalysisReport:
    """Analyse a candidates × items matrix of points (NaN where the candidate omitted).

    option_details (per item, label -> text and letter per code) and candidate_codes (each
    candidate's paper code) name the options of a pooled analysis as the candidates saw them:
    every option keeps its bank identity and shows, per code, the letter it had and how many
    candidates on that code chose it.
    """
    raw = np.asarray(scores, dtype=float)
    if raw.ndim != 2 or raw.shape[0] < 1 or raw.shape[1] < 1:
        raise QuestionBankError(msg("qb.analysis.shape", shape=" × ".join(map(str, raw.shape))))
    n, k = raw.shape
    omitted = np.isnan(raw)
    x = np.where(omitted, 0.0, raw)
    if not np.isfinite(x).all():
        raise QuestionBankError(msg("qb.analysis.not_finite"))
    maxp = np.ones(k) if max_points is None else np.asarray(max_points, dtype=float)
    if maxp.shape != (k,) or np.any(maxp <= 0):
        raise QuestionBankError(msg("qb.analysis.max_points", count=k))
    ids = item_ids or [f"{j + 1}" for j in range(k)]
    if len(ids) != k:
        raise QuestionBankError(msg("qb.analysis.item_ids", count=k, given=len(ids)))

    totals = x.sum(axis=1)
    frac = x / maxp
    facility = frac.mean(axis=0)

    # Upper and lower groups by total score.
    g = max(1, int(round(thresholds.group_fraction * n)))
    order = np.argsort(totals, kind="stable")
    lower, upper = order[:g], order[n - g :]
    group = np.ones(n, dtype=np.int64)  # 0 lower, 1 middle, 2 upper
    group[lower] = 0
    group[upper] = 2
    discrimination = frac[upper].mean(axis=0) - frac[lower].mean(axis=0)

    # Correlations from centred sums (population moments throughout).
    xc = x - x.mean(axis=0)
    tc = totals - totals.mean()
    var_x = (xc * xc).mean(axis=0)
    var_t = float((tc * tc).mean())
    cov_xt = (xc * tc[:, None]).mean(axis=0)
    point_biserial = _corr(cov_xt, var_x, var_t)
    var_rest = var_t - 2 * cov_xt + var_x
    corrected = _corr(cov_xt - var_x, var_x, np.maximum(var_rest, 0.0))

    alpha = k / (k - 1) * (1 - var_x.sum() / var_t) if k > 1 and var_t > 0 else math.nan
    dichotomous = bool(np.all(np.isclose(x, 0.0) | np.isclose(x, maxp)))
    kr20 = math.nan
    if dichotomous and k > 1:
        t01 = frac.sum(axis=1)
        var_t01 = float(t01.var())
        kr20 = k / (k - 1) * (1 - float((facility * (1 - facility)).sum()) / var_t01) if var_t01 > 0 else math.nan
    sd = math.sqrt(var_t)
    sem = sd * math.sqrt(1 - alpha) if math.isfinite(alpha) and alpha <= 1 else math.nan

    if candidate_codes is not None and len(candidate_codes) != n:
        raise QuestionBankError(msg("qb.analysis.codes_length", rows=n, given=len(candidate_codes)))
    options = (_distractors(choices, keys, option_labels, group, n, k, option_details, candidate_codes)
               if choices is not None else [[] for _ in range(k)])
    items = []
    for j in range(k):
        item = ItemStats(
            id=str(ids[j]),
            max_points=float(maxp[j]),
            facility=float(facility[j]),
            discrimination=float(discrimination[j]),
            point_biserial=_finite(point_biserial[j]),
            corrected_item_total=_finite(corrected[j]),
            omitted_rate=float(omitted[:, j].mean()),
            options=options[j],
        )
        item.flags = _flags(item, float(var_x[j]), thresholds)
        items.append(item)
    test = TestStats(
        candidates=n,
        items=k,
        max_total=float(maxp.sum()),
        mean=float(totals.mean()),
        sd=sd,
        alpha=_finite(alpha),
        kr20=_finite(kr20),
        sem=_finite(sem),
        histogram=_histogram(totals, float(maxp.sum()), bins),
    )
    return AnalysisReport(test, items)


def _distractors(
    choices: np.ndarray,
    keys: Sequence[str | list[str]] | None,
    option_labels: list[list[str]] | None,
    group: np.ndarray,
    n: int,
    k: int,
    details: list[dict[str, OptionDetail]] | None = None,
    candidate_codes: list[str] | None = None,
) -> list[list[OptionStats]]:
    """Who chose each option, overall and by score group, with one bincount for all items."""
    labels_matrix = np.asarray(choices, dtype=object)
    if labels_matrix.shape != (n, k):
        raise QuestionBankError(msg("qb.analysis.choices_shape", rows=n, columns=k))
    as_text = np.where(labels_matrix == None, OMITTED, labels_matrix).astype(str)  # noqa: E711 - elementwise
    labels, codes = np.unique(as_text, return_inverse=True)
    codes = codes.reshape(n, k)
    n_labels = len(labels)
    flat = (np.arange(k)[None, :] * n_labels + codes) * 3 + group[:, None]
    counts = np.bincount(flat.ravel(), minlength=k * n_labels * 3).reshape(k, n_labels, 3)
    group_sizes = np.bincount(group, minlength=3).astype(float)
    group_sizes[group_sizes == 0] = 1.0
    by_code = None
    if candidate_codes is not None:  # item × option × paper code, one more bincount
        code_names, code_index = np.unique(np.asarray(candidate_codes, dtype=str), return_inverse=True)
        m = len(code_names)
        flat_codes = (np.arange(k)[None, :] * n_labels + codes) * m + code_index[:, None]
        by_code = np.bincount(flat_codes.ravel(), minlength=k * n_labels * m).reshape(k, n_labels, m)
    result = []
    for j in range(k):
        key = keys[j] if keys is not None else None
        key_set = ({key} if key else set()) if isinstance(key, str) else set(key or [])
        stats = []
        for code in np.flatnonzero(counts[j].sum(axis=1)):
            label = str(labels[code])
            c = counts[j, code]
            stats.append(
                OptionStats(
                    label=label,
                    is_key=label in key_set,
                    count=int(c.sum()),
                    proportion=float(c.sum() / n),
                    upper=float(c[2] / group_sizes[2]),
                    middle=float(c[1] / group_sizes[1]),
                    lower=float(c[0] / group_sizes[0]),
                )
            )
        # Options nobody chose are information too (a non-functional distractor).
        expected = key_set | set(option_labels[j] if option_labels is not None else [])
        for label in sorted(expected - {s.label for s in stats}):
            stats.append(OptionStats(label, label in key_set, 0, 0.0, 0.0, 0.0, 0.0))
        item_details = details[j] if details is not None else {}
        index = {str(label): c for c, label in enumerate(labels)}
        for s in stats:
            if s.label in item_details:
                s.text, s.letters = item_details[s.label].text, dict(item_details[s.label].letters)
            if by_code is not None:
                row = by_code[j, index[s.label]] if s.label in index else np.zeros(len(code_names), dtype=int)
                s.counts_by_code = {str(name): int(c) for name, c in zip(code_names, row, strict=True)}
        stats.sort(key=lambda s: (s.label == OMITTED, s.label))
        result.append(stats)
    return result


def _flags(item: ItemStats, variance: float, t: Thresholds) -> list[str]:
    flags = []
    if variance <= 1e-12:
        return ["no_variance"]
    r = item.corrected_item_total
    if item.discrimination < 0 or (r is not None and r < 0):
        flags.append("negative_discrimination")
    elif r is not None and math.isfinite(r) and r < t.low_discrimination:
        flags.append("low_discrimination")
    if item.facility >= t.too_easy:
        flags.append("too_easy")
    if item.facility <= t.too_hard:
        flags.append("too_hard")
    keyed = [o for o in item.options if o.is_key]
    distractors = [o for o in item.options if not o.is_key and o.label != OMITTED]
    if keyed and any(d.upper > max(o.upper for o in keyed) for d in distractors):
        flags.append("distractor_beats_key")
    if keyed and any(d.proportion < t.functional_distractor for d in distractors):
        flags.append("non_functional_distractor")
    return flags


# -- CSV input ----------------------------------------------------------------------------------
KEY_ROW = {"KEY", "ĐÁP ÁN", "DAP AN"}
MAX_ROW = {"MAX", "ĐIỂM TỐI ĐA", "DIEM TOI DA"}


@dataclass(frozen=True)
class OptionDetail:
    """What an option label stands for: the option's text and its letter on each paper code."""

    text: str
    letters: dict[str, str]


@dataclass
class ResponseTable:
    """A responses CSV (or stored papers and attempts) read into the matrices `analyse` takes."""

    candidates: list[str]
    item_ids: list[str]
    scores: np.ndarray
    max_points: np.ndarray
    choices: np.ndarray | None = None
    keys: Sequence[str | list[str]] | None = None
    option_labels: list[list[str]] | None = None
    option_details: list[dict[str, OptionDetail]] | None = None
    candidate_codes: list[str] | None = None

    def analyse(self, **kwargs: Any) -> AnalysisReport:
        return analyse(
            self.scores,
            self.max_points,
            item_ids=self.item_ids,
            choices=self.choices,
            keys=self.keys,
            option_labels=self.option_labels,
            option_details=self.option_details,
            candidate_codes=self.candidate_codes,
            **kwargs,
        )


def _number(cell: str) -> float:
    value = float(cell.strip().replace(",", "."))
    if not math.isfinite(value):
        raise ValueError(cell)
    return value


def read_responses_csv(text: str, name: str = "responses.csv") -> ResponseTable:
    """Parse a responses CSV; every error names the file, the line and the column.

    First column: candidate id; other columns: one per item (header = item id). Optional rows
    whose first cell is KEY (or "Đáp án") and MAX (or "Điểm tối đa"):
    with KEY, cells are the options chosen (A, B, "AC" …) and score MAX (default 1) when equal
    to the key, else 0; without KEY, cells are points (decimal comma or point). Empty = omitted.
    """
    rows = list(csv.reader(text.splitlines()))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2 or len(rows[0]) < 2:
        raise QuestionBankError(msg("qb.analysis.csv_header", file=name))
    item_ids = [c.strip() for c in rows[0][1:]]
    k = len(item_ids)
    errors: list[Message] = []
    key_row = max_row = None
    data: list[tuple[int, list[str]]] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != k + 1:
            errors.append(msg("qb.analysis.csv_columns", file=name, line=line, given=len(row) - 1, count=k))
            continue
        label = row[0].strip().upper()
        if label in KEY_ROW:
            key_row = [c.strip().upper() for c in row[1:]]
        elif label in MAX_ROW:
            max_row = (line, row[1:])
        else:
            data.append((line, row))
    max_points = np.ones(k)
    if max_row is not None:
        for j, cell in enumerate(max_row[1]):
            try:
                max_points[j] = _number(cell)
            except ValueError:
                errors.append(msg("qb.analysis.csv_bad_max", file=name, line=max_row[0], column=item_ids[j], value=cell))
    if not data:
        errors.append(msg("qb.analysis.csv_no_candidates", file=name))
    n = len(data)
    scores = np.full((n, k), np.nan)
    grid = np.full((n, k), None, dtype=object)  # the options chosen, when the sheet has a key row
    for i, (line, row) in enumerate(data):
        for j, cell in enumerate(row[1:]):
            cell = cell.strip()
            if not cell:
                continue
            if key_row is not None:
                grid[i, j] = cell.upper()
                scores[i, j] = max_points[j] if cell.upper() == key_row[j] else 0.0
                continue
            try:
                scores[i, j] = _number(cell)
            except ValueError:
                errors.append(msg("qb.analysis.csv_not_number", file=name, line=line, column=item_ids[j], value=cell))
                continue
            if not -max_points[j] <= scores[i, j] <= max_points[j]:
                errors.append(msg("qb.analysis.csv_over_max", file=name, line=line, column=item_ids[j], value=cell, max=float(max_points[j])))
        if len(errors) > 20:
            break
    if errors:
        raise QuestionBankError(errors[:20], separator="\n")
    labels = None
    if key_row is not None:
        # An answer sheet offers the same options for every item (A–D): an option nobody
        # chose on one item is still an option of that item.
        seen = sorted({c for c in grid.ravel() if c} | {c for c in key_row if c})
        labels = [seen] * k
    choices = grid if key_row is not None else None
    return ResponseTable([r[0].strip() for _, r in data], item_ids, scores, max_points, choices, key_row, labels)


# -- from stored papers ------------------------------------------------------------------------
CHOICE_TYPES = ("single_choice", "multiple_response")


@dataclass
class Attempt:
    """One candidate's answers to one paper: item number -> response (shapes of model.py)."""

    candidate: str
    code: str
    responses: dict[int, Any]
    graded: dict[int, float] = field(default_factory=dict)  # item number -> points given by hand


def table_from_papers(
    papers: list[Paper], attempts: Iterable[Attempt], *, per_blank: bool = False, code: str | None = None
) -> ResponseTable:
    """The matrices for `analyse` from paper snapshots and the candidates' responses.

    per_blank: a cloze / gapselect / ddwtos question becomes one item per blank
    ("<uid>#<blank id>"), worth its share of the question's points (weight / Σ weights for
    a cloze, an equal share for gaps) and scored by `blank_scores` (negative credit counts
    as 0), so the test total is unchanged and each blank gets its facility, discrimination
    and answer distribution (choices by their text; typed answers as typed, trimmed).

    Pooled (code None): items are the bank questions (by uid) in the order of the first paper,
    so every paper code is pooled; a choice option is labelled by its bank id, which shuffling
    keeps, and carries its text and its letter on each code (`OptionDetail`), so a report shows
    "Hà Nội — 101: B, 102: D" rather than an id. With `code`, only that code's candidates are
    analysed, items in that paper's order, options labelled by that code's letters.

    Points are recomputed with `scoring.score`; an essay counts the points a grader gave
    (Attempt.graded) or is omitted. Every paper must hold the same questions: analysing items
    that only some candidates saw would count "not shown" as "omitted".
    """
    from question_bank.papers import letter_map, letters_of, option_letters

    if not papers:
        raise QuestionBankError(msg("qb.analysis.no_papers"))
    by_code = {p.code: p for p in papers}
    if code is not None and code not in by_code:
        raise QuestionBankError(msg("qb.analysis.no_such_code", paper=code))
    first = by_code[code] if code is not None else papers[0]
    uids = [i.question.uid for i in first.items if i.question.type != "description"]
    if len(set(uids)) != len(uids) or not all(uids):
        raise QuestionBankError(msg("qb.analysis.uids", paper=first.code))
    for other in papers:
        if sorted(i.question.uid for i in other.items if i.question.type != "description") != sorted(uids):
            raise QuestionBankError(msg("qb.analysis.different_questions", paper=other.code, first=first.code))
    questions = {i.question.uid: i.question for i in first.items}
    # uid -> code -> that code's Question (options in its order), for letters per code.
    on_code = {u: {p.code: i.question for p in papers for i in p.items if i.question.uid == u} for u in uids}
    split = [u for u in uids if per_blank and questions[u].type in BLANK_TYPES]
    item_ids = [c for u in uids for c in ([f"{u}#{b.id}" for b in questions[u].blanks] if u in split else [u])]
    column = {c: j for j, c in enumerate(item_ids)}
    k = len(item_ids)
    keys: list[str | list[str]] = []
    option_labels: list[list[str]] = []
    max_points_list: list[float] = []
    for u in uids:
        q = questions[u]
        if u in split:
            for b in q.blanks:
                keys.append(_blank_key(q, b))
                option_labels.append(_blank_labels(q, b))
                max_points_list.append(_blank_share(q, b))
            continue
        correct = [o.id for o in q.options if o.correct]
        if q.type not in CHOICE_TYPES:
            keys.append("")
        else:
            keys.append(letters_of(q, correct) if code is not None else ",".join(sorted(correct)))
        # A single choice's options are all expected, so one nobody chose still shows; the
        # answers to a multiple response are combinations, only the chosen ones are listed.
        single = q.type == "single_choice"
        option_labels.append((list(letter_map(q)) if code is not None else [o.id for o in q.options]) if single else [])
        max_points_list.append(q.points)
    rows: list[np.ndarray] = []
    chosen: list[list[str | None]] = []
    candidates: list[str] = []
    candidate_codes: list[str] = []
    for attempt in attempts:
        paper = by_code.get(attempt.code)
        if paper is None:
            raise QuestionBankError(msg("qb.analysis.unknown_code", candidate=attempt.candidate, paper=attempt.code))
        if code is not None and attempt.code != code:
            continue
        row = np.full(k, np.nan)
        labels: list[str | None] = [None] * k
        for item in paper.items:
            q = item.question
            if q.type == "description":
                continue
            response = attempt.responses.get(item.number)
            if q.uid in split:
                _blank_row(q, response, row, labels, column, attempt.candidate, item.number)
                continue
            j = column[q.uid]
            if q.type == "essay":
                if item.number in attempt.graded:
                    row[j] = attempt.graded[item.number]
                continue
            try:
                result = score(q, response)
            except ValueError as exc:
                raise QuestionBankError(msg("qb.analysis.candidate_item", candidate=attempt.candidate,
                                            number=item.number, reason=_reason(exc))) from exc
            if result.status != "unanswered":
                row[j] = result.points
                if q.type in CHOICE_TYPES:
                    ids = [response] if isinstance(response, str) else list(response or [])
                    labels[j] = letters_of(q, ids) if code is not None else ",".join(sorted(ids))
        rows.append(row)
        chosen.append(labels)
        candidates.append(attempt.candidate)
        candidate_codes.append(attempt.code)
    if not rows:
        raise QuestionBankError(msg("qb.analysis.no_attempts"))
    details: list[dict[str, OptionDetail]] = [{} for _ in range(k)]
    for u in uids:
        q = questions[u]
        if u in split or q.type not in CHOICE_TYPES:
            continue
        j = column[u]
        key = keys[j]
        seen = {label for c in chosen if (label := c[j])} | set(option_labels[j]) | ({key} if isinstance(key, str) and key else set())
        if code is not None:  # letters -> ids of this code
            to_ids = {label: [letter_map(q)[x] for x in label if x in letter_map(q)] for label in seen}
        else:
            to_ids = {label: label.split(",") for label in seen}
        texts = {o.id: o.text for o in q.options}
        for label, ids in to_ids.items():
            details[j][label] = OptionDetail(
                text=" + ".join(_first_words(texts.get(i, i)) for i in ids),
                letters={c: letters_of(cq, ids) for c, cq in on_code[u].items()
                         if all(i in option_letters(cq) for i in ids)},
            )
    max_points = np.array(max_points_list, dtype=float)
    return ResponseTable(
        candidates, item_ids, np.vstack(rows), max_points, np.array(chosen, dtype=object), keys,
        option_labels, details, candidate_codes,
    )


def _first_words(text: str, count: int = 8) -> str:
    """An option's text as a short label: markup dropped, the first `count` words."""
    words = " ".join(html.unescape(TAG.sub(" ", text)).split()).split(" ")
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


# -- per blank (cloze, gapselect, ddwtos) ------------------------------------------------------
def _blank_share(q: Question, blank: Blank) -> float:
    if q.type == "cloze":
        weights = sum(b.weight for b in q.blanks)
        return q.points * blank.weight / weights if weights else 0.0
    return q.points / len(q.blanks) if q.blanks else 0.0


def _blank_key(q: Question, blank: Blank) -> list[str]:
    if blank.kind == "gap":
        return [c.text for c in q.choices if c.id == blank.key]
    if blank.kind == "multiresponse":
        return [" + ".join(sorted(a.text for a in blank.answers if a.fraction > 0))]
    return [a.text for a in blank.answers if a.fraction >= 1 - 1e-9]


def _blank_labels(q: Question, blank: Blank) -> list[str]:
    if blank.kind == "gap":
        return [c.text for c in q.choices if c.group == blank.group]
    return [a.text for a in blank.answers] if blank.kind == "multichoice" else []


def _blank_label(q: Question, blank: Blank, part: Any) -> str:
    if blank.kind == "gap":
        return next((c.text for c in q.choices if c.id == part), str(part))
    texts = {a.id: a.text for a in blank.answers}
    if blank.kind == "multichoice":
        return texts.get(part, str(part))
    if blank.kind == "multiresponse":
        return " + ".join(sorted(texts.get(x, str(x)) for x in part))
    return " ".join(str(part).split())[:60]


def _reason(exc: Exception) -> Message:
    """A coded failure as its message; anything else (a library's ValueError) as its text."""
    if isinstance(exc, QuestionBankError) and exc.problems:
        return exc.problems[0] if len(exc.problems) == 1 else msg("qb.joined", items=exc.problems)
    return msg("qb.invalid_value", detail=str(exc))


def _blank_row(q: Question, response: Any, row: np.ndarray, labels: list[str | None], column: dict[str, int],
               candidate: str, number: int) -> None:
    """Fill one candidate's cells for the blanks of `q` (omitted blanks stay NaN)."""
    if response is not None:
        reason = validate_response(q, response)
        if reason:
            raise QuestionBankError(msg("qb.analysis.candidate_item", candidate=candidate, number=number, reason=reason))
    given = response if isinstance(response, dict) else {}
    earned = blank_scores(q, given)
    for b in q.blanks:
        part = given.get(b.id)
        if part is None or (isinstance(part, str | list) and not part) or (isinstance(part, str) and not part.strip()):
            continue
        j = column[f"{q.uid}#{b.id}"]
        row[j] = _blank_share(q, b) * max(earned[b.id], 0.0)
        labels[j] = _blank_label(q, b, part)



def read_attempts_json(text: str, name: str = "attempts.json") -> list[Attempt]:
    """[{"candidate", "code", "responses": {"1": "B", …}, "graded": {"5": 2.0}}, …] -> Attempts."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionBankError(msg("qb.analysis.invalid_json", file=name, detail=str(exc))) from exc
    if not isinstance(data, list):
        raise QuestionBankError(msg("qb.analysis.not_list", file=name))
    attempts: list[Attempt] = []
    errors: list[Message] = []
    for n, raw in enumerate(data, start=1):
        try:
            if not isinstance(raw, dict) or set(raw) - {"candidate", "code", "responses", "graded"}:
                raise QuestionBankError(msg("qb.analysis.expected_keys"))
            attempts.append(Attempt(
                candidate=str(raw["candidate"]),
                code=str(raw["code"]),
                responses={int(k): v for k, v in dict(raw.get("responses") or {}).items()},
                graded={int(k): float(v) for k, v in dict(raw.get("graded") or {}).items()},
            ))
        except (KeyError, TypeError, ValueError) as exc:
            errors.append(msg("qb.analysis.attempt", file=name, number=n, reason=_reason(exc)))
    if errors:
        raise QuestionBankError(errors[:20], separator="\n")
    return attempts
