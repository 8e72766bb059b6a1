"""Scoring of every question type, with the official 2025 THPT numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from question_bank.model import Answer, Option, Pair, Question, Scoring, Statement
from question_bank.scoring import Score, score, strip_accents, validate_response


def choice(type_: str = "single_choice", fractions=(0, 1, 0, 0), points: float = 0.25, **kw) -> Question:
    options = [Option(id=i, text=f"phương án {i}", fraction=f) for i, f in zip("ABCD", fractions, strict=False)]
    return Question(type=type_, stem="Câu hỏi", points=points, options=options, **kw)


def cluster(points: float = 1.0, table: dict[int, float] | None = None) -> Question:
    truth = {"a": True, "b": False, "c": True, "d": False}
    return Question(
        type="tf_cluster",
        stem="Xét tính đúng sai",
        points=points,
        statements=[Statement(id=k, text=f"ý {k}", correct=v) for k, v in truth.items()],
        scoring=Scoring(table=table or {}),
    )


# -- part I / single choice ------------------------------------------------------------------
def test_single_choice_official_part_one():
    q = choice()
    assert score(q, "B") == Score(0.25, 0.25, "correct")
    assert score(q, "A") == Score(0.0, 0.25, "incorrect")
    assert score(q, None) == Score(0.0, 0.25, "unanswered")
    assert score(q, "") == Score(0.0, 0.25, "unanswered")


def test_single_choice_partial_fraction_and_negative_floor():
    q = choice(fractions=(1, 0.5, -0.5, 0), points=2, scoring=Scoring(negative=True))
    assert score(q, "B") == Score(1.0, 2.0, "partial")
    assert score(q, "C") == Score(0.0, 2.0, "incorrect")  # floored at 0 per question
    q.scoring.negative_total = True
    assert score(q, "C") == Score(-1.0, 2.0, "incorrect")


# -- multiple response -----------------------------------------------------------------------
def test_multiple_response_all_or_nothing_is_default():
    q = choice("multiple_response", fractions=(0.5, 0.5, 0, 0), points=2)
    assert score(q, ["A", "B"]).status == "correct"
    assert score(q, ["B", "A"]).points == 2.0
    assert score(q, ["A"]) == Score(0.0, 2.0, "incorrect")
    assert score(q, ["A", "B", "C"]) == Score(0.0, 2.0, "incorrect")


def test_multiple_response_partial_with_negative_marking():
    q = choice("multiple_response", fractions=(0.5, 0.5, -0.5, -1), points=2, scoring=Scoring(mode="partial"))
    # Without negative marking the negative fractions are ignored.
    assert score(q, ["A", "B", "C"]) == Score(2.0, 2.0, "correct")
    q.scoring.negative = True
    assert score(q, ["A"]) == Score(1.0, 2.0, "partial")  # 0.5 × 2
    assert score(q, ["A", "B"]) == Score(2.0, 2.0, "correct")
    assert score(q, ["A", "B", "C"]) == Score(1.0, 2.0, "partial")  # (0.5+0.5-0.5) × 2
    assert score(q, ["A", "D"]) == Score(0.0, 2.0, "incorrect")  # 0.5-1 = -0.5, floored
    q.scoring.negative_total = True  # configured to let the question go below zero
    assert score(q, ["A", "D"]) == Score(-1.0, 2.0, "incorrect")
    assert score(q, ["C", "D"]) == Score(-3.0, 2.0, "incorrect")  # (-0.5-1) × 2


def test_true_false():
    q = Question(type="true_false", stem="Trái Đất quay quanh Mặt Trời.", correct_bool=True)
    assert score(q, True).status == "correct"
    assert score(q, False) == Score(0.0, 1.0, "incorrect")
    assert validate_response(q, "true") is not None


# -- short text ------------------------------------------------------------------------------
def short_text(mode: str, *answers: Answer) -> Question:
    return Question(type="short_text", stem="Thủ đô?", answers=list(answers), scoring=Scoring(mode=mode))


def test_short_text_modes():
    exact = short_text("exact", Answer("Hà Nội"))
    assert score(exact, "  Hà   Nội ").status == "correct"  # whitespace only is normalised
    assert score(exact, "hà nội").status == "incorrect"
    ci = short_text("ci", Answer("Hà Nội"))
    assert score(ci, "HÀ NỘI").status == "correct"
    assert score(ci, "Ha Noi").status == "incorrect"
    ai = short_text("accent_insensitive", Answer("Đà Nẵng"))
    assert score(ai, "da nang").status == "correct"
    assert score(ai, "DA NANG").status == "correct"
    assert score(ai, "Đa Năng").status == "correct"
    assert score(ai, "Da Lat").status == "incorrect"
    rx = short_text("regex", Answer(r"(?i)h[aà] ?n[oộ]i"))
    assert score(rx, "hanoi").status == "correct"
    assert score(rx, "Hà Nội thủ đô").status == "incorrect"  # fullmatch, not search


def test_short_text_nfd_response_matches_nfc_key():
    q = short_text("exact", Answer("Nguyễn"))
    nfd = "Nguye\u0302\u0303n"
    assert score(q, nfd).status == "correct"


def test_short_text_best_fraction_wins():
    q = short_text("ci", Answer("Hồ Chí Minh", 1.0), Answer("Bác Hồ", 0.5))
    q.points = 2
    assert score(q, "bác hồ") == Score(1.0, 2.0, "partial")
    assert score(q, "hồ chí minh") == Score(2.0, 2.0, "correct")


def test_strip_accents_vietnamese():
    assert strip_accents("Đường Trường Sơn đẹp") == "Duong Truong Son dep"


# -- numeric ---------------------------------------------------------------------------------
def test_numeric_tolerance_comma_and_units():
    q = Question(type="numeric", stem="g = ?", answers=[Answer("9.8", 1.0, tolerance=0.05)])
    assert score(q, "9,8").status == "correct"
    assert score(q, "9.84 m/s²").status == "correct"  # units ignored
    assert score(q, "9,86").status == "incorrect"  # outside 0.05
    assert score(q, "khoảng 10").status == "incorrect"
    assert score(q, 9.8).status == "correct"
    q.scoring.units_ignored = False
    assert score(q, "9.8 m/s²").status == "incorrect"
    assert score(q, "9.8").status == "correct"


def test_numeric_exact_boundary_and_fractions():
    q = Question(type="numeric", stem="x", points=4, answers=[Answer("0,3", 1.0), Answer("0,33", 0.5, 0.001)])
    assert score(q, "0.3") == Score(4.0, 4.0, "correct")
    assert score(q, "0,331") == Score(2.0, 4.0, "partial")


# -- matching and ordering -------------------------------------------------------------------
def matching() -> Question:
    return Question(
        type="matching",
        stem="Ghép",
        points=3,
        pairs=[Pair("l1", "Việt Nam", "Hà Nội"), Pair("l2", "Pháp", "Paris"), Pair("l3", "Nhật", "Tokyo"),
               Pair("x", "", "Bangkok")],
    )


def test_matching_proportional_and_table():
    q = matching()
    key = {p.id: p.right_id for p in q.pairs if p.left}
    assert score(q, key) == Score(3.0, 3.0, "correct")
    two = dict(key, l3=key["l1"])
    assert score(q, two) == Score(2.0, 3.0, "partial")  # 2 of 3
    q.scoring.table = {3: 1.0, 2: 0.5}
    assert score(q, two) == Score(1.5, 3.0, "partial")
    q.scoring.mode = "all_or_nothing"
    assert score(q, two).points == 0.0
    assert validate_response(q, {"l1": "r99"}) is not None
    assert validate_response(q, {"x": key["l1"]}) is not None  # distractor has no left side


def test_ordering_default_all_or_nothing_and_partial():
    q = Question(type="ordering", stem="Sắp xếp", points=2,
                 options=[Option("o1", "một"), Option("o2", "hai"), Option("o3", "ba"), Option("o4", "bốn")])
    assert score(q, ["o1", "o2", "o3", "o4"]).status == "correct"
    assert score(q, ["o1", "o2", "o4", "o3"]) == Score(0.0, 2.0, "incorrect")
    q.scoring.mode = "partial"
    assert score(q, ["o1", "o2", "o4", "o3"]) == Score(1.0, 2.0, "partial")  # 2 of 4 in place
    assert validate_response(q, ["o1", "o1"]) is not None


def test_essay_is_manual():
    q = Question(type="essay", stem="Nghị luận", points=4)
    assert score(q, "Bài làm …") == Score(0.0, 4.0, "manual")
    assert score(q, "   ") == Score(0.0, 4.0, "unanswered")


def test_description_is_worth_nothing():
    q = Question(type="description", stem="Đọc đoạn văn sau")
    assert score(q, None) == Score(0.0, 0.0, "unanswered")
    assert validate_response(q, "x") is not None


# -- part II: Đúng/Sai clusters ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("judged", "points", "status"),
    [
        ({"a": False, "b": True, "c": False, "d": True}, 0.0, "incorrect"),  # 0 right
        ({"a": True, "b": True, "c": False, "d": True}, 0.1, "partial"),  # 1 right
        ({"a": True, "b": False, "c": False, "d": True}, 0.25, "partial"),  # 2 right
        ({"a": True, "b": False, "c": True, "d": True}, 0.5, "partial"),  # 3 right
        ({"a": True, "b": False, "c": True, "d": False}, 1.0, "correct"),  # 4 right
    ],
)
def test_tf_cluster_official_table(judged, points, status):
    assert score(cluster(), judged) == Score(points, 1.0, status)


def test_tf_cluster_unjudged_statement_is_not_correct():
    assert score(cluster(), {"a": True, "c": True}).points == 0.25
    assert score(cluster(), {}).status == "unanswered"


def test_tf_cluster_table_is_data_and_scales_with_points():
    # Another scheme configured for a section: linear quarters, question worth 2 points.
    q = cluster(points=2.0, table={0: 0, 1: 0.25, 2: 0.5, 3: 0.75, 4: 1.0})
    assert score(q, {"a": True, "b": False, "c": True, "d": True}) == Score(1.5, 2.0, "partial")
    # Official table × 2 points: 3 right -> 0.5 × 2.
    assert score(cluster(points=2.0), {"a": True, "b": False, "c": True, "d": True}).points == 1.0


def test_tf_cluster_validation():
    q = cluster()
    assert validate_response(q, {"a": True}) is None
    assert "ý" in validate_response(q, {"e": True}).text("vi")
    assert validate_response(q, {"a": "Đúng"}) is not None
    assert validate_response(q, [True, False]) is not None


# -- part III: short answers of up to four characters ----------------------------------------
def sa4(*keys: str, points: float = 0.5) -> Question:
    return Question(type="short_answer4", stem="Kết quả?", points=points, answers=[Answer(k) for k in keys])


def test_short_answer4_exact_after_trim_with_decimal_comma():
    q = sa4("-1,5")
    assert score(q, "-1,5") == Score(0.5, 0.5, "correct")
    assert score(q, " -1,5 ") == Score(0.5, 0.5, "correct")
    assert score(q, "-1.5") == Score(0.5, 0.5, "correct")  # a typed point is the decimal comma
    assert score(sa4("1,5"), "1,50").status == "incorrect"  # exact: no numeric equivalence
    assert score(q, "1,5").status == "incorrect"
    assert score(sa4("0,5"), ",5").status == "incorrect"  # exact, not numeric
    assert score(sa4("12"), "0012").status == "incorrect"


@pytest.mark.parametrize("bad", ["12345", "1e3", "abc", "1/2", "-1,55"])
def test_short_answer4_refuses_malformed(bad):
    assert validate_response(sa4("1"), bad) is not None
    with pytest.raises(ValueError):
        score(sa4("1"), bad)


@pytest.mark.parametrize("good", ["-1,5", "2025", "0", "-12", " 3,5 ", "1.5"])
def test_short_answer4_accepts(good):
    assert validate_response(sa4("1"), good) is None


def test_official_math_paper_totals_ten():
    # Toán 2025: part I 12 × 0.25, part II 4 × up to 1.0, part III 6 × 0.5.
    part1 = [choice() for _ in range(12)]
    part2 = [cluster() for _ in range(4)]
    part3 = [sa4("3,14") for _ in range(6)]
    perfect = [score(q, "B") for q in part1] + [
        score(q, {"a": True, "b": False, "c": True, "d": False}) for q in part2
    ] + [score(q, "3,14") for q in part3]
    assert sum(s.max_points for s in perfect) == pytest.approx(10.0)
    assert sum(s.points for s in perfect) == pytest.approx(10.0)


# -- shapes ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "response"),
    [
        (choice(), ["B"]),
        (choice(), "E"),
        (choice("multiple_response"), "A"),
        (choice("multiple_response"), ["A", "Z"]),
        (choice("multiple_response"), ["A", "A"]),
        (choice("multiple_response"), [1]),
        (Question(type="short_text", stem="s"), 42),
        (Question(type="short_text", stem="s"), "x" * 1001),
        (Question(type="numeric", stem="n"), True),
        (Question(type="numeric", stem="n"), ["1"]),
        (Question(type="essay", stem="e"), {"text": "x"}),
    ],
)
def test_validate_response_refuses_wrong_shapes(question, response):
    assert validate_response(question, response)


def test_none_is_always_a_valid_withdrawal():
    for q in (choice(), cluster(), sa4("1"), matching(), Question(type="essay", stem="e")):
        assert validate_response(q, None) is None


def test_numeric_refuses_two_numbers():
    q = Question(type="numeric", stem="x", answers=[Answer("1")])
    assert score(q, "1.000,5").status == "incorrect"
    assert score(q, "1,2,3").status == "incorrect"
    assert score(q, "1 kg").status == "correct"


# -- properties ------------------------------------------------------------------------------


@given(
    fractions=st.lists(st.sampled_from([-1.0, -0.5, 0.0, 0.25, 0.5, 1.0]), min_size=2, max_size=6),
    picks=st.sets(st.integers(0, 5)),
    negative=st.booleans(),
    points=st.sampled_from([0.25, 0.5, 1.0, 2.0]),
)
def test_multiple_response_partial_stays_within_zero_and_max(fractions, picks, negative, points):
    q = choice("multiple_response", fractions=fractions, points=points, scoring=Scoring(mode="partial", negative=negative))
    ids = [o.id for o in q.options]
    result = score(q, [ids[i] for i in sorted(picks) if i < len(ids)])
    assert 0.0 <= result.points <= result.max_points == points


@given(judged=st.dictionaries(st.sampled_from("abcd"), st.booleans()), points=st.sampled_from([0.5, 1.0, 2.0]))
def test_tf_cluster_points_are_a_table_value(judged, points):
    q = cluster(points=points)
    truth = {s.id: s.correct for s in q.statements}
    right = sum(1 for k, v in judged.items() if truth[k] is v)
    result = score(q, judged)
    if judged:
        assert result.points == pytest.approx(points * {0: 0, 1: 0.1, 2: 0.25, 3: 0.5, 4: 1.0}[right])
    else:
        assert result.status == "unanswered"


@given(st.text(max_size=6))
def test_short_answer4_validation_matches_scoring(text):
    q = sa4("1,5")
    reason = validate_response(q, text)
    if reason is None:
        assert score(q, text).status in ("correct", "incorrect", "unanswered")
    else:
        with pytest.raises(ValueError):
            score(q, text)
