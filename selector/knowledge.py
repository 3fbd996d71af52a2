"""Loading and checking knowledge snapshots: the only code that reads ``knowledge/``."""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from selector.errors import KnowledgeError
from selector.models import KNOWLEDGE_SCHEMA_VERSION, Snapshot
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
    """Load a built-in snapshot by id, or a user's snapshot file by path."""
    path = Path(ref)
    if ref in builtin_ids():
        path = knowledge_dir() / f"{ref}{SNAPSHOT_SUFFIX}"
    elif not path.suffix:
        raise KnowledgeError(
            f"unknown knowledge snapshot {ref!r}; built in: {', '.join(builtin_ids())}",
            tip="pass a built-in id or the path of a .toml or .json snapshot file",
        )
    return parse_snapshot(read_document(path), str(path))


def read_document(path: Path) -> dict[str, Any]:
    """Read a TOML or JSON document; any failure becomes a located KnowledgeError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KnowledgeError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: cannot read: {exc}") from None
    try:
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        kind = "json" if path.suffix == ".json" else "toml"
        raise KnowledgeError(f"{path}: not valid {kind}: {exc}") from None
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path}: the document must be a table/object at the top level")
    return data


def parse_snapshot(data: dict[str, Any], where: str) -> Snapshot:
    version = data.get("schema_version")
    if version != KNOWLEDGE_SCHEMA_VERSION:
        raise KnowledgeError(
            f"{where}: schema_version: unsupported {version!r}; "
            f"this dlselect reads version {KNOWLEDGE_SCHEMA_VERSION}",
            tip="upgrade dlselect, or convert the file to the documented format",
        )
    try:
        snapshot = Snapshot.model_validate(data)
    except ValidationError as exc:
        problems = [f"{where}: {line}" for line in validation_lines(exc)]
        raise KnowledgeError(problems[0] if len(problems) == 1 else
                             f"{problems[0]} (and {len(problems) - 1} more problems)",
                             problems=problems) from None
    problems = [f"{where}: {p}" for p in cross_check(snapshot)]
    if problems:
        raise KnowledgeError(problems[0] if len(problems) == 1 else
                             f"{problems[0]} (and {len(problems) - 1} more problems)",
                             problems=problems)
    return snapshot


def validation_lines(exc: ValidationError) -> list[str]:
    """Turn pydantic errors into 'location: what is wrong' lines."""
    lines = []
    for err in exc.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
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
    frameworks = {f.id for f in snap.frameworks}
    for i, fw in enumerate(snap.frameworks):
        if fw.status_source is not None and fw.status_source not in sources:
            problems.append(f"frameworks[{i}].status_source: unknown source {fw.status_source!r}")
        if fw.source is not None and fw.source not in sources:
            problems.append(f"frameworks[{i}].source: unknown source {fw.source!r}")
    seen: dict[tuple[str, str], int] = {}
    for i, sc in enumerate(snap.scores):
        loc = f"scores[{i}]"
        if sc.framework not in frameworks:
            problems.append(f"{loc}.framework: unknown framework {sc.framework!r}")
        if sc.criterion not in criteria:
            problems.append(f"{loc}.criterion: unknown criterion {sc.criterion!r}")
        if sc.source not in sources:
            problems.append(f"{loc}.source: unknown source {sc.source!r}")
        if not snap.scale.min <= sc.value <= snap.scale.max:
            problems.append(f"{loc}.value: {sc.value:g} is outside the scale "
                            f"[{snap.scale.min:g}, {snap.scale.max:g}]")
        if sc.as_of > snap.as_of:
            problems.append(f"{loc}.as_of: {sc.as_of} is later than the snapshot's as_of "
                            f"{snap.as_of}")
        key = (sc.framework, sc.criterion)
        if key in seen:
            problems.append(f"{loc}: {sc.framework}/{sc.criterion} is already scored "
                            f"in scores[{seen[key]}]")
        seen.setdefault(key, i)
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
