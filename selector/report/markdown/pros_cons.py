"""The record's "Pros and Cons of the Options": the winner's high and low scores, each
alternative against the winner (short record) or every score with its rationale and source
(``--detail``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selector.clock import years_text
from selector.models import Evidence
from selector.report.markdown.record import BAD_SHARE, GOOD_SHARE
from selector.report.markdown.text import and_list, num, public
from selector.vocab import Status

if TYPE_CHECKING:
    from selector.models import Ranked
    from selector.report.markdown.record import Record

#: Criteria named per option in the short record's pros and cons.
SHORT_CLAIMS = 4

#: A criterion and the score a framework has on it.
Claim = tuple[str, Evidence]


def pros_and_cons(doc: Record) -> list[str]:
    lines = ["## Pros and Cons of the Options", ""]
    count = len(doc.rec.ranking)
    for entry in doc.rec.ranking:
        lines += [f"### {entry.name}", ""]
        good, neutral, bad = judged(doc, entry)
        if doc.detail:
            status = f", {entry.status.value}" if entry.status is not Status.ACTIVE else ""
            lines += [f"Rank {entry.rank} of {count}, score {entry.score:.3f}{status}.", ""]
            lines += [f"* Good, because {claim(doc, c, ev)}" for c, ev in good]
            lines += [f"* Neutral, because {claim(doc, c, ev)}" for c, ev in neutral]
            lines += [f"* Bad, because {claim(doc, c, ev)}" for c, ev in bad]
        elif entry.rank == 1:
            if good:
                lines.append(f"* Good, because it scores high on {briefly(doc, good)}")
            if bad:
                lines.append(f"* Bad, because it scores low on {briefly(doc, bad)}")
            if not good and not bad:
                lines.append("* Neutral, because no criterion scores high or low")
        else:
            lines += against(doc, entry, doc.rec.ranking[0])
        lines.append("")
    return lines


def judged(doc: Record, entry: Ranked) -> tuple[list[Claim], list[Claim], list[Claim]]:
    """The framework's scores as pros, neutral and cons, by their weight in its score."""
    shares = entry.decomposition or entry.contributions
    weighted = sorted(entry.evidence.items(),
                      key=lambda kv: (-shares.get(kv[0], 0.0), kv[0]))
    good: list[Claim] = []
    neutral: list[Claim] = []
    bad: list[Claim] = []
    for cid, ev in weighted:
        share = doc.share(ev)
        (good if share >= GOOD_SHARE else bad if share <= BAD_SHARE else neutral).append(
            (cid, ev))
    return good, neutral, bad


def against(doc: Record, entry: Ranked, winner: Ranked) -> list[str]:
    """An alternative in two lines: where it is ahead of the chosen option and where it
    trails, the criteria that weigh most first."""
    weights = doc.rec.weights
    ahead: list[tuple[float, str]] = []
    behind: list[tuple[float, str]] = []
    for cid, ev in entry.evidence.items():
        other = winner.evidence.get(cid)
        if other is None or weights.get(cid, 0) <= 0 or ev.value == other.value:
            continue
        text = f"{doc.crit(cid)} ({num(ev.value)} against {num(other.value)})"
        gap = weights[cid] * (ev.value - other.value)
        (ahead if gap > 0 else behind).append((abs(gap), text))
    lines = []
    for word, items in (("is ahead of", ahead), ("trails", behind)):
        if not items:
            continue
        listed = [t for _, t in sorted(items, key=lambda x: -x[0])]
        shown = listed[:SHORT_CLAIMS]
        more = len(listed) - len(shown)
        lines.append(f"* {'Good' if word == 'is ahead of' else 'Bad'}, because it {word} "
                     f"{winner.name} on " + (and_list(shown) if more <= 0 else
                                             ", ".join(shown) + f" and {more} more"))
    if not ahead:
        lines.insert(0, f"* Neutral, because it is ahead of {winner.name} on no criterion")
    return lines


def briefly(doc: Record, items: list[Claim]) -> str:
    shown = [f"{doc.crit(c)} ({num(ev.value)}/{doc.high:g})"
             for c, ev in items[:SHORT_CLAIMS]]
    more = len(items) - SHORT_CLAIMS
    return and_list(shown) if more <= 0 else ", ".join(shown) + f" and {more} more"


def claim(doc: Record, cid: str, ev: Evidence) -> str:
    origin = {"knowledge": "", "overlay": ", from the team's overlay",
              "probe": ", blended with a live measurement",
              "support": ", from support entries"}[ev.origin]
    if doc.old_before is not None and ev.origin != "probe" and ev.as_of < doc.old_before:
        origin += f", evidence older than {years_text(doc.stale_years)}"
    rationale = public(ev.rationale).rstrip(".")
    return (f"{doc.crit(cid)} scores {ev.value:g} of {doc.high:g}: {rationale} "
            f"(`{ev.source}`, {ev.as_of.isoformat()}{origin})")
