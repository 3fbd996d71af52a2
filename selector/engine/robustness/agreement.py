"""Method agreement: the orders given by every method of ``selector.engine.methods`` (TOPSIS,
the weighted sum, the weighted product and VIKOR), and by any other scores of the same matrix and
weights (scikit-criteria's methods that ``recommend --method`` adds), compared by Kendall's
tau."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from selector.engine.matrix import DecisionMatrix, FloatArray
from selector.engine.methods import METHODS, scores_of
from selector.engine.ordering import order
from selector.vocab import Method


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
    methods: tuple[str, ...]  # the methods of ``METHODS`` (``Method``), then any others
    orders: tuple[tuple[int, ...], ...]
    tau: FloatArray  # (methods, methods), symmetric, 1 on the diagonal
    winners: tuple[str, ...]  # each method's first alternative
    winners_differ: bool  # the methods do not all pick the same winner


def method_agreement(matrix: DecisionMatrix,
                     methods: Sequence[Method] = tuple(METHODS),
                     others: Mapping[str, FloatArray] | None = None) -> MethodAgreement:
    """Rank ``matrix`` by each method, then by each of ``others`` (name -> scores, higher
    better), ties broken by ``ordering.order``, and compare the orders."""
    scores = {str(m): scores_of(matrix, m) for m in methods} | dict(others or {})
    orders = tuple(order(s, matrix) for s in scores.values())
    tau = np.array([[kendall_tau(a, b) for b in orders] for a in orders]).reshape(
        len(orders), len(orders))
    winners = tuple(matrix.alternatives[o[0]] for o in orders)
    return MethodAgreement(alternatives=matrix.alternatives, methods=tuple(scores),
                           orders=orders, tau=tau, winners=winners,
                           winners_differ=len(set(winners)) > 1)
