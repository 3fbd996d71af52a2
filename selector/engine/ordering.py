"""scores -> order: the one tie-breaking rule every analysis uses.

Scores closer than ``TIE_TOLERANCE`` tie. Ties go to the higher weighted sum, then the higher
unweighted mean of scaled scores (so a dominating framework never ranks below the one it
dominates), then the framework id. ``order`` applies the rule to one score vector;
``sample_ranks`` to many at once (one row per weight sample); the two agree exactly (tested).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from selector.engine.matrix import DecisionMatrix, FloatArray

IntArray = npt.NDArray[np.int64]

#: Scores closer than this are a tie, broken by the rule above.
TIE_TOLERANCE = 1e-9


def tiebreak_keys(matrix: DecisionMatrix, weights_samples: FloatArray) -> tuple[FloatArray, ...]:
    """The keys ties are broken with, for each weight sample (higher first).

    Weighted sum under that sample, unweighted mean of scaled scores, then the alternative id in
    alphabetical order (as minus its position).
    """
    scaled = matrix.scaled()
    ids = np.argsort(np.argsort(np.array(matrix.alternatives))).astype(np.float64)
    weighted: FloatArray = weights_samples @ scaled.T
    return (np.round(weighted, 12), np.round(scaled.mean(axis=1), 12), -ids)


def ranks_from_scores(scores: FloatArray, tiebreaks: Sequence[FloatArray] = ()) -> IntArray:
    """Ranks 1..A (samples, alternatives): higher score first, no two alternatives share a rank.

    Scores closer than ``TIE_TOLERANCE`` tie; ties go to the higher value of each of
    ``tiebreaks`` in turn (each (A,) or (samples, A)), then to the lower alternative index. With
    ``tiebreak_keys`` this is the rule of the module docstring.
    """
    scores = np.atleast_2d(scores)
    shape = scores.shape
    index = np.broadcast_to(np.arange(shape[1]), shape)
    keys = [index, *(np.broadcast_to(-k, shape) for k in reversed(tiebreaks)),
            -np.round(scores / TIE_TOLERANCE)]
    best_first = np.lexsort(keys, axis=-1)
    ranks = np.empty(shape, dtype=np.int64)
    np.put_along_axis(ranks, best_first, np.broadcast_to(np.arange(1, shape[1] + 1), shape),
                      axis=-1)
    return ranks


def has_tie(scores: FloatArray) -> npt.NDArray[np.bool_]:
    """Per sample: do two alternatives tie (scores within ``TIE_TOLERANCE``)?"""
    bucket = np.sort(np.round(scores / TIE_TOLERANCE), axis=1)
    tied: npt.NDArray[np.bool_] = (np.diff(bucket, axis=1) == 0).any(axis=1)
    return tied


def sample_ranks(matrix: DecisionMatrix, scores: FloatArray,
                 weights_samples: FloatArray) -> IntArray:
    """Ranks (samples, alternatives) of ``scores`` (one row per row of ``weights_samples``),
    ties broken by the rule of the module docstring. The tie-break keys cost a weighted sum per
    sample; only samples with a tie compute them."""
    result = ranks_from_scores(scores)
    tied = has_tie(scores)
    if tied.any():
        result[tied] = ranks_from_scores(scores[tied], tiebreak_keys(matrix, weights_samples[tied]))
    return result


def order(scores: FloatArray, matrix: DecisionMatrix) -> tuple[int, ...]:
    """Row indices, best first, of one score vector under ``matrix.weights`` (scikit-criteria's
    ``untied_rank_`` is not a rank but argsort positions, so it is not used)."""
    scaled = matrix.scaled()
    weighted = matrix.weights @ scaled.T
    mean = scaled.mean(axis=1)
    bucket = np.round(scores / TIE_TOLERANCE) * TIE_TOLERANCE
    keys = sorted(range(len(scores)),
                  key=lambda i: (-float(bucket[i]), -round(float(weighted[i]), 12),
                                 -round(float(mean[i]), 12), matrix.alternatives[i]))
    return tuple(keys)
