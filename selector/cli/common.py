"""What every command shares: error reporting and writing the result."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from selector.errors import DlselectError

if TYPE_CHECKING:
    from rich.console import RenderableType


class OutputError(DlselectError):
    """The result cannot be written where the user asked."""


def report_error(err: DlselectError) -> None:
    """One line on stderr naming what is wrong, and a Tip line where the fix is known."""
    print(f"dlselect: error: {err.message}", file=sys.stderr)
    if err.tip:
        print(f"Tip: {err.tip}", file=sys.stderr)


def render_text(renderable: RenderableType, *, plain: bool, width: int | None = None) -> str:
    if isinstance(renderable, str):
        return renderable
    from rich.console import Console

    console = Console(width=width or 120, no_color=plain, color_system=None,
                      force_terminal=False, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    with console.capture() as capture:
        console.print(renderable)
    console.file.close()
    return capture.get()


def emit(renderable: RenderableType, *, output: Path | None, plain: bool) -> None:
    """Print to stdout, or write the file atomically (never a half-written file)."""
    if output is None:
        if isinstance(renderable, str):
            sys.stdout.write(renderable)
            sys.stdout.flush()
        else:
            from rich.console import Console

            Console(soft_wrap=False).print(renderable)
        return
    write_atomic(output, render_text(renderable, plain=plain))


def write_atomic(path: Path, text: str) -> None:
    write_atomic_bytes(path, text.encode("utf-8"))


def write_atomic_bytes(path: Path, data: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}",
                          tip="check that the folder exists and is writable") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp creates the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777  # keep an existing file's mode
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
