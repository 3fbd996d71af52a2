"""Loading and checking knowledge snapshots: the only code that reads ``knowledge/``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from pydantic import ValidationError

from selector.errors import KnowledgeError, location
from selector.models import (
    KNOWLEDGE_SCHEMA_VERSION,
    Overlay,
    Score,
    Signal,
    Snapshot,
    Support,
)
from selector.paths import knowledge_dir
from selector.vocab import PROJECT_STATUSES, Axis, Role, SignalKind, SupportLevel

SNAPSHOT_SUFFIX = ".toml"


@dataclass(frozen=True)
class SnapshotInfo:
    id: str
    title: str
    as_of: date
    path: Path


def builtin_ids() -> list[str]:
    return sorted(p.stem for p in knowledge_dir().glob(f"*{SNAPSHOT_SUFFIX}"))


def list_snapshots() -> list[SnapshotInfo]:
    infos = []
    for sid in builtin_ids():
        snap = load_snapshot(sid)
        infos.append(SnapshotInfo(snap.id, snap.title, snap.as_of, knowledge_dir() / f"{sid}.toml"))
    return infos


def load_snapshot(ref: str) -> Snapshot:
    """Load a built-in snapshot by id, or a user's snapshot or overlay file by path (an overlay
    comes back applied to its base snapshot)."""
    document = load_document(ref)
    if isinstance(document, Overlay):
        return apply_overlay(load_snapshot(document.base), document)
    return document


def load_document(ref: str) -> Snapshot | Overlay:
    path = Path(ref)
    if ref in builtin_ids():
        path = knowledge_dir() / f"{ref}{SNAPSHOT_SUFFIX}"
    elif not path.suffix:
        raise KnowledgeError(
            f"unknown knowledge snapshot {ref!r}; built in: {', '.join(builtin_ids())}",
            tip="pass a built-in id or the path of a .toml or .json snapshot or overlay file",
        )
    data = read_document(path)
    if data.get("kind") == "overlay":
        return parse_overlay(data, str(path))
    return parse_snapshot(data, str(path))


def read_document(path: Path) -> dict[str, Any]:
    """Read a TOML or JSON document; any failure becomes a located KnowledgeError."""
    from selector.documents import read_document as read

    return read(path, KnowledgeError, json_by_name=True)


M = TypeVar("M", Snapshot, Overlay)


def _upgrade_overlay(data: dict[str, Any]) -> dict[str, Any]:
    """A version-1 overlay holds only scores; its ``as_of`` is their evidence date."""
    scores = data.get("scores")
    if isinstance(scores, list):
        scores = [{("evidence_date" if k == "as_of" else k): v for k, v in s.items()}
                  if isinstance(s, dict) else s for s in scores]
    return {**data, "schema_version": KNOWLEDGE_SCHEMA_VERSION, "scores": scores}


def _validate(model: type[M], data: dict[str, Any], where: str) -> M:
    version = data.get("schema_version")
    if version == 1 and model is Overlay:
        data = _upgrade_overlay(data)
    elif version == 2 and model is Overlay:
        pass  # its targets are read through the base's aliases (upgrade_overlay)
    elif version in (1, 2):
        raise KnowledgeError(
            f"{where}: schema_version: {version} is no longer read (version 1: flat language, "
            f"hardware and deployment lists; version 2: a vocabulary fixed in code); this "
            f"dlselect reads version {KNOWLEDGE_SCHEMA_VERSION}",
            tip="convert it as docs/knowledge-format.md (From earlier versions) says",
        )
    elif version != KNOWLEDGE_SCHEMA_VERSION:
        shown = "no schema_version" if version is None else f"unsupported {version!r}"
        tip = ("a knowledge file starts with schema_version = 3 (docs/knowledge-format.md)"
               if version is None else
               "upgrade dlselect, or convert the file to the documented format")
        raise KnowledgeError(
            f"{where}: schema_version: {shown}; "
            f"this dlselect reads version {KNOWLEDGE_SCHEMA_VERSION}", tip=tip)
    entries: list[dict[str, Any]] = []
    for section in ("scores", "support"):
        items = data.get(section)
        if isinstance(items, list):
            entries += [s for s in items if isinstance(s, dict)]
    for key in ("overlay", "replaces"):
        # These record what dlselect did; a file may not claim them.
        if key in data or any(key in s for s in entries):
            _fail([f"{where}: {key}: set by dlselect, not allowed in a file"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        _fail([f"{where}: {line}" for line in validation_lines(exc)])


def _fail(problems: list[str]) -> NoReturn:
    raise KnowledgeError(problems[0] if len(problems) == 1 else
                         f"{problems[0]} (and {len(problems) - 1} more problems)",
                         problems=problems)


def parse_snapshot(data: dict[str, Any], where: str) -> Snapshot:
    snapshot = _validate(Snapshot, data, where)
    problems = [f"{where}: {p}" for p in cross_check(snapshot)]
    if problems:
        _fail(problems)
    return snapshot


def parse_overlay(data: dict[str, Any], where: str) -> Overlay:
    overlay = _validate(Overlay, data, where)
    if overlay.base not in builtin_ids():
        _fail([f"{where}: base: unknown built-in snapshot {overlay.base!r}; "
               f"built in: {', '.join(builtin_ids())}"])
    base = load_snapshot(overlay.base)
    overlay = upgrade_overlay(base, overlay)
    problems = [f"{where}: {p}" for p in check_overlay(base, overlay)]
    if problems:
        _fail(problems)
    return overlay


def upgrade_overlay(base: Snapshot, overlay: Overlay) -> Overlay:
    """An overlay of schema 2 named targets in the vocabulary dlselect had in code (``gpu``,
    ``mobile``, ``multi-gpu`` as hardware): each is read through the base's aliases, as a
    person's answer would be, so ``mobile`` becomes an entry for android and one for ios."""
    if overlay.schema_version == KNOWLEDGE_SCHEMA_VERSION:
        return overlay
    support = []
    for entry in overlay.support:
        if any(t.id == entry.target for t in base.vocabulary(entry.axis)):
            support.append(entry)
            continue
        found = base.resolve(entry.axis, entry.target)
        if not found:
            support.append(entry)  # reported as unknown by check_support
        support += [entry.model_copy(update={"axis": axis, "target": tid})
                    for axis, tid in found]
    return overlay.model_copy(update={"support": support,
                                      "schema_version": KNOWLEDGE_SCHEMA_VERSION})


