"""The ranking math: a hand computation, scikit-criteria agreement, and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selector.engine.matrix import DecisionMatrix
from selector.engine.methods import METHODS, RANKING_METHODS
from selector.engine.methods.scikit_criteria import oracle_scores
from selector.engine.profile import build_profile
from selector.engine.ranking import order, rank, topsis, wsm
from selector.engine.recommend import recommend
from selector.knowledge import parse_snapshot
from selector.vocab import Method
from tests.conftest import snapshot_data


def matrix(values: list[list[float]], weights: list[float],
           maximise: list[bool] | None = None) -> DecisionMatrix:
    arr = np.array(values, dtype=float)
    w = np.array(weights, dtype=float)
    return DecisionMatrix(
        alternatives=tuple(f"f{i}" for i in range(len(values))),
        criteria=tuple(f"c{j}" for j in range(arr.shape[1])),
        values=arr, maximise=np.array(maximise or [True] * arr.shape[1]),
        weights=w / w.sum(), scale=(0.0, 10.0))


def test_topsis_equals_hand_computation() -> None:
    # Columns normalised by sqrt(35) and sqrt(21), weighted by 0.5:
    #   a = (0.084515, 0.218218), b = (0.253546, 0.436436), c = (0.422577, 0.109109)
    #   ideal = (0.422577, 0.436436), anti-ideal = (0.084515, 0.109109)
    #   a: d+ = sqrt(0.338062^2 + 0.218218^2) = 0.402374, d- = 0.109109 -> 0.213320
    #   b: d+ = 0.169031, d- = sqrt(0.169031^2 + 0.327327^2) = 0.368394    -> 0.685480
    #   c: d+ = 0.327327, d- = 0.338062                                    -> 0.508066
    m = matrix([[1, 2], [3, 4], [5, 1]], [1, 1])
    hand = np.array([0.213320, 0.685480, 0.508066])
    assert np.allclose(topsis(m.values, m.weights, m.maximise), hand, atol=1e-6)
    assert np.allclose(oracle_scores(m, Method.TOPSIS), hand, atol=1e-6)
    assert order(hand, m) == (1, 2, 0)


def test_topsis_minimised_criterion_prefers_low_values() -> None:
    m = matrix([[1, 1], [1, 9]], [0, 1], maximise=[True, False])
    assert rank(m, Method.TOPSIS).order == (0, 1)


def test_wsm_is_the_sum_of_contributions() -> None:
    m = matrix([[2, 8], [6, 4], [10, 0]], [3, 1])
    result = rank(m, Method.WSM)
    assert np.allclose(result.scores, result.contributions.sum(axis=1))
    assert np.allclose(result.scores, wsm(m.scaled(), m.weights))


def test_single_framework_scores_one() -> None:
    assert rank(matrix([[3, 4]], [1, 1]), Method.TOPSIS).scores.tolist() == [1.0]


def test_identical_frameworks_tie_and_break_by_id() -> None:
    m = matrix([[5, 5], [5, 5], [5, 5]], [1, 1])
    result = rank(m, Method.TOPSIS)
    assert result.scores.tolist() == [0.5, 0.5, 0.5]
    assert result.order == (0, 1, 2)


scores_2d = st.integers(2, 6).flatmap(lambda n: st.integers(1, 5).flatmap(
    lambda m: st.tuples(
        st.lists(st.lists(st.integers(0, 10), min_size=m, max_size=m), min_size=n, max_size=n),
        st.lists(st.floats(0.05, 5.0), min_size=m, max_size=m))))


@settings(max_examples=60, deadline=None)
@given(scores_2d, st.sampled_from(list(Method)), st.data())
def test_vectorised_scores_equal_skcriteria(case: tuple[list[list[int]], list[float]],
                                            method: Method, data: st.DataObject) -> None:
    values, weights = case
    m = matrix(values, weights)
    ours = METHODS[method].scores(m.unit(), m.weights, m.maximise, m.span)
    assert np.allclose(ours, oracle_scores(m, method), atol=1e-9)
    if method is Method.TOPSIS:
        assert np.allclose(topsis(m.values, m.weights, m.maximise), ours, atol=1e-12)
    if method is Method.WSM:
        assert np.allclose(wsm(m.scaled(), m.weights), ours, atol=1e-12)


def _ranks(values: list[list[int]], weights: list[float], method: Method) -> dict[str, int]:
    snap = parse_snapshot(snapshot_data(values, weights=weights), "synthetic")
    rec = recommend(build_profile(method=method.value), snap)
    return {r.framework: r.rank for r in rec.ranking}


@settings(max_examples=40, deadline=None)
@given(scores_2d, st.sampled_from(RANKING_METHODS), st.randoms(use_true_random=False))
def test_permuting_frameworks_changes_no_rank(case: tuple[list[list[int]], list[float]],
                                              method: Method, rnd: object) -> None:
    values, weights = case
    before = _ranks(values, weights, method)
    perm = list(range(len(values)))
    rnd.shuffle(perm)  # type: ignore[attr-defined]
    snap = snapshot_data([values[i] for i in perm], weights=weights)
    # Keep each framework's identity with its row.
    for fw, i in zip(snap["frameworks"], perm, strict=True):
        fw["id"], fw["name"] = f"f{i}", f"F{i}"
    for k, sc in enumerate(snap["scores"]):
        sc["framework"] = f"f{perm[k // len(weights)]}"
    rec = recommend(build_profile(method=method.value), parse_snapshot(snap, "permuted"))
    assert {r.framework: r.rank for r in rec.ranking} == before


@settings(max_examples=60, deadline=None)
@given(scores_2d, st.sampled_from(RANKING_METHODS), st.data())
def test_dominating_framework_never_ranks_below(case: tuple[list[list[int]], list[float]],
                                                method: Method, data: st.DataObject) -> None:
    values, weights = case
    # Make row 0 dominate row 1: at least as good everywhere, strictly better somewhere.
    values[0] = [max(a, b) for a, b in zip(values[0], values[1], strict=True)]
    j = data.draw(st.integers(0, len(weights) - 1))
    values[1][j] = min(values[1][j], values[0][j] - 1) if values[0][j] > 0 else values[1][j]
    if values[0][j] == 0:
        values[0][j] = 1
    ranks = _ranks(values, weights, method)
    assert ranks["f0"] < ranks["f1"]


@settings(max_examples=40, deadline=None)
@given(scores_2d, st.sampled_from(RANKING_METHODS), st.floats(0.01, 1000.0))
def test_scaling_all_weights_changes_nothing(case: tuple[list[list[int]], list[float]],
                                             method: Method, factor: float) -> None:
    values, weights = case
    snap = parse_snapshot(snapshot_data(values, weights=weights), "synthetic")
    base = recommend(build_profile(method=method.value), snap)
    scaled = recommend(build_profile(method=method.value,
                                     weights={f"c{j}": w * factor for j, w in enumerate(weights)}),
                       snap)
    assert [r.framework for r in base.ranking] == [r.framework for r in scaled.ranking]
    assert [r.score for r in base.ranking] == pytest.approx([r.score for r in scaled.ranking],
                                                            abs=1e-6)
