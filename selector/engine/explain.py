"""recommendation -> explanations a reviewer can read."""

from __future__ import annotations

from selector.models import Recommendation


def winning_margin(rec: Recommendation, top: int = 3) -> list[tuple[str, float]]:
    """The criteria that most favour the winner over the runner-up: (criterion, contribution
    of the winner minus the runner-up's), largest first, positive only."""
    if len(rec.ranking) < 2:
        return []
    first, second = rec.ranking[0], rec.ranking[1]
    gaps = [(c, first.contributions[c] - second.contributions.get(c, 0.0))
            for c in first.contributions]
    ahead = sorted((g for g in gaps if g[1] > 1e-9), key=lambda g: (-g[1], g[0]))
    return ahead[:top]


def margin_sentence(rec: Recommendation) -> str | None:
    gaps = winning_margin(rec)
    if not gaps:
        return None
    first, second = rec.ranking[0], rec.ranking[1]
    reasons = ", ".join(f"{c} (+{g:.3f})" for c, g in gaps)
    return f"{first.name} beats {second.name} mostly on {reasons}."
