"""answers -> profile: read what a person typed against the snapshot's vocabulary.

The words a team can use are the snapshot's ``[[targets]]`` (ids and aliases), not code: a
snapshot that adds a target adds a word. A word may stand for several targets (``mobile``:
android and ios) and, given to ``--hardware``, for a scale (``multi-gpu``: nvidia-gpu at the
multi-device scale), as the vocabulary of schema 2 had it. Every word read as something else
is kept in ``Profile.readings`` for the answer to say so.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping

from selector.errors import ProfileError
from selector.models import Profile, Reading, Snapshot
from selector.vocab import ALSO_READS, DEFAULT_SNAPSHOT, Axis, Method

#: What each axis is called in an error line.
WHAT = {Axis.LANGUAGE: "language", Axis.WORKLOAD: "workload", Axis.HARDWARE: "hardware",
        Axis.SCALE: "scale", Axis.DEPLOYMENT: "deployment target",
        Axis.EXISTING: "framework"}


def _method(text: str) -> Method:
    from selector.engine.methods import RANKING_METHODS

    key = text.strip().lower()
    if key not in RANKING_METHODS:
        raise ProfileError(f"unknown method {text!r}; allowed: "
                           f"{', '.join(m.value for m in RANKING_METHODS)}")
    return Method(key)


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


def _unknown(snapshot: Snapshot, axis: Axis, word: str) -> ProfileError:
    vocabulary = [t for where in (axis, *ALSO_READS.get(axis, ()))
                  for t in snapshot.vocabulary(where)]
    words = [t.id for t in vocabulary] + [a for t in vocabulary for a in t.aliases]
    near = difflib.get_close_matches(word.strip().lower(), words, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(near)}? " if near else ""
    known = ", ".join(t.id for t in snapshot.vocabulary(axis)) or "none"
    return ProfileError(f"unknown {WHAT[axis]} {word!r} in snapshot {snapshot.id}; {hint}"
                        f"known: {known}", tip="dlselect kb targets lists what each means")


def read_answers(snapshot: Snapshot, axis: Axis, words: Iterable[str]
                 ) -> tuple[dict[Axis, list[str]], list[Reading]]:
    """The targets ``words`` name, by axis, and the words that were read as other targets."""
    chosen: dict[Axis, list[str]] = {}
    readings: list[Reading] = []
    for word in words:
        if not word.strip():
            continue
        found = snapshot.resolve(axis, word)
        if not found:
            raise _unknown(snapshot, axis, word)
        for where, tid in found:
            if tid not in chosen.setdefault(where, []):
                chosen[where].append(tid)
        if [tid for _, tid in found] != [word.strip().lower()] or found[0][0] is not axis:
            for where in dict.fromkeys(w for w, _ in found):
                readings.append(Reading(axis=where, word=word.strip(),
                                        targets=tuple(t for w, t in found if w is where)))
    return chosen, readings


def build_profile(
    *,
    languages: Iterable[str] = (),
    runtime_languages: Iterable[str] = (),
    workloads: Iterable[str] = (),
    task: str | None = None,
    hardware: Iterable[str] = (),
    scale: Iterable[str] = (),
    deployment: Iterable[str] = (),
    existing: Iterable[str] = (),
    weights: Mapping[str, float] | Iterable[str] = (),
    method: str = Method.TOPSIS.value,
    snapshot: str = DEFAULT_SNAPSHOT,
    kb: Snapshot | None = None,
) -> Profile:
    """Build a profile from plain words, read against the vocabulary of the snapshot
    ``snapshot`` names (``kb``: that snapshot, already loaded); every mistake becomes a
    one-line ProfileError. ``task`` is the schema-1 name of one workload."""
    if kb is None:
        from selector.knowledge import load_snapshot

        kb = load_snapshot(snapshot)
    if isinstance(weights, Mapping):
        pairs = list(weights.items())
        for name, weight in pairs:
            check_weight(name, weight)
    else:
        pairs = [parse_weight(w) for w in weights]
    chosen: dict[Axis, list[str]] = {axis: [] for axis in Axis}
    readings: list[Reading] = []
    runtime: list[str] = []
    asked = [(Axis.LANGUAGE, languages), (Axis.WORKLOAD, [*([task] if task else []), *workloads]),
             (Axis.HARDWARE, hardware), (Axis.SCALE, scale), (Axis.DEPLOYMENT, deployment),
             (Axis.EXISTING, existing)]
    for axis, words in asked:
        found, read = read_answers(kb, axis, words)
        readings += read
        for where, ids in found.items():
            chosen[where] += [t for t in ids if t not in chosen[where]]
    found, read = read_answers(kb, Axis.LANGUAGE, runtime_languages)
    readings += read
    runtime = [t for t in found.get(Axis.LANGUAGE, []) if t not in chosen[Axis.LANGUAGE]]
    for lang in only_runs(kb, chosen[Axis.LANGUAGE]):
        chosen[Axis.LANGUAGE].remove(lang)
        if lang not in runtime:
            runtime.append(lang)
        readings.append(Reading(axis=Axis.LANGUAGE, word=lang, targets=(lang,),
                                as_runtime=True))
    return Profile(
        languages=tuple(chosen[Axis.LANGUAGE]),
        runtime_languages=tuple(runtime),
        workloads=tuple(chosen[Axis.WORKLOAD]),
        hardware=tuple(chosen[Axis.HARDWARE]),
        scale=tuple(chosen[Axis.SCALE]),
        deployment=tuple(chosen[Axis.DEPLOYMENT]),
        existing=tuple(chosen[Axis.EXISTING]),
        readings=tuple(readings),
        weights=canonical_weights(kb, dict(pairs)),
        method=_method(method),
        snapshot=snapshot,
    )


def only_runs(snapshot: Snapshot, languages: Iterable[str]) -> list[str]:
    """The languages marked ``read_as_runtime`` in which no framework the snapshot ranks by
    default trains models, but one runs them (Go: ONNX Runtime from Go): a team that names one
    writes the code that runs the models, not the models."""
    from selector.vocab import Role, Status, SupportLevel

    active = {f.id for f in snapshot.frameworks if f.status is not Status.RETIRED}
    result = []
    for lang in languages:
        target = snapshot.target(Axis.LANGUAGE, lang)
        if target is None or not target.read_as_runtime:
            continue
        entries = [e for e in snapshot.support if e.axis is Axis.LANGUAGE and e.target == lang
                   and e.framework in active and e.level is not SupportLevel.NONE]
        if entries and all(e.role is Role.RUN for e in entries):
            result.append(lang)
    return result


def canonical_weights(snapshot: Snapshot, weights: dict[str, float]) -> dict[str, float]:
    """Weights under a criterion's former id (``transformer``) given to its current one."""
    renamed = {a: c.id for c in snapshot.criteria for a in c.aliases}
    return {renamed.get(name, name): w for name, w in weights.items()}


def check_against(profile: Profile, snapshot: Snapshot) -> None:
    """Refuse what the snapshot cannot use, naming what it can."""
    criteria = [c.id for c in snapshot.criteria]
    for name in profile.weights:
        if name not in criteria:
            near = difflib.get_close_matches(name, criteria, n=2, cutoff=0.6)
            hint = f"did you mean {' or '.join(near)}? " if near else ""
            raise ProfileError(f"unknown criterion {name!r} in --weight; {hint}"
                               f"snapshot {snapshot.id} has: {', '.join(criteria)}")
    for axis in Axis:
        known = {t.id for t in snapshot.vocabulary(axis)}
        named = profile.targets(axis) + (profile.runtime_languages
                                         if axis is Axis.LANGUAGE else ())
        for tid in named:
            if tid not in known:
                raise _unknown(snapshot, axis, tid)
