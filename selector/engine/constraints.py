"""profile -> hard constraints: which frameworks cannot serve the team at all, and why."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from selector.models import Exclusion, Framework, Profile, Snapshot
from selector.vocab import Status


def exclusion_reason(fw: Framework, profile: Profile) -> str | None:
    """The reason ``fw`` is excluded for ``profile``, or None when it stays in the ranking."""
    if fw.status is Status.RETIRED and not profile.allow_retired:
        when = f" (status as of {fw.status_as_of.isoformat()})" if fw.status_as_of else ""
        note = f": {fw.status_note}" if fw.status_note else ""
        return f"retired{when}{note} (rank it anyway with --allow-retired)"
    if profile.languages and not set(profile.languages) & set(fw.languages):
        return (f"usable from {_names(fw.languages)} only; "
                f"the team uses {_names(profile.languages)}")
    if fw.hardware is not None:
        missing = [h for h in profile.hardware if h not in fw.hardware]
        if missing:
            return f"cannot use {_names(missing)} (it supports {_names(fw.hardware)})"
    if fw.deployment is not None:
        missing_targets = [d for d in profile.deployment if d not in fw.deployment]
        if missing_targets:
            return (f"cannot deploy to {_names(missing_targets)} "
                    f"(it serves {_names(fw.deployment) or 'no listed target'})")
    return None


def split(snapshot: Snapshot, profile: Profile) -> tuple[list[Framework], list[Exclusion]]:
    """Frameworks that stay, and those excluded with their reason, in snapshot order."""
    kept: list[Framework] = []
    excluded: list[Exclusion] = []
    for fw in snapshot.frameworks:
        reason = exclusion_reason(fw, profile)
        if reason is None:
            kept.append(fw)
        else:
            excluded.append(Exclusion(framework=fw.id, name=fw.name, reason=reason))
    return kept, excluded


def _names(items: Iterable[Enum]) -> str:
    return ", ".join(str(i.value) for i in items)
