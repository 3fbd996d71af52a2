"""live signals -> the text of a dated overlay (``kind = "overlay"``) holding only signals and
their sources: it never replaces a score or a support entry."""

from __future__ import annotations

import json
from datetime import date, datetime

from selector.models import KNOWLEDGE_SCHEMA_VERSION
from selector.refresh.service import Refresh


def overlay_id(day: date) -> str:
    return f"refresh-{day.isoformat()}"


def default_name(day: date) -> str:
    return f"knowledge-refresh-{day.isoformat()}.toml"


def _string(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def _when(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def render(result: Refresh, day: date) -> str:
    base = result.snapshot
    lines = [
        f"# Live signals read by `dlselect kb refresh` on {day.isoformat()} for snapshot "
        f"{base.id!r}.",
        "# Facts only (releases, project status, archival, last push), each with the URL it "
        "was read from",
        "# and when: they change no score. Format: docs/knowledge-format.md",
        "",
        f"schema_version = {KNOWLEDGE_SCHEMA_VERSION}",
        'kind = "overlay"',
        f"id = {_string(overlay_id(day))}",
        f"title = {_string(f'Live signals for {base.id}, read on {day.isoformat()}')}",
        f"base = {_string(base.id)}",
        f"as_of = {day.isoformat()}",
    ]
    for source in result.sources:
        lines += ["", "[[sources]]", f"id = {_string(source.id)}",
                  f"title = {_string(source.title)}"]
        if source.publisher:
            lines.append(f"publisher = {_string(source.publisher)}")
        if source.url:
            lines.append(f"url = {_string(source.url)}")
        if source.note:
            lines.append(f"note = {_string(source.note)}")
    for sig in result.signals:
        lines += ["", "[[signals]]", f"framework = {_string(sig.framework)}",
                  f"kind = {_string(sig.kind.value)}", f"value = {_string(sig.value)}"]
        if sig.observed is not None:
            lines.append(f"observed = {sig.observed.isoformat()}")
        if sig.note:
            lines.append(f"note = {_string(sig.note)}")
        lines += [f"source = {_string(sig.source)}", f"fetched = {_when(sig.fetched)}"]
    return "\n".join(lines) + "\n"
