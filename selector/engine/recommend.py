"""The pipeline end to end: profile (+ snapshot) -> recommendation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Literal

from selector.engine.constraints import retired_routes, split, unserved
from selector.engine.fit import Fit, caps, fits, on_scale, team_targets
from selector.engine.matrix import DecisionMatrix, build_matrix
from selector.engine.methods import NotDecomposable
from selector.engine.profile import check_against
from selector.engine.ranking import Ranking, rank
from selector.engine.verdict import verdict
from selector.engine.weights import derive_weights, raw_weights
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
    Score,
    Snapshot,
    SnapshotRef,
    SourceRef,
    SupportRef,
    Unserved,
)
from selector.vocab import Axis, Method, Status

if TYPE_CHECKING:
    from selector.engine.methods.scikit_criteria import ExtraMethod
    from selector.engine.robustness import MethodAgreement
    from selector.probing.models import Outcome

#: Digits kept in scores, weights and contributions of a recommendation.
DIGITS = 6
#: Evidence more than this many years older than the snapshot is flagged as stale
#: (``Evidence.stale``); also the default threshold, counted from today, of ``Age``.
STALE_YEARS = 2


@dataclass(frozen=True, eq=False)
class Decision:
    """A recommendation with what it was computed from: the decision matrix the engine ranked
    (scores after capping and probe blending, weights normalised), the weights before they were
    normalised (criterion -> relative weight, what ``--weight`` sets), and the snapshot used.
    The interactive report re-ranks from these."""

    recommendation: Recommendation
    matrix: DecisionMatrix
    raw_weights: dict[str, float]
    snapshot: Snapshot


def recommend(profile: Profile, snapshot: Snapshot | None = None,
              probes: Sequence[Outcome] | None = None, *, stale_years: int = STALE_YEARS,
              today: date | None = None) -> Recommendation:
    """Rank the snapshot's frameworks for ``profile``.

    ``snapshot`` defaults to loading ``profile.snapshot`` (a built-in id or a file path).
    ``probes`` are live measurements (``dlselect probe``): they enter the speed criterion and
    exclude frameworks whose installed build cannot see a GPU the team needs.
    ``today`` (default: ``selector.clock.today()``) is the date the snapshot's age and the
    decisive scores' evidence older than ``stale_years`` are counted to.
    """
    return decide(profile, snapshot, probes, stale_years=stale_years, today=today).recommendation


def decide(profile: Profile, snapshot: Snapshot | None = None,
           probes: Sequence[Outcome] | None = None, *, stale_years: int = STALE_YEARS,
           today: date | None = None) -> Decision:
    """``recommend``, with the decision matrix and weights it ranked (``Decision``)."""
    if stale_years < 0:
        raise RankingError(f"the stale-evidence threshold must be 0 years or more, "
                           f"got {stale_years}")
    if snapshot is None:
        from selector.knowledge import load_snapshot

        snapshot = load_snapshot(profile.snapshot)
    check_against(profile, snapshot)
    snapshot = without_unasked(snapshot, profile)
    snapshot, on_device = for_device(snapshot, profile)
    weights = derive_weights(snapshot, profile)
    raw = raw_weights(snapshot, profile)
    measured: list[Measurement] = []
    warnings: list[str] = []
    probe_excluded: list[Exclusion] = []
    if probes is not None:
        from selector.engine.measured import gpu_exclusions, measure_multi_device, measure_speed

        snapshot, measured, warnings = measure_speed(snapshot, profile, probes)
        snapshot, multi, multi_warnings = measure_multi_device(snapshot, probes)
        measured += multi
        warnings += multi_warnings
        probe_excluded, gpu_warnings = gpu_exclusions(snapshot, profile, probes)
        warnings += gpu_warnings
    kept, excluded = split(snapshot, profile)
    dropped = {e.framework for e in probe_excluded}
    excluded += [e for e in probe_excluded if e.framework in {f.id for f in kept}]
    kept = [f for f in kept if f.id not in dropped]
    candidates = [f for f in snapshot.frameworks
                  if profile.allow_retired or f.status is not Status.RETIRED]
    gaps = unserved(snapshot, profile, candidates)
    if not kept:
        raise nothing_left(snapshot, gaps, excluded)
    fitted = fits(snapshot, [f.id for f in kept], profile)
    computed = {key: on_scale(snapshot, f.unit) for key, f in fitted.items()}
    scored = {(s.framework, s.criterion): s.value for s in snapshot.scores}
    capped = {key: cap for key, cap in caps(snapshot, [f.id for f in kept], profile).items()
              if key in scored and scored[key] > cap}
    computed.update(capped)
    matrix = build_matrix(snapshot, kept, weights, computed,
                          speed_ranges(snapshot, measured, capped))
    result = rank(matrix, profile.method)
    if result.decomposition is None:
        raise NotDecomposable(f"method {profile.method.value} cannot explain a ranking")
    decomposition = result.decomposition
    probed = {(m.framework, m.criterion) for m in measured if m.blended}
    ranking = [
        Ranked(
            framework=kept[i].id,
            name=kept[i].name,
            rank=position,
            score=round(float(result.scores[i]), DIGITS),
            contributions={c: round(float(v), DIGITS)
                           for c, v in zip(matrix.criteria, result.contributions[i], strict=True)},
            decomposition={c: round(float(v), DIGITS) for c, v in
                           zip(matrix.criteria, decomposition[i], strict=True)},
            status=kept[i].status,
            evidence=evidence(snapshot, kept[i].id, probed, fitted, capped, on_device),
        )
        for position, i in enumerate(result.order, start=1)
    ]
    cited = {e.source for r in ranking for e in r.evidence.values()}
    cited |= {s.source for r in ranking for e in r.evidence.values() for s in e.support}
    assessed = (assess(matrix, profile, winner=result.order[0]) if profile.samples > 0
                else None)
    overrides = [Override(framework=s.framework, criterion=s.criterion, value=s.value,
                          base_value=s.replaces if s.replaces is not None else s.value,
                          source=s.source)
                 for s in snapshot.scores if s.overlay is not None]
    rec = Recommendation(
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
        verdict=verdict(ranking, assessed, {c.id: c.name for c in snapshot.criteria}),
        margin=lead(matrix, result, profile.method),
        unserved=gaps,
    )
    return Decision(recommendation=with_age(rec, snapshot, today, stale_years), matrix=matrix,
                    raw_weights=raw, snapshot=snapshot)


def with_age(rec: Recommendation, snapshot: Snapshot, today: date | None,
             stale_years: int) -> Recommendation:
    """The recommendation with how old its facts are, and the warnings that follow."""
    from selector.clock import today as clock_today
    from selector.engine.age import age, age_warning, signal_warnings

    info = age(rec, today or clock_today(), stale_years)
    warnings = list(rec.warnings)
    old = age_warning(rec, info)
    if old:
        warnings.append(old)
    warnings += signal_warnings(snapshot, [r.framework for r in rec.ranking])
    return rec.model_copy(update={"age": info, "warnings": warnings})


Cell = tuple[str, str]


def speed_ranges(snapshot: Snapshot, measured: list[Measurement],
                 capped: dict[Cell, float]) -> dict[Cell, tuple[float, float]]:
    """(framework, criterion) -> the range a blended measured score may take, from the
    measurement's interquartile ranges (docs/probes-in-ranking.md); a capped score keeps its
    cap as the top of its range."""
    if not measured:
        return {}  # without probes the probe modules (and their models) are never imported
    from selector.engine.measured import PROBE_WEIGHT

    low_scale, high_scale = snapshot.scale.min, snapshot.scale.max
    ranges = {}
    for m in measured:
        if not m.blended or m.ratio_low is None or m.ratio_high is None:
            continue
        ends = [(1 - PROBE_WEIGHT) * m.knowledge_value
                + PROBE_WEIGHT * (low_scale + (high_scale - low_scale) * r)
                for r in (m.ratio_low, m.ratio_high)]
        cap = capped.get((m.framework, m.criterion))
        if cap is not None:
            ends = [min(e, cap) for e in ends]
        ranges[(m.framework, m.criterion)] = (ends[0], ends[1])
    return ranges


def lead(matrix: DecisionMatrix, result: Ranking, method: Method) -> dict[str, float]:
    """criterion -> its part of the winner's lead over the runner-up."""
    if len(result.order) < 2:
        return {}
    parts = result.lead(matrix, method, result.order[0], result.order[1])
    return {c: round(float(v), DIGITS) for c, v in zip(matrix.criteria, parts, strict=True)}


