"""Item analysis checked against a worked example computed by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from question_bank.analysis import analyse

# Worked example: 6 candidates × 3 items scored 0/1 (NaN = omitted, scored 0).
#
#         i1  i2  i3 | total
#   C1     1   1   1 |  3
#   C2     1   1   0 |  2
#   C3     1   0   1 |  2
#   C4     1   0   0 |  1
#   C5     0   1   0 |  1
#   C6     -   0   0 |  0      (C6 omitted i1)
#
# mean total = 9/6 = 1.5; var(total) = (2.25 + 4 × 0.25 + 2.25)/6 = 11/12; SD = √(11/12) = 0.957427
# p: i1 = 4/6, i2 = 3/6, i3 = 2/6; item variances pq = 2/9, 1/4, 2/9; Σ = 25/36
# KR-20 = α = 3/2 × (1 − (25/36)/(11/12)) = 3/2 × (1 − 25/33) = 3/2 × 8/33 = 4/11 = 0.363636
# SEM = SD × √(1 − 4/11) = √(11/12 × 7/11) = √(7/12) = 0.763763
# 27 % groups: round(0.27 × 6) = 2 each. Sorted by total (stable): C6 0, C4 1, C5 1, C2 2, C3 2, C1 3
#   lower = {C6, C4}, upper = {C3, C1}
#   D(i1) = 2/2 − 1/2 = 0.5;  D(i2) = 1/2 − 0/2 = 0.5;  D(i3) = 2/2 − 0/2 = 1.0
# Point-biserial i1: cov(x, T) = (3+2+2+1)/6 − (2/3)(1.5) = 1/3; r = (1/3)/√(2/9 × 11/12) = 0.738549
#   corrected: cov(x, T−x) = 1/3 − 2/9 = 1/9; var(T−x) = 11/12 − 2/3 + 2/9 = 17/36;
#   r = (1/9)/√(2/9 × 17/36) = 0.342997
# i3 has the same moments as i1 (0.738549, 0.342997).
# i2: cov = (3+2+1)/6 − 0.5 × 1.5 = 1/4; r = (1/4)/√(1/4 × 11/12) = 0.522233;
#   corrected cov = 1/4 − 1/4 = 0 -> r = 0 -> flagged low discrimination.
NAN = math.nan
SCORES = np.array(
    [
        [1, 1, 1],
        [1, 1, 0],
        [1, 0, 1],
        [1, 0, 0],
        [0, 1, 0],
        [NAN, 0, 0],
    ]
)
CHOICES_I1 = ["A", "A", "A", "A", "B", None]  # key A; C6 left it blank


def test_worked_example_test_statistics():
    report = analyse(SCORES, [1, 1, 1], bins=3)
    t = report.test
    assert t.candidates == 6 and t.items == 3 and t.max_total == 3
    assert t.mean == pytest.approx(1.5)
    assert t.sd == pytest.approx(math.sqrt(11 / 12))
    assert t.alpha == pytest.approx(4 / 11)
    assert t.kr20 == pytest.approx(4 / 11)
    assert t.sem == pytest.approx(math.sqrt(7 / 12))
    # Totals 3,2,2,1,1,0 in bins [0,1) [1,2) [2,3]
    assert [b["count"] for b in t.histogram] == [1, 2, 3]
    assert [(b["from"], b["to"]) for b in t.histogram] == [(0, 1), (1, 2), (2, 3)]


def test_worked_example_item_statistics():
    items = analyse(SCORES).items
    assert [i.facility for i in items] == pytest.approx([4 / 6, 3 / 6, 2 / 6])
    assert [i.discrimination for i in items] == pytest.approx([0.5, 0.5, 1.0])
    assert [i.point_biserial for i in items] == pytest.approx([0.738549, 0.522233, 0.738549], abs=1e-6)
    assert [i.corrected_item_total for i in items] == pytest.approx([0.342997, 0.0, 0.342997], abs=1e-6)
    assert [i.omitted_rate for i in items] == pytest.approx([1 / 6, 0, 0])
    assert items[1].flags == ["low_discrimination"]
    assert items[0].flags == [] and items[2].flags == []


def test_distractors_by_score_group():
    choices = np.array([[c, "x", "x"] for c in CHOICES_I1], dtype=object)
    item = analyse(SCORES, choices=choices, keys=["A", "x", "x"], option_labels=[list("ABCD"), ["x"], ["x"]]).items[0]
    by_label = {o.label: o for o in item.options}
    # upper = {C3, C1}, middle = {C5, C2}, lower = {C6, C4}
    a = by_label["A"]
    assert a.is_key and a.count == 4 and a.proportion == pytest.approx(4 / 6)
    assert (a.upper, a.middle, a.lower) == (1.0, 0.5, 0.5)
    b = by_label["B"]
    assert not b.is_key and b.count == 1 and (b.upper, b.middle, b.lower) == (0.0, 0.5, 0.0)
    assert (by_label[""].count, by_label[""].lower) == (1, 0.5)  # the omission, in the lower group
    assert by_label["C"].count == 0 and by_label["D"].count == 0
    assert "non_functional_distractor" in item.flags  # nobody chose C or D
    assert [o.label for o in item.options] == ["A", "B", "C", "D", ""]


def test_miskeyed_item_is_flagged():
    # Item 4 is answered "correctly" only by the weakest candidates: its key is probably wrong.
    good = np.array(
        [[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1]],
        dtype=float,
    )
    item4 = ["B", "B", "B", "B", "C", "C", "C", "C"]
    choices = np.array([["A", "A", "A", c] for c in item4], dtype=object)
    items = analyse(good, choices=choices, keys=["A", "A", "A", "C"]).items
    # upper = {C1, C2} chose B (scored 0); lower = {C4, C6}: D = 0 − 1/2
    assert items[3].discrimination == pytest.approx(-0.5) and items[3].corrected_item_total < 0
    assert "negative_discrimination" in items[3].flags
    assert "distractor_beats_key" in items[3].flags  # the upper group all chose B
    assert "negative_discrimination" not in items[0].flags


def test_useless_items_are_flagged():
    m = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 0], [1, 0, 0]], dtype=float)
    items = analyse(m).items
    assert items[0].flags == ["no_variance"]  # everyone right
    assert items[2].flags == ["no_variance"]  # everyone wrong
    assert items[0].point_biserial is None and items[0].corrected_item_total is None
    easy = np.vstack([np.ones((40, 2)), [[0, 1], [1, 0]]])
    assert "too_easy" in analyse(easy).items[0].flags


def test_polytomous_items_alpha_without_kr20():
    # Two items worth 2 and 1 points.  Totals 3, 1, 2, 0: mean 1.5, var = (2.25+0.25+0.25+2.25)/4 = 1.25
    # item vars: [2,0,1,0] -> mean 0.75, var = (1.5625+0.5625+0.0625+0.5625)/4 = 0.6875; [1,1,1,0] -> 0.1875
    # α = 2 × (1 − 0.875/1.25) = 0.6
    m = np.array([[2, 1], [0, 1], [1, 1], [0, 0]], dtype=float)
    report = analyse(m, [2, 1])
    assert report.test.alpha == pytest.approx(0.6)
    assert report.test.kr20 is None
    assert report.items[0].facility == pytest.approx(0.375)  # mean 0.75 of 2 points


def test_report_is_plain_json_and_csv_rows():
    report = analyse(np.array([[1, 1], [1, 0]], dtype=float))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["items"][0]["flags"] == ["no_variance"]
    assert data["items"][0]["point_biserial"] is None  # NaN is not JSON
    rows = report.item_rows()
    assert rows[0]["id"] == "1" and rows[0]["flags"] == "no_variance"


@pytest.mark.parametrize(
    ("scores", "max_points"),
    [(np.zeros(3), None), (np.zeros((2, 2)), [1, 0]), (np.zeros((2, 2)), [1, 1, 1]), (np.full((2, 2), np.inf), None)],
)
def test_bad_input_is_refused(scores, max_points):
    with pytest.raises(ValueError):
        analyse(scores, max_points)


def test_table_from_papers_pools_every_code_by_bank_question():
    from question_bank.analysis import Attempt, table_from_papers
    from question_bank.papers import Blueprint, Pool, Section, generate_papers
    from tests.question_bank.test_papers import cluster, mcq

    bp = Blueprint("x", [Section("I", draw=3, pool=Pool(types=["single_choice"])),
                         Section("II", draw=1, pool=Pool(types=["tf_cluster"]))], seed=3)
    papers = generate_papers(bp, [mcq(i) for i in range(3)] + [cluster(0)], ["0101", "0102"]).papers
    assert papers[0].fingerprint() != papers[1].fingerprint()

    def answers(paper, right: bool) -> dict[int, object]:
        out: dict[int, object] = {}
        for item in paper.items:
            q = item.question
            if q.type == "single_choice":
                out[item.number] = next(o.id for o in q.options if o.correct is right)
            else:
                out[item.number] = {s.id: s.correct for s in q.statements}
        return out

    attempts = [
        Attempt("c1", "0101", answers(papers[0], True)),
        Attempt("c2", "0102", answers(papers[1], True)),
        Attempt("c3", "0102", answers(papers[1], False)),
        Attempt("c4", "0101", {}),
    ]
    table = table_from_papers(papers, attempts)
    assert table.item_ids == [i.question.uid for i in papers[0].items]
    # c1 and c2 sat different codes; both are right on every item of the same bank question.
    assert table.scores[0].tolist() == [1, 1, 1, 1] and table.scores[1].tolist() == [1, 1, 1, 1]
    assert table.scores[2].tolist() == [0, 0, 0, 1]
    assert np.isnan(table.scores[3]).all()  # c4 answered nothing: omitted, not wrong
    # Options keep their bank ids across codes, so the key column is the same for everyone.
    q0 = papers[0].items[0].question
    key_id = next(o.id for o in q0.options if o.correct)
    assert table.keys[0] == key_id and table.choices[0, 0] == key_id == table.choices[1, 0]
    report = table.analyse()
    assert report.items[0].facility == pytest.approx(0.5)
    assert {o.label for o in report.items[0].options if o.is_key} == {key_id}
    with pytest.raises(ValueError, match="9999"):
        table_from_papers(papers, [Attempt("c9", "9999", {})])
