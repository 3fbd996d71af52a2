"""snapshot + signal services -> the live signals and the fetches that failed.

Every request is made at most once; after a service says it is unreachable or rate limited,
its remaining requests are not made (they fail with the same reason), so an offline run ends
at once and a rate limit is not hammered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from selector.models import Signal, Snapshot, Source
from selector.refresh.interface import FetchError, Offline, RateLimited, SignalService


@dataclass(frozen=True)
class Failure:
    """One fetch that did not happen or did not succeed: the old value is kept."""

    framework: str
    service: str
    label: str
    key: str
    reason: str
    #: The service could not be reached at all.
    offline: bool = False


@dataclass(frozen=True)
class Refresh:
    snapshot: Snapshot
    started: datetime
    signals: list[Signal] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    #: Requests planned, made or not.
    planned: int = 0

    @property
    def offline(self) -> bool:
        """Nothing could be reached: every planned request failed for want of a connection."""
        return (self.planned > 0 and not self.signals
                and all(f.offline for f in self.failures))

    @property
    def refreshed(self) -> bool:
        return bool(self.signals)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _silent(_message: str) -> None:
    return None


def refresh(snapshot: Snapshot, services: Sequence[SignalService], *,
            now: Callable[[], datetime] = _now,
            progress: Callable[[str], None] = _silent) -> Refresh:
    started = now()
    signals: list[Signal] = []
    sources: list[Source] = []
    failures: list[Failure] = []
    blocked: dict[str, FetchError] = {}
    taken = {s.id for s in snapshot.sources}
    planned = 0
    for fw in snapshot.frameworks:
        for service in services:
            for request in service.requests(fw):
                planned += 1
                stop = blocked.get(service.name)
                if stop is not None:
                    failures.append(Failure(fw.id, service.name, request.label, request.key,
                                            stop.reason, isinstance(stop, Offline)))
                    continue
                progress(f"{service.name} {request.label} of {request.key}")
                try:
                    readings = service.fetch(request)
                except FetchError as err:
                    if isinstance(err, Offline | RateLimited):
                        blocked[service.name] = err
                    failures.append(Failure(fw.id, service.name, request.label, request.key,
                                            err.reason, isinstance(err, Offline)))
                    continue
                fetched = now()
                for reading in readings:
                    sid = _source_id(service.name, request.key, request.label, reading.url,
                                     sources, taken)
                    if sid not in {s.id for s in sources}:
                        sources.append(Source(
                            id=sid, title=f"{service.name} {request.label} of {request.key}",
                            publisher=service.name, url=reading.url,
                            note=f"fetched {fetched.isoformat().replace('+00:00', 'Z')}"))
                    signals.append(Signal(framework=fw.id, kind=reading.kind,
                                          value=reading.value, observed=reading.observed,
                                          note=reading.note, source=sid, fetched=fetched))
    return Refresh(snapshot, started, signals, sources, failures, planned)


def _source_id(service: str, key: str, label: str, url: str, sources: list[Source],
               taken: set[str]) -> str:
    for source in sources:
        if source.url == url:
            return source.id
    base = re.sub(r"[^a-z0-9_.-]+", "-", f"live-{service}-{key}-{label}".lower())[:60]
    sid, n = base, 2
    while sid in taken or any(s.id == sid for s in sources):
        sid, n = f"{base}-{n}", n + 1
    return sid