def nothing_left(snapshot: Snapshot, gaps: list[Unserved],
                 excluded: list[Exclusion] | None = None) -> RankingError:
    """The one line that says why nothing can be ranked, and what the team can do."""
    if not gaps:
        why = "; ".join(f"{e.name}: {e.reason}" for e in (excluded or [])
                        if e.axis is not None)
        runs = sorted({lang for e in (excluded or []) for lang in e.runs_from})
        hint = (f"; a language the team only runs models from goes to --runtime-language "
                f"({', '.join(runs)})" if runs else "")
        return RankingError("no framework is left to rank: every one is excluded"
                            + (f" ({why})" if why else ""),
                            tip="relax --language, --workload, --hardware or --deployment"
                            + hint)
    parts = []
    for gap in gaps:
        retired = retired_routes(snapshot, gap)
        only = (f" (only the retired {', '.join(retired)} did; rank it with --allow-retired)"
                if retired else "")
        parts.append(f"no framework in snapshot {snapshot.id} serves {gap.name}{only}")
    advice = " ".join(g.advice for g in gaps if g.advice)
    return RankingError("; ".join(parts), tip=advice or "relax --language, --workload, "
                        "--hardware or --deployment")


def stale(evidence_date: date, snapshot: Snapshot) -> bool:
    as_of = snapshot.as_of
    try:
        limit = as_of.replace(year=as_of.year - STALE_YEARS)
    except ValueError:  # 29 February
        limit = as_of.replace(year=as_of.year - STALE_YEARS, day=28)
    return evidence_date < limit


