"""SMAA-2 rank acceptability (Lahdelma and Salminen 2001, "SMAA-2: Stochastic multicriteria
acceptability analysis for group decision making", Operations Research 49(3)): sample weight
vectors, rank the alternatives under each, and count how often each alternative takes each rank.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from selector.engine import methods as registry
from selector.engine.matrix import DecisionMatrix, FloatArray
from selector.engine.ordering import IntArray, sample_ranks
from selector.engine.ranking import rank
from selector.vocab import Method

#: Weight vectors scored at once: keeps every temporary array of a chunk to a few MB.
CHUNK = 8192

#: ``weights_around`` uses a concentration of this many times the number of criteria unless told
#: otherwise. A Dirichlet(k * w) weight has mean w_j and standard deviation
#: sqrt(w_j (1 - w_j) / (k + 1)); with equal weights and k = 50 C that is about w_j / sqrt(50),
#: i.e. each weight wanders by roughly 14 % of itself.
CONCENTRATION_PER_CRITERION = 50.0

#: A zero weight is sampled as if it were this weight (a Dirichlet parameter must be positive):
#: the criterion then gets a small weight, of this order, in the samples.
WEIGHT_FLOOR = 1e-3


# --------------------------------------------------------------------------- weight sampling


def uniform_weights(rng: np.random.Generator, n: int, c: int) -> FloatArray:
    """``n`` weight vectors uniformly distributed over the simplex of ``c`` criteria.

    This is Dirichlet(1, ..., 1), the "no preference information" case of SMAA-2.
    """
    samples: FloatArray = rng.dirichlet(np.ones(c), size=n)
    return samples


def weights_around(rng: np.random.Generator, w: FloatArray, n: int,
                   concentration: float | None = None) -> FloatArray:
    """``n`` weight vectors from a Dirichlet distribution centred on the weights ``w``.

    The parameters are ``concentration * max(w, WEIGHT_FLOOR)`` (the floored weights renormalised),
    so the mean is ``w`` up to the floor and a higher concentration stays closer to it.
    ``concentration`` defaults to ``CONCENTRATION_PER_CRITERION * len(w)`` (see there).
    """
    kappa = default_concentration(len(w)) if concentration is None else concentration
    if kappa <= 0:
        raise ValueError(f"concentration must be > 0, got {kappa}")
    floored = np.maximum(np.asarray(w, dtype=np.float64), WEIGHT_FLOOR)
    samples: FloatArray = rng.dirichlet(kappa * floored / floored.sum(), size=n)
    return samples


def default_concentration(c: int) -> float:
    return CONCENTRATION_PER_CRITERION * c


# --------------------------------------------------------------------------- scores and ranks


def _chunks(n: int) -> Iterator[slice]:
    for start in range(0, n, CHUNK):
        yield slice(start, min(start + CHUNK, n))


def scores_for(matrix: DecisionMatrix, method: Method, weights_samples: FloatArray) -> FloatArray:
    """Scores (samples, alternatives) of ``matrix`` under each row of ``weights_samples``.

    The same numbers as ``methods.scores_of`` with each weight vector (tested), computed in
    chunks of ``CHUNK`` rows. Weights must be >= 0 (they need not add up to 1 for TOPSIS).
    """
    samples = np.atleast_2d(np.asarray(weights_samples, dtype=np.float64))
    out = np.empty((len(samples), len(matrix.alternatives)))
    for part in _chunks(len(samples)):
        out[part] = registry.scores(matrix, method, samples[part])
    return out


def _rank_counts(ranks: IntArray) -> IntArray:
    n = ranks.shape[1]
    cells = (np.arange(n) * n + (ranks - 1)).ravel()
    counts: IntArray = np.bincount(cells, minlength=n * n).reshape(n, n)
    return counts


def acceptability(ranks: IntArray) -> FloatArray:
    """SMAA-2 rank acceptability indices: ``b[a, r]`` is the share of samples in which
    alternative ``a`` has rank ``r + 1`` (Lahdelma and Salminen 2001, eq. 5).

    Rows and columns each add up to 1, because every sample's ranks are a permutation.
    """
    shares: FloatArray = _rank_counts(ranks) / len(ranks)
    return shares


# --------------------------------------------------------------------------- SMAA-2


@dataclass(frozen=True, eq=False)
class SmaaResult:
    """Rank acceptabilities under two weight distributions (Lahdelma and Salminen 2001).

    ``uniform`` samples weights uniformly over the simplex (nothing known about the weights);
    ``around`` samples them around the user's weights with the given ``concentration``. Both are
    (alternatives, ranks) matrices as from ``acceptability``.
    """

    method: Method
    alternatives: tuple[str, ...]
    samples: int
    seed: int
    concentration: float
    uniform: FloatArray
    around: FloatArray
    first_uniform: FloatArray  # (alternatives,): uniform[:, 0]
    first_around: FloatArray  # (alternatives,): around[:, 0]
    winner: str  # rank 1 under the user's weights (ranking.rank)
    winner_confidence: float  # share of ``around`` samples in which ``winner`` stays first


def scores_for_values(matrix: DecisionMatrix, method: Method, values: FloatArray,
                      weights: FloatArray) -> FloatArray:
    """Scores (samples, alternatives) with one matrix of values (samples, alternatives,
    criteria) and one weight vector (samples, criteria) per sample."""
    return registry.scores(matrix, method, weights, values)


def _acceptability_sampled(matrix: DecisionMatrix, method: Method, samples: int,
                           draw: Callable[[int], FloatArray],
                           values_rng: np.random.Generator | None = None) -> FloatArray:
    """Rank acceptability over weight samples; where the matrix has uncertain values (measured
    speed), each sample also draws those values uniformly from their ranges, so a lead that
    rests on a noisy measurement cannot look firm."""
    n = len(matrix.alternatives)
    counts = np.zeros((n, n), dtype=np.int64)
    uncertain = (values_rng is not None and matrix.low is not None and matrix.high is not None
                 and len(matrix.alternatives) > 1)
    for part in _chunks(samples):
        weights = draw(part.stop - part.start)
        if uncertain:
            assert values_rng is not None and matrix.low is not None and matrix.high is not None
            spread = values_rng.random((len(weights), *matrix.values.shape))
            values = matrix.low + spread * (matrix.high - matrix.low)
            scores = scores_for_values(matrix, method, values, weights)
        else:
            scores = scores_for(matrix, method, weights)
        counts += _rank_counts(sample_ranks(matrix, scores, weights))
    shares: FloatArray = counts / samples
    return shares


def smaa(matrix: DecisionMatrix, method: Method, *, samples: int = 100_000, seed: int = 0,
         around: float | None = None, winner: int | None = None) -> SmaaResult:
    """SMAA-2 rank acceptability of ``matrix`` (Lahdelma and Salminen 2001).

    ``samples`` weight vectors are drawn uniformly over the simplex, and as many around the
    user's weights by ``weights_around`` with concentration ``around`` (default
    ``CONCENTRATION_PER_CRITERION`` x criteria). The result depends only on the arguments: the two
    samplings use independent streams spawned from ``seed``, drawn in fixed chunks.
    ``winner``: the row ``ranking.rank`` puts first, where the caller has ranked already.
    """
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    c = len(matrix.criteria)
    kappa = default_concentration(c) if around is None else float(around)
    # Spawned children are sequential: the first two streams are those of earlier versions,
    # so results without uncertain values are unchanged.
    uniform_rng, around_rng, values_rng = (np.random.default_rng(s)
                                           for s in np.random.SeedSequence(seed).spawn(3))
    uniform = _acceptability_sampled(matrix, method, samples,
                                     lambda k: uniform_weights(uniform_rng, k, c), values_rng)
    near = _acceptability_sampled(matrix, method, samples,
                                  lambda k: weights_around(around_rng, matrix.weights, k, kappa),
                                  values_rng)
    if winner is None:
        winner = rank(matrix, method).order[0]
    return SmaaResult(method=method, alternatives=matrix.alternatives, samples=samples,
                      seed=seed, concentration=kappa, uniform=uniform, around=near,
                      first_uniform=uniform[:, 0].copy(), first_around=near[:, 0].copy(),
                      winner=matrix.alternatives[winner],
                      winner_confidence=float(near[winner, 0]))
