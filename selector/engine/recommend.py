"""The pipeline end to end: profile (+ snapshot) -> recommendation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from selector.engine.constraints import split
from selector.engine.matrix import DecisionMatrix, build_matrix
from selector.engine.profile import check_against
from selector.engine.ranking import rank
from selector.engine.weights import derive_weights
from selector.errors import RankingError
from selector.models import (
    Agreement,
    CriticalWeight,
    Evidence,
    Exclusion,
    Measurement,
    Override,
    Profile,
    Ranked,
    Recommendation,
    Robustness,
    Snapshot,
    SnapshotRef,
    SourceRef,
)

if TYPE_CHECKING:
    from selector.probing.models import Outcome

#: Digits kept in scores, weights and contributions of a recommendation.
DIGITS = 6


def recommend(profile: Profile, snapshot: Snapshot | None = None,
              probes: Sequence[Outcome] | None = None) -> Recommendation:
    """Rank the snapshot's frameworks for ``profile``.

    ``snapshot`` defaults to loading ``profile.snapshot`` (a built-in id or a file path).
    ``probes`` are live measurements (``dlselect probe``): they enter the speed criterion and
    exclude frameworks whose installed build cannot see a GPU the team needs.
    """
    if snapshot is None:
        from selector.knowledge import load_snapshot

        snapshot = load_snapshot(profile.snapshot)
    check_against(profile, snapshot)
    weights = derive_weights(snapshot, profile)
    measured: list[Measurement] = []
    warnings: list[str] = []
    probe_excluded: list[Exclusion] = []
    if probes is not None:
        from selector.engine.measured import gpu_exclusions, measure_speed

        snapshot, measured, warnings = measure_speed(snapshot, profile, probes)
        probe_excluded, gpu_warnings = gpu_exclusions(snapshot, profile, probes)
        warnings += gpu_warnings
    kept, excluded = split(snapshot, profile)
    dropped = {e.framework for e in probe_excluded}
    excluded += [e for e in probe_excluded if e.framework in {f.id for f in kept}]
    kept = [f for f in kept if f.id not in dropped]
    if not kept:
        raise RankingError("no framework is left to rank: every one is excluded",
                           tip="relax --language, --hardware or --deployment")
    matrix = build_matrix(snapshot, kept, weights)
    result = rank(matrix, profile.method)
    probed = {(m.framework, m.criterion) for m in measured}
    ranking = [
        Ranked(
            framework=kept[i].id,
            name=kept[i].name,
            rank=position,
            score=round(float(result.scores[i]), DIGITS),
            contributions={c: round(float(v), DIGITS)
                           for c, v in zip(matrix.criteria, result.contributions[i], strict=True)},
            status=kept[i].status,
            evidence=evidence(snapshot, kept[i].id, probed),
        )
        for position, i in enumerate(result.order, start=1)
    ]
    cited = {e.source for r in ranking for e in r.evidence.values()}
    assessed = assess(matrix, profile) if profile.samples > 0 else None
    overrides = [Override(framework=s.framework, criterion=s.criterion, value=s.value,
                          base_value=s.replaces if s.replaces is not None else s.value,
                          source=s.source)
                 for s in snapshot.scores if s.overlay is not None]
    return Recommendation(
        snapshot=SnapshotRef(id=snapshot.id, title=snapshot.title, as_of=snapshot.as_of,
                             overlay=snapshot.overlay, scale=snapshot.scale),
        overrides=overrides,
        profile=profile,
        method=profile.method,
        weights={c: round(w, DIGITS) for c, w in weights.items()},
        ranking=ranking,
        excluded=excluded,
        measured=[m for m in measured if m.framework in {f.id for f in kept}],
        robustness=assessed,
        sources={s.id: SourceRef(title=s.title, author=s.author, publisher=s.publisher,
                                 url=s.url, published=s.published)
                 for s in snapshot.sources if s.id in cited},
        warnings=warnings,
    )


def evidence(snapshot: Snapshot, framework: str,
             probed: set[tuple[str, str]]) -> dict[str, Evidence]:
    result = {}
    for score in (s for s in snapshot.scores if s.framework == framework):
        origin: Literal["knowledge", "overlay", "probe"] = "knowledge"
        if (framework, score.criterion) in probed:
            origin = "probe"
        elif score.overlay is not None:
            origin = "overlay"
        result[score.criterion] = Evidence(value=round(score.value, DIGITS), source=score.source,
                                           as_of=score.as_of, rationale=score.rationale,
                                           origin=origin)
    return result


def assess(matrix: DecisionMatrix, profile: Profile) -> Robustness:
    """SMAA-2 acceptability, the critical weight change and method agreement, rounded."""
    from selector.engine import robustness as rb

    smaa = rb.smaa(matrix, profile.method, samples=profile.samples, seed=profile.seed)
    critical = rb.critical_weight_change(matrix, profile.method)
    agreement = rb.method_agreement(matrix)
    names = matrix.alternatives
    methods = [str(m) for m in agreement.methods]
    return Robustness(
        samples=smaa.samples,
        seed=smaa.seed,
        concentration=round(smaa.concentration, DIGITS),
        acceptability_uniform={a: [round(float(x), DIGITS) for x in row]
                               for a, row in zip(names, smaa.uniform, strict=True)},
        acceptability_around={a: [round(float(x), DIGITS) for x in row]
                              for a, row in zip(names, smaa.around, strict=True)},
        winner=smaa.winner,
        winner_confidence=round(smaa.winner_confidence, DIGITS),
        critical_weight=None if critical is None else CriticalWeight(
            criterion=critical.criterion, old_weight=round(critical.old_weight, DIGITS),
            new_weight=round(critical.new_weight, DIGITS), delta=round(critical.delta, DIGITS),
            relative=None if critical.relative is None else round(critical.relative, DIGITS),
            new_winner=critical.new_winner),
        methods=Agreement(
            orders={m: [names[i] for i in order]
                    for m, order in zip(methods, agreement.orders, strict=True)},
            kendall_tau={f"{methods[i]}/{methods[j]}": round(float(agreement.tau[i, j]), DIGITS)
                         for i in range(len(methods)) for j in range(i + 1, len(methods))},
            winners=dict(zip(methods, agreement.winners, strict=True)),
            winners_differ=agreement.winners_differ),
    )
