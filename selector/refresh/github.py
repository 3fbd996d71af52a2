"""GitHub's REST API: whether the repository is archived, and its last push
(``/repos/<owner>/<name>``). Anonymous unless ``GITHUB_TOKEN`` is set."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from selector.models import Framework
from selector.refresh.http import HttpClient
from selector.refresh.interface import FetchError, Reading, Request
from selector.vocab import SignalKind

DEFAULT_URL = "https://api.github.com"
REPOSITORY = "repository"


@dataclass(frozen=True)
class GithubService:
    base_url: str = DEFAULT_URL
    client: HttpClient = field(default_factory=HttpClient)
    #: Sent as a bearer token when set (a higher rate limit); never printed.
    token: str | None = field(default=None, repr=False)
    name: str = "GitHub"

    def requests(self, framework: Framework) -> list[Request]:
        return [] if framework.repository is None else [Request(REPOSITORY, framework.repository)]

    def fetch(self, request: Request) -> list[Reading]:
        owner, repo = (urllib.parse.quote(p, safe="") for p in request.key.split("/", 1))
        url = f"{self.base_url.rstrip('/')}/repos/{owner}/{repo}"
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return repository(self.client.get_json(url, headers).data, url, request.key)


def repository(data: Any, url: str, asked: str) -> list[Reading]:
    if not isinstance(data, dict) or not isinstance(data.get("archived"), bool):
        raise FetchError(f"unexpected response from {url}: no 'archived' flag")
    moved = data.get("full_name")
    note = (f"now {moved}" if isinstance(moved, str) and moved.lower() != asked.lower()
            else None)
    readings = [Reading(SignalKind.ARCHIVED, "true" if data["archived"] else "false", url,
                        note=note)]
    pushed = data.get("pushed_at")
    if isinstance(pushed, str):
        try:
            when = datetime.fromisoformat(pushed.replace("Z", "+00:00"))
        except ValueError:
            raise FetchError(f"unexpected response from {url}: pushed_at {pushed[:40]!r} is "
                             "not a time") from None
        readings.append(Reading(SignalKind.LAST_PUSH, pushed.strip(), url,
                                observed=when.date()))
    return readings
