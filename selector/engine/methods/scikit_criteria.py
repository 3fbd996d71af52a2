"""The decision matrix handed to scikit-criteria, the MCDA library, which is imported here only
and only when called: it loads pandas, scipy and matplotlib (about 2 s and 140 MB), to compute
numbers the numpy kernels of this package already compute. It is used where it adds something:

- ``oracle_scores``: every method of ``METHODS`` computed by scikit-criteria, the reference the
  tests hold each numpy kernel to, and what ``recommend --cross-check`` reranks with
  (``cross_check``);
- ``ExtraMethod``: scikit-criteria's methods that dlselect does not implement, which
  ``recommend --method`` adds to the method comparison of the robustness analysis
  (``extra_scores``). They rank but do not explain: no score of theirs is split by criterion.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from selector.engine.matrix import DecisionMatrix, FloatArray, vector_normalised
from selector.engine.methods import METHODS, scores_of
from selector.engine.methods.interface import BoolArray
from selector.engine.methods.vikor import V
from selector.engine.methods.wpm import positive
from selector.engine.ordering import order
from selector.vocab import Method

#: Scores of the two implementations further apart than this disagree (the tests' tolerance).
TOLERANCE = 1e-9


class ExtraMethod(StrEnum):
    """scikit-criteria's methods that ``recommend --method`` can add to the comparison."""

    #: The ratio system of MOORA (Brauers and Zavadskas 2006): the weighted sum of the
    #: vector-normalised values (``agg.moora.RatioMOORA``).
    MOORA = "moora"
    #: MULTIMOORA (Brauers and Zavadskas 2010): the ratio system, the reference point and the
    #: full multiplicative form, combined by how often an alternative's three ranks dominate
    #: another's (``agg.moora.MultiMOORA``); the score is that count.
    MULTIMOORA = "multimoora"


def _dm(values: FloatArray, matrix: DecisionMatrix, keep: BoolArray | None = None,
        objectives: Sequence[Any] | None = None) -> Any:
    """A scikit-criteria decision matrix of ``values`` with ``matrix``'s alternatives and
    weights, of the criteria in ``keep`` (all by default), every one maximised by default."""
    import skcriteria

    mask = np.ones(len(matrix.criteria), dtype=bool) if keep is None else keep
    return skcriteria.mkdm(values, objectives=objectives or [max] * int(mask.sum()),
                           weights=matrix.weights[mask], alternatives=list(matrix.alternatives),
                           criteria=[c for c, k in zip(matrix.criteria, mask, strict=True) if k])


def _topsis(matrix: DecisionMatrix) -> FloatArray:
    """``agg.topsis.TOPSIS`` on the vector-normalised unit matrix."""
    from skcriteria.agg.topsis import TOPSIS

    # Constant or zero-weight criteria add the same distance to everyone; dropping them
    # leaves TOPSIS unchanged and avoids 0/0 in scikit-criteria when nothing else differs.
    unit = matrix.unit()
    keep = (unit.max(axis=0) > unit.min(axis=0)) & (matrix.weights > 0)
    if not keep.any():
        return np.full(len(matrix.alternatives), 0.5)
    kept = unit[:, keep]
    # Divided by the columns' norms as scikit-criteria's VectorScaler(target="matrix") does
    # (``scale_by_vector``); importing that scaler would import scikit-learn.
    dm = _dm(kept / np.linalg.norm(kept, axis=0), matrix, keep,
             [max if m else min for m in matrix.maximise[keep]])
    with warnings.catch_warnings():
        # scikit-criteria advises against minimised criteria in TOPSIS, but handles them the
        # textbook way (the ideal takes the column minimum), which is what we want.
        warnings.filterwarnings("ignore", message="Although TOPSIS can operate with minim")
        result = TOPSIS().evaluate(dm)
    return np.asarray(result.e_.similarity, dtype=np.float64)


def _wsm(matrix: DecisionMatrix) -> FloatArray:
    """``agg.simple.WeightedSumModel``, which refuses minimised criteria: it is handed scores
    already turned so that 1 is best on every criterion."""
    from skcriteria.agg.simple import WeightedSumModel

    return np.asarray(WeightedSumModel().evaluate(_dm(matrix.scaled(), matrix)).e_.score,
                      dtype=np.float64)


