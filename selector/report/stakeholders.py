"""The "Stakeholders" sentences: whose priorities were combined, and where they part.

Shared by the table and the Markdown record; the JSON carries the same facts as data
(``Recommendation.stakeholders``).
"""

from __future__ import annotations

from collections.abc import Callable

from selector.engine.priorities import PLAIN
from selector.models import Recommendation

#: How many criteria the disagreement lists (those with the widest spread of weight share).
MOST_DISPUTED = 3
#: A spread of weight share below this (one percentage point) is not called a disagreement.
MIN_SPREAD = 0.01


def criterion_name(cid: str) -> str:
    plain = PLAIN.get(cid)
    return plain.name if plain else cid


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def stakeholder_lines(rec: Recommendation,
                      name: Callable[[str], str] = criterion_name) -> list[str]:
    """Sentences, one a line; empty for one person's answers. ``name``: a criterion's name for
    the reader (plain words by default; the decision record passes the snapshot's names)."""
    info = rec.stakeholders
    if info is None or not rec.ranking:
        return []
    names = {r.framework: r.name for r in rec.ranking}
    winner = rec.ranking[0]
    people = [p.name for p in info.people]
    lines = [f"{len(people)} people's priorities ({', '.join(people)}) were combined by the "
             "geometric mean of each person's weights, and the frameworks ranked once."]
    for p in info.people:
        own = names.get(p.winner, p.winner)
        if p.group_winner_holds:
            lines.append(f"{p.name}: own winner {own}, the group's winner too.")
        else:
            lines.append(f"{p.name}: own winner {own}; the group's winner {winner.name} ranks "
                         f"{_ordinal(p.group_winner_rank)} under {p.name}'s priorities.")
    disputed = [s for s in info.disagreement if s.spread >= MIN_SPREAD][:MOST_DISPUTED]
    if disputed:
        parts = []
        for s in disputed:
            ratio = f", {s.ratio:.1f}x" if s.ratio is not None else ", one gives it none"
            parts.append(f"{name(s.criterion)} ({s.highest} {s.high:.0%} vs "
                         f"{s.lowest} {s.low:.0%}{ratio})")
        lines.append("They disagree most on: " + "; ".join(parts) + " (share of each "
                     "person's weights).")
    if info.holds_for_everyone:
        lines.append(f"{winner.name} wins under every person's priorities alone: the choice "
                     "does not depend on whose priorities count.")
    else:
        others = [p.name for p in info.people if not p.group_winner_holds]
        lines.append(f"{winner.name} is not the own winner of {', '.join(others)}: settle the "
                     "criteria above before deciding.")
    return lines


def stakeholders_markdown(rec: Recommendation,
                          name: Callable[[str], str] = criterion_name) -> list[str]:
    """A "Stakeholders" section: the sentences, then each person's and the group's weights as
    whole percentages (each column adds up to 100%)."""
    from selector.engine.priorities import percentages

    info = rec.stakeholders
    if info is None:
        return []
    lines = ["## Stakeholders", ""]
    lines += [f"* {line}" for line in stakeholder_lines(rec, name)]
    criteria = list(rec.weights)
    columns = [percentages([p.weights[c] for c in criteria]) for p in info.people]
    columns.append(percentages([rec.weights[c] for c in criteria]))
    heads = [p.name for p in info.people] + ["Group"]
    lines += ["", "| Criterion | " + " | ".join(heads) + " |",
              "|---|" + "---:|" * len(heads)]
    for i, c in enumerate(criteria):
        if any(col[i] for col in columns):
            lines.append(f"| {name(c)} | "
                         + " | ".join(f"{col[i]}%" for col in columns) + " |")
    return lines + [""]
