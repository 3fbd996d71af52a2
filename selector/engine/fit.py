"""(knowledge + profile) -> fit: how well each framework reaches the team's own languages,
hardware and deployment targets, from the snapshot's support entries (docs/weights.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from selector.models import Profile, Snapshot, Support
from selector.vocab import LEVEL_VALUE, Axis, Role, SupportLevel


def team_targets(profile: Profile, axis: Axis) -> tuple[str, ...]:
    """What the team named on ``axis``; empty when it left the axis open. Languages: those
    it trains in, then those it only runs models from."""
    if axis is Axis.LANGUAGE:
        return profile.languages + profile.runtime_languages
    return profile.targets(axis)


def entries_for(snapshot: Snapshot, framework: str, axis: Axis, profile: Profile
                ) -> dict[str, Support]:
    """target -> the entry that counts for the team: for a language it trains in, the train
    route; for one it only runs models from, the better of the run and train routes."""
    entries = snapshot.support_of(framework, axis)
    if axis is Axis.LANGUAGE and profile.runtime_languages:
        run = snapshot.support_of(framework, axis, Role.RUN)
        entries = {**entries, **{t: run[t] for t in profile.runtime_languages if t in run}}
    return entries


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
            maturity = f" ({entry.maturity.value})" if entry.maturity.value != "ga" else ""
            runs = " (runs models only)" if entry.role is Role.RUN else ""
            parts.append(f"{target}: {entry.level.value}{via}{maturity}{runs}")
        return f"{scope} (mean level {self.unit:.2f}): {'; '.join(parts) or 'no route'}"

    @property
    def evidence_date(self) -> date | None:
        """The oldest evidence the value rests on."""
        return min((e.evidence_date for e in self.entries), default=None)


def fit(snapshot: Snapshot, framework: str, axis: Axis, profile: Profile) -> Fit:
    entries = entries_for(snapshot, framework, axis, profile)
    chosen = team_targets(profile, axis)
    targets = chosen or reached(snapshot, axis)
    values = [LEVEL_VALUE[level(entries, t)] for t in targets]
    unit = math.fsum(values) / len(values) if values else 0.0
    used = tuple(entries[t] for t in targets if t in entries)
    return Fit(unit=unit, targets=targets, breadth=not chosen, entries=used)


def reached(snapshot: Snapshot, axis: Axis) -> tuple[str, ...]:
    """The targets of ``axis`` that some framework reaches: the breadth of an open axis (a
    target no framework serves, tabular data, tells no framework from another)."""
    served = {e.target for e in snapshot.support if e.axis is axis
              and e.level is not SupportLevel.NONE}
    return tuple(t for t in snapshot.covers(axis) if t in served)


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
        trains = [LEVEL_VALUE[level(entries, t)] for t in profile.languages]
        if trains:
            return max(trains)
        # A team that only runs models writes none of the framework's code: it is not capped.
        return 1.0
    return fit(snapshot, framework, axis, profile).unit
