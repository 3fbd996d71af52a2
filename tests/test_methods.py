"""The MCDA methods of ``selector.engine.methods``: each numpy kernel against published or
hand-computed values and against scikit-criteria, the oracle, on random matrices; the
interface's promises (decompositions add up); scikit-criteria's extra methods and the
cross-check."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from selector.engine.matrix import DecisionMatrix
from selector.engine.methods import METHODS, RANKING_METHODS, NotDecomposable, scores_of
from selector.engine.methods.scikit_criteria import (
    ExtraMethod,
    cross_check,
    extra_scores,
    oracle_scores,
)
from selector.engine.methods.topsis import topsis
from selector.engine.profile import build_profile
from selector.engine.ranking import order, rank
from selector.engine.recommend import decide, with_extra_methods
from selector.engine.robustness import method_agreement
from selector.engine.verdict import verdict
from selector.errors import RankingError
from selector.knowledge import parse_snapshot
from selector.models import RANKING_METHODS as PROFILE_METHODS
from selector.vocab import Method, Verdict
from tests.conftest import snapshot_data
from tests.test_robustness import matrix, random_matrix


def test_every_method_is_registered_once() -> None:
    assert list(METHODS) == list(Method)
    assert all(impl.method is m for m, impl in METHODS.items())
    # The profile model (below the engine) lists the ranking methods itself.
    assert RANKING_METHODS == PROFILE_METHODS == (Method.TOPSIS, Method.WSM)


def test_weighted_product_published_example() -> None:
    # Triantaphyllou (2000), "Multi-Criteria Decision Making Methods: A Comparative Study",
    # the weighted product example: A1 = (25, 20, 15, 30), A2 = (10, 30, 20, 30),
    # A3 = (30, 10, 30, 10), weights (0.20, 0.15, 0.40, 0.25), all benefit criteria;
    # P(A1/A2) = 1.007, P(A1/A3) = 1.067, P(A2/A3) = 1.059, so A1 > A2 > A3.
    # On the scale (1, 31) the method's values 1 + span x scaled are the raw values.
    m = DecisionMatrix(alternatives=("a1", "a2", "a3"), criteria=("c1", "c2", "c3", "c4"),
                       values=np.array([[25, 20, 15, 30], [10, 30, 20, 30], [30, 10, 30, 10]],
                                       dtype=float),
                       maximise=np.array([True] * 4), weights=np.array([0.20, 0.15, 0.40, 0.25]),
                       scale=(1.0, 31.0))
    scores = METHODS[Method.WPM].scores(m.unit(), m.weights, m.maximise, m.span)
    ratio = lambda a, b: 10 ** (scores[a] - scores[b])  # noqa: E731 - log10 scores
    assert round(ratio(0, 1), 3) == 1.007
    assert round(ratio(0, 2), 3) == 1.067
    assert round(ratio(1, 2), 3) == 1.059
    assert np.allclose(scores, oracle_scores(m, Method.WPM), atol=1e-12)
    assert rank(m, Method.WPM).order == (0, 1, 2)


def test_vikor_by_hand() -> None:
    # Scale 0..10, equal weights 1/3, all maximised: f0 = (10, 0, 5), f1 = (5, 10, 0),
    # f2 = (0, 5, 10). Distances to each column's best, times 1/3:
    #   f0 = (0, 1/3, 1/6), f1 = (1/6, 0, 1/3), f2 = (1/3, 1/6, 0): S = 1/2 for all, R = 1/3
    #   for all, so S and R divide 0 by 0 and Q = 0 everywhere: a three-way tie.
    tie = matrix([[10, 0, 5], [5, 10, 0], [0, 5, 10]], [1, 1, 1])
    assert np.allclose(METHODS[Method.VIKOR].scores(tie.unit(), tie.weights, tie.maximise,
                                                    tie.span), 0.0)
    # f0 = (10, 0), f1 = (6, 6), f2 = (0, 8), weights (0.5, 0.5), scale 0..10:
    #   distances x 0.5: f0 = (0, 0.5), f1 = (0.2, 0.125), f2 = (0.5, 0)
    #   S = 0.5, 0.325, 0.5; R = 0.5, 0.2, 0.5
    #   S' = (S - 0.325) / 0.175 = 1, 0, 1; R' = (R - 0.2) / 0.3 = 1, 0, 1
    #   Q = 1, 0, 1: f1 wins.
    m = matrix([[10, 0], [6, 6], [0, 8]], [1, 1])
    vikor = METHODS[Method.VIKOR]
    assert np.allclose(vikor.scores(m.unit(), m.weights, m.maximise, m.span), [-1, 0, -1])
    # f0 = (10, 0), f1 = (6, 6), f2 = (0, 10), f3 = (8, 4): distances x 0.5 are (0, 0.5),
    #   (0.2, 0.2), (0.5, 0), (0.1, 0.3); S = 0.5, 0.4, 0.5, 0.4; R = 0.5, 0.2, 0.5, 0.3;
    #   S' = 1, 0, 1, 0; R' = (R - 0.2) / 0.3 = 1, 0, 1, 1/3; Q = 1, 0, 1, 1/6.
    m2 = matrix([[10, 0], [6, 6], [0, 10], [8, 4]], [1, 1])
    assert np.allclose(vikor.scores(m2.unit(), m2.weights, m2.maximise, m2.span),
                       [-1, 0, -1, -1 / 6])
    for case in (tie, m, m2):
        assert np.allclose(scores_of(case, Method.VIKOR), oracle_scores(case, Method.VIKOR))


def test_topsis_published_example() -> None:
    # Tzeng and Huang (2011), "Multiple Attribute Decision Making: Methods and Applications"
    # (CRC Press), the TOPSIS example, as scikit-criteria's own test quotes it
    # (tests/agg/test_topsis.py, test_TOPSIS_tzeng2011multiple): four alternatives, three
    # benefit criteria, weights (0.3, 0.4, 0.3), vector normalisation; relative closeness
    # (0.5037, 0.6581, 0.7482, 0.3340), so A2 > A1 > A0 > A3.
    values = np.array([[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]], dtype=float)
    weights = np.array([0.3, 0.4, 0.3])
    published = [0.5037, 0.6581, 0.7482, 0.3340]
    assert np.allclose(topsis(values, weights, np.array([True] * 3)), published, atol=1e-4)
    # Through the decision matrix: on a scale from 0, the unit matrix is the values divided by
    # the top of the scale, which vector normalisation undoes.
    m = DecisionMatrix(alternatives=("a0", "a1", "a2", "a3"), criteria=("c1", "c2", "c3"),
                       values=values, maximise=np.array([True] * 3), weights=weights,
                       scale=(0.0, 10.0))
    assert np.allclose(scores_of(m, Method.TOPSIS), published, atol=1e-4)
    assert np.allclose(oracle_scores(m, Method.TOPSIS), published, atol=1e-4)
    assert rank(m, Method.TOPSIS).order == (2, 1, 0, 3)


#: Random decision problems: 2 to 7 alternatives, 1 to 6 criteria, scores anywhere on a 1-to-5
#: scale (ties and constant columns included), each criterion maximised or minimised, weights
#: of which some may be 0 (at least one is not).
@st.composite
def problems(draw: st.DrawFn) -> DecisionMatrix:
    a, c = draw(st.integers(2, 7)), draw(st.integers(1, 6))
    grid = draw(st.booleans())  # half the matrices on the grid of whole scores: many ties
    values = draw(arrays(np.float64, (a, c), elements=(
        st.integers(1, 5).map(float) if grid else
        st.floats(1.0, 5.0, allow_nan=False, allow_infinity=False))))
    raw = draw(arrays(np.float64, c, elements=st.one_of(st.just(0.0), st.floats(0.05, 5.0))))
    raw[draw(st.integers(0, c - 1))] += 1.0
    return DecisionMatrix(alternatives=tuple(f"f{i}" for i in range(a)),
                          criteria=tuple(f"c{j}" for j in range(c)), values=values,
                          maximise=np.array(draw(st.lists(st.booleans(), min_size=c,
                                                          max_size=c))),
                          weights=raw / raw.sum(), scale=(1.0, 5.0))


@settings(max_examples=150, deadline=None)
@given(problems(), st.sampled_from(list(Method)))
def test_every_kernel_equals_scikit_criteria(m: DecisionMatrix, method: Method) -> None:
    ours = scores_of(m, method)
    assert np.allclose(ours, oracle_scores(m, method), rtol=0, atol=1e-9)
    # One matrix per sample, and many weight vectors at once, give the same scores.
    impl = METHODS[method]
    stacked = impl.scores(np.broadcast_to(m.unit(), (3, *m.values.shape)),
                          np.tile(m.weights, (3, 1)), m.maximise, m.span)
    batched = impl.scores(m.unit(), np.tile(m.weights, (2, 1)), m.maximise, m.span)
    assert np.allclose(stacked, ours, rtol=0, atol=1e-12)
    assert np.allclose(batched, ours, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", list(Method))
def test_scores_equal_scikit_criteria_on_seeded_matrices(method: Method) -> None:
    # The same comparison on the larger matrices the robustness tests use, with minimised
    # criteria, where hypothesis draws small ones.
    for seed in range(8):
        m = random_matrix(seed, a=9, c=7)
        assert np.allclose(scores_of(m, method), oracle_scores(m, method), rtol=0, atol=1e-9)


@pytest.mark.parametrize("method", list(Method))
def test_decomposition_adds_up_or_says_it_cannot(method: Method) -> None:
    m = random_matrix(4, a=6, c=5)
    impl = METHODS[method]
    scores = impl.scores(m.unit(), m.weights, m.maximise, m.span)
    try:
        parts = impl.decomposition(m)
    except NotDecomposable:
        assert method is Method.VIKOR
        assert rank(m, method).decomposition is None
        return
    assert np.allclose(parts.sum(axis=1), scores, atol=1e-9)
    lead = impl.lead(m, 0, 1)
    assert np.isclose(lead.sum(), scores[0] - scores[1], atol=1e-9)
    assert method in RANKING_METHODS or method is Method.WPM


def test_ranking_methods_explain_their_ranking() -> None:
    # The report needs a decomposition of the ranking method's score.
    m = random_matrix(2, a=4, c=3)
    for method in RANKING_METHODS:
        assert rank(m, method).decomposition is not None


def test_the_method_option_names_the_methods() -> None:
    # ``--help`` may not import the registry (numpy) or scikit-criteria: its text is written
    # out, and kept true here.
    import inspect

    from selector.cli.recommend import recommend_command

    option = inspect.signature(recommend_command).parameters["method"].default
    named = " or ".join(m.value for m in RANKING_METHODS).replace(
        RANKING_METHODS[0].value, f"{RANKING_METHODS[0].value} (default)", 1)
    assert option.help.startswith(f"Ranking method: {named}. ")
    assert f"scikit-criteria's {' or '.join(m.value for m in ExtraMethod)}," in option.help


# --------------------------------------------------------------------------- scikit-criteria's


def test_moora_by_hand() -> None:
    # Scale 1..5, so the values MOORA is given (1 + span x scaled) are the scores, minimised
    # criteria turned round: c1 = (5, 3, 1) maximised, c2 = (5, 3, 1) minimised -> (1, 3, 5).
    # Both columns have the norm sqrt(35); weights (0.75, 0.25):
    #   f0 = (0.75 x 5 + 0.25 x 1) / sqrt(35) = 4 / sqrt(35), f1 = 3 / sqrt(35),
    #   f2 = (0.75 + 1.25) / sqrt(35) = 2 / sqrt(35).
    m = matrix([[5, 5], [3, 3], [1, 1]], [3, 1], maximise=[True, False], scale=(1.0, 5.0))
    assert np.allclose(extra_scores(m, ExtraMethod.MOORA), np.array([4, 3, 2]) / np.sqrt(35))
    # A criterion without weight is left out, and changes nothing.
    zero = matrix([[5, 5, 1], [3, 3, 5], [1, 1, 2]], [3, 1, 0], maximise=[True, False, True],
                  scale=(1.0, 5.0))
    assert np.allclose(extra_scores(zero, ExtraMethod.MOORA), extra_scores(m, ExtraMethod.MOORA))


@pytest.mark.parametrize("method", list(ExtraMethod))
def test_extra_methods_rank_a_dominating_alternative_first(method: ExtraMethod) -> None:
    m = matrix([[5, 4, 1, 2], [3, 4, 2, 2], [1, 2, 5, 2]], [1, 2, 1, 0.5],
               maximise=[True, True, False, True], scale=(1.0, 5.0))
    scores = extra_scores(m, method)
    assert scores.shape == (3,) and np.isfinite(scores).all()
    assert order(scores, m)[0] == 0
    assert extra_scores(matrix([[1, 2]], [1, 1]), method).tolist() == [1.0]


def test_extra_methods_join_the_method_comparison() -> None:
    m = random_matrix(5, a=6, c=5)
    others = {str(e): extra_scores(m, e) for e in ExtraMethod}
    result = method_agreement(m, others=others)
    assert result.methods == (*(str(x) for x in Method), *(str(e) for e in ExtraMethod))
    assert result.orders[:len(Method)] == method_agreement(m).orders
    assert result.orders[-1] == order(others["multimoora"], m)
    assert result.tau.shape == (len(result.methods),) * 2


def test_cross_check_agrees_and_catches_a_broken_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    m = random_matrix(11, a=7, c=6)
    checks = cross_check(m)
    assert [c.method for c in checks] == list(Method)
    assert all(c.agrees for c in checks) and max(c.difference for c in checks) < 1e-12
    # A TOPSIS kernel that forgets the minimised criteria: the oracle no longer agrees.
    topsis_impl = METHODS[Method.TOPSIS]
    broken = dataclasses.replace(m, maximise=np.ones_like(m.maximise))
    monkeypatch.setattr(type(topsis_impl), "scores",
                        lambda self, unit, w, maximise, span: topsis(unit, w, broken.maximise))
    (check,) = cross_check(m, [Method.TOPSIS])
    assert not check.agrees and check.difference > 1e-3


def test_extra_methods_count_in_the_verdict() -> None:
    # TOPSIS, WSM, WPM and VIKOR pick f1; MOORA picks f2 (found by a seeded search).
    snapshot = parse_snapshot(snapshot_data([[2, 1, 9], [3, 9, 5], [6, 10, 1]]), "synthetic")
    decision = decide(build_profile(), snapshot)
    before = decision.recommendation
    assert before.robustness is not None and not before.robustness.methods.winners_differ
    after = with_extra_methods(decision, [ExtraMethod.MOORA]).recommendation
    # The ranking and its explanation stay the ranking method's.
    assert after.ranking == before.ranking and after.margin == before.margin
    assert after.robustness is not None and after.verdict is not None
    methods = after.robustness.methods
    assert list(methods.orders) == [*(str(m) for m in Method), "moora"]
    assert methods.winners["moora"] == "f2" != methods.winners["topsis"] == "f1"
    assert methods.winners_differ
    assert after.verdict == verdict(after.ranking, after.robustness,
                                    {c.id: c.name for c in snapshot.criteria})
    assert after.verdict.kind is Verdict.TOO_CLOSE and "f2" in after.verdict.frameworks
    skipped = decide(build_profile().model_copy(update={"samples": 0}), snapshot)
    with pytest.raises(RankingError, match="method comparison of the robustness analysis"):
        with_extra_methods(skipped, [ExtraMethod.MOORA])
