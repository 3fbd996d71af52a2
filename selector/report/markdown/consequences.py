"""The record's consequences, derived from the data: what choosing the winner means for this
team (its routes to the team's languages, hardware and deployment targets, the closeness of the
call, what the runner-up does better, the winner's weak criteria, the age of the evidence)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selector.clock import age_text, years_text
from selector.engine.explain import losing_margin
from selector.report.markdown.record import BAD_SHARE
from selector.report.markdown.text import and_list, num, public, team_targets
from selector.vocab import Axis, Status, SupportLevel

if TYPE_CHECKING:
    from selector.models import Ranked
    from selector.report.markdown.record import Record

#: Weak criteria of the winner named as consequences.
WEAK_CONSEQUENCES = 2

_ROUTE = {SupportLevel.LIMITED: "first-party support that is limited (experimental or "
                                 "inference only)",
          SupportLevel.BINDING: "a third-party binding",
          SupportLevel.BRIDGE: "a bridge to another runtime",
          SupportLevel.STALE: "a stale route nobody maintains",
          SupportLevel.NONE: "no route"}


def consequences(doc: Record) -> tuple[list[str], list[str], list[str]]:
    """The Good, Neutral and Bad consequences of choosing the winner, from the data."""
    rec = doc.rec
    winner = rec.ranking[0]
    good: list[str] = []
    neutral: list[str] = []
    bad: list[str] = []
    open_axes = []
    for axis in (Axis.LANGUAGE, Axis.WORKLOAD, Axis.HARDWARE, Axis.DEPLOYMENT, Axis.EXISTING):
        chosen = team_targets(rec, axis)
        if not chosen:
            if doc.snap.covers(axis) and axis is not Axis.EXISTING:
                open_axes.append(axis)
            continue
        g, b = routes(doc, winner, axis, chosen)
        good += g
        bad += b
    bad += capped(doc, winner)
    if open_axes:
        neutral.append("the team named no "
                       + and_list([{Axis.LANGUAGE: "language", Axis.WORKLOAD: "workload",
                                    Axis.HARDWARE: "hardware",
                                    Axis.DEPLOYMENT: "deployment target"}[a]
                                   for a in open_axes], "or")
                       + f", so {winner.name} was judged on breadth there, not on the "
                       "team's own needs; check them before accepting")
    for gap in rec.unserved:
        bad.append(f"no framework considered serves {gap.name}"
                   + (f": {public(gap.advice)}" if gap.advice else ""))
    verdict = rec.verdict
    rb = rec.robustness
    if verdict is not None and verdict.kind.value == "too-close":
        others = [doc.fw(f) for f in verdict.frameworks if f != winner.framework]
        bad.append(f"the call is too close: priorities only a little different would pick "
                   f"{and_list(others, 'or')}, so the team's priorities, not the data, decide")
    elif verdict is not None and verdict.kind.value == "constrained":
        bad.append("there is no alternative within the team's constraints: a problem with "
                   f"{winner.name} means relaxing them")
    elif rb is not None:
        good.append(f"the choice is robust: {winner.name} stays first under most "
                    "plausible priorities and every ranking method agrees")
    if len(rec.ranking) > 1:
        behind = [n for names, _ in losing_margin(rec) for n in names]
        if behind:
            bad.append(f"it gives up {rec.ranking[1].name}'s lead on {doc.crits(behind)}")
    weak = sorted(((c, ev) for c, ev in winner.evidence.items()
                   if rec.weights.get(c, 0) > 0 and doc.share(ev) <= BAD_SHARE
                   and ev.capped_from is None and ev.origin != "support"),
                  key=lambda kv: -rec.weights.get(kv[0], 0))
    for cid, ev in weak[:WEAK_CONSEQUENCES]:
        bad.append(f"it is weak on {doc.crit(cid)} ({num(ev.value)} of {doc.high:g}, "
                   f"{doc.cite(ev.source)}, {ev.as_of.isoformat()})")
    if winner.status is not Status.ACTIVE:
        bad.append(f"{winner.name} is {winner.status.value}: plan for moving off it")
    bad += old_evidence(doc)
    if not bad:
        neutral.append("the data shows no cost particular to this choice (no language "
                       "bridge, hardware gap, close call or old decisive evidence)")
    return good, neutral, bad


def routes(doc: Record, winner: Ranked, axis: Axis, chosen: list[str]
           ) -> tuple[list[str], list[str]]:
    """Good and bad consequences of the winner's routes to the team's targets on ``axis``."""
    entries = doc.snap.support_of(winner.framework, axis)
    native = [t for t in chosen
              if t in entries and entries[t].level is SupportLevel.NATIVE]
    good: list[str] = []
    bad: list[str] = []
    if native:
        names = and_list([doc.target(axis, t) for t in native])
        good.append({Axis.LANGUAGE: f"the team works in {names} natively",
                     Axis.WORKLOAD: f"its ecosystem serves {names} natively",
                     Axis.HARDWARE: f"it trains natively on {names}",
                     Axis.DEPLOYMENT: f"it deploys natively to {names}",
                     Axis.EXISTING: f"the team's {names} carries over as it is"}[axis])
    for t in chosen:
        entry = entries.get(t)
        level = SupportLevel.NONE if entry is None else entry.level
        if level is SupportLevel.NATIVE:
            continue
        name = doc.target(axis, t)
        route = _ROUTE[level] + (f": {entry.via}" if entry is not None and entry.via
                                 else "")
        source = (f" ({doc.cite(entry.source)}, {entry.evidence_date.isoformat()})"
                  if entry is not None else "")
        if axis is Axis.LANGUAGE:
            text = (f"its {name} code reaches {winner.name} only through {route}{source}"
                    if level is not SupportLevel.NONE else
                    f"{name} has no route to {winner.name}: that code would move to "
                    f"{and_list([doc.target(axis, x) for x in native]) or 'another language'}"
                    " or call a served model")
        elif axis is Axis.HARDWARE:
            text = f"training on {name} goes through {route}{source}"
        elif axis is Axis.WORKLOAD:
            text = f"for {name} it offers {route}{source}"
        elif axis is Axis.EXISTING:
            cost = f"; {public(entry.note)}" if entry is not None and entry.note else ""
            text = (f"the team's {name} moves to {winner.name} through {route}{source}{cost}"
                    if level is not SupportLevel.NONE else
                    f"the team's {name} does not carry over to {winner.name}: it would be "
                    "rewritten")
        else:
            text = f"reaching {name} takes {route}{source}"
        bad.append(text)
    return good, bad


def capped(doc: Record, winner: Ranked) -> list[str]:
    """Scores worth less to this team because it reaches the winner only in part: one line
    per axis that capped them (docs/weights.md explains the cap)."""
    by_axis: dict[tuple[str, float], list[str]] = {}
    for cid, ev in winner.evidence.items():
        if ev.capped_from is None or doc.rec.weights.get(cid, 0) <= 0:
            continue
        axis = next((c.capped_by for c in doc.snap.criteria if c.id == cid), None)
        where = {Axis.LANGUAGE: "its languages", Axis.HARDWARE: "its hardware",
                 Axis.DEPLOYMENT: "its deployment targets"}.get(axis, "its targets") \
            if axis is not None else "its targets"
        by_axis.setdefault((where, ev.value), []).append(doc.crit(cid))
    return [f"its strengths in {and_list(crits)} count only {num(value)} of {doc.high:g} for "
            f"this team: that is how well the team reaches {winner.name} from {where}"
            for (where, value), crits in by_axis.items()]


def old_evidence(doc: Record) -> list[str]:
    info = doc.rec.age
    if info is None:
        return []
    bad = []
    if info.old:
        bad.append(f"the knowledge is {age_text(info.age_days)}: facts may have changed "
                   "since; refresh them before accepting")
    if info.stale_decisive:
        by_framework: dict[str, list[str]] = {}
        for s in info.stale_decisive:
            by_framework.setdefault(doc.fw(s.framework), []).append(doc.crit(s.criterion))
        dates = sorted({s.evidence_date for s in info.stale_decisive})
        when = dates[0].isoformat() + (f" to {dates[-1].isoformat()}" if len(dates) > 1
                                       else "")
        sources = ", ".join(doc.cite(s) for s in dict.fromkeys(
            s.source for s in info.stale_decisive))
        cells = "; ".join(f"{name}'s {and_list(crits)}" for name, crits in by_framework.items())
        bad.append(f"the lead rests partly on evidence older than "
                   f"{years_text(info.stale_years)}: {cells} (evidence of {when}; "
                   f"{sources})")
    return bad
