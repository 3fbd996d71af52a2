"""Robustness figures in sentences, shared by the table and the Markdown report."""

from __future__ import annotations

from selector.models import Recommendation

#: What a measured speed's range covers, said wherever measured scores are shown: the spread of
#: one probe run's samples, and the drift between runs only where earlier runs are cached
#: (docs/probes.md, docs/probes-in-ranking.md).
ONE_RUN = ("a range is one probe run's spread, not the drift between runs, unless it says "
           "'over N runs' (earlier runs kept by `dlselect probe --refresh`): on a shared "
           "machine the next run can differ by more (docs/probes.md)")


def robustness_sentences(rec: Recommendation) -> list[str]:
    rb = rec.robustness
    if rb is None or not rec.ranking:
        return []
    names = {r.framework: r.name for r in rec.ranking}
    winner = names.get(rb.winner, rb.winner)
    first_uniform = rb.acceptability_uniform[rb.winner][0]
    lines = [f"{winner} stays first in {rb.winner_confidence:.0%} of {rb.samples:,} weight "
             f"samples around these priorities, and in {first_uniform:.0%} of samples with "
             "weights drawn uniformly (SMAA-2)."]
    contenders = sorted(((a[0], f) for f, a in rb.acceptability_around.items()
                         if f != rb.winner and a[0] >= 0.05), reverse=True)
    if contenders:
        lines.append("Also first in some samples around these priorities: " + ", ".join(
            f"{names.get(f, f)} {share:.0%}" for share, f in contenders) + ".")
    cw = rb.critical_weight
    if cw is None:
        lines.append("No change to a single criterion's weight changes the winner.")
    else:
        direction = "lowering" if cw.new_weight < cw.old_weight else "raising"
        rel = f" (by {cw.relative:.0%})" if cw.relative is not None else ""
        lines.append(f"Smallest change that changes the winner: {direction} the weight of "
                     f"{cw.criterion} from {cw.old_weight:.3f} to {cw.new_weight:.3f}{rel} "
                     f"makes {names.get(cw.new_winner, cw.new_winner)} first.")
    agreement = rb.methods
    if agreement.winners_differ:
        picks = ", ".join(f"{m.upper()} {names.get(w, w)}" for m, w in agreement.winners.items())
        lines.append(f"The methods disagree on the winner: {picks}.")
    else:
        lines.append(f"{', '.join(m.upper() for m in agreement.winners)} agree on the winner.")
    if agreement.kendall_tau:
        low = min(agreement.kendall_tau.values())
        lines.append(f"Lowest rank correlation between two methods (Kendall's tau): {low:.2f}.")
    return lines
