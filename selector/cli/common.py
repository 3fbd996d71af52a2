"""What every command shares: error reporting and writing the result.

Writing never destroys anything: a regular file is replaced whole (a temporary file renamed
over it); a symlink is followed and its target replaced the same way (the link stays); a FIFO
or a character device (a terminal, /dev/null, /dev/full) is written to as a stream, a write
error reported; ``-`` and ``/dev/stdout`` mean stdout; anything else (a folder, a block device,
a socket) is refused. Several files of one run (``--output`` and ``--chart``) are written
together or not at all.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from selector.errors import DlselectError

if TYPE_CHECKING:
    from rich.console import RenderableType

#: Spellings of ``--output`` that mean standard output.
STDOUT_NAMES = ("-", "/dev/stdout")


class OutputError(DlselectError):
    """The result cannot be written where the user asked."""


def report_error(err: DlselectError) -> None:
    """One line on stderr naming what is wrong, and a Tip line where the fix is known."""
    print(f"dlselect: error: {err.message}", file=sys.stderr)
    if err.tip:
        print(f"Tip: {err.tip}", file=sys.stderr)


#: The interpreters ``announce_interpreters`` has named in this run (the CLI empties it as
#: each command starts).
ANNOUNCED: set[str] = set()


def announce_interpreters(paths: Sequence[str]) -> None:
    """Name on stderr, in one line and before any of them runs, the interpreters dlselect is
    about to start to look inside (and then to probe with), so that nothing runs unseen; one
    already named in this run (the wizard looks, then probes) is not named again. A path that
    would not print as it is (a control character in a folder's name) is shown quoted."""
    new = [p for p in dict.fromkeys(paths) if p not in ANNOUNCED]
    if not new:
        return
    ANNOUNCED.update(new)
    shown = ", ".join(p if p.isprintable() else repr(p) for p in new)
    print(f"dlselect: inspecting interpreters: {shown}", file=sys.stderr)


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


def is_stdout(path: Path | None) -> bool:
    return path is None or str(path) in STDOUT_NAMES


def emit(renderable: RenderableType, *, output: Path | None, plain: bool) -> None:
    """Print to stdout, or write the file (see the module's docstring)."""
    if is_stdout(output):
        print_stdout(renderable)
        return
    assert output is not None
    write_files([(target(output), render_text(renderable, plain=plain).encode("utf-8"))])


def print_stdout(renderable: RenderableType) -> None:
    if isinstance(renderable, str):
        sys.stdout.write(renderable)
        sys.stdout.flush()
    else:
        from rich.console import Console

        Console(soft_wrap=False).print(renderable)


@dataclass(frozen=True)
class Target:
    """Where one output goes: ``shown`` as the user wrote it, ``path`` with symlinks
    followed, written as a stream or replaced whole."""

    shown: Path
    path: Path
    stream: bool

    def same_file(self, other: Target) -> bool:
        if self.path == other.path:
            return True
        try:
            return os.path.samefile(self.path, other.path)  # hard links too
        except OSError:
            return False


def target(path: Path) -> Target:
    """Check where ``path`` leads before anything is written; OutputError if it must not be
    written."""
    real = Path(os.path.realpath(path))
    try:
        mode = os.stat(path).st_mode  # through symlinks
    except FileNotFoundError:
        return Target(path, real, stream=False)  # a new file (its folder is checked on writing)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return Target(path, real, stream=False)
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        # Opened as given: /dev/stderr and the like resolve to names realpath cannot spell.
        return Target(path, path, stream=True)
    kind = ("is a folder" if stat.S_ISDIR(mode) else
            "is a block device" if stat.S_ISBLK(mode) else "is not a regular file")
    raise OutputError(f"cannot write {path}: {kind}",
                      tip="name a file to write (it is replaced whole) or - for stdout")


def distinct(*targets: Target, names: tuple[str, ...]) -> None:
    """Refuse two outputs of one run that are one file, however they are spelled."""
    for i, first in enumerate(targets):
        for j in range(i + 1, len(targets)):
            if first.same_file(targets[j]):
                raise OutputError(f"{names[i]} {first.shown} and {names[j]} "
                                  f"{targets[j].shown} are the same file",
                                  tip="give each its own file name")


def write_atomic(path: Path, text: str) -> None:
    write_files([(target(path), text.encode("utf-8"))])


def write_atomic_bytes(path: Path, data: bytes) -> None:
    write_files([(target(path), data)])


def write_files(items: list[tuple[Target, bytes]]) -> None:
    """Write every item or none: temporary files first, then the streams (whose write can
    fail, e.g. ENOSPC on /dev/full), and only then the renames. A rename into a folder where
    the temporary file was just created does not fail in practice: the targets that could make
    it fail (a folder, a device) were refused by ``target``."""
    staged: list[tuple[Target, str]] = []
    try:
        for dest, data in items:
            if not dest.stream:
                staged.append((dest, _stage(dest, data)))
        for dest, data in items:
            if dest.stream:
                _write_stream(dest, data)
        for dest, tmp in staged:
            try:
                os.replace(tmp, dest.path)
            except OSError as exc:
                raise OutputError(f"cannot write {dest.shown}: {exc.strerror or exc}") from None
    finally:
        for _, tmp in staged:
            Path(tmp).unlink(missing_ok=True)


def create_file(path: Path, data: bytes) -> None:
    """Write a new file whole, never replacing one: a temporary file is hard-linked to the
    name, which fails if the name exists (even when another process took it a moment ago)."""
    dest = Target(path, Path(os.path.realpath(path)), stream=False)
    tmp = _stage(dest, data)
    try:
        os.link(tmp, dest.path)
    except FileExistsError:
        raise OutputError(f"cannot write {path}: it exists (it is never replaced)") from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        _create_exclusive(path, dest.path, data)  # a file system without hard links
    finally:
        Path(tmp).unlink(missing_ok=True)


#: A file system that cannot hard-link says so with one of these.
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


def _create_exclusive(shown: Path, path: Path, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                     0o666)
    except FileExistsError:
        raise OutputError(f"cannot write {shown}: it exists (it is never replaced)") from None
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None


def _stage(dest: Target, data: bytes) -> str:
    directory = dest.path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write {dest.shown}: {exc.strerror or exc}",
                          tip="check that the folder exists and is writable") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp creates the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, _mode_for(dest.path))
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {dest.shown}: {exc.strerror or exc}") from None
    return tmp


def _write_stream(dest: Target, data: bytes) -> None:
    try:
        # No O_CREAT, no O_TRUNC: the node exists and stays what it is.
        fd = os.open(dest.path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "wb", buffering=0) as handle:
            view = memoryview(data)
            while view:
                view = view[handle.write(view) or 0:]
    except OSError as exc:
        raise OutputError(f"cannot write {dest.shown}: {exc.strerror or exc}") from None


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777  # keep an existing file's mode
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