def _wpm(matrix: DecisionMatrix) -> FloatArray:
    """``agg.simple.WeightedProductModel`` on the values the weighted product is taken over."""
    from skcriteria.agg.simple import WeightedProductModel

    values = positive(matrix.unit(), matrix.maximise, matrix.span)
    return np.asarray(WeightedProductModel().evaluate(_dm(values, matrix)).e_.score,
                      dtype=np.float64)


def _vikor(matrix: DecisionMatrix) -> FloatArray:
    """``agg.vikor.VIKOR`` (v = 0.5) on the scaled scores; the score is -Q."""
    from skcriteria.agg.vikor import VIKOR

    with warnings.catch_warnings():
        # A criterion (or S or R) equal for every alternative divides 0 by 0; VIKOR then
        # counts it as no distance (nan_to_num), which is the intended reading.
        warnings.filterwarnings("ignore", message="Some criteria .or distance. was equal",
                                category=UserWarning)
        warnings.filterwarnings("ignore", message="invalid value encountered",
                                category=RuntimeWarning)
        result = VIKOR(v=V).evaluate(_dm(matrix.scaled(), matrix))
    score: FloatArray = 0.0 - np.asarray(result.e_.q_k, dtype=np.float64)
    return score


_ORACLE: dict[Method, Callable[[DecisionMatrix], FloatArray]] = {
    Method.TOPSIS: _topsis, Method.WSM: _wsm, Method.WPM: _wpm, Method.VIKOR: _vikor,
}


def oracle_scores(matrix: DecisionMatrix, method: Method) -> FloatArray:
    """The scores of ``selector.engine.methods.scores_of`` computed by scikit-criteria (a
    single alternative scores 1)."""
    if len(matrix.alternatives) == 1:
        return np.ones(1)
    return _ORACLE[method](matrix)


def extra_scores(matrix: DecisionMatrix, method: ExtraMethod) -> FloatArray:
    """Scores, higher better, by one of scikit-criteria's methods (``ExtraMethod``).

    They are given the values the weighted product uses (1 + span x scaled: the snapshot's
    scores with minimised criteria turned round, shifted to start at 1, so all are > 0, as the
    full multiplicative form needs), each column divided by its Euclidean norm, as MOORA's
    ratios are; criteria without weight are left out (their logarithm would be -inf in the
    full multiplicative form, and they count for nothing in the other two)."""
    if len(matrix.alternatives) == 1:
        return np.ones(1)
    from skcriteria.agg.moora import MultiMOORA, RatioMOORA

    keep = matrix.weights > 0
    values = vector_normalised(positive(matrix.unit(), matrix.maximise, matrix.span))[:, keep]
    ranker = {ExtraMethod.MOORA: RatioMOORA, ExtraMethod.MULTIMOORA: MultiMOORA}[method]()
    return np.asarray(ranker.evaluate(_dm(values, matrix, keep)).e_.score, dtype=np.float64)


@dataclass(frozen=True)
class CrossCheck:
    """One method's ranking by its numpy kernel against the same method in scikit-criteria."""

    method: Method
    ours: tuple[int, ...]  # row indices, best first (``ordering.order``)
    theirs: tuple[int, ...]
    #: The largest difference between the two implementations' scores.
    difference: float

    @property
    def agrees(self) -> bool:
        return self.ours == self.theirs and self.difference <= TOLERANCE


def cross_check(matrix: DecisionMatrix,
                methods: Sequence[Method] = tuple(METHODS)) -> tuple[CrossCheck, ...]:
    """Rank ``matrix`` by each of ``methods`` twice, with the numpy kernel and with
    scikit-criteria, ties broken alike."""
    checks = []
    for method in methods:
        ours, theirs = scores_of(matrix, method), oracle_scores(matrix, method)
        checks.append(CrossCheck(method=method, ours=order(ours, matrix),
                                 theirs=order(theirs, matrix),
                                 difference=float(np.max(np.abs(ours - theirs)))))
    return tuple(checks)


def version() -> str:
    """scikit-criteria's version."""
    import skcriteria

    return str(skcriteria.VERSION)