def without_unasked(snapshot: Snapshot, profile: Profile) -> Snapshot:
    """The snapshot without the fit criteria the team has nothing to fit on (existing code it
    did not name) and did not weigh itself: no column of equal or breadth values for them."""
    dropped = {c.id for c in snapshot.criteria
               if c.fit is not None and c.when_open == "skip"
               and not team_targets(profile, c.fit) and c.id not in profile.weights}
    if not dropped:
        return snapshot
    return snapshot.model_copy(update={
        "criteria": [c for c in snapshot.criteria if c.id not in dropped]})


def for_device(snapshot: Snapshot, profile: Profile
               ) -> tuple[Snapshot, dict[tuple[str, str], str]]:
    """The snapshot with one score per framework and criterion: where the snapshot has
    evidence measured on every hardware target the team named (an MLPerf row of AMD systems
    for an AMD team), the lowest of those scores replaces the general one; otherwise the
    general score stays, capped by fit later. Also returns (framework, criterion) -> the
    hardware whose evidence was used."""
    general = [s for s in snapshot.scores if s.hardware is None]
    if len(general) == len(snapshot.scores):
        return snapshot, {}
    devices = set(profile.hardware)
    by_cell: dict[tuple[str, str], dict[str, Score]] = {}
    for s in snapshot.scores:
        if s.hardware is not None and s.hardware in devices:
            by_cell.setdefault((s.framework, s.criterion), {})[s.hardware] = s
    used: dict[tuple[str, str], str] = {}
    scores = []
    for s in general:
        found = by_cell.get((s.framework, s.criterion), {})
        if devices and set(found) == devices:
            low = min(found.values(), key=lambda x: x.value)
            used[(s.framework, s.criterion)] = str(low.hardware)
            scores.append(low.model_copy(update={"hardware": None}))
        else:
            scores.append(s)
    return snapshot.model_copy(update={"scores": scores}), used


