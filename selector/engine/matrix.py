"""(knowledge + profile) -> decision matrix."""

from __future__ import annotations

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

    def scaled(self) -> FloatArray:
        """Scores mapped onto [0, 1] by the snapshot's scale, 1 always best."""
        low, high = self.scale
        unit = (self.values - low) / (high - low)
        return np.where(self.maximise, unit, 1.0 - unit)


def build_matrix(snapshot: Snapshot, frameworks: list[Framework],
                 weights: dict[str, float]) -> DecisionMatrix:
    criteria = tuple(c.id for c in snapshot.criteria)
    index = {(s.framework, s.criterion): s.value for s in snapshot.scores}
    values = np.array([[index[(fw.id, cid)] for cid in criteria] for fw in frameworks],
                      dtype=np.float64).reshape(len(frameworks), len(criteria))
    return DecisionMatrix(
        alternatives=tuple(fw.id for fw in frameworks),
        criteria=criteria,
        values=values,
        maximise=np.array([snapshot.criterion(c).objective is Objective.MAX for c in criteria]),
        weights=np.array([weights[c] for c in criteria], dtype=np.float64),
        scale=(snapshot.scale.min, snapshot.scale.max),
    )
