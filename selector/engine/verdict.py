"""ranking + robustness -> the kind of answer (docs/robustness.md, "Honest verdicts").

A recommendation is **constrained** when one candidate is left (the constraints decided, not the
scores), **too close to call** when the winner's lead is within the uncertainty, and **clear**
otherwise. The lead is within the uncertainty when any of these holds (fixed thresholds,
documented, never fitted to a case):

- the winner's score ties the runner-up's (within SCORE_TIE);
- the winner stays first in fewer than CONFIDENCE of the weight samples around the team's
  priorities (SMAA-2);
- changing one criterion's weight by less than CRITICAL_CHANGE of itself crowns another
  framework;
- the four MCDA methods do not all pick the same winner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from selector.models import Ranked, Robustness, VerdictInfo
from selector.vocab import Verdict

#: Scores closer than this tie (the scores are rounded to 6 digits).
SCORE_TIE = 1e-6
#: The winner must stay first in at least this share of samples around the priorities.
CONFIDENCE = 0.6
#: A relative weight change smaller than this that changes the winner is within anyone's
#: uncertainty about their own priorities.
CRITICAL_CHANGE = 0.1
#: A framework first in at least this share of samples around the priorities is a contender.
CONTENDER = 0.2


def verdict(ranking: Sequence[Ranked], robustness: Robustness | None,
            criterion_names: Mapping[str, str]) -> VerdictInfo:
    first = ranking[0]
    if len(ranking) == 1:
        return VerdictInfo(kind=Verdict.CONSTRAINED, frameworks=[first.framework],
                           headline=f"Only {first.name} is left: the team's constraints "
                                    "decided, not the scores",
                           reasons=["every other framework is excluded (see Excluded)"])
    second = ranking[1]
    names = {r.framework: r.name for r in ranking}
    reasons: list[str] = []
    contenders = {first.framework}
    if abs(first.score - second.score) < SCORE_TIE:
        reasons.append(f"{first.name} and {second.name} have the same score "
                       f"({first.score:.3f})")
        contenders.add(second.framework)
    question = None
    if robustness is not None:
        if robustness.winner_confidence < CONFIDENCE:
            reasons.append(f"{first.name} stays first in only {robustness.winner_confidence:.0%}"
                           f" of weight samples around these priorities (threshold "
                           f"{CONFIDENCE:.0%})")
            contenders.update(f for f, shares in robustness.acceptability_around.items()
                              if shares and shares[0] >= CONTENDER)
        cw = robustness.critical_weight
        if cw is not None and cw.relative is not None and cw.relative < CRITICAL_CHANGE:
            direction = "raising" if cw.new_weight > cw.old_weight else "lowering"
            name = criterion_names.get(cw.criterion, cw.criterion)
            reasons.append(f"{direction} the weight of {name} by {cw.relative:.0%} makes "
                           f"{names.get(cw.new_winner, cw.new_winner)} first")
            contenders.add(cw.new_winner)
        if robustness.methods.winners_differ:
            picks = ", ".join(f"{m.upper()} {names.get(w, w)}"
                              for m, w in robustness.methods.winners.items())
            reasons.append(f"the ranking methods disagree ({picks})")
            contenders.update(robustness.methods.winners.values())
        if cw is not None:
            question = _question(cw.criterion, cw.new_weight > cw.old_weight,
                                 names.get(cw.new_winner, cw.new_winner), first.name,
                                 criterion_names)
    if not reasons:
        return VerdictInfo(kind=Verdict.CLEAR, frameworks=[first.framework],
                           headline=f"Use {first.name}", reasons=[])
    if len(contenders) == 1:
        contenders.add(second.framework)
    ordered = [r.framework for r in ranking if r.framework in contenders]
    listed = _and([names[f] for f in ordered])
    return VerdictInfo(kind=Verdict.TOO_CLOSE, frameworks=ordered,
                       headline=f"Too close to call between {listed}; {first.name} leads "
                                "by a margin within the uncertainty",
                       reasons=reasons, question=question)


def _question(criterion: str, raising: bool, challenger: str, leader: str,
              criterion_names: Mapping[str, str]) -> str:
    name = criterion_names.get(criterion, criterion)
    more = "more" if raising else "less"
    return (f"Does {name} matter {more} to the team than these priorities say? "
            f"If so, {challenger}; if not, {leader}.")


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
