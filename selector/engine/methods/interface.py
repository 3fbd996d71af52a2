"""The interface every MCDA method implements (docs/ranking.md).

A method scores alternatives from the decision matrix mapped onto [0, 1] by the snapshot's
scale (``DecisionMatrix.unit``: objectives kept, see ``maximise``) and one weight vector or many.
It also says how its score splits over the criteria, which is what the explanations are built
from. Adding a method is one module in this package that subclasses ``DecisionMethod``, one
line in the registry (``selector.engine.methods.METHODS``) and its test against published values.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from selector.engine.matrix import DecisionMatrix, FloatArray
from selector.errors import RankingError
from selector.vocab import Method

BoolArray = npt.NDArray[np.bool_]


class NotDecomposable(RankingError):
    """The method's score does not split into one part per criterion."""


class DecisionMethod(ABC):
    """One MCDA method: scores (higher better) and their per-criterion decomposition."""

    #: The method's id, as a profile and the JSON name it.
    method: ClassVar[Method]
    #: Whether a profile may rank with it (``--method``); the others take part in the robustness
    #: analysis only. The JSON contract (docs/json-contract.md) lists the ranking methods.
    ranks: ClassVar[bool] = False

    @abstractmethod
    def scores(self, unit: FloatArray, weights: FloatArray, maximise: BoolArray,
               span: float) -> FloatArray:
        """Scores, higher better, computed with numpy: the method's one score, which the
        ranking, the robustness analysis and the method agreement all use.

        ``unit`` is (alternatives, criteria) with ``weights`` (criteria,) or (samples, criteria),
        giving (alternatives,) or (samples, alternatives); or a stack of matrices (samples,
        alternatives, criteria) with one weight vector per sample (samples, criteria), giving
        (samples, alternatives). ``span`` is the width of the snapshot's scale.
        """

    def terms(self, unit: FloatArray, maximise: BoolArray, span: float) -> FloatArray | None:
        """Per-criterion terms (alternatives, criteria) whose weighted sum is the score, for a
        method whose score is linear in the weights; None otherwise. A linear method has an exact
        decomposition (weight x term) and a closed-form critical weight change."""
        return None

    def decomposition(self, matrix: DecisionMatrix) -> FloatArray:
        """Each criterion's share of each alternative's score, (alternatives, criteria); a row
        adds up to the score. Raises ``NotDecomposable`` where the score does not split."""
        terms = self.terms(matrix.unit(), matrix.maximise, matrix.span)
        if terms is None:
            raise NotDecomposable(f"{self.method.value} scores do not split by criterion")
        parts: FloatArray = matrix.weights * terms
        return parts

    def lead(self, matrix: DecisionMatrix, winner: int, other: int) -> FloatArray:
        """Each criterion's part of ``winner``'s score minus ``other``'s, (criteria,); the parts
        add up to the difference, and a criterion on which the two are equal has none."""
        parts = self.decomposition(matrix)
        lead: FloatArray = parts[winner] - parts[other]
        return lead