def check_overlay(base: Snapshot, overlay: Overlay) -> list[str]:
    problems: list[str] = []
    base_sources = {s.id for s in base.sources}
    own = [s.id for s in overlay.sources]
    for i, sid in enumerate(own):
        if sid in base_sources or own.count(sid) > 1:
            problems.append(f"sources[{i}].id: {sid!r} is already used; choose another id")
    if not overlay.scores and not overlay.support and not overlay.signals:
        problems.append("an overlay must replace at least one score or support entry, or "
                        "carry a signal")
    sources = base_sources | set(own)
    score_problems, _ = check_scores(overlay.scores, base, sources=sources,
                                     where=f" in snapshot {base.id}")
    fit = [c.id for c in base.criteria if c.fit is not None]
    score_problems += [f"scores[{i}].criterion: {sc.criterion!r} is computed from support "
                       "entries; replace those instead" for i, sc in enumerate(overlay.scores)
                       if sc.criterion in fit]
    return (problems + score_problems + check_support(overlay.support, base, sources=sources)
            + check_signals(overlay.signals, base, sources=sources))


def check_signals(signals: list[Signal], snap: Snapshot, *, sources: set[str]) -> list[str]:
    """References, values and duplicates of live signals (docs/knowledge-format.md)."""
    problems: list[str] = []
    frameworks = {f.id for f in snap.frameworks}
    seen: dict[tuple[str, str], int] = {}
    for i, sig in enumerate(signals):
        loc = f"signals[{i}]"
        if sig.framework not in frameworks:
            problems.append(f"{loc}.framework: unknown framework {sig.framework!r}")
        if sig.source not in sources:
            problems.append(f"{loc}.source: unknown source {sig.source!r}")
        if sig.kind is SignalKind.ARCHIVED and sig.value not in ("true", "false"):
            problems.append(f"{loc}.value: an archived signal is 'true' or 'false', not "
                            f"{sig.value!r}")
        if sig.kind is SignalKind.PROJECT_STATUS and sig.value not in PROJECT_STATUSES:
            problems.append(f"{loc}.value: unknown project status {sig.value!r}; allowed: "
                            f"{', '.join(PROJECT_STATUSES)}")
        # A day's grace: the fact's date is the server's, the fetch time this machine's.
        if sig.observed is not None and (sig.observed - sig.fetched.date()).days > 1:
            problems.append(f"{loc}.observed: {sig.observed} is later than when it was "
                            f"fetched ({sig.fetched.isoformat()})")
        key = (sig.framework, sig.kind.value)
        if key in seen:
            problems.append(f"{loc}: {sig.framework}/{sig.kind.value} is already given in "
                            f"signals[{seen[key]}]")
        seen.setdefault(key, i)
    return problems


