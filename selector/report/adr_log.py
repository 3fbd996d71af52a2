"""A numbered log of decision records, as adr-tools and log4brains keep one: pure logic only.

Records are named ``NNNN-slug.md`` (four digits); the next record takes the number after the
highest in use. Marking a record superseded rewrites the ``status`` of its YAML front matter to
``superseded by [NNNN](NNNN-slug.md)`` (MADR 4.0) and leaves every other byte as it was. Reading
the folder and writing the files is the CLI's job (selector/cli/adr.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from selector.errors import DlselectError

#: The slug of every record dlselect writes.
SLUG = "choose-a-deep-learning-framework"
#: adr-tools and log4brains number records with four digits.
DIGITS = 4
LAST = 10**DIGITS - 1

_NUMBERED = re.compile(r"^(\d{4})-[^/\\]*\.md$")
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_STATUS = re.compile(r"^status:[^\r\n]*", re.M)
_TITLE = re.compile(r"^# +(.+?)\s*$", re.M)


class AdrLogError(DlselectError):
    """The decision log cannot take the record asked for."""


@dataclass(frozen=True)
class RecordRef:
    """A record of the log: its number and its file name (relative to the log's folder)."""

    number: int
    name: str

    @property
    def label(self) -> str:
        return f"{self.number:0{DIGITS}d}"

    @property
    def link(self) -> str:
        return f"[{self.label}]({self.name})"


def record_name(number: int, slug: str = SLUG) -> str:
    if not 1 <= number <= LAST:
        raise AdrLogError(f"a record number must be between 1 and {LAST}, got {number}")
    return f"{number:0{DIGITS}d}-{slug}.md"


def numbered(names: Iterable[str]) -> list[RecordRef]:
    """The records among file names: those named ``NNNN-anything.md``, by number."""
    found = []
    for name in names:
        match = _NUMBERED.match(name)
        if match:
            found.append(RecordRef(int(match.group(1)), name))
    return sorted(found, key=lambda r: (r.number, r.name))


def next_record(names: Iterable[str], slug: str = SLUG) -> RecordRef:
    """The record to write next: the number after the highest in use (0001 in an empty log)."""
    used = [r.number for r in numbered(names)]
    number = max(used, default=0) + 1
    if number > LAST:
        raise AdrLogError(f"the decision log is full: record {LAST} exists")
    return RecordRef(number, record_name(number, slug))


def find_record(names: Iterable[str], number: int) -> RecordRef:
    """The one record numbered ``number``; AdrLogError when there is none or several."""
    matches = [r for r in numbered(names) if r.number == number]
    if not matches:
        raise AdrLogError(f"no record {number:0{DIGITS}d} in the decision log "
                          f"(no file named {number:0{DIGITS}d}-*.md)")
    if len(matches) > 1:
        raise AdrLogError(f"record {number:0{DIGITS}d} is ambiguous: "
                          f"{', '.join(r.name for r in matches)}")
    return matches[0]


def status_of(text: str) -> str | None:
    """The ``status`` of a record's YAML front matter, if it has one."""
    front = _FRONT.match(text)
    if front is None:
        return None
    status = _STATUS.search(front.group(1))
    return None if status is None else status.group(0)[len("status:"):].strip().strip("'\"")


def title_of(text: str) -> str | None:
    """The record's first level-1 heading."""
    match = _TITLE.search(text)
    return match.group(1) if match else None


def superseded_status(by: RecordRef) -> str:
    return f"superseded by {by.link}"


def mark_superseded(text: str, by: RecordRef) -> str:
    """``text`` with its front-matter status set to "superseded by" ``by``; everything else is
    kept byte for byte. A record without front matter gets one holding only the status; one
    whose front matter has no status gets the line added at its end."""
    status = status_of(text)
    if status is not None and status.startswith("superseded"):
        raise AdrLogError(f"the record is already {status}")
    line = f"status: {superseded_status(by)}"
    front = _FRONT.match(text)
    if front is None:
        newline = "\r\n" if "\r\n" in text else "\n"
        return f"---{newline}{line}{newline}---{newline}{newline}{text}"
    body_start, body_end = front.span(1)
    body = front.group(1)
    found = _STATUS.search(body)
    if found is not None:
        body = body[:found.start()] + line + body[found.end():]
    else:
        newline = "\r\n" if body.endswith("\r\n") else "\n"
        body = (body if body.endswith("\n") or not body else body + newline) + line + newline
    return text[:body_start] + body + text[body_end:]
