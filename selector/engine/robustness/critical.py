"""Critical weight change (Triantaphyllou and Sanchez 1997, "A sensitivity analysis approach for
some deterministic multi-criteria decision-making methods", Decision Sciences 28(1)): the
smallest change of one criterion's weight that changes the winner."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from selector.engine.matrix import DecisionMatrix, FloatArray
from selector.engine.methods import METHODS
from selector.engine.ordering import IntArray, ranks_from_scores, tiebreak_keys
from selector.engine.ranking import rank
from selector.engine.robustness.acceptability import scores_for
from selector.vocab import Method

#: Grid spacing and final precision of the numeric critical-weight search (TOPSIS).
GRID_STEP = 1e-3
SEARCH_TOLERANCE = 1e-9

#: Critical changes closer than this count as equal when picking the smallest.
DELTA_TOLERANCE = 1e-6


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


def _grid(matrix: DecisionMatrix, j: int) -> FloatArray:
    """The weights ``w_j`` is tried at: step ``GRID_STEP`` over [0, 1], and its own weight."""
    old = float(matrix.weights[j])
    grid: FloatArray = np.unique(np.concatenate([np.linspace(0.0, 1.0, round(1 / GRID_STEP) + 1),
                                                 [old]]))
    return grid


def _grid_winners(matrix: DecisionMatrix, method: Method) -> list[IntArray]:
    """The winner at each point of every criterion's ``_grid``, scored in one batch."""
    grids = [_grid(matrix, j) for j in range(len(matrix.criteria))]
    winners = _winners(matrix, method, np.concatenate(
        [moved_weights(matrix.weights, j, grid) for j, grid in enumerate(grids)]))
    return np.split(winners, np.cumsum([len(grid) for grid in grids])[:-1])


def _numeric_thresholds(matrix: DecisionMatrix, method: Method, j: int, winner: int,
                        winners: IntArray) -> list[tuple[float, int]]:
    """The nearest weight on each side of ``w_j`` at which the winner changes, with the new
    winner there: the winners on the grid of step ``GRID_STEP`` over [0, 1] (``winners``, from
    ``_grid_winners``), then bisection to ``SEARCH_TOLERANCE``. A change that comes and goes
    again between two grid points (a window narrower than the step) is missed."""
    old = float(matrix.weights[j])
    grid = _grid(matrix, j)
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


def critical_changes(matrix: DecisionMatrix, method: Method, *,
                     winner: int | None = None) -> tuple[CriticalChange | None, ...]:
    """For each criterion, the smallest change of its weight alone that changes the winner
    (Triantaphyllou and Sanchez 1997), or None when no weight in [0, 1] does.

    A method linear in the weights (the weighted sum, the weighted product) has a closed form
    (scores are linear in the moved weight); the others are searched numerically
    (``_numeric_thresholds``). The winner is ``ranking.rank``'s (``winner``, its row, where the
    caller has ranked already).
    """
    if len(matrix.criteria) == 1:
        return (None,)  # the only weight is 1 whatever happens
    if winner is None:
        winner = rank(matrix, method).order[0]
    terms = METHODS[method].terms(matrix.unit(), matrix.maximise, matrix.span)
    on_grid = _grid_winners(matrix, method) if terms is None else []
    result: list[CriticalChange | None] = []
    for j, name in enumerate(matrix.criteria):
        old = float(matrix.weights[j])
        candidates = (_numeric_thresholds(matrix, method, j, winner, on_grid[j]) if terms is None
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


def critical_weight_change(matrix: DecisionMatrix, method: Method, *,
                           winner: int | None = None) -> CriticalChange | None:
    """The most critical criterion: the smallest ``delta`` over ``critical_changes``.

    Deltas within ``DELTA_TOLERANCE`` count as equal and go to the smaller relative change (a zero
    old weight counts as infinite), then to the criterion listed first. None when no single
    weight change in [0, 1] changes the winner.
    """
    found = [c for c in critical_changes(matrix, method, winner=winner) if c is not None]
    if not found:
        return None
    return min(found, key=lambda c: (round(c.delta / DELTA_TOLERANCE),
                                     np.inf if c.relative is None else c.relative))
