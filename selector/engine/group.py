"""Several stakeholders: one ranking from several people's priorities, and where they part.

The rule (docs/weights.md, "Several stakeholders"):

1. the people share every answer but their priorities: languages, workloads, hardware, scale,
   deployment targets and existing code are the union of theirs (the framework must serve
   every one of them); the snapshot and the other settings must be the same
   (``merge_answers``);
2. each person's weights are derived as for one person (``derive_weights``) from the shared
   answers and that person's own ``[weights]``, so each adds up to 1;
3. the group's weight of a criterion is the geometric mean of the people's weights,
   renormalised to add up to 1 (``geometric_aggregate``): the group's ratio of two criteria is
   then the geometric mean of the people's ratios, the synthesis of ratio judgements that keeps
   unanimity, homogeneity and reciprocity (Aczel and Saaty 1983), and what aggregating the
   judgements of a group acting as one unit gives (Forman and Peniwati 1998). A criterion one
   person gives no weight at all gets none;
4. the frameworks are ranked once with the group's weights; each person's own winner (the
   ranking under their weights alone), the group winner's rank under each person's weights, and
   each criterion's spread of weight share across the people describe the disagreement.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from selector.engine.profile import check_against
from selector.engine.recommend import DIGITS, Decision, decide, recommend
from selector.engine.weights import derive_weights
from selector.errors import ProfileError, RankingError
from selector.models import (
    CriterionSpread,
    PersonView,
    Profile,
    Recommendation,
    Snapshot,
    Stakeholders,
)
from selector.vocab import DEFAULT_SNAPSHOT

if TYPE_CHECKING:
    from selector.answers import Answers
    from selector.probing.models import Outcome

#: Answers whose values are combined as a union (the framework must serve each).
UNION = ("languages", "runtime_languages", "workloads", "hardware", "scale", "deployment",
         "existing")
#: Answers that are the people's own.
OWN = ("weights", "person")


def merge_answers(people: Sequence[tuple[str, Answers]]) -> Answers:
    """The answers the people share: unions for languages, hardware and deployment, the common
    value for everything else but the weights; ProfileError naming the first disagreement.

    ``people`` are (label, answers) pairs, the label naming where the answers came from.
    """
    if not people:
        raise ProfileError("no answers to combine")
    first_label, first = people[0]
    update: dict[str, object] = {}
    for name in UNION:
        items = [x for _, a in people for x in (getattr(a, name) or [])]
        update[name] = list(dict.fromkeys(items)) or None
    defaults = {"snapshot": DEFAULT_SNAPSHOT, "allow_retired": False, "probe": False}
    for name in type(first).model_fields:
        if name in UNION or name in OWN or name == "schema_version":
            continue
        mine = getattr(first, name)
        for label, other in people[1:]:
            theirs = getattr(other, name)
            if (mine if mine is not None else defaults.get(name)) != (
                    theirs if theirs is not None else defaults.get(name)):
                raise ProfileError(
                    f"{label}: {name} {_shown(theirs, name)} differs from {first_label}'s "
                    f"{_shown(mine, name)}; the people must share every answer but their "
                    "priorities ([weights])")
    return first.model_copy(update={**update, "weights": None, "person": None})


def _shown(value: object, name: str) -> str:
    if value is None:
        return "(not given)" if name not in ("snapshot",) else repr(DEFAULT_SNAPSHOT)
    return repr(value)


def geometric_aggregate(weights: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Each person's weights normalised, their geometric mean per criterion, renormalised.

    Every mapping must name the same criteria (in the order of the first). RankingError when
    no criterion keeps a weight (each one is switched off by somebody).
    """
    if not weights:
        raise ValueError("no weights to aggregate")
    criteria = list(weights[0])
    normalised = []
    for w in weights:
        total = math.fsum(w[c] for c in criteria)
        if not total > 0:
            raise RankingError("a person's weights are all zero")
        normalised.append([w[c] / total for c in criteria])
    means = [math.prod(row[j] for row in normalised) ** (1 / len(normalised))
             for j in range(len(criteria))]
    total = math.fsum(means)
    if not total > 0:
        raise RankingError("the group's weights multiply out to zero: every criterion has "
                           "weight 0 from at least one person",
                           tip="a criterion switched off by one person is off for the group; "
                           "let each person keep some weight on what the others value")
    return {c: m / total for c, m in zip(criteria, means, strict=True)}


