"""The MCDA methods, one module each, registered in one place.

Ranking, SMAA, the critical weight change, method agreement and the CLI's ``--method`` choices
all read ``METHODS``. Each method's numpy function is its score everywhere: the ranking, the
robustness analysis and the interactive report compute the same numbers, and scikit-criteria
is never imported for them (``scikit_criteria`` holds the same methods computed by it, the
oracle the tests hold every kernel to). To add a method: a module here with a
``DecisionMethod`` subclass, its ``Method`` member in ``selector.vocab``, one entry below, and
its tests against published values and against scikit-criteria.
"""

from __future__ import annotations

import numpy as np

from selector.engine.matrix import DecisionMatrix, FloatArray
from selector.engine.methods.interface import DecisionMethod, NotDecomposable
from selector.engine.methods.topsis import Topsis
from selector.engine.methods.vikor import Vikor
from selector.engine.methods.wpm import WeightedProduct
from selector.engine.methods.wsm import WeightedSum
from selector.vocab import Method

__all__ = ["METHODS", "RANKING_METHODS", "DecisionMethod", "NotDecomposable", "scores",
           "scores_of"]

#: Every method, in the order the robustness analysis reports them.
METHODS: dict[Method, DecisionMethod] = {
    m.method: m for m in (Topsis(), WeightedSum(), WeightedProduct(), Vikor())
}
#: The methods a profile may rank with (``--method``), the default first.
RANKING_METHODS: tuple[Method, ...] = tuple(m for m, impl in METHODS.items() if impl.ranks)


def scores_of(matrix: DecisionMatrix, method: Method) -> FloatArray:
    """The scores (alternatives,) a ranking by ``method`` reports, under the matrix's own
    weights (a single alternative scores 1)."""
    if len(matrix.alternatives) == 1:
        return np.ones(1)
    return METHODS[method].scores(matrix.unit(), matrix.weights, matrix.maximise, matrix.span)


def scores(matrix: DecisionMatrix, method: Method, weights: FloatArray,
           values: FloatArray | None = None) -> FloatArray:
    """Scores (samples, alternatives) under each row of ``weights`` (samples, criteria), with
    ``matrix``'s values or, given ``values`` (samples, alternatives, criteria) on the
    snapshot's scale, one matrix per sample."""
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if len(matrix.alternatives) == 1:
        return np.ones((len(weights), 1))
    if values is None:
        unit = matrix.unit()
    else:
        low, _ = matrix.scale
        unit = (values - low) / matrix.span
    return METHODS[method].scores(unit, weights, matrix.maximise, matrix.span)
