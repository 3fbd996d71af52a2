"""PyPI: the latest release and its upload date (JSON API, ``/pypi/<name>/json``) and the
project's PEP 792 status (JSON simple API, ``/simple/<name>/``, API version 1.4 or later)."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from selector.models import Framework
from selector.refresh.http import HttpClient
from selector.refresh.interface import FetchError, Reading, Request
from selector.vocab import PROJECT_STATUSES, SignalKind

DEFAULT_URL = "https://pypi.org"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
RELEASE = "release"
STATUS = "status"


@dataclass(frozen=True)
class PypiService:
    base_url: str = DEFAULT_URL
    client: HttpClient = field(default_factory=HttpClient)
    name: str = "PyPI"

    def requests(self, framework: Framework) -> list[Request]:
        if framework.pypi is None:
            return []
        return [Request(RELEASE, framework.pypi), Request(STATUS, framework.pypi)]

    def fetch(self, request: Request) -> list[Reading]:
        project = urllib.parse.quote(request.key.lower(), safe="")
        root = self.base_url.rstrip("/")
        if request.label == RELEASE:
            url = f"{root}/pypi/{project}/json"
            return [latest_release(self.client.get_json(url).data, url)]
        url = f"{root}/simple/{project}/"
        reading = project_status(self.client.get_json(url, {"Accept": SIMPLE_JSON}).data, url)
        return [reading] if reading is not None else []


def latest_release(data: Any, url: str) -> Reading:
    """``info.version`` and the first upload of its files."""
    info = data.get("info") if isinstance(data, dict) else None
    version = info.get("version") if isinstance(info, dict) else None
    if not isinstance(version, str) or not version.strip():
        raise FetchError(f"unexpected response from {url}: no info.version")
    releases = data.get("releases")
    files = releases.get(version) if isinstance(releases, dict) else None
    if files is None:
        files = data.get("urls")
    uploads = sorted(d for d in (_upload_date(f) for f in files or []) if d is not None) \
        if isinstance(files, list) else []
    yanked = isinstance(files, list) and bool(files) and all(
        isinstance(f, dict) and f.get("yanked") for f in files)
    return Reading(SignalKind.LATEST_RELEASE, version.strip(), url,
                   observed=uploads[0] if uploads else None,
                   note="yanked" if yanked else None)


def _upload_date(entry: Any) -> date | None:
    if not isinstance(entry, dict):
        return None
    stamp = entry.get("upload_time_iso_8601") or entry.get("upload_time")
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def project_status(data: Any, url: str) -> Reading | None:
    """The PEP 792 marker; ``active`` where the index speaks version 1.4 and names none;
    nothing where it is older (it cannot say)."""
    if not isinstance(data, dict):
        raise FetchError(f"unexpected response from {url}: not a project page")
    block = data.get("project-status")
    if isinstance(block, dict) and isinstance(block.get("status"), str):
        status = block["status"].strip().lower()
        if status not in PROJECT_STATUSES:
            raise FetchError(f"unexpected response from {url}: unknown project status "
                             f"{status!r}")
        reason = block.get("reason")
        note = " ".join(reason.split())[:300] if isinstance(reason, str) and reason.strip() \
            else None
        return Reading(SignalKind.PROJECT_STATUS, status, url, note=note)
    meta = data.get("meta")
    version = meta.get("api-version") if isinstance(meta, dict) else None
    if isinstance(version, str) and _at_least(version, (1, 4)):
        return Reading(SignalKind.PROJECT_STATUS, "active", url)
    return None


def _at_least(version: str, wanted: tuple[int, int]) -> bool:
    try:
        major, minor = (int(p) for p in version.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= wanted
