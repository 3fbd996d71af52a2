"""ranking -> robustness: how much the recommendation depends on the weights and the method.

Three analyses, all pure functions over arrays:

- **SMAA-2 rank acceptability** (Lahdelma and Salminen 2001, "SMAA-2: Stochastic multicriteria
  acceptability analysis for group decision making", Operations Research 49(3)): sample weight
  vectors, rank the alternatives under each, and count how often each alternative takes each rank.
- **Critical weight change** (Triantaphyllou and Sanchez 1997, "A sensitivity analysis approach
  for some deterministic multi-criteria decision-making methods", Decision Sciences 28(1)): the
  smallest change of one criterion's weight that changes the winner.
- **Method agreement**: the orders given by every method of ``selector.engine.methods`` (TOPSIS,
  the weighted sum, the weighted product and VIKOR), compared by Kendall's tau.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from selector.engine import methods as registry
from selector.engine.matrix import DecisionMatrix, FloatArray
from selector.engine.methods import METHODS, official_scores
from selector.engine.ordering import (
    IntArray,
    order,
    ranks_from_scores,
    sample_ranks,
    tiebreak_keys,
)
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

#: Grid spacing and final precision of the numeric critical-weight search (TOPSIS).
GRID_STEP = 1e-3
SEARCH_TOLERANCE = 1e-9

#: Critical changes closer than this count as equal when picking the smallest.
DELTA_TOLERANCE = 1e-6


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

    The same numbers as ``ranking.skcriteria_scores`` with each weight vector (tested), computed
    in chunks of ``CHUNK`` rows. Weights must be >= 0 (they need not add up to 1 for TOPSIS).
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
         around: float | None = None) -> SmaaResult:
    """SMAA-2 rank acceptability of ``matrix`` (Lahdelma and Salminen 2001).

    ``samples`` weight vectors are drawn uniformly over the simplex, and as many around the
    user's weights by ``weights_around`` with concentration ``around`` (default
    ``CONCENTRATION_PER_CRITERION`` x criteria). The result depends only on the arguments: the two
    samplings use independent streams spawned from ``seed``, drawn in fixed chunks.
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
    winner = rank(matrix, method).order[0]
    return SmaaResult(method=method, alternatives=matrix.alternatives, samples=samples,
                      seed=seed, concentration=kappa, uniform=uniform, around=near,
                      first_uniform=uniform[:, 0].copy(), first_around=near[:, 0].copy(),
                      winner=matrix.alternatives[winner],
                      winner_confidence=float(near[winner, 0]))


# --------------------------------------------------------------------------- critical weight change


@dataclass(frozen=True)
class CriticalChange:
    """The smallest change of one criterion's weight that changes the winner
    (Triantaphyllou and Sanchez 1997), the other weights rescaled to keep the sum 1.

    ``new_weight`` is the threshold itself: at it the winner ties with ``new_winner`` (for the
    weighted sum exactly; for TOPSIS within ``SEARCH_TOLERANCE``), beyond it ``new_winner`` leads.
    """

    criterion: str
    old_weight: float
    new_weight: float
    delta: float  # |new_weight - old_weight|
    relative: float | None  # delta / old_weight; None when old_weight is 0
    winner: str
    new_winner: str


def moved_weights(weights: FloatArray, j: int, new: FloatArray | float) -> FloatArray:
    """Weights with ``w_j`` set to each of ``new`` and the others rescaled proportionally,
    ``w_k' = w_k (1 - w_j') / (1 - w_j)``, so they still add up to 1 (one row per value).

    When ``w_j`` is 1 the others are all 0 and have no proportions: they share ``1 - w_j'``
    equally.
    """
    rest = np.array(weights, dtype=np.float64)
    rest[j] = 0.0
    rest = rest / rest.sum() if rest.sum() > 0 else np.where(np.arange(len(rest)) == j, 0.0,
                                                             1.0 / max(len(rest) - 1, 1))
    t = np.atleast_1d(np.asarray(new, dtype=np.float64))[:, None]
    moved: FloatArray = (1.0 - t) * rest + t * (np.arange(len(rest)) == j)
    return moved


