"""A repository's profile in the snapshot's vocabulary, each answer with its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from selector.scan.parsers import Observation, parser_for
from selector.scan.signals import AXES, CONFIDENCES, ScanSignal, load_signals
from selector.scan.walk import MAX_FILE_BYTES, MAX_FILES, MAX_SECONDS, Skipped, walk

#: Evidence lines kept per answer (the count says how many there were).
EVIDENCE = 5


@dataclass(frozen=True)
class Evidence:
    file: str
    line: int
    seen: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.seen}"


@dataclass
class Inferred:
    axis: str
    target: str
    confidence: str
    evidence: list[Evidence] = field(default_factory=list)
    count: int = 0

    def add(self, evidence: Evidence, confidence: str) -> None:
        self.count += 1
        if CONFIDENCES.index(confidence) < CONFIDENCES.index(self.confidence):
            self.confidence = confidence
            self.evidence.insert(0, evidence)  # the strongest evidence first
            del self.evidence[EVIDENCE:]
        elif len(self.evidence) < EVIDENCE:
            self.evidence.append(evidence)


@dataclass
class Scan:
    root: Path
    items: list[Inferred]
    skipped: Skipped
    files_seen: int
    files_read: int
    truncated: bool
    seconds: float

    def answers_data(self) -> dict[str, Any]:
        """The answers file's keys (schema_version 1): each axis with its high- and
        medium-confidence targets; axes with none are left out (the defaults hold)."""
        data: dict[str, Any] = {"schema_version": 1}
        for axis, key in AXES.items():
            ids = [i.target for i in self.items if i.axis == axis and i.confidence != "low"]
            if ids:
                data[key] = ids
        return data

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "answers": self.answers_data(),
            "inferred": [{"axis": i.axis, "target": i.target, "confidence": i.confidence,
                          "evidence": [str(e) for e in i.evidence], "count": i.count}
                         for i in self.items],
            "files_seen": self.files_seen,
            "files_read": self.files_read,
            "truncated": self.truncated,
            "skipped": {reason: {"count": count, "examples": self.skipped.examples[reason]}
                        for reason, count in self.skipped.counts.items()},
        }


def scan(root: Path, *, signals: list[ScanSignal] | None = None, max_files: int = MAX_FILES,
         max_file_bytes: int = MAX_FILE_BYTES, max_seconds: float = MAX_SECONDS) -> Scan:
    """Scan the folder ``root`` (text only, bounded; selector.scan.walk) and infer."""
    table = load_signals() if signals is None else signals
    by_kind: dict[str, list[ScanSignal]] = {}
    by_name: dict[tuple[str, str], list[ScanSignal]] = {}  # exact names: one lookup
    by_text: dict[str, list[ScanSignal]] = {}  # text within a value: tried in turn
    for signal in table:
        by_kind.setdefault(signal.kind, []).append(signal)
        for name in signal.names:
            by_name.setdefault((signal.kind, name), []).append(signal)
        if signal.contains:
            by_text.setdefault(signal.kind, []).append(signal)
    walked = walk(root, lambda name: parser_for(name) is not None, max_files=max_files,
                  max_file_bytes=max_file_bytes, max_seconds=max_seconds)
    found: dict[tuple[str, str], Inferred] = {}
    deferred: list[tuple[ScanSignal, Evidence]] = []

    def record(signal: ScanSignal, evidence: Evidence) -> None:
        if signal.when is not None:
            deferred.append((signal, evidence))
            return
        key = (signal.axis, signal.target)
        if key not in found:
            found[key] = Inferred(signal.axis, signal.target, signal.confidence)
            found[key].count = 1
            found[key].evidence.append(evidence)
        else:
            found[key].add(evidence, signal.confidence)

    for path, text in walked.texts.items():
        parser = parser_for(PurePosixPath(path).name)
        if parser is None:
            continue
        for obs in parser(text):
            hits = [*by_name.get((obs.kind, obs.value), ()),
                    *(t for t in by_text.get(obs.kind, ()) if t.matches(obs.value))]
            for signal in dict.fromkeys(hits):
                record(signal, Evidence(path, obs.line, obs.seen))
    suffix_signals = by_kind.get("source-file", [])
    if suffix_signals:
        for path in walked.seen:
            suffix = PurePosixPath(path).suffix.lower()
            for signal in suffix_signals:
                if signal.matches(suffix):
                    record(signal, Evidence(path, 1, f"a {suffix} source file"))
    inferred = set(found)
    for signal, evidence in deferred:
        if signal.when in inferred:
            record(ScanSignal(signal.kind, signal.names, signal.contains, signal.axis,
                              signal.target, signal.confidence), evidence)
    order = list(AXES)
    items = sorted(found.values(), key=lambda i: (order.index(i.axis),
                                                  CONFIDENCES.index(i.confidence), i.target))
    return Scan(root=root, items=items, skipped=walked.skipped, files_seen=len(walked.seen),
                files_read=len(walked.texts), truncated=walked.truncated,
                seconds=walked.seconds)


__all__ = ["Evidence", "Inferred", "Observation", "Scan", "scan"]
