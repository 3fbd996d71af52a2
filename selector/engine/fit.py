"""(knowledge + profile) -> fit: how well each framework reaches the team's own languages,
hardware and deployment targets, from the snapshot's support entries (docs/weights.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from selector.models import Profile, Snapshot, Support
from selector.vocab import LEVEL_VALUE, Axis, SupportLevel


def team_targets(profile: Profile, axis: Axis) -> tuple[str, ...]:
    """What the team named on ``axis``; empty when it left the axis open."""
    chosen = {Axis.LANGUAGE: profile.languages, Axis.HARDWARE: profile.hardware,
              Axis.DEPLOYMENT: profile.deployment}[axis]
    return tuple(str(t.value) for t in chosen)


def level(entries: dict[str, Support], target: str) -> SupportLevel:
    entry = entries.get(target)
    return SupportLevel.NONE if entry is None else entry.level


@dataclass(frozen=True)
class Fit:
    """A fit criterion's value for one framework and the entries it rests on."""

    #: On [0, 1]: the mean level value over the targets considered.
    unit: float
    #: The targets considered: the team's, or every target of the axis (breadth).
    targets: tuple[str, ...]
    breadth: bool
    entries: tuple[Support, ...]

    def rationale(self, axis: Axis) -> str:
        scope = (f"breadth over the {len(self.targets)} {axis.value} targets the snapshot covers"
                 if self.breadth else f"fit for the team's {', '.join(self.targets)}")
        parts = []
        for target in self.targets:
            entry = next((e for e in self.entries if e.target == target), None)
            if entry is None:
                if not self.breadth:
                    parts.append(f"{target}: no route")
                continue
            via = f" via {entry.via}" if entry.via else ""
            parts.append(f"{target}: {entry.level.value}{via}")
        return f"{scope} (mean level {self.unit:.2f}): {'; '.join(parts) or 'no route'}"

    @property
    def evidence_date(self) -> date | None:
        """The oldest evidence the value rests on."""
        return min((e.evidence_date for e in self.entries), default=None)


def fit(snapshot: Snapshot, framework: str, axis: Axis, profile: Profile) -> Fit:
    entries = snapshot.support_of(framework, axis)
    chosen = team_targets(profile, axis)
    targets = chosen or tuple(snapshot.covers(axis))
    values = [LEVEL_VALUE[level(entries, t)] for t in targets]
    unit = math.fsum(values) / len(values) if values else 0.0
    used = tuple(entries[t] for t in targets if t in entries)
    return Fit(unit=unit, targets=targets, breadth=not chosen, entries=used)


def fits(snapshot: Snapshot, frameworks: Sequence[str],
         profile: Profile) -> dict[tuple[str, str], Fit]:
    """(framework, fit criterion) -> its fit for the profile."""
    return {(fid, c.id): fit(snapshot, fid, c.fit, profile)
            for c in snapshot.criteria if c.fit is not None for fid in frameworks}


def on_scale(snapshot: Snapshot, unit: float) -> float:
    return snapshot.scale.min + unit * (snapshot.scale.max - snapshot.scale.min)


def caps(snapshot: Snapshot, frameworks: Sequence[str], profile: Profile
         ) -> dict[tuple[str, str], float]:
    """(framework, criterion) -> the cap on its score, on the snapshot's scale, for criteria
    ``capped_by`` an axis on which the team named targets (``reach``)."""
    result = {}
    for criterion in snapshot.criteria:
        axis = criterion.capped_by
        if axis is None or not team_targets(profile, axis) or not snapshot.covers(axis):
            continue
        for fid in frameworks:
            result[(fid, criterion.id)] = on_scale(snapshot, reach(snapshot, fid, axis, profile))
    return result


def reach(snapshot: Snapshot, framework: str, axis: Axis, profile: Profile) -> float:
    """How well the team reaches the framework on ``axis``, on [0, 1]: for languages the best
    of the team's languages (one is enough to work in), for hardware and deployment the fit
    over all the team's targets (each is needed)."""
    if axis is Axis.LANGUAGE:
        entries = snapshot.support_of(framework, axis)
        return max(LEVEL_VALUE[level(entries, t)] for t in team_targets(profile, axis))
    return fit(snapshot, framework, axis, profile).unit