def _winners(matrix: DecisionMatrix, method: Method, weights: FloatArray) -> IntArray:
    ranked = ranks_from_scores(scores_for(matrix, method, weights), tiebreak_keys(matrix, weights))
    winners: IntArray = np.argmin(ranked, axis=1)
    return winners


def _linear_thresholds(matrix: DecisionMatrix, terms: FloatArray, j: int,
                       winner: int) -> list[tuple[float, int]]:
    """Where the winner's score meets a challenger's as ``w_j`` moves, with the alternative
    that leads just past that point, for a method whose score is ``weights @ terms.T`` (the
    weighted sum: ``terms`` are the scaled scores).

    Along ``moved_weights`` the weights are (1 - t) r + t e_j, so each score is linear in t,
    (1 - t) R_a + t E_a, and the winner's lead over b is zero at t* = D_r / (D_r - D_e), where
    D_r = R_w - R_b and D_e = E_w - E_b.
    """
    scaled = terms
    ends = moved_weights(matrix.weights, j, np.array([0.0, 1.0]))
    at_rest, at_j = scaled @ ends[0], scaled @ ends[1]
    d_rest, d_j = at_rest[winner] - at_rest, at_j[winner] - at_j
    found = []
    for b in range(len(scaled)):
        slope = d_j[b] - d_rest[b]
        if b == winner or slope == 0:
            continue
        t = float(d_rest[b] / (d_rest[b] - d_j[b]))
        if not 0.0 <= t <= 1.0:
            continue
        # The lead shrinks in the direction where it decreases; past t* the leader is the
        # alternative best at t* that gains fastest that way (ties as in ranking.order).
        direction = -1.0 if slope > 0 else 1.0
        if abs(t - matrix.weights[j]) < 1e-12:
            # Tied at the current weights: t* equals the weight up to rounding, which cannot
            # say which way the winner changes; the smallest move that way can.
            t = float(np.clip(matrix.weights[j] + direction * SEARCH_TOLERANCE, 0.0, 1.0))
        can_move = 0.0 < t + direction * SEARCH_TOLERANCE < 1.0
        gain = direction * (at_j - at_rest) if can_move else np.zeros(len(scaled))
        weights = moved_weights(matrix.weights, j, t)
        ranked = ranks_from_scores((1.0 - t) * at_rest + t * at_j,
                                   (np.round(gain, 12), *tiebreak_keys(matrix, weights)))
        leader = int(np.argmin(ranked[0]))
        if leader != winner:
            found.append((t, leader))
    return found


def _bisect(matrix: DecisionMatrix, method: Method, j: int, winner: int,
            keep: float, change: float) -> float:
    """Shrink [keep, change] (winner kept at ``keep``, changed at ``change``) to the tolerance."""
    while abs(change - keep) > SEARCH_TOLERANCE:
        mid = (keep + change) / 2
        if _winners(matrix, method, moved_weights(matrix.weights, j, mid))[0] == winner:
            keep = mid
        else:
            change = mid
    return change


def _numeric_thresholds(matrix: DecisionMatrix, method: Method, j: int,
                        winner: int) -> list[tuple[float, int]]:
    """The nearest weight on each side of ``w_j`` at which the winner changes, with the new
    winner there: a grid of step ``GRID_STEP`` over [0, 1], then bisection to
    ``SEARCH_TOLERANCE``. A change that comes and goes again between two grid points (a window
    narrower than the step) is missed."""
    old = float(matrix.weights[j])
    grid = np.unique(np.concatenate([np.linspace(0.0, 1.0, round(1 / GRID_STEP) + 1), [old]]))
    winners = _winners(matrix, method, moved_weights(matrix.weights, j, grid))
    at = int(np.searchsorted(grid, old))
    found = []
    for path in (range(at + 1, len(grid)), range(at - 1, -1, -1)):
        previous = at
        for k in path:
            if winners[k] != winner:
                t = _bisect(matrix, method, j, winner, float(grid[previous]), float(grid[k]))
                found.append((t, int(_winners(matrix, method,
                                              moved_weights(matrix.weights, j, t))[0])))
                break
            previous = k
    return found


