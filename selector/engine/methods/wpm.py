"""The weighted product (Bridgman 1922; Miller and Starr 1969), as scikit-criteria computes it:
the score is sum_j w_j log10(x_j), the logarithm of prod_j x_j^w_j, so it ranks as the product
does. It needs values > 0 and maximised criteria, so it is given the scaled scores mapped back
onto the snapshot's scale shifted to start at 1, ``x = 1 + span x scaled``; on a 1-to-5 scale
those are the raw scores with minimised criteria turned round. Being linear in the weights, its
decomposition is exact: w_j log10(x_j) per criterion (log-additive)."""

from __future__ import annotations

import numpy as np

from selector.engine.matrix import FloatArray, best_is_one
from selector.engine.methods.interface import BoolArray, DecisionMethod
from selector.vocab import Method


def positive(unit: FloatArray, maximise: BoolArray, span: float) -> FloatArray:
    """The values the product is taken over: 1 + span x scaled (1 worst, 1 + span best)."""
    values: FloatArray = 1.0 + span * best_is_one(unit, maximise)
    return values


class WeightedProduct(DecisionMethod):
    method = Method.WPM

    def terms(self, unit: FloatArray, maximise: BoolArray, span: float) -> FloatArray:
        logs: FloatArray = np.log10(positive(unit, maximise, span))
        return logs

    def scores(self, unit: FloatArray, weights: FloatArray, maximise: BoolArray,
               span: float) -> FloatArray:
        logs = self.terms(unit, maximise, span)
        if unit.ndim == 3:
            stacked: FloatArray = np.einsum("kac,kc->ka", logs, weights)
            return stacked
        result: FloatArray = weights @ logs.T
        return result
