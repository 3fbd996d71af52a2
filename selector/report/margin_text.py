"""The "Why" sentence: the winner's lead over the runner-up, from ``selector.engine.explain``."""

from __future__ import annotations

from selector.engine.explain import losing_margin, winning_margin
from selector.models import Recommendation


def names_text(names: list[str], value: float, sign: str = "+") -> str:
    each = " each" if len(names) > 1 else ""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{listed} ({sign}{value:.3f}{each})"


def margin_sentence(rec: Recommendation) -> str | None:
    ahead = winning_margin(rec)
    if not ahead:
        return None
    first, second = rec.ranking[0], rec.ranking[1]
    text = (f"{first.name} beats {second.name} mostly on "
            + ", ".join(names_text(n, v) for n, v in ahead))
    behind = losing_margin(rec)
    if behind:
        text += (f"; {second.name} is ahead on "
                 + ", ".join(names_text(n, v) for n, v in behind))
    return text + "."
