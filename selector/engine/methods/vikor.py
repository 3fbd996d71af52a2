"""VIKOR (Opricovic and Tzeng 2004, "Compromise solution by MCDM methods", European Journal of
Operational Research 156(2)), with v = 0.5, computed here with numpy the way scikit-criteria's
``agg.vikor.VIKOR`` does (tested against it, ``scikit_criteria``); like every method's, this
numpy function is the score.

Each column is rescaled between its best and its worst value (so the scaled scores, all
maximised, give the same result as the raw ones); S is the weighted sum of the distances to the
best, R their largest term; Q = v S' + (1 - v) R' with S' and R' rescaled between their best
and worst. The score is -Q (Q is lower-better); the compromise set is not used. A column (or S,
or R) equal for every alternative divides 0 by 0 and counts as no distance.

Not decomposable: R is a maximum over the criteria and S' and R' are rescaled by the best and
worst alternatives, so no share of Q belongs to one criterion alone.
"""

from __future__ import annotations

import numpy as np

from selector.engine.matrix import FloatArray, best_is_one
from selector.engine.methods.interface import BoolArray, DecisionMethod
from selector.vocab import Method

#: Weight of the group utility S against the individual regret R.
V = 0.5


def _between(x: FloatArray, best: FloatArray, worst: FloatArray) -> FloatArray:
    """(x - worst) / (best - worst), 0 where best equals worst (scikit-criteria's nan_to_num)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio: FloatArray = np.nan_to_num((x - worst) / (best - worst))
    return ratio


def vikor(unit: FloatArray, weights: FloatArray, maximise: BoolArray) -> FloatArray:
    """-Q for one matrix (alternatives, criteria) with weights (criteria,) or (samples,
    criteria), or a stack (samples, alternatives, criteria) with (samples, criteria)."""
    scaled = best_is_one(unit, maximise)
    # Distance to the best value of the column: 0 at the best, 1 at the worst.
    distance = _between(scaled, scaled.min(axis=-2, keepdims=True),
                        scaled.max(axis=-2, keepdims=True))
    if unit.ndim == 2 and weights.ndim == 2:
        weighted = distance[None, :, :] * weights[:, None, :]
    elif unit.ndim == 3:
        weighted = distance * weights[:, None, :]
    else:
        weighted = distance * weights
    s, r = weighted.sum(axis=-1), weighted.max(axis=-1)
    s_scaled = _between(s, s.max(axis=-1, keepdims=True), s.min(axis=-1, keepdims=True))
    r_scaled = _between(r, r.max(axis=-1, keepdims=True), r.min(axis=-1, keepdims=True))
    q = s_scaled * V + r_scaled * (1 - V)
    score: FloatArray = 0.0 - q  # 0.0 - 0.0 is not -0.0
    return score


class Vikor(DecisionMethod):
    method = Method.VIKOR

    def scores(self, unit: FloatArray, weights: FloatArray, maximise: BoolArray,
               span: float) -> FloatArray:
        return vikor(unit, weights, maximise)
