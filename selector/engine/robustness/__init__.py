"""ranking -> robustness: how much the recommendation depends on the weights and the method.

Three analyses, all pure functions over arrays that return data (the sentences about them are
written in ``selector.report.robust_text``):

- ``acceptability``: SMAA-2 rank acceptability (Lahdelma and Salminen 2001);
- ``critical``: the critical weight change (Triantaphyllou and Sanchez 1997);
- ``agreement``: the orders of every MCDA method compared by Kendall's tau.
"""

from __future__ import annotations

from selector.engine.ordering import ranks_from_scores, tiebreak_keys
from selector.engine.robustness.acceptability import (
    CHUNK,
    CONCENTRATION_PER_CRITERION,
    WEIGHT_FLOOR,
    SmaaResult,
    acceptability,
    default_concentration,
    scores_for,
    scores_for_values,
    smaa,
    uniform_weights,
    weights_around,
)
from selector.engine.robustness.agreement import (
    MethodAgreement,
    kendall_tau,
    method_agreement,
)
from selector.engine.robustness.critical import (
    DELTA_TOLERANCE,
    GRID_STEP,
    SEARCH_TOLERANCE,
    CriticalChange,
    critical_changes,
    critical_weight_change,
    moved_weights,
)

__all__ = [
    "CHUNK", "CONCENTRATION_PER_CRITERION", "DELTA_TOLERANCE", "GRID_STEP", "SEARCH_TOLERANCE",
    "WEIGHT_FLOOR", "CriticalChange", "MethodAgreement", "SmaaResult", "acceptability",
    "critical_changes", "critical_weight_change", "default_concentration", "kendall_tau",
    "method_agreement", "moved_weights", "ranks_from_scores", "scores_for",
    "scores_for_values", "smaa", "tiebreak_keys", "uniform_weights", "weights_around",
]
