"""answers -> profile: parse what a person typed, then check it against the chosen snapshot."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import TypeVar

from selector.errors import ProfileError
from selector.models import Profile, Snapshot
from selector.vocab import (
    DEFAULT_SNAPSHOT,
    Axis,
    Deployment,
    Hardware,
    Language,
    Method,
    Task,
    allowed,
    parse_language,
)

E = TypeVar("E", bound=Enum)


def _choice(enum: type[E], text: str, what: str) -> E:
    try:
        return enum(text.strip().lower())
    except ValueError:
        raise ProfileError(f"unknown {what} {text!r}; allowed: {allowed(enum)}") from None


def _method(text: str) -> Method:
    from selector.engine.methods import RANKING_METHODS

    key = text.strip().lower()
    if key not in RANKING_METHODS:
        raise ProfileError(f"unknown method {text!r}; allowed: "
                           f"{', '.join(m.value for m in RANKING_METHODS)}")
    return Method(key)


def _language(text: str) -> Language:
    try:
        return parse_language(text)
    except ValueError:
        raise ProfileError(f"unknown language {text!r}; allowed: {allowed(Language)}") from None


def parse_weight(text: str) -> tuple[str, float]:
    """Parse ``CRITERION=WEIGHT`` as typed on the command line."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ProfileError(f"--weight {text!r} must look like CRITERION=WEIGHT, e.g. speed=2")
    try:
        weight = float(value)
    except ValueError:
        raise ProfileError(f"weight of {name!r} must be a number, got {value.strip()!r}") from None
    check_weight(name, weight)
    return name, weight


def check_weight(name: str, weight: float) -> None:
    if not math.isfinite(weight):
        raise ProfileError(f"weight of {name!r} must be a finite number, got {weight}")
    if weight < 0:
        raise ProfileError(f"weight of {name!r} must be >= 0, got {weight}")


def build_profile(
    *,
    languages: Iterable[str] = (),
    task: str | None = None,
    hardware: Iterable[str] = (),
    deployment: Iterable[str] = (),
    weights: Mapping[str, float] | Iterable[str] = (),
    method: str = Method.TOPSIS.value,
    snapshot: str = DEFAULT_SNAPSHOT,
) -> Profile:
    """Build a profile from plain values; every mistake becomes a one-line ProfileError."""
    if isinstance(weights, Mapping):
        pairs = list(weights.items())
        for name, weight in pairs:
            check_weight(name, weight)
    else:
        pairs = [parse_weight(w) for w in weights]
    return Profile(
        languages=tuple(dict.fromkeys(_language(x) for x in languages)),
        task=_choice(Task, task, "task") if task else None,
        hardware=tuple(dict.fromkeys(_choice(Hardware, h, "hardware") for h in hardware)),
        deployment=tuple(dict.fromkeys(_choice(Deployment, d, "deployment target")
                                       for d in deployment)),
        weights=dict(pairs),
        method=_method(method),
        snapshot=snapshot,
    )


def check_against(profile: Profile, snapshot: Snapshot) -> None:
    """Refuse what the snapshot cannot use, naming what it can."""
    criteria = [c.id for c in snapshot.criteria]
    for name in profile.weights:
        if name not in criteria:
            raise ProfileError(f"unknown criterion {name!r} in --weight; "
                               f"snapshot {snapshot.id} has: {', '.join(criteria)}")
    tasks = [t.value for t in snapshot.emphasis.task]
    if profile.task is not None and profile.task.value not in tasks:
        raise ProfileError(f"task {profile.task.value!r} is not covered by snapshot "
                           f"{snapshot.id}; it covers: {', '.join(tasks) or 'none'}")
    hardware = supported_hardware(snapshot)
    for hw in profile.hardware:
        if hw not in hardware:
            raise ProfileError(f"hardware {hw.value!r} is not covered by snapshot {snapshot.id}; "
                               f"it covers: {', '.join(h.value for h in hardware)}")
    targets = supported_deployment(snapshot)
    for target in profile.deployment:
        if target not in targets:
            raise ProfileError(f"deployment target {target.value!r} is not covered by snapshot "
                               f"{snapshot.id}; it covers: "
                               f"{', '.join(d.value for d in targets) or 'none'}")


def supported_hardware(snapshot: Snapshot) -> list[Hardware]:
    """Hardware the snapshot says something about: an emphasis or a support entry."""
    named = {str(h.value) for h in snapshot.emphasis.hardware}
    named.update(snapshot.covers(Axis.HARDWARE))
    return [h for h in Hardware if h.value in named]


def supported_deployment(snapshot: Snapshot) -> list[Deployment]:
    named = {str(d.value) for d in snapshot.emphasis.deployment}
    named.update(snapshot.covers(Axis.DEPLOYMENT))
    return [d for d in Deployment if d.value in named]
