"""The weighted sum (Fishburn 1967): scores mapped onto [0, 1] with 1 best, summed with the
weights. Its decomposition is exact: weight x scaled score per criterion."""

from __future__ import annotations

import numpy as np

from selector.engine.matrix import FloatArray, best_is_one
from selector.engine.methods.interface import BoolArray, DecisionMethod
from selector.vocab import Method


def wsm(scaled: FloatArray, weights: FloatArray) -> FloatArray:
    """Weighted sum of scores already on [0, 1] with 1 best; one or many weight vectors."""
    result: FloatArray = weights @ scaled.T
    return result


class WeightedSum(DecisionMethod):
    method = Method.WSM
    ranks = True

    def terms(self, unit: FloatArray, maximise: BoolArray, span: float) -> FloatArray:
        return best_is_one(unit, maximise)

    def scores(self, unit: FloatArray, weights: FloatArray, maximise: BoolArray,
               span: float) -> FloatArray:
        scaled = best_is_one(unit, maximise)
        if unit.ndim == 3:
            result: FloatArray = np.einsum("kac,kc->ka", scaled, weights)
            return result
        return wsm(scaled, weights)
