"""recommendation -> how old its facts are: the snapshot's age and the decisive scores that
rest on old evidence (docs/json-contract.md, ``age``).

Ages are counted to today (``selector.clock``), not to the snapshot's date: the question a
reader asks is how old the facts are now. ``Evidence.stale`` keeps its own meaning, evidence
more than two years older than the snapshot (old already when the snapshot was written).
"""

from __future__ import annotations

from datetime import date

from selector.clock import add_months, age_text, years_before
from selector.engine.explain import grouped, losing_margin, winning_margin
from selector.models import Age, Recommendation, Snapshot, StaleScore
from selector.vocab import PROJECT_STATUSES, SignalKind

#: A snapshot older than this many months gets a warning.
OLD_SNAPSHOT_MONTHS = 6
#: With one framework left, the scores shown as deciding it: its largest shares.
TOP = 3


def decisive(rec: Recommendation) -> list[str]:
    """The criteria that decided the ranking: those named in the "Why" sentence (the winner's
    lead over the runner-up, and where the runner-up is ahead); with one framework, its
    largest shares."""
    if not rec.ranking:
        return []
    if len(rec.ranking) < 2:
        entry = rec.ranking[0]
        groups = grouped((entry.decomposition or entry.contributions).items(), TOP)
    else:
        groups = winning_margin(rec) + losing_margin(rec)
    names: list[str] = []
    for group, _ in groups:
        names += [c for c in group if c not in names]
    return names


def age(rec: Recommendation, today: date, stale_years: int) -> Age:
    as_of = rec.snapshot.as_of
    limit = years_before(today, stale_years)
    stale: list[StaleScore] = []
    criteria = decisive(rec)
    for entry in rec.ranking[:2]:
        for criterion in criteria:
            ev = entry.evidence.get(criterion)
            # A blended score was measured on this machine today.
            if ev is None or ev.origin == "probe" or ev.as_of >= limit:
                continue
            stale.append(StaleScore(framework=entry.framework, criterion=criterion,
                                    evidence_date=ev.as_of, source=ev.source,
                                    age_days=(today - ev.as_of).days))
    return Age(snapshot_as_of=as_of, today=today, age_days=(today - as_of).days,
               stale_years=stale_years,
               old=today > add_months(as_of, OLD_SNAPSHOT_MONTHS),
               stale_decisive=stale)


def age_warning(rec: Recommendation, info: Age) -> str | None:
    if not info.old:
        return None
    return (f"knowledge snapshot {rec.snapshot.id} is as of {info.snapshot_as_of.isoformat()}, "
            f"{age_text(info.age_days)}: facts may have changed since "
            "(`dlselect kb refresh` reads live release and archival signals)")


def signal_warnings(snapshot: Snapshot, ranked: list[str]) -> list[str]:
    """One warning per ranked framework that a live signal says is archived, deprecated or
    quarantined."""
    warnings = []
    for sig in snapshot.signals:
        if sig.framework not in ranked:
            continue
        winding_down = (sig.kind is SignalKind.ARCHIVED and sig.value == "true") or (
            sig.kind is SignalKind.PROJECT_STATUS and sig.value in PROJECT_STATUSES[1:])
        if not winding_down:
            continue
        source = next((s for s in snapshot.sources if s.id == sig.source), None)
        where = source.url if source is not None and source.url else sig.source
        what = ("its repository is archived (read-only)" if sig.kind is SignalKind.ARCHIVED
                else f"PyPI marks the project {sig.value}")
        reason = f" ({sig.note})" if sig.note else ""
        warnings.append(f"{sig.framework}: {what}{reason}, per {where} fetched "
                        f"{sig.fetched.date().isoformat()}")
    return warnings