def critical_changes(matrix: DecisionMatrix, method: Method) -> tuple[CriticalChange | None, ...]:
    """For each criterion, the smallest change of its weight alone that changes the winner
    (Triantaphyllou and Sanchez 1997), or None when no weight in [0, 1] does.

    A method linear in the weights (the weighted sum, the weighted product) has a closed form
    (scores are linear in the moved weight); the others are searched numerically
    (``_numeric_thresholds``). The winner is ``ranking.rank``'s.
    """
    if len(matrix.criteria) == 1:
        return (None,)  # the only weight is 1 whatever happens
    winner = rank(matrix, method).order[0]
    terms = METHODS[method].terms(matrix.unit(), matrix.maximise, matrix.span)
    result: list[CriticalChange | None] = []
    for j, name in enumerate(matrix.criteria):
        old = float(matrix.weights[j])
        candidates = (_numeric_thresholds(matrix, method, j, winner) if terms is None
                      else _linear_thresholds(matrix, terms, j, winner))
        if not candidates:
            result.append(None)
            continue
        t, new = min(candidates, key=lambda c: abs(c[0] - old))
        delta = abs(t - old)
        result.append(CriticalChange(
            criterion=name, old_weight=old, new_weight=t, delta=delta,
            relative=delta / old if old > 0 else None,
            winner=matrix.alternatives[winner], new_winner=matrix.alternatives[new]))
    return tuple(result)


def critical_weight_change(matrix: DecisionMatrix, method: Method) -> CriticalChange | None:
    """The most critical criterion: the smallest ``delta`` over ``critical_changes``.

    Deltas within ``DELTA_TOLERANCE`` count as equal and go to the smaller relative change (a zero
    old weight counts as infinite), then to the criterion listed first. None when no single
    weight change in [0, 1] changes the winner.
    """
    found = [c for c in critical_changes(matrix, method) if c is not None]
    if not found:
        return None
    return min(found, key=lambda c: (round(c.delta / DELTA_TOLERANCE),
                                     np.inf if c.relative is None else c.relative))


# --------------------------------------------------------------------------- method agreement


def method_scores(matrix: DecisionMatrix, method: Method) -> FloatArray:
    """Scores of ``matrix`` by ``method``, higher always better (``selector.engine.methods``)."""
    return official_scores(matrix, method)


def kendall_tau(first: Sequence[int], second: Sequence[int]) -> float:
    """Kendall's tau between two orders of the same alternatives (best first, no ties):
    (concordant - discordant pairs) / all pairs. 1 for the same order, -1 for the reverse; 1 when
    there are fewer than two alternatives (no pair can disagree).
    """
    if sorted(first) != sorted(second):
        raise ValueError("the two orders must hold the same alternatives")
    n = len(first)
    if n < 2:
        return 1.0
    pos_a = np.empty(n, dtype=np.int64)
    pos_b = np.empty(n, dtype=np.int64)
    pos_a[list(first)] = np.arange(n)
    pos_b[list(second)] = np.arange(n)
    agree = np.sign(pos_a[:, None] - pos_a[None, :]) * np.sign(pos_b[:, None] - pos_b[None, :])
    return float(np.triu(agree, k=1).sum() / (n * (n - 1) / 2))


@dataclass(frozen=True, eq=False)
class MethodAgreement:
    """Each method's order (row indices, best first) and Kendall's tau between every pair."""

    alternatives: tuple[str, ...]
    methods: tuple[Method, ...]
    orders: tuple[tuple[int, ...], ...]
    tau: FloatArray  # (methods, methods), symmetric, 1 on the diagonal
    winners: tuple[str, ...]  # each method's first alternative
    winners_differ: bool  # the methods do not all pick the same winner


def method_agreement(matrix: DecisionMatrix,
                     methods: Sequence[Method] = tuple(METHODS)
                     ) -> MethodAgreement:
    """Rank ``matrix`` by each method (ties broken by ``ranking.order``) and compare the orders."""
    orders = tuple(order(method_scores(matrix, m), matrix) for m in methods)
    tau = np.array([[kendall_tau(a, b) for b in orders] for a in orders]).reshape(
        len(orders), len(orders))
    winners = tuple(matrix.alternatives[o[0]] for o in orders)
    return MethodAgreement(alternatives=matrix.alternatives, methods=tuple(methods),
                           orders=orders, tau=tau, winners=winners,
                           winners_differ=len(set(winners)) > 1)
