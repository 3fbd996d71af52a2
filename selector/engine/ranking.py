"""decision matrix -> ranking.

The official scores come from scikit-criteria (TOPSIS, weighted sum; ``selector.engine.methods``
holds one module per method). The same methods are also written there as pure numpy functions
over many weight vectors at once: the robustness analysis samples weights by the hundred
thousand, and a test checks both agree. Ties are broken by ``selector.engine.ordering``.
"""

from __future__ import annotations

from dataclasses import dataclass

from selector.engine.matrix import DecisionMatrix, FloatArray
from selector.engine.methods import METHODS, NotDecomposable, official_scores, reference_scores
from selector.engine.methods.topsis import topsis, topsis_decomposition, topsis_lead
from selector.engine.methods.wsm import wsm
from selector.engine.ordering import TIE_TOLERANCE, order
from selector.vocab import Method

__all__ = ["TIE_TOLERANCE", "Ranking", "order", "rank", "skcriteria_scores", "topsis",
           "topsis_decomposition", "topsis_lead", "wsm"]


def skcriteria_scores(matrix: DecisionMatrix, method: Method) -> FloatArray:
    """Score alternatives with scikit-criteria (imported lazily: it costs about 1.5 s)."""
    return reference_scores(matrix, method)


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
    scores = official_scores(matrix, method)
    contributions = matrix.weights * matrix.scaled()
    try:
        decomposition: FloatArray | None = METHODS[method].decomposition(matrix)
    except NotDecomposable:
        decomposition = None
    return Ranking(order=order(scores, matrix), scores=scores, contributions=contributions,
                   decomposition=decomposition)
