"""profile -> weights. The rule (docs/weights.md):

1. start from each criterion's ``default_weight`` in the snapshot; a criterion ``only_for``
   some targets (Keras compatibility: teams with Keras code) starts at 0 for a team that
   names none of them;
2. on each axis (workloads, hardware and scale together, deployment, existing code),
   multiply each criterion by the largest emphasis factor that any of the team's answers
   there gives it:
   several answers combine without zeroing or compounding one another (``cpu`` with
   ``multi-device`` keeps multi-device at x3; two workloads that both stress the model hub
   give x3, not x9). A criterion no answer names keeps its weight;
4. an explicit ``--weight CRITERION=W`` replaces that criterion's weight by W, on the same
   relative scale as the defaults, and leaves the others as derived;
5. divide by the sum, so weights add up to 1. Multiplying every weight by one constant
   therefore changes nothing.
"""

from __future__ import annotations

import math

from selector.errors import ProfileError
from selector.models import Criterion, Profile, Snapshot
from selector.vocab import Axis

#: The axes whose answers combine by the largest factor: the device and the scale are one
#: question about the hardware (``cpu`` with ``multi-device`` keeps multi-device at x3, as
#: ``cpu`` with ``multi-gpu`` did when both were hardware answers).
EMPHASIS_GROUPS: tuple[tuple[Axis, ...], ...] = (
    (Axis.WORKLOAD,), (Axis.HARDWARE, Axis.SCALE), (Axis.DEPLOYMENT,), (Axis.EXISTING,),
    (Axis.LANGUAGE,))


def raw_weights(snapshot: Snapshot, profile: Profile) -> dict[str, float]:
    raw = {c.id: c.default_weight if applies(c, profile) else 0.0 for c in snapshot.criteria}
    for group in EMPHASIS_GROUPS:
        tables = [snapshot.emphasis.get(axis, {}).get(t, {})
                  for axis in group for t in profile.targets(axis)]
        for cid in {cid for table in tables for cid in table}:
            raw[cid] *= max(table[cid] for table in tables if cid in table)
    for c in snapshot.criteria:
        if c.fit is not None and c.when_open == "skip" and not profile.targets(c.fit):
            raw[c.id] = 0.0  # the team named nothing on the axis: nothing to fit
    raw.update(profile.weights)
    return raw


def applies(criterion: Criterion, profile: Profile) -> bool:
    """Whether a criterion ``only_for`` some targets concerns this team."""
    if not criterion.only_for:
        return True
    if any(t in profile.targets(axis) for axis, ids in criterion.only_for.items() for t in ids):
        return True
    unnamed = not any(profile.targets(axis) for axis in criterion.only_for)
    return unnamed and criterion.when_unnamed == "counts"


def derive_weights(snapshot: Snapshot, profile: Profile) -> dict[str, float]:
    """Normalised weights, criterion -> share of 1, in the snapshot's criterion order."""
    raw = raw_weights(snapshot, profile)
    total = math.fsum(raw.values())
    if not total > 0:
        raise ProfileError("all criterion weights are zero; give at least one a positive weight")
    return {cid: w / total for cid, w in raw.items()}
