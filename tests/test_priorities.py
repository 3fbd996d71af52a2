"""Priorities in plain words: parsing, rank-order centroid, largest-remainder percentages."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from selector.engine.priorities import (
    PLAIN,
    Adjust,
    Help,
    RankAnswer,
    apply_answer,
    criterion_evidence,
    lookup,
    parse_answer,
    percentages,
    plain_names,
    rank_order_centroid,
)
from selector.errors import ProfileError
from selector.knowledge import load_snapshot
from selector.models import Snapshot


@pytest.fixture(scope="module")
def current() -> Snapshot:
    return load_snapshot("current")


# Rank-order centroid weights for n = 2..5 as Barron and Barrett (1996) publish them (4 digits).
PUBLISHED = {
    2: [0.7500, 0.2500],
    3: [0.6111, 0.2778, 0.1111],
    4: [0.5208, 0.2708, 0.1458, 0.0625],
    5: [0.4567, 0.2567, 0.1567, 0.0900, 0.0400],
}


@pytest.mark.parametrize(("n", "expected"), PUBLISHED.items())
def test_rank_order_centroid_matches_the_published_values(n: int, expected: list[float]) -> None:
    assert [round(w, 4) for w in rank_order_centroid(n)] == expected


@given(st.integers(min_value=1, max_value=60))
def test_rank_order_centroid_adds_up_to_one_and_decreases(n: int) -> None:
    w = rank_order_centroid(n)
    assert math.isclose(math.fsum(w), 1.0)
    assert all(a > b for a, b in zip(w, w[1:], strict=False))


def test_rank_order_centroid_needs_a_criterion() -> None:
    with pytest.raises(ValueError, match="at least one"):
        rank_order_centroid(0)


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1,
                max_size=30).filter(lambda ws: math.fsum(ws) > 0))
def test_percentages_add_up_to_exactly_100(weights: list[float]) -> None:
    shown = percentages(weights)
    assert sum(shown) == 100
    total = math.fsum(weights)
    for w, p in zip(weights, shown, strict=True):
        # Largest remainder: each shown share is its exact share rounded down or up.
        exact = w / total * 100
        assert math.floor(exact) <= p <= math.floor(exact) + 1
        if w == 0:
            assert p == 0


def test_percentages_by_hand() -> None:
    # 33.33 each: one unit left over goes to the first of the equal remainders.
    assert percentages([1, 1, 1]) == [34, 33, 33]
    # 14 equal criteria: 7.14 each, 2 units left over.
    assert percentages([1] * 14) == [8, 8] + [7] * 12
    # Rounding each to the nearest would give 17 + 17 + 17 + 17 + 17 + 17 = 102.
    assert percentages([1] * 6) == [17, 17, 17, 17, 16, 16]
    # Largest remainders win: 12.5 -> 12 or 13; 87.5 -> 87 or 88.
    assert percentages([0.125, 0.875]) == [13, 87]


def test_every_criterion_has_a_plain_name_and_one_line_meaning(current: Snapshot) -> None:
    names = plain_names(current)
    assert [c.id for c in names] == [c.id for c in current.criteria]
    assert len({c.name for c in names}) == len(names)
    for c in names:
        assert c.id in PLAIN and c.meaning and "\n" not in c.meaning
    # Every plain name, snapshot name and raw id resolves to its criterion, in any case.
    table = lookup(current)
    for c in current.criteria:
        for spelling in (c.id, c.name, PLAIN[c.id].name, c.id.upper()):
            assert table[" ".join(spelling.lower().replace("-", " ").replace("_", " ")
                                  .split())] == c.id


def test_a_criterion_unknown_to_the_plain_names_uses_the_snapshot_words(
        snapshot_2017: Snapshot) -> None:
    data = snapshot_2017.model_dump()
    data["criteria"][0] = {**data["criteria"][0], "id": "fun", "name": "Fun to use",
                           "description": "How much fun it is."}
    data["scores"] = [{**s, "criterion": "fun"} if s["criterion"] == "languages" else s
                      for s in data["scores"]]
    snap = Snapshot.model_validate(data)
    assert plain_names(snap)[0].name == "Fun to use"
    assert parse_answer(snap, "fun to use, speed") == RankAnswer(("fun", "speed"))


@pytest.mark.parametrize(("text", "expected"), [
    ("", None),
    ("?", Help(None)),
    ("help", Help(None)),
    ("? speed", Help("speed")),
    ("help language fit", Help("languages")),
    ("speed, language fit, support", RankAnswer(("speed", "languages", "resources"))),
    ("Speed > Multi-GPU > keras", RankAnswer(("speed", "multi_gpu", "keras"))),
    ("multi_gpu, transformers", RankAnswer(("multi_gpu", "model_hub"))),
    ("speed+", Adjust((("speed", "+"),))),
    ("speed++ keras0", Adjust((("speed", "++"), ("keras", "0")))),
    ("speed-", Adjust((("speed", "-"),))),
    ("language fit-- multi-gpu+", Adjust((("languages", "--"), ("multi_gpu", "+")))),
    ("speed=3", Adjust((("speed", "=3"),))),
    ("speed = 2.5, support-", Adjust((("speed", "=2.5"), ("resources", "-")))),
])
def test_answers_are_read(current: Snapshot, text: str, expected: object) -> None:
    assert parse_answer(current, text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("speed+++", "cannot read 'speed+++'"),
    ("sped", "unknown priority 'sped'; say one of: language fit, support"),
    ("speed, keras+", "either rank criteria"),
    ("speed, speed", "'speed' is ranked twice"),
    ("speed=fast", "weight of 'speed' must be a number, got 'fast'"),
    ("speed=-1", "must be a finite number >= 0"),
    ("speed=inf", "must be a finite number >= 0"),
    ("speed,,keras", "an empty place"),
    ("? warp", "unknown priority 'warp'"),
])
def test_bad_answers_say_what_is_wrong(current: Snapshot, text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message.replace("+", r"\+").replace("?", r"\?")):
        parse_answer(current, text)


def test_a_ranking_becomes_rank_order_centroid_weights() -> None:
    weights = {"a": 1.0, "b": 1.0, "c": 1.0}
    got = apply_answer(RankAnswer(("b", "c", "a")), weights)
    # Scaled by the number of places (3) so that they average 1 like the default weights.
    assert got == pytest.approx({"b": 3 * 0.611111, "c": 3 * 0.277778, "a": 3 * 0.111111},
                                abs=1e-5)


def test_criteria_left_out_of_a_ranking_share_the_places_below() -> None:
    weights = {"a": 1.0, "b": 2.0, "c": 1.0, "off": 0.0, "d": 1.0}
    got = apply_answer(RankAnswer(("c",)), weights)
    roc = rank_order_centroid(4)  # c, then a, b, d share places 2-4; "off" stays off
    assert got["c"] == pytest.approx(4 * roc[0])
    for name in ("a", "b", "d"):
        assert got[name] == pytest.approx(4 * sum(roc[1:]) / 3)
    assert got["off"] == 0.0
    assert list(got) == list(weights)


def test_adjustments_multiply_or_set() -> None:
    weights = {"a": 1.0, "b": 2.0, "c": 1.0}
    got = apply_answer(Adjust((("a", "++"), ("b", "-"), ("c", "=3"))), weights)
    assert got == {"a": 4.0, "b": 1.0, "c": 3.0}
    assert apply_answer(Adjust((("a", "+"), ("a", "+"))), weights)["a"] == 4.0
    with pytest.raises(ProfileError, match="switch every criterion off"):
        apply_answer(Adjust((("a", "0"), ("b", "0"), ("c", "=0"))), weights)


def test_what_backs_a_criterion(current: Snapshot) -> None:
    speed = criterion_evidence(current, "speed")
    scores = [s for s in current.scores if s.criterion == "speed"]
    assert speed.entries == len(scores) and not speed.fit
    assert speed.sources == len({s.source for s in scores})
    assert sum(n for _, n in speed.kinds) == len(scores)
    assert speed.kinds[0][0] == "benchmark results"  # MLPerf and the like
    assert speed.oldest == min(s.evidence_date for s in scores).isoformat()
    languages = criterion_evidence(current, "languages")
    assert languages.fit and languages.entries == sum(
        1 for s in current.support if s.axis.value == "language")
    adoption = criterion_evidence(current, "adoption")
    assert adoption.kinds[0][0] == "download and usage statistics"
