"""profile -> hard constraints: which frameworks cannot serve the team at all, and why.

A framework is excluded when it is retired (unless the team allows it), when none of the team's
languages reaches it, or when a hardware or deployment target the team needs has no route at
all (docs/knowledge-format.md, support entries). An axis the snapshot says nothing about is no
constraint.
"""

from __future__ import annotations

from selector.engine.fit import entries_for, level, team_targets
from selector.models import Exclusion, Framework, Profile, Snapshot, Unserved
from selector.vocab import AXIS_NEEDS, Axis, Role, Status, SupportLevel

_VERB = {Axis.LANGUAGE: "usable from", Axis.HARDWARE: "runs on",
         Axis.DEPLOYMENT: "deploys to", Axis.WORKLOAD: "serves", Axis.SCALE: "scales to",
         Axis.EXISTING: "takes code from"}


def _reach(snapshot: Snapshot, fw: Framework, axis: Axis) -> str:
    """What the framework does reach on ``axis``, e.g. 'python (native), r (binding)'; for
    languages, also those it only runs models from."""
    entries = snapshot.support_of(fw.id, axis)
    reached = [f"{t} ({entries[t].level.value})" for t in snapshot.covers(axis)
               if level(entries, t) is not SupportLevel.NONE]
    text = ", ".join(reached) or "nothing the snapshot lists"
    if axis is Axis.LANGUAGE:
        runs = snapshot.support_of(fw.id, axis, Role.RUN)
        only = [f"{t} ({runs[t].level.value})" for t in snapshot.covers(axis)
                if t in runs and runs[t].role is Role.RUN and t not in entries
                and runs[t].level is not SupportLevel.NONE]
        if only:
            text += f"; runs models trained elsewhere from {', '.join(only)}"
    return text


def _why_not(snapshot: Snapshot, fw: Framework, axis: Axis, targets: list[str]) -> str:
    """The notes of explicit ``none`` entries: why a route is known to be missing."""
    entries = snapshot.support_of(fw.id, axis)
    notes = [f"{t}: {entries[t].note}" for t in targets if t in entries and entries[t].note]
    return f" ({'; '.join(notes)})" if notes else ""


def exclusion(fw: Framework, snapshot: Snapshot, profile: Profile) -> Exclusion | None:
    """Why ``fw`` is excluded for ``profile``, or None when it stays in the ranking."""
    def out(reason: str, axis: Axis | None = None, targets: list[str] | None = None
            ) -> Exclusion:
        runs: list[str] = []
        if axis is Axis.LANGUAGE:
            run = snapshot.support_of(fw.id, axis, Role.RUN)
            runs = [t for t in targets or [] if t in profile.languages
                    and level(run, t) is not SupportLevel.NONE]
        return Exclusion(framework=fw.id, name=fw.name, reason=reason, axis=axis,
                         targets=targets or [], runs_from=runs)

    if fw.status is Status.RETIRED and not profile.allow_retired:
        when = f" (status as of {fw.status_as_of.isoformat()})" if fw.status_as_of else ""
        note = f": {fw.status_note}" if fw.status_note else ""
        return out(f"retired{when}{note} (rank it anyway with --allow-retired)")
    for axis in Axis:
        needs = AXIS_NEEDS[axis]
        if needs == "none" or not snapshot.covers(axis):
            continue
        entries = entries_for(snapshot, fw.id, axis, profile)
        if axis is Axis.LANGUAGE:
            # One language the team trains in is enough; each it runs models from is needed.
            trains = [t for t in profile.languages if level(entries, t) is SupportLevel.NONE]
            runs = [t for t in profile.runtime_languages
                    if level(entries, t) is SupportLevel.NONE]
            missing = (trains if profile.languages and len(trains) == len(profile.languages)
                       else []) + runs
            chosen = list(team_targets(profile, axis))
        else:
            chosen = list(team_targets(profile, axis))
            missing = [t for t in chosen if level(entries, t) is SupportLevel.NONE]
        if not chosen:
            continue
        if missing:
            direction = "no route from" if axis is Axis.LANGUAGE else "no route to"
            return out(f"{direction} {', '.join(missing)}"
                       f"{_why_not(snapshot, fw, axis, missing)}; "
                       f"{_VERB[axis]} {_reach(snapshot, fw, axis)}", axis, missing)
    return None


def split(snapshot: Snapshot, profile: Profile) -> tuple[list[Framework], list[Exclusion]]:
    """Frameworks that stay, and those excluded with their reason, in snapshot order."""
    kept: list[Framework] = []
    excluded: list[Exclusion] = []
    for fw in snapshot.frameworks:
        reason = exclusion(fw, snapshot, profile)
        if reason is None:
            kept.append(fw)
        else:
            excluded.append(reason)
    return kept, excluded


def unserved(snapshot: Snapshot, profile: Profile, kept: list[Framework]) -> list[Unserved]:
    """The team's targets that no framework left in the ranking reaches, with the snapshot's
    advice for each."""
    result = []
    for axis in Axis:
        if not snapshot.covers(axis) or AXIS_NEEDS[axis] == "none":
            continue
        for target in team_targets(profile, axis):
            if any(level(entries_for(snapshot, fw.id, axis, profile), target)
                   is not SupportLevel.NONE for fw in kept):
                continue
            info = snapshot.target(axis, target)
            result.append(Unserved(axis=axis, target=target,
                                   name=info.name if info else target,
                                   advice=info.unserved if info else None))
    return result


def retired_routes(snapshot: Snapshot, gap: Unserved) -> list[str]:
    """Retired frameworks that would reach an unserved target."""
    return [fw.name for fw in snapshot.frameworks if fw.status is Status.RETIRED
            and level(snapshot.support_of(fw.id, gap.axis), gap.target) is not SupportLevel.NONE]
