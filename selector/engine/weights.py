"""profile -> weights. The rule (docs/weights.md):

1. start from each criterion's ``default_weight`` in the snapshot;
2. multiply by the snapshot's emphasis factor for the profile's task, for each of its
   hardware kinds and each deployment target (a factor of 0 switches a criterion off, e.g.
   multi-GPU on a CPU-only team);
3. an explicit ``--weight CRITERION=W`` replaces that criterion's weight by W, on the same
   relative scale as the defaults, and leaves the others as derived;
4. divide by the sum, so weights add up to 1. Multiplying every weight by one constant
   therefore changes nothing.
"""

from __future__ import annotations

import math

from selector.errors import ProfileError
from selector.models import Profile, Snapshot


def raw_weights(snapshot: Snapshot, profile: Profile) -> dict[str, float]:
    raw = {c.id: c.default_weight for c in snapshot.criteria}
    factors: list[dict[str, float]] = []
    if profile.task is not None:
        factors.append(snapshot.emphasis.task.get(profile.task, {}))
    factors.extend(snapshot.emphasis.hardware.get(hw, {}) for hw in profile.hardware)
    factors.extend(snapshot.emphasis.deployment.get(d, {}) for d in profile.deployment)
    for table in factors:
        for cid, factor in table.items():
            raw[cid] *= factor
    raw.update(profile.weights)
    return raw


def derive_weights(snapshot: Snapshot, profile: Profile) -> dict[str, float]:
    """Normalised weights, criterion -> share of 1, in the snapshot's criterion order."""
    raw = raw_weights(snapshot, profile)
    total = math.fsum(raw.values())
    if not total > 0:
        raise ProfileError("all criterion weights are zero; give at least one a positive weight")
    return {cid: w / total for cid, w in raw.items()}
