"""Probe results cached per interpreter, framework version, hardware and probe program.

Entries are written atomically; an entry that cannot be read back is ignored, reported and
rebuilt by the caller.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from selector.probing.models import Outcome

CACHE_FORMAT = 1


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dlselect" / "probes"


def cache_key(*, interpreter: str, framework: str, version: str | None, host_id: str,
              budget: str, device: str, program: Path) -> str:
    harness = program.parent / "_harness.py"
    code = b"".join(p.read_bytes() for p in (program, harness) if p.exists())
    parts = [str(CACHE_FORMAT), os.path.abspath(interpreter), framework, version or "",
             host_id, budget, device, hashlib.sha256(code).hexdigest()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


class CorruptEntry(Exception):
    pass


def load(key: str) -> Outcome | None:
    """The cached outcome, None when absent; CorruptEntry when present but unreadable."""
    path = cache_dir() / f"{key}.json"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptEntry(f"{path}: {exc}") from None
    try:
        data = json.loads(raw)
        if data.get("format") != CACHE_FORMAT:
            raise ValueError(f"format {data.get('format')!r}")
        return Outcome.model_validate(data["outcome"]).model_copy(update={"cached": True})
    except (ValueError, KeyError, TypeError, AttributeError, ValidationError) as exc:
        raise CorruptEntry(f"{path}: {str(exc).splitlines()[0]}") from None


def store(key: str, outcome: Outcome) -> None:
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"format": CACHE_FORMAT, "outcome": outcome.model_dump(mode="json")},
                      handle)
        os.replace(tmp, directory / f"{key}.json")
    except OSError:
        pass  # a cache that cannot be written only costs a re-measurement next time