def check_scores(scores: list[Score], snap: Snapshot, *, sources: set[str],
                 where: str = "") -> tuple[list[str], dict[tuple[str, str], int]]:
    """References, range and duplicates of scores against ``snap``'s frameworks, criteria and
    scale; also returns where each (framework, criterion) is first scored."""
    problems: list[str] = []
    frameworks = {f.id for f in snap.frameworks}
    criteria = {c.id for c in snap.criteria}
    hardware = {t.id for t in snap.vocabulary(Axis.HARDWARE)}
    seen: dict[tuple[str, str], int] = {}
    seen_on: dict[tuple[str, str, str], int] = {}
    for i, sc in enumerate(scores):
        loc = f"scores[{i}]"
        if sc.hardware is not None:
            if sc.hardware not in hardware:
                problems.append(f"{loc}.hardware: unknown hardware {sc.hardware!r}")
            key3 = (sc.framework, sc.criterion, sc.hardware)
            if key3 in seen_on:
                problems.append(f"{loc}: {sc.framework}/{sc.criterion} on {sc.hardware} is "
                                f"already scored in scores[{seen_on[key3]}]")
            seen_on.setdefault(key3, i)
        if sc.framework not in frameworks:
            problems.append(f"{loc}.framework: unknown framework {sc.framework!r}{where}")
        if sc.criterion not in criteria:
            problems.append(f"{loc}.criterion: unknown criterion {sc.criterion!r}{where}")
        if sc.source not in sources:
            problems.append(f"{loc}.source: unknown source {sc.source!r}")
        problems += [f"{loc}.see: unknown source {sid!r}" for sid in sc.see if sid not in sources]
        if not snap.scale.min <= sc.value <= snap.scale.max:
            problems.append(f"{loc}.value: {sc.value:g} is outside the scale "
                            f"[{snap.scale.min:g}, {snap.scale.max:g}]")
        key = (sc.framework, sc.criterion)
        if sc.hardware is not None:
            pass
        elif key in seen:
            problems.append(f"{loc}: {sc.framework}/{sc.criterion} is already scored "
                            f"in scores[{seen[key]}]")
        if sc.hardware is None:
            seen.setdefault(key, i)
    return problems, seen


def check_support(entries: list[Support], snap: Snapshot, *, sources: set[str]) -> list[str]:
    """References, targets, ``via`` and duplicates of support entries."""
    problems: list[str] = []
    frameworks = {f.id for f in snap.frameworks}
    seen: dict[tuple[str, str, str, str, str], int] = {}
    for i, entry in enumerate(entries):
        loc = f"support[{i}]"
        if entry.framework not in frameworks:
            problems.append(f"{loc}.framework: unknown framework {entry.framework!r}")
        vocabulary = [t.id for t in snap.vocabulary(entry.axis)]
        if entry.role is Role.RUN and entry.axis is not Axis.LANGUAGE:
            problems.append(f"{loc}.role: only a language entry can be a run-only route")
        if entry.target not in vocabulary:
            problems.append(f"{loc}.target: unknown {entry.axis.value} {entry.target!r}; "
                            f"allowed: {', '.join(vocabulary)}")
        if entry.source not in sources:
            problems.append(f"{loc}.source: unknown source {entry.source!r}")
        problems += [f"{loc}.see: unknown source {sid!r}" for sid in entry.see
                     if sid not in sources]
        if entry.level in (SupportLevel.BINDING, SupportLevel.BRIDGE) and entry.via is None:
            problems.append(f"{loc}.via: a {entry.level.value} entry must name the binding or "
                            "bridge")
        if entry.read_on is not None and entry.evidence_date > entry.read_on:
            problems.append(f"{loc}.evidence_date: {entry.evidence_date} is later than its "
                            f"read_on {entry.read_on}")
        # A run-only route may be one of several (ExecuTorch and Core ML from Swift), each
        # named by its route; the best counts.
        route = entry.route or "" if entry.role is Role.RUN else ""
        key = (entry.framework, entry.axis.value, entry.target, entry.role.value, route)
        if key in seen:
            role = f" ({entry.role.value})" if entry.role is Role.RUN else ""
            problems.append(f"{loc}: {entry.framework}/{entry.axis.value}/{entry.target}{role} "
                            f"is already given in support[{seen[key]}]")
        seen.setdefault(key, i)
    return problems + check_grading(entries, snap)


