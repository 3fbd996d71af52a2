"""The MCDA methods, one module each, registered in one place.

Ranking, SMAA, the critical weight change, method agreement and the CLI's ``--method`` choices
all read ``METHODS``. To add a method: a module here with a ``DecisionMethod`` subclass, its
``Method`` member in ``selector.vocab``, one entry below, and its test against published values.
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

__all__ = ["METHODS", "RANKING_METHODS", "DecisionMethod", "NotDecomposable", "official_scores",
           "reference_scores", "scores"]

#: Every method, in the order the robustness analysis reports them.
METHODS: dict[Method, DecisionMethod] = {
    m.method: m for m in (Topsis(), WeightedSum(), WeightedProduct(), Vikor())
}
#: The methods a profile may rank with (``--method``), the default first.
RANKING_METHODS: tuple[Method, ...] = tuple(m for m, impl in METHODS.items() if impl.ranks)


def official_scores(matrix: DecisionMatrix, method: Method) -> FloatArray:
    """The scores a ranking by ``method`` reports (a single alternative scores 1)."""
    if len(matrix.alternatives) == 1:
        return np.ones(1)
    return METHODS[method].official(matrix)


def reference_scores(matrix: DecisionMatrix, method: Method) -> FloatArray:
    """The same scores computed by scikit-criteria, for the tests."""
    if len(matrix.alternatives) == 1:
        return np.ones(1)
    return METHODS[method].reference(matrix)


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
