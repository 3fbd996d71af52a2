"""recommendation -> explanations a reviewer can read, from the decomposition of the method
actually used (docs/ranking.md): for TOPSIS each criterion's part of the distances to the
ideal and the anti-ideal, for the weighted sum weight x score. Criteria on which two frameworks
score the same are never named as a reason, and equal shares are shown as ties. The sentences
built from them are written in ``selector.report.margin_text``."""

from __future__ import annotations

from collections.abc import Iterable

from selector.models import Recommendation

#: Shares that agree to this many decimals are shown as one tie.
DECIMALS = 3


def grouped(items: Iterable[tuple[str, float]], top: int) -> list[tuple[list[str], float]]:
    """The ``top`` largest distinct values, each with every criterion that has it (ties stay
    together, named alphabetically, never as if ordered)."""
    groups: dict[float, list[str]] = {}
    for name, value in items:
        groups.setdefault(round(value, DECIMALS), []).append(name)
    ordered = sorted(groups.items(), key=lambda kv: -kv[0])[:top]
    return [(sorted(names), value) for value, names in ordered]


def margin(rec: Recommendation) -> list[tuple[str, float]]:
    """(criterion, its part of the winner's lead over the runner-up) on every criterion where
    the two differ; the parts add up to the difference of their scores."""
    return [(c, g) for c, g in rec.margin.items() if g != 0]


def winning_margin(rec: Recommendation, top: int = 3) -> list[tuple[list[str], float]]:
    """The criteria that most favour the winner over the runner-up, largest first, grouped
    where equal; positive only."""
    return grouped(((c, g) for c, g in margin(rec) if round(g, DECIMALS) > 0), top)


def losing_margin(rec: Recommendation, top: int = 2) -> list[tuple[list[str], float]]:
    """The criteria on which the runner-up is ahead, largest first."""
    return grouped(((c, -g) for c, g in margin(rec) if round(g, DECIMALS) < 0), top)
