"""decision matrix -> ranking.

The scores are those of the method's numpy function (``selector.engine.methods`` holds one
module per method): the same function the robustness analysis runs over many weight vectors at
once, so the ranking and its robustness can never disagree, and scikit-criteria, the library
the tests check every function against, is not imported. Ties are broken by
``selector.engine.ordering``.
"""

from __future__ import annotations

from dataclasses import dataclass

from selector.engine.matrix import DecisionMatrix, FloatArray
from selector.engine.methods import METHODS, NotDecomposable, scores_of
from selector.engine.methods.topsis import topsis, topsis_decomposition, topsis_lead
from selector.engine.methods.wsm import wsm
from selector.engine.ordering import TIE_TOLERANCE, order
from selector.vocab import Method

__all__ = ["TIE_TOLERANCE", "Ranking", "order", "rank", "topsis", "topsis_decomposition",
           "topsis_lead", "wsm"]


@dataclass(frozen=True)
class Ranking:
    order: tuple[int, ...]  # row indices, best first
    scores: FloatArray
    contributions: FloatArray  # (alternatives, criteria): weight x scaled score
    #: (alternatives, criteria): each criterion's share of the score under the method used;
    #: a row adds up to the score. None for a method whose score does not split (VIKOR).
    decomposition: FloatArray | None

    def lead(self, matrix: DecisionMatrix, method: Method, winner: int,
             other: int) -> FloatArray:
        """Each criterion's part of ``winner``'s lead over ``other`` under ``method``."""
        return METHODS[method].lead(matrix, winner, other)


def rank(matrix: DecisionMatrix, method: Method) -> Ranking:
    scores = scores_of(matrix, method)
    contributions = matrix.weights * matrix.scaled()
    try:
        decomposition: FloatArray | None = METHODS[method].decomposition(matrix)
    except NotDecomposable:
        decomposition = None
    return Ranking(order=order(scores, matrix), scores=scores, contributions=contributions,
                   decomposition=decomposition)