def check_grading(entries: list[Support], snap: Snapshot) -> list[str]:
    """The level rules that one entry cannot show alone (docs/knowledge-format.md): a
    framework's own first-party runtime is never a third-party ``binding`` or a ``bridge``,
    and a shared route reached the same way is graded alike for every framework."""
    problems: list[str] = []
    own = {f.id: set(f.runtimes) for f in snap.frameworks}
    for i, entry in enumerate(entries):
        if (entry.route is not None and entry.route in own.get(entry.framework, set())
                and entry.level in (SupportLevel.BINDING, SupportLevel.BRIDGE)):
            problems.append(f"support[{i}].level: {entry.framework}/{entry.axis.value}/"
                            f"{entry.target} goes through its own runtime {entry.route!r}: "
                            f"first-party is native or limited, not {entry.level.value}")
    by_route: dict[tuple[str, str, str, str], list[tuple[int, Support]]] = {}
    for i, entry in enumerate(entries):
        if entry.route is not None:
            key = (entry.route, entry.axis.value, entry.target, entry.role.value)
            by_route.setdefault(key, []).append((i, entry))
    for (route, axis, target, _), group in by_route.items():
        levels = {e.level for _, e in group}
        if len(levels) > 1:
            graded = ", ".join(f"{e.framework} {e.level.value} (support[{i}])"
                               for i, e in group)
            problems.append(f"support: route {route!r} to {axis} {target} is graded "
                            f"differently: {graded}")
    return problems


def apply_overlay(base: Snapshot, overlay: Overlay) -> Snapshot:
    """The base snapshot with the overlay's scores and support entries in place of its own,
    each marked."""
    replaced = {(s.framework, s.criterion, s.hardware): s for s in overlay.scores}
    scores = []
    for score in base.scores:
        new = replaced.get((score.framework, score.criterion, score.hardware))
        if new is None:
            scores.append(score)
        else:
            scores.append(new.model_copy(update={"overlay": overlay.id, "replaces": score.value}))
    old_support = {(e.framework, e.axis, e.target, e.role, e.route): e for e in base.support}
    new_support = {(e.framework, e.axis, e.target, e.role, e.route): e for e in overlay.support}
    support = [new_support[k].model_copy(update={"overlay": overlay.id, "replaces": e.level})
               if k in new_support else e for k, e in old_support.items()]
    support += [e.model_copy(update={"overlay": overlay.id, "replaces": SupportLevel.NONE})
                for k, e in new_support.items() if k not in old_support]
    fresh = {(s.framework, s.kind) for s in overlay.signals}
    signals = [s for s in base.signals if (s.framework, s.kind) not in fresh]
    # Signals are facts read today, not judgements: they do not make the snapshot younger.
    judged = bool(overlay.scores or overlay.support)
    return base.model_copy(update={
        "scores": scores,
        "support": support,
        "signals": [*signals, *overlay.signals],
        "sources": [*base.sources, *overlay.sources],
        "as_of": max(base.as_of, overlay.as_of) if judged else base.as_of,
        "overlay": overlay.id,
    })


def validation_lines(exc: ValidationError) -> list[str]:
    """Turn pydantic errors into 'location: what is wrong' lines."""
    lines = []
    for err in exc.errors():
        loc = location(err["loc"])
        lines.append(f"{loc or '(top level)'}: {err['msg']}")
    return lines


