"""The signals table, ``knowledge/scan/signals.toml``: what each thing seen in a repository
says about the team (docs/scan.md)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from selector.errors import KnowledgeError
from selector.paths import knowledge_dir

#: The answers' keys, by the table's axis.
AXES = {
    "language": "languages",
    "runtime_language": "runtime_languages",
    "workload": "workloads",
    "hardware": "hardware",
    "scale": "scale",
    "deployment": "deployment",
    "existing": "existing",
}
#: The snapshot's axis each table axis names targets of.
SNAPSHOT_AXIS = {**{a: a for a in AXES}, "runtime_language": "language"}
CONFIDENCES = ("high", "medium", "low")
KINDS = frozenset({"python-import", "pypi", "pip-index", "npm", "docker-image", "yaml", "gradle",
                   "cocoapod", "swift-package", "cargo", "nuget", "cmake", "source-file"})
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ScanSignal:
    kind: str
    names: frozenset[str]
    contains: tuple[str, ...]
    axis: str
    target: str
    confidence: str
    when: tuple[str, str] | None = None

    def matches(self, value: str) -> bool:
        return value in self.names or any(c in value for c in self.contains)


def signals_path() -> Path:
    return knowledge_dir() / "scan" / "signals.toml"


def load_signals(path: Path | None = None) -> list[ScanSignal]:
    path = path or signals_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise KnowledgeError(f"{path}: cannot read the signals table: {exc}") from None
    if data.get("schema_version") != SCHEMA_VERSION:
        raise KnowledgeError(f"{path}: schema_version must be {SCHEMA_VERSION}")
    signals = []
    problems = []
    for i, entry in enumerate(data.get("signals", [])):
        where = f"signals[{i}]"
        extra = set(entry) - {"kind", "names", "contains", "axis", "target", "confidence",
                              "when"}
        if extra:
            problems.append(f"{where}: unknown keys {sorted(extra)}")
        if entry.get("kind") not in KINDS:
            problems.append(f"{where}.kind: {entry.get('kind')!r} is not one of {sorted(KINDS)}")
        if entry.get("axis") not in AXES:
            problems.append(f"{where}.axis: {entry.get('axis')!r} is not one of {list(AXES)}")
        if entry.get("confidence") not in CONFIDENCES:
            problems.append(f"{where}.confidence: must be one of {list(CONFIDENCES)}")
        names = entry.get("names", [])
        contains = entry.get("contains", [])
        if not (names or contains) or not all(
                isinstance(n, str) and n == n.lower() for n in [*names, *contains]):
            problems.append(f"{where}: needs names or contains, lower-case strings")
        if not isinstance(entry.get("target"), str):
            problems.append(f"{where}.target: must be a target id")
        when = entry.get("when")
        if when is not None and (not isinstance(when, str) or when.count("/") != 1):
            problems.append(f"{where}.when: must be 'axis/target'")
        if problems:
            continue
        signals.append(ScanSignal(
            kind=entry["kind"], names=frozenset(names), contains=tuple(contains),
            axis=entry["axis"], target=entry["target"], confidence=entry["confidence"],
            when=tuple(when.split("/")) if when else None))
    if problems:
        raise KnowledgeError(f"{path}: {problems[0]}", problems=problems)
    return signals
