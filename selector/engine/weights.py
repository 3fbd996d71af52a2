"""profile -> weights. The rule (docs/weights.md):

1. start from each criterion's ``default_weight`` in the snapshot;
2. multiply by the snapshot's emphasis factor for the profile's task;
3. for the hardware answers, multiply each criterion by the largest factor that any of them
   gives it, and likewise for the deployment answers: several answers combine without zeroing
   or compounding one another (``cpu`` with ``multi-gpu`` keeps multi-GPU at x3; ``gpu`` with
   ``multi-gpu`` gives speed x1.5, not x2.25). A criterion no answer names keeps its weight;
4. an explicit ``--weight CRITERION=W`` replaces that criterion's weight by W, on the same
   relative scale as the defaults, and leaves the others as derived;
5. divide by the sum, so weights add up to 1. Multiplying every weight by one constant
   therefore changes nothing.
"""

from __future__ import annotations

import math

from selector.errors import ProfileError
from selector.models import Profile, Snapshot


def raw_weights(snapshot: Snapshot, profile: Profile) -> dict[str, float]:
    raw = {c.id: c.default_weight for c in snapshot.criteria}
    if profile.task is not None:
        for cid, factor in snapshot.emphasis.task.get(profile.task, {}).items():
            raw[cid] *= factor
    hardware = [snapshot.emphasis.hardware.get(hw, {}) for hw in profile.hardware]
    deployment = [snapshot.emphasis.deployment.get(d, {}) for d in profile.deployment]
    for tables in (hardware, deployment):
        for cid in {cid for table in tables for cid in table}:
            raw[cid] *= max(table[cid] for table in tables if cid in table)
    raw.update(profile.weights)
    return raw


def derive_weights(snapshot: Snapshot, profile: Profile) -> dict[str, float]:
    """Normalised weights, criterion -> share of 1, in the snapshot's criterion order."""
    raw = raw_weights(snapshot, profile)
    total = math.fsum(raw.values())
    if not total > 0:
        raise ProfileError("all criterion weights are zero; give at least one a positive weight")
    return {cid: w / total for cid, w in raw.items()}
