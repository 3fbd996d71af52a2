"""snapshot + live signals -> what went stale: releases since the snapshot, frameworks without
a release for a year, archival and deprecation, and scores resting on old evidence.

An ``important`` finding is what a scheduled check fails on (``kb refresh --check``): a
framework the snapshot ranks as active or in maintenance that has since been archived or
deprecated, or an active one with no release for a year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from selector.clock import years_before
from selector.models import Signal, Snapshot
from selector.vocab import PROJECT_STATUSES, SignalKind, Status

#: A framework whose latest release is older than this has had no release for a year.
NO_RELEASE_DAYS = 365


class Section:
    CHANGED = "Changed since the snapshot"
    NO_RELEASE = "No release for a year"
    ARCHIVED = "Archived or deprecated"
    OLD_EVIDENCE = "Scores citing old evidence"


SECTIONS = (Section.CHANGED, Section.NO_RELEASE, Section.ARCHIVED, Section.OLD_EVIDENCE)


@dataclass(frozen=True)
class Finding:
    section: str
    framework: str
    text: str
    important: bool = False


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:4])


def _named_versions(note: str | None) -> list[str]:
    """Version numbers a status note names (2.15, 0.12.0.1), not dates."""
    if not note:
        return []
    # Not a version of Python or CUDA, not a pre-release (2.22.0-rc0), not a date.
    pattern = r"(?<![\d.-])(?<!Python )(?<!CUDA )\d+(?:\.\d+)+(?![\d-]|\.\d)"
    return re.findall(pattern, note)


def _named_release(note: str | None, live: str) -> str | None:
    """The newest version the status note names, among those of the live release's major
    version where it names any (a note also names Python versions, or an old line's)."""
    named = _named_versions(note)
    major = _version(live)[:1]
    same = [v for v in named if _version(v)[:1] == major]
    return max(same or named, key=_version, default=None)


def staleness(snapshot: Snapshot, signals: list[Signal], today: date,
              stale_years: int) -> list[Finding]:
    findings: list[Finding] = []
    by = {(s.framework, s.kind): s for s in signals}
    for fw in snapshot.frameworks:
        release = by.get((fw.id, SignalKind.LATEST_RELEASE))
        live = fw.status is not Status.RETIRED
        if release is not None:
            newest = _named_release(fw.status_note, release.value)
            when = release.observed
            if when is not None and when > snapshot.as_of:
                said = f"; the status note names {newest}" if newest else ""
                findings.append(Finding(Section.CHANGED, fw.id,
                                        f"{fw.pypi} {release.value} released {when}, after the "
                                        f"snapshot ({snapshot.as_of}){said}"))
            elif newest is not None and _version(release.value) > _version(newest):
                findings.append(Finding(Section.CHANGED, fw.id,
                                        f"{fw.pypi} {release.value} is newer than the "
                                        f"{newest} the status note names"))
            if when is not None and (today - when).days > NO_RELEASE_DAYS:
                findings.append(Finding(Section.NO_RELEASE, fw.id,
                                        f"last release {release.value} on {when} "
                                        f"({(today - when).days} days ago; status "
                                        f"{fw.status} in the snapshot)",
                                        important=fw.status is Status.ACTIVE))
        archived = by.get((fw.id, SignalKind.ARCHIVED))
        if archived is not None and archived.value == "true":
            findings.append(_winding_down(fw.id, f"GitHub repository {fw.repository} is "
                                          "archived (read-only)", live, fw.status))
        if archived is not None and archived.note:
            findings.append(Finding(Section.CHANGED, fw.id,
                                    f"GitHub repository {fw.repository} moved: {archived.note}"))
        status = by.get((fw.id, SignalKind.PROJECT_STATUS))
        if status is not None and status.value in PROJECT_STATUSES[1:]:
            reason = f": {status.note.rstrip('.')}" if status.note else ""
            findings.append(_winding_down(fw.id, f"PyPI marks {fw.pypi} {status.value}{reason}",
                                          live, fw.status))
    findings += old_evidence(snapshot, today, stale_years)
    return findings


def _winding_down(framework: str, what: str, live: bool, status: Status) -> Finding:
    if live:
        return Finding(Section.ARCHIVED, framework,
                       f"{what}; new since the snapshot, which has it {status}", important=True)
    return Finding(Section.ARCHIVED, framework, f"{what}; the snapshot already has it retired")


def old_evidence(snapshot: Snapshot, today: date, stale_years: int) -> list[Finding]:
    """One line per framework: its scores whose evidence is older than the threshold."""
    limit = years_before(today, stale_years)
    findings = []
    for fw in snapshot.frameworks:
        old = sorted((s for s in snapshot.scores if s.framework == fw.id
                      and s.evidence_date < limit), key=lambda s: (s.evidence_date, s.criterion))
        if old:
            listed = ", ".join(f"{s.criterion} ({s.evidence_date}, {s.source})" for s in old)
            findings.append(Finding(Section.OLD_EVIDENCE, fw.id,
                                    f"{len(old)} score{'s' if len(old) != 1 else ''} "
                                    f"({fw.status}): {listed}"))
    return findings