def spreads(people: Sequence[tuple[str, Mapping[str, float]]]) -> list[CriterionSpread]:
    """Each criterion's lowest and highest weight share among the people, widest first."""
    result = []
    for c in people[0][1]:
        shares = [(w[c], name) for name, w in people]
        low, lowest = min(shares, key=lambda s: s[0])
        high, highest = max(shares, key=lambda s: s[0])
        result.append(CriterionSpread(
            criterion=c, low=round(low, DIGITS), high=round(high, DIGITS),
            spread=round(high - low, DIGITS),
            ratio=round(high / low, DIGITS) if low > 0 else None,
            lowest=lowest, highest=highest))
    # Stable: equal spreads keep the snapshot's order of criteria.
    return sorted(result, key=lambda s: -s.spread)


def recommend_group(profile: Profile, people: Sequence[tuple[str, Mapping[str, float]]],
                    snapshot: Snapshot | None = None, probes: Sequence[Outcome] | None = None,
                    *, stale_years: int = 2, today: date | None = None) -> Recommendation:
    """Rank once with the group's weights; each person's view beside it.

    ``profile`` holds the shared answers (its own ``weights`` are ignored); ``people`` are
    (name, explicit weights) pairs, each as one person's ``[weights]`` would be.
    """
    return decide_group(profile, people, snapshot, probes, stale_years=stale_years,
                        today=today).recommendation


def decide_group(profile: Profile, people: Sequence[tuple[str, Mapping[str, float]]],
                 snapshot: Snapshot | None = None, probes: Sequence[Outcome] | None = None,
                 *, stale_years: int = 2, today: date | None = None) -> Decision:
    """``recommend_group``, with the decision matrix and the group's weights behind it."""
    if snapshot is None:
        from selector.knowledge import load_snapshot

        snapshot = load_snapshot(profile.snapshot)
    from selector.engine.recommend import without_unasked

    weighed = {c: 1.0 for _, own in people for c, w in own.items() if w > 0}
    snapshot = without_unasked(snapshot, profile.model_copy(update={"weights": weighed}))
    kept = {c.id for c in snapshot.criteria}
    people = [(name, {c: w for c, w in own.items() if c in kept}) for name, own in people]
    derived = []
    for name, own in people:
        mine = profile.model_copy(update={"weights": dict(own)})
        check_against(mine, snapshot)
        derived.append((name, derive_weights(snapshot, mine)))
    group = geometric_aggregate([w for _, w in derived])
    shared = {c: round(w, DIGITS) for c, w in group.items()}
    decision = decide(profile.model_copy(update={"weights": shared}), snapshot, probes,
                      stale_years=stale_years, today=today)
    rec = decision.recommendation
    winner = rec.ranking[0].framework
    views = []
    for name, weights in derived:
        alone = recommend(profile.model_copy(update={"weights": weights, "samples": 0}),
                          snapshot, probes, stale_years=stale_years, today=today)
        order = [r.framework for r in alone.ranking]
        views.append(PersonView(
            name=name, weights={c: round(w, DIGITS) for c, w in weights.items()},
            winner=order[0], group_winner_rank=order.index(winner) + 1,
            group_winner_holds=order[0] == winner))
    info = Stakeholders(people=views, disagreement=spreads(derived),
                        holds_for_everyone=all(v.group_winner_holds for v in views))
    return replace(decision, recommendation=rec.model_copy(update={"stakeholders": info}))