def cross_check(snap: Snapshot) -> list[str]:
    """The rules one model cannot check alone: references, completeness, ranges."""
    problems: list[str] = []
    for kind, items in (("sources", snap.sources), ("criteria", snap.criteria),
                        ("frameworks", snap.frameworks)):
        for ident, count in Counter(i.id for i in items).items():
            if count > 1:
                problems.append(f"{kind}: id {ident!r} appears {count} times")
    if snap.scale.min >= snap.scale.max:
        problems.append("scale: min must be below max")
    sources = {s.id for s in snap.sources}
    criteria = {c.id for c in snap.criteria}
    for i, fw in enumerate(snap.frameworks):
        if fw.status_source is not None and fw.status_source not in sources:
            problems.append(f"frameworks[{i}].status_source: unknown source {fw.status_source!r}")
        if fw.repository is not None and fw.repository.split("/")[1] in (".", ".."):
            problems.append(f"frameworks[{i}].repository: {fw.repository!r} is not a "
                            "repository name")
    problems += check_signals(snap.signals, snap, sources=sources)
    for (axis, tid), count in Counter((t.axis.value, t.id) for t in snap.targets).items():
        if count > 1:
            problems.append(f"targets: {axis} {tid!r} appears {count} times")
    problems += check_targets(snap)
    score_problems, seen = check_scores(snap.scores, snap, sources=sources)
    problems += score_problems
    problems += check_support(snap.support, snap, sources=sources)
    dated = [("scores", i, sc.evidence_date, sc.read_on) for i, sc in enumerate(snap.scores)]
    dated += [("support", i, e.evidence_date, e.read_on) for i, e in enumerate(snap.support)]
    for section, i, evidence, read_on in dated:
        if evidence > snap.as_of:
            problems.append(f"{section}[{i}].evidence_date: {evidence} is later than the "
                            f"snapshot's as_of {snap.as_of}")
        if read_on is None and evidence > snap.read_on:
            problems.append(f"{section}[{i}].evidence_date: {evidence} is later than the "
                            f"snapshot's read_on {snap.read_on}")
        if section == "scores" and read_on is not None and evidence > read_on:
            problems.append(f"scores[{i}].evidence_date: {evidence} is later than its "
                            f"read_on {read_on}")
    fit = {c.id for c in snap.criteria if c.fit is not None}
    problems += [f"scores[{i}].criterion: {sc.criterion!r} is a fit criterion, computed from "
                 "support entries; it takes no scores" for i, sc in enumerate(snap.scores)
                 if sc.criterion in fit]
    for fw in snap.frameworks:
        missing = [c.id for c in snap.criteria if c.fit is None and (fw.id, c.id) not in seen]
        if missing:
            problems.append(f"scores: framework {fw.id!r} has no score for {', '.join(missing)}")
        if not any(e.framework == fw.id and e.axis.value == "language" for e in snap.support):
            problems.append(f"support: framework {fw.id!r} has no language entry")
    for axis, tables in snap.emphasis.items():
        known = {t.id for t in snap.vocabulary(axis)}
        for name, factors in tables.items():
            if name not in known:
                problems.append(f"emphasis.{axis.value}.{name}: unknown {axis.value} target")
            for cid in factors:
                if cid not in criteria:
                    problems.append(f"emphasis.{axis.value}.{name}.{cid}: unknown criterion")
    for i, c in enumerate(snap.criteria):
        for axis, ids in c.only_for.items():
            known = {t.id for t in snap.vocabulary(axis)}
            problems += [f"criteria[{i}].only_for.{axis.value}: unknown target {t!r}"
                         for t in ids if t not in known]
    aliases = [a for c in snap.criteria for a in c.aliases]
    problems += [f"criteria: alias {a!r} is also a criterion id or another alias"
                 for a in sorted(set(aliases)) if a in criteria or aliases.count(a) > 1]
    return problems


def check_targets(snap: Snapshot) -> list[str]:
    """Every axis's words are unambiguous: an alias never hides another target's id, and a
    workload's probe ops are ops the probes run."""
    problems: list[str] = []
    for i, target in enumerate(snap.targets):
        ids = {t.id for t in snap.vocabulary(target.axis)}
        for alias in target.aliases:
            if alias in ids:
                problems.append(f"targets[{i}].aliases: {alias!r} is the id of a "
                                f"{target.axis.value} target")
        if target.device_class is not None and target.axis is not Axis.HARDWARE:
            problems.append(f"targets[{i}].device_class: only hardware has a device class")
        if (target.kernels or target.training) and target.axis is not Axis.WORKLOAD:
            problems.append(f"targets[{i}]: only a workload names probe ops")
    if not any(t.axis is Axis.LANGUAGE for t in snap.targets):
        problems.append("targets: the snapshot defines no language")
    return problems
