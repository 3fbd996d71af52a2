"""The MCDA methods of ``selector.engine.methods``: each against published or hand-computed
values, against scikit-criteria, and the interface's promises (decompositions add up)."""

from __future__ import annotations

import numpy as np
import pytest

from selector.engine.matrix import DecisionMatrix
from selector.engine.methods import METHODS, RANKING_METHODS, NotDecomposable, reference_scores
from selector.engine.ranking import rank
from selector.models import RANKING_METHODS as PROFILE_METHODS
from selector.vocab import Method
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
    assert np.allclose(scores, reference_scores(m, Method.WPM), atol=1e-12)
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
        assert np.allclose(vikor.official(case), reference_scores(case, Method.VIKOR))


@pytest.mark.parametrize("method", list(Method))
def test_scores_equal_scikit_criteria_with_minimised_criteria(method: Method) -> None:
    m = random_matrix(9, a=7, c=5)
    impl = METHODS[method]
    ours = impl.scores(m.unit(), m.weights, m.maximise, m.span)
    assert np.allclose(ours, reference_scores(m, method), atol=1e-9)
    # One matrix per sample gives the same scores as the matrix itself.
    stacked = impl.scores(np.broadcast_to(m.unit(), (3, *m.values.shape)),
                          np.tile(m.weights, (3, 1)), m.maximise, m.span)
    assert np.allclose(stacked, ours, atol=1e-12)


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


def test_the_method_option_names_the_ranking_methods() -> None:
    # ``--help`` may not import the registry (numpy): its text is written out, and kept true here.
    import inspect

    from selector.cli.recommend import recommend_command

    option = inspect.signature(recommend_command).parameters["method"].default
    named = " or ".join(m.value for m in RANKING_METHODS).replace(
        RANKING_METHODS[0].value, f"{RANKING_METHODS[0].value} (default)", 1)
    assert option.help == f"Ranking method: {named}."
