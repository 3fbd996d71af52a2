"""``recommend --adr-dir DIR [--supersedes N]``: write the decision record into a numbered log.

The numbering and the status rewrite are pure (selector/report/adr_log.py); this module reads
the folder and writes the files. Everything that can be refused is checked before anything is
computed or written: a missing or ambiguous record N, a record already superseded, a DIR that
is not a folder. The new record is created under a name no file has (never replacing one); the
superseded record is then replaced whole (a temporary file renamed over it), and if that fails
the new record is removed again, so the log is left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from selector.cli.common import OutputError, Target, create_file, target, write_files
from selector.errors import DlselectError
from selector.report.adr_log import (
    AdrLogError,
    RecordRef,
    find_record,
    mark_superseded,
    next_record,
    status_of,
    title_of,
)
from selector.vocab import OutputFormat

if TYPE_CHECKING:
    # The record's modules load only when a log is written (``plan``).
    from selector.report.markdown import Superseded


@dataclass(frozen=True)
class AdrPlan:
    """Where the record goes, and the earlier record it supersedes with its new text."""

    folder: Path
    record: RecordRef
    supersedes: Superseded | None = None
    old_path: Path | None = None
    old_text: str | None = None

    @property
    def path(self) -> Path:
        return self.folder / self.record.name


def plan(folder: Path, supersedes: int | None) -> AdrPlan:
    """The next record of the log in ``folder`` (which may not exist yet)."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"--adr-dir {folder} is not a folder")
    names = [p.name for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    record = next_record(names)
    if supersedes is None:
        return AdrPlan(folder, record)
    old = find_record(names, supersedes)
    old_path = folder / old.name
    text = _read(old_path)
    status = status_of(text)
    if status is not None and status.startswith("superseded"):
        raise AdrLogError(f"record {old.label} ({old.name}) is already {status}")
    new_text = mark_superseded(text, record)
    target(old_path)  # refuse now what could not be replaced later
    from selector.report.markdown import Superseded

    return AdrPlan(folder, record, Superseded(old, title_of(text)), old_path, new_text)


def check_options(out_format: OutputFormat, *, output: Path | None, adr_dir: Path | None,
                  supersedes: int | None, detail: bool) -> None:
    """Refuse the combinations that make no sense, before anything is computed."""
    if supersedes is not None and adr_dir is None:
        raise DlselectError("--supersedes needs --adr-dir (it marks a record of that log)")
    if detail and out_format is not OutputFormat.MARKDOWN:
        raise DlselectError(f"--detail applies to the Markdown record only, not to "
                            f"--format {out_format.value}", tip="add --format markdown")
    if adr_dir is None:
        return
    if out_format is not OutputFormat.MARKDOWN:
        raise DlselectError(f"--adr-dir writes a Markdown record, not --format "
                            f"{out_format.value}", tip="leave out --format")
    if output is not None:
        raise DlselectError("--adr-dir and --output both say where the record goes",
                            tip="give one of them")


def write(adr: AdrPlan, text: str, others: list[tuple[Target, bytes]]) -> list[Path]:
    """Write the record, the superseded record's new text and ``others`` (the chart) together;
    the paths of the two records written."""
    try:
        adr.folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {adr.folder}: {exc.strerror or exc}") from None
    create_file(adr.path, text.encode("utf-8"))
    items = list(others)
    if adr.old_path is not None and adr.old_text is not None:
        items.append((target(adr.old_path), adr.old_text.encode("utf-8")))
    try:
        write_files(items)  # all of them or none
    except BaseException:
        adr.path.unlink(missing_ok=True)
        raise
    return [adr.path] + ([adr.old_path] if adr.old_path is not None else [])


def _read(path: Path) -> str:
    """The record's text exactly as stored (line endings included: it is written back)."""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise OutputError(f"cannot read {path}: {reason}") from None
