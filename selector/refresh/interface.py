"""The signal-service axis: each public API that says something live about a framework.

A service turns one framework into readings, or raises a ``FetchError`` whose ``reason`` is the
one line the user sees after "not refreshed:".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from selector.models import Framework
from selector.vocab import SignalKind


class FetchError(Exception):
    """One fetch failed; ``reason`` says why in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Offline(FetchError):
    """The service could not be reached at all (no network, connection refused, no DNS)."""


class RateLimited(FetchError):
    """The service refuses more requests for now; the rest of its fetches are skipped."""


@dataclass(frozen=True)
class Reading:
    """One signal as read: what the service says, and where it said it."""

    kind: SignalKind
    value: str
    url: str
    observed: date | None = None
    note: str | None = None


@dataclass(frozen=True)
class Request:
    """One thing a service fetches for a framework: a label for messages and the key it uses
    (a PyPI project, a GitHub owner/name)."""

    label: str
    key: str


class SignalService(Protocol):
    @property
    def name(self) -> str:
        """The service's name in messages and source titles (PyPI, GitHub)."""
        ...

    def requests(self, framework: Framework) -> list[Request]:
        """What to fetch for this framework (nothing where it has no key for this service)."""
        ...

    def fetch(self, request: Request) -> list[Reading]:
        """Read the signals; raise FetchError (or Offline, RateLimited) on any failure."""
        ...
