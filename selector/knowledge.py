"""Loading and checking knowledge snapshots: the only code that reads ``knowledge/``."""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from pydantic import ValidationError

from selector.errors import KnowledgeError, location, read_text
from selector.models import KNOWLEDGE_SCHEMA_VERSION, Overlay, Score, Snapshot
from selector.paths import knowledge_dir

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
    text = read_text(path, KnowledgeError)
    kind = "json" if path.suffix == ".json" else "toml"
    try:
        data = json.loads(text) if kind == "json" else tomllib.loads(text)
    except ValueError as exc:
        # Not only the decode errors: both parsers raise a plain ValueError for an integer of
        # more than sys.get_int_max_str_digits() (4300) digits.
        raise KnowledgeError(f"{path}: not valid {kind}: {exc}") from None
    except RecursionError:
        # Both parsers recurse once per nested array or table.
        raise KnowledgeError(f"{path}: not valid {kind}: nested too deeply") from None
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path}: the document must be a table/object at the top level")
    return data


M = TypeVar("M", Snapshot, Overlay)


def _validate(model: type[M], data: dict[str, Any], where: str) -> M:
    version = data.get("schema_version")
    if version != KNOWLEDGE_SCHEMA_VERSION:
        raise KnowledgeError(
            f"{where}: schema_version: unsupported {version!r}; "
            f"this dlselect reads version {KNOWLEDGE_SCHEMA_VERSION}",
            tip="upgrade dlselect, or convert the file to the documented format",
        )
    scores = data.get("scores")
    entries = [s for s in scores if isinstance(s, dict)] if isinstance(scores, list) else []
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
    problems = [f"{where}: {p}" for p in check_overlay(load_snapshot(overlay.base), overlay)]
    if problems:
        _fail(problems)
    return overlay


def check_overlay(base: Snapshot, overlay: Overlay) -> list[str]:
    problems: list[str] = []
    base_sources = {s.id for s in base.sources}
    own = [s.id for s in overlay.sources]
    for i, sid in enumerate(own):
        if sid in base_sources or own.count(sid) > 1:
            problems.append(f"sources[{i}].id: {sid!r} is already used; choose another id")
    score_problems, _ = check_scores(overlay.scores, base, sources=base_sources | set(own),
                                     where=f" in snapshot {base.id}")
    return problems + score_problems


def check_scores(scores: list[Score], snap: Snapshot, *, sources: set[str],
                 where: str = "") -> tuple[list[str], dict[tuple[str, str], int]]:
    """References, range and duplicates of scores against ``snap``'s frameworks, criteria and
    scale; also returns where each (framework, criterion) is first scored."""
    problems: list[str] = []
    frameworks = {f.id for f in snap.frameworks}
    criteria = {c.id for c in snap.criteria}
    seen: dict[tuple[str, str], int] = {}
    for i, sc in enumerate(scores):
        loc = f"scores[{i}]"
        if sc.framework not in frameworks:
            problems.append(f"{loc}.framework: unknown framework {sc.framework!r}{where}")
        if sc.criterion not in criteria:
            problems.append(f"{loc}.criterion: unknown criterion {sc.criterion!r}{where}")
        if sc.source not in sources:
            problems.append(f"{loc}.source: unknown source {sc.source!r}")
        if not snap.scale.min <= sc.value <= snap.scale.max:
            problems.append(f"{loc}.value: {sc.value:g} is outside the scale "
                            f"[{snap.scale.min:g}, {snap.scale.max:g}]")
        key = (sc.framework, sc.criterion)
        if key in seen:
            problems.append(f"{loc}: {sc.framework}/{sc.criterion} is already scored "
                            f"in scores[{seen[key]}]")
        seen.setdefault(key, i)
    return problems, seen


def apply_overlay(base: Snapshot, overlay: Overlay) -> Snapshot:
    """The base snapshot with the overlay's scores in place of its own, each marked."""
    replaced = {(s.framework, s.criterion): s for s in overlay.scores}
    scores = []
    for score in base.scores:
        new = replaced.get((score.framework, score.criterion))
        if new is None:
            scores.append(score)
        else:
            scores.append(new.model_copy(update={"overlay": overlay.id, "replaces": score.value}))
    return base.model_copy(update={
        "scores": scores,
        "sources": [*base.sources, *overlay.sources],
        "as_of": max(base.as_of, overlay.as_of),
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
        if fw.source is not None and fw.source not in sources:
            problems.append(f"frameworks[{i}].source: unknown source {fw.source!r}")
    score_problems, seen = check_scores(snap.scores, snap, sources=sources)
    problems += score_problems
    problems += [f"scores[{i}].as_of: {sc.as_of} is later than the snapshot's as_of {snap.as_of}"
                 for i, sc in enumerate(snap.scores) if sc.as_of > snap.as_of]
    for fw in snap.frameworks:
        missing = [c.id for c in snap.criteria if (fw.id, c.id) not in seen]
        if missing:
            problems.append(f"scores: framework {fw.id!r} has no score for {', '.join(missing)}")
    emphases = [("task", str(k), f) for k, f in snap.emphasis.task.items()]
    emphases += [("hardware", str(k), f) for k, f in snap.emphasis.hardware.items()]
    emphases += [("deployment", str(k), f) for k, f in snap.emphasis.deployment.items()]
    for section, name, factors in emphases:
        for cid in factors:
            if cid not in criteria:
                problems.append(f"emphasis.{section}.{name}.{cid}: unknown criterion")
    return problems
