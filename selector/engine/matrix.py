"""(knowledge + profile) -> decision matrix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from selector.models import Framework, Snapshot
from selector.vocab import Objective

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class DecisionMatrix:
    """Alternatives (rows) scored on criteria (columns), with weights that add up to 1."""

    alternatives: tuple[str, ...]
    criteria: tuple[str, ...]
    values: FloatArray
    maximise: npt.NDArray[np.bool_]
    weights: FloatArray
    scale: tuple[float, float]
    #: Where a value is uncertain (a measured speed), the range it may take, (alternatives,
    #: criteria) each, on the snapshot's scale; None: every value is exact. The robustness
    #: analysis samples values from these ranges.
    low: FloatArray | None = None
    high: FloatArray | None = None

    def unit(self) -> FloatArray:
        """Scores mapped onto [0, 1] by the snapshot's declared scale (objectives kept).

        Every method runs on these, never on the raw scores: the same judgements expressed
        on 1-5 or on 0-4 then rank the same (TOPSIS's vector normalisation alone depends on
        where the scale starts)."""
        low, high = self.scale
        unit: FloatArray = (self.values - low) / (high - low)
        return unit

    def scaled(self) -> FloatArray:
        """Scores mapped onto [0, 1] by the snapshot's scale, 1 always best."""
        return best_is_one(self.unit(), self.maximise)

    @property
    def span(self) -> float:
        """Width of the snapshot's scale (max - min)."""
        low, high = self.scale
        return high - low


# The scalings every method and every analysis use; each works on one matrix (alternatives,
# criteria) or on a stack of them (samples, alternatives, criteria).


def best_is_one(unit: FloatArray, maximise: npt.NDArray[np.bool_]) -> FloatArray:
    """``unit`` with minimised criteria turned round, so that 1 is best on every criterion."""
    scaled: FloatArray = np.where(maximise, unit, 1.0 - unit)
    return scaled


def vector_normalised(unit: FloatArray) -> FloatArray:
    """Each criterion's column divided by its Euclidean norm (a zero column stays zero): the
    normalisation of TOPSIS (Hwang and Yoon 1981)."""
    norms = np.linalg.norm(unit, axis=-2, keepdims=True)
    normalised: FloatArray = np.divide(unit, norms, out=np.zeros_like(unit), where=norms > 0)
    return normalised


def build_matrix(snapshot: Snapshot, frameworks: list[Framework], weights: dict[str, float],
                 computed: Mapping[tuple[str, str], float] | None = None,
                 ranges: Mapping[tuple[str, str], tuple[float, float]] | None = None,
                 ) -> DecisionMatrix:
    """``computed``: (framework, criterion) -> value on the snapshot's scale, for the criteria
    that are not scored in the snapshot (fit criteria) or whose score was capped; ``ranges``:
    (framework, criterion) -> (low, high) for uncertain values (clipped to hold the value)."""
    criteria = tuple(c.id for c in snapshot.criteria)
    index = {(s.framework, s.criterion): s.value for s in snapshot.scores}
    index.update(computed or {})
    values = np.array([[index[(fw.id, cid)] for cid in criteria] for fw in frameworks],
                      dtype=np.float64).reshape(len(frameworks), len(criteria))
    return DecisionMatrix(
        alternatives=tuple(fw.id for fw in frameworks),
        criteria=criteria,
        values=values,
        maximise=np.array([snapshot.criterion(c).objective is Objective.MAX for c in criteria]),
        weights=np.array([weights[c] for c in criteria], dtype=np.float64),
        scale=(snapshot.scale.min, snapshot.scale.max),
        **_bounds(values, frameworks, criteria, ranges or {}),
    )


def _bounds(values: FloatArray, frameworks: list[Framework], criteria: tuple[str, ...],
            ranges: Mapping[tuple[str, str], tuple[float, float]]) -> dict[str, FloatArray]:
    if not ranges:
        return {}
    low, high = values.copy(), values.copy()
    for i, fw in enumerate(frameworks):
        for j, cid in enumerate(criteria):
            if (fw.id, cid) in ranges:
                lo, hi = ranges[(fw.id, cid)]
                low[i, j] = min(lo, values[i, j])
                high[i, j] = max(hi, values[i, j])
    return {"low": low, "high": high}
