"""A bounded, text-only walk of a repository: nothing in it is run, imported or followed.

Symlinks are never followed (``os.scandir`` entries are asked with ``follow_symlinks=False``
and files are opened with ``O_NOFOLLOW``); version-control folders, virtual environments,
vendored and build folders are left out; a file is read only when the scan has a parser for
its kind, only up to a size limit, and not at all when it looks binary. The walk stops at a
number of files and at a deadline, and says what it skipped and why.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: Folders never entered, by name.
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "node_modules", "bower_components", "vendor", "third_party",
    "third-party", "thirdparty", "external", "Pods", "Carthage", "DerivedData", "__pycache__",
    "build", "dist", "target", "out", ".gradle", ".idea", ".tox", ".nox", ".eggs",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", "venv",
    ".next", ".cache", ".terraform",
})
#: Folders never entered, by the start of their name (``.venv-cuda``, ``bazel-out``).
SKIPPED_PREFIXES = (".venv", "bazel-")
#: Folders never entered, by the end of their name.
SKIPPED_SUFFIXES = (".egg-info", ".dist-info", ".xcframework", ".framework")

MAX_FILES = 20_000
MAX_FILE_BYTES = 1024 * 1024
MAX_SECONDS = 5.0
#: How many examples of each kind of skip are kept.
EXAMPLES = 5
#: A NUL byte in this many first bytes makes a file binary.
BINARY_SNIFF = 8192


@dataclass
class Skipped:
    """What a scan left out: per reason, how many and a few examples (paths relative to the
    root, ``/``-separated)."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, path: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < EXAMPLES:
            shown.append(path)


@dataclass
class Walk:
    #: the text of every file read, by relative path
    texts: dict[str, str] = field(default_factory=dict)
    #: every regular file seen (read or not), by relative path
    seen: list[str] = field(default_factory=list)
    skipped: Skipped = field(default_factory=Skipped)
    #: the walk stopped at a bound before it had seen the whole tree
    truncated: bool = False
    seconds: float = 0.0


def skipped_dir(entry: os.DirEntry[str]) -> str | None:
    """Why a folder is left out, or None to enter it."""
    name = entry.name
    if (name in SKIPPED_DIRS or name.startswith(SKIPPED_PREFIXES)
            or name.endswith(SKIPPED_SUFFIXES)):
        return "excluded folder"
    try:
        if os.path.lexists(os.path.join(entry.path, "pyvenv.cfg")):
            return "virtual environment"
    except OSError:
        return "unreadable"
    return None


def read_bounded(path: str, max_bytes: int) -> tuple[str | None, str | None]:
    """(text, None) or (None, why it was not read). Opened without following a symlink and
    without blocking on a FIFO; only a regular file is read, and at most ``max_bytes``."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None, "unreadable"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, "not a regular file"
        if info.st_size > max_bytes:
            return None, "too large"
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
    except OSError:
        return None, "unreadable"
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # grew since fstat
        return None, "too large"
    if b"\0" in data[:BINARY_SNIFF]:
        return None, "binary"
    return data.decode("utf-8", errors="replace"), None


def walk(root: Path, wanted: Callable[[str], bool], *, max_files: int = MAX_FILES,
         max_file_bytes: int = MAX_FILE_BYTES, max_seconds: float = MAX_SECONDS,
         clock: Callable[[], float] = time.monotonic) -> Walk:
    """Walk ``root`` (a folder), reading the files whose name ``wanted`` accepts."""
    start = clock()
    deadline = start + max_seconds
    result = Walk()
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        folder, rel = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            result.skipped.add("unreadable", rel or ".")
            continue
        subfolders = []
        for entry in entries:
            path = f"{rel}{entry.name}"
            if len(result.seen) >= max_files:
                result.skipped.add(f"file limit ({max_files}) reached", path)
                result.truncated = True
                break
            if clock() > deadline:
                result.skipped.add(f"time limit ({max_seconds:g} s) reached", path)
                result.truncated = True
                break
            try:
                if entry.is_symlink():
                    result.skipped.add("symlink (not followed)", path)
                elif entry.is_dir(follow_symlinks=False):
                    why = skipped_dir(entry)
                    if why is None:
                        subfolders.append((entry.path, f"{path}/"))
                    else:
                        result.skipped.add(why, f"{path}/")
                elif entry.is_file(follow_symlinks=False):
                    result.seen.append(path)
                    if wanted(entry.name):
                        text, why = read_bounded(entry.path, max_file_bytes)
                        if text is None:
                            result.skipped.add(why or "unreadable", path)
                        else:
                            result.texts[path] = text
                else:
                    result.skipped.add("not a regular file", path)
            except OSError:
                result.skipped.add("unreadable", path)
        if result.truncated:
            break
        stack.extend(reversed(subfolders))
    result.seconds = clock() - start
    return result