def evidence(snapshot: Snapshot, framework: str, probed: set[tuple[str, str]],
             fitted: dict[tuple[str, str], Fit],
             capped: dict[tuple[str, str], float],
             on_device: dict[tuple[str, str], str] | None = None) -> dict[str, Evidence]:
    result = {}
    for criterion in snapshot.criteria:
        fit = fitted.get((framework, criterion.id))
        if fit is not None and criterion.fit is not None:
            result[criterion.id] = fit_evidence(snapshot, fit, criterion.fit)
    for score in (s for s in snapshot.scores if s.framework == framework):
        origin: Literal["knowledge", "overlay", "probe", "support"] = "knowledge"
        if (framework, score.criterion) in probed:
            origin = "probe"
        elif score.overlay is not None:
            origin = "overlay"
        cap = capped.get((framework, score.criterion))
        rationale = score.rationale
        if cap is not None:
            axis = snapshot.criterion(score.criterion).capped_by
            rationale += (f" Capped at {cap:.2f}: the team reaches it only that well on its "
                          f"{axis} (docs/weights.md)." if axis else "")
        result[score.criterion] = Evidence(
            value=round(score.value if cap is None else cap, DIGITS), source=score.source,
            as_of=score.evidence_date, read_on=score.read_on or snapshot.read_on,
            rationale=rationale, origin=origin, stale=stale(score.evidence_date, snapshot),
            capped_from=None if cap is None else round(score.value, DIGITS),
            hardware=(on_device or {}).get((framework, score.criterion)))
    return {c.id: result[c.id] for c in snapshot.criteria if c.id in result}


def fit_evidence(snapshot: Snapshot, fit: Fit, axis: Axis) -> Evidence:
    entries = fit.entries
    oldest = fit.evidence_date or snapshot.as_of
    first = min(entries, key=lambda e: e.evidence_date) if entries else None
    return Evidence(
        value=round(on_scale(snapshot, fit.unit), DIGITS),
        source=first.source if first else "",
        as_of=oldest,
        read_on=min((e.read_on or snapshot.read_on for e in entries), default=snapshot.read_on),
        rationale=fit.rationale(axis),
        origin="overlay" if any(e.overlay for e in entries) else "support",
        stale=stale(oldest, snapshot),
        support=[SupportRef(target=e.target, level=e.level, via=e.via, source=e.source,
                            evidence_date=e.evidence_date, note=e.note, maturity=e.maturity,
                            role=e.role) for e in entries])


def assess(matrix: DecisionMatrix, profile: Profile, *, winner: int | None = None) -> Robustness:
    """SMAA-2 acceptability, the critical weight change and method agreement, rounded;
    ``winner`` is the ranking's first row (``ranking.rank``), ranked again when not given."""
    from selector.engine import robustness as rb

    smaa = rb.smaa(matrix, profile.method, samples=profile.samples, seed=profile.seed,
                   winner=winner)
    critical = rb.critical_weight_change(matrix, profile.method, winner=winner)
    names = matrix.alternatives
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
        methods=agreement_of(rb.method_agreement(matrix)),
    )


def agreement_of(agreement: MethodAgreement) -> Agreement:
    """The method agreement as a recommendation reports it, rounded."""
    names, methods = agreement.alternatives, agreement.methods
    return Agreement(
        orders={m: [names[i] for i in order]
                for m, order in zip(methods, agreement.orders, strict=True)},
        kendall_tau={f"{methods[i]}/{methods[j]}": round(float(agreement.tau[i, j]), DIGITS)
                     for i in range(len(methods)) for j in range(i + 1, len(methods))},
        winners=dict(zip(methods, agreement.winners, strict=True)),
        winners_differ=agreement.winners_differ)


def with_extra_methods(decision: Decision, methods: Sequence[ExtraMethod]) -> Decision:
    """``decision`` with scikit-criteria's ``methods`` ranking its matrix too, in the method
    comparison after the four of ``selector.engine.methods``; their winners count in the
    verdict as the four's do. They explain nothing: the ranking, its scores and their
    decomposition stay the ranking method's."""
    if not methods:
        return decision
    rec = decision.recommendation
    if rec.robustness is None:
        raise RankingError("scikit-criteria's methods rank in the method comparison of the "
                           "robustness analysis, which this decision skipped (0 samples)")
    from selector.engine import robustness as rb
    from selector.engine.methods.scikit_criteria import extra_scores

    others = {str(m): extra_scores(decision.matrix, m) for m in methods}
    robustness = rec.robustness.model_copy(update={
        "methods": agreement_of(rb.method_agreement(decision.matrix, others=others))})
    info = verdict(rec.ranking, robustness, {c.id: c.name for c in decision.snapshot.criteria})
    return replace(decision, recommendation=rec.model_copy(
        update={"robustness": robustness, "verdict": info}))
