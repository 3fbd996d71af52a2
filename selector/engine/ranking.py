"""decision matrix -> ranking.

The official scores come from scikit-criteria (TOPSIS, weighted sum). The same methods are
also written here as pure numpy functions over many weight vectors at once: the robustness
analysis samples weights by the hundred thousand, and a test checks both agree.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from selector.engine.matrix import DecisionMatrix, FloatArray
from selector.vocab import Method

#: Scores closer than this are a tie, broken by the rule in ``order``.
TIE_TOLERANCE = 1e-9


def topsis(values: FloatArray, weights: FloatArray, maximise: np.ndarray) -> FloatArray:
    """TOPSIS relative closeness (Hwang and Yoon 1981) with vector normalisation.

    ``weights`` (>= 0) is one vector (criteria,) or many (samples, criteria); the result is
    (alternatives,) or (samples, alternatives). With w >= 0 the ideal of the weighted matrix is
    w times the ideal of the normalised one, so d+^2 = (w^2) . (u - u*)^2 and d-^2 likewise:
    two matrix products, with no (samples, alternatives, criteria) temporaries, which is what
    lets the robustness analysis score 100,000 weight vectors in a fraction of a second.
    """
    norms = np.linalg.norm(values, axis=0)
    unit = np.divide(values, norms, out=np.zeros_like(values), where=norms > 0)
    best = np.where(maximise, unit.max(axis=0), unit.min(axis=0))
    worst = np.where(maximise, unit.min(axis=0), unit.max(axis=0))
    squared = weights**2
    d_best = np.sqrt(np.maximum(squared @ ((unit - best) ** 2).T, 0.0))
    d_worst = np.sqrt(np.maximum(squared @ ((unit - worst) ** 2).T, 0.0))
    total = d_best + d_worst
    # Every alternative equal on every weighted criterion: no one is closer to the ideal.
    closeness: FloatArray = np.divide(d_worst, total, out=np.full_like(total, 0.5),
                                      where=total > 0)
    return closeness


def wsm(scaled: FloatArray, weights: FloatArray) -> FloatArray:
    """Weighted sum of scores already on [0, 1] with 1 best; one or many weight vectors."""
    result: FloatArray = weights @ scaled.T
    return result


def skcriteria_scores(matrix: DecisionMatrix, method: Method) -> FloatArray:
    """Score alternatives with scikit-criteria (imported here: it costs about 1.5 s)."""
    n = len(matrix.alternatives)
    if n == 1:
        return np.ones(1)
    import skcriteria
    from skcriteria.agg.simple import WeightedSumModel
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.preprocessing.scalers import VectorScaler

    if method is Method.WSM:
        # WeightedSumModel refuses minimised criteria: hand it scores already turned so that
        # 1 is best on every criterion.
        dm = skcriteria.mkdm(matrix.scaled(), objectives=[max] * len(matrix.criteria),
                             weights=matrix.weights, alternatives=list(matrix.alternatives),
                             criteria=list(matrix.criteria))
        return np.asarray(WeightedSumModel().evaluate(dm).e_.score, dtype=np.float64)
    # Constant or zero-weight criteria add the same distance to everyone; dropping them leaves
    # TOPSIS unchanged and avoids 0/0 in scikit-criteria when nothing else differs.
    spread = matrix.values.max(axis=0) > matrix.values.min(axis=0)
    keep = spread & (matrix.weights > 0)
    if not keep.any():
        return np.full(n, 0.5)
    dm = skcriteria.mkdm(matrix.values[:, keep],
                         objectives=[max if m else min for m in matrix.maximise[keep]],
                         weights=matrix.weights[keep], alternatives=list(matrix.alternatives),
                         criteria=[c for c, k in zip(matrix.criteria, keep, strict=True) if k])
    scaled = VectorScaler(target="matrix").transform(dm)
    with warnings.catch_warnings():
        # scikit-criteria advises against minimised criteria in TOPSIS, but handles them the
        # textbook way (the ideal takes the column minimum), which is what we want.
        warnings.filterwarnings("ignore", message="Although TOPSIS can operate with minim")
        result = TOPSIS().evaluate(scaled)
    return np.asarray(result.e_.similarity, dtype=np.float64)


@dataclass(frozen=True)
class Ranking:
    order: tuple[int, ...]  # row indices, best first
    scores: FloatArray
    contributions: FloatArray  # (alternatives, criteria): weight x scaled score


def order(scores: FloatArray, matrix: DecisionMatrix) -> tuple[int, ...]:
    """Best first, ties broken deterministically (scikit-criteria's ``untied_rank_`` is not
    a rank but argsort positions, so it is not used).

    Scores within TIE_TOLERANCE tie; ties go to the higher weighted sum, then the higher
    unweighted mean of scaled scores (so a dominating framework never ranks below the one it
    dominates), then the framework id.
    """
    scaled = matrix.scaled()
    weighted = wsm(scaled, matrix.weights)
    mean = scaled.mean(axis=1)
    bucket = np.round(scores / TIE_TOLERANCE) * TIE_TOLERANCE
    keys = sorted(range(len(scores)),
                  key=lambda i: (-float(bucket[i]), -round(float(weighted[i]), 12),
                                 -round(float(mean[i]), 12), matrix.alternatives[i]))
    return tuple(keys)


def rank(matrix: DecisionMatrix, method: Method) -> Ranking:
    scores = skcriteria_scores(matrix, method)
    return Ranking(order=order(scores, matrix), scores=scores,
                   contributions=matrix.weights * matrix.scaled())
