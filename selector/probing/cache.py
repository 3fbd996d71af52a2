"""Probe results cached per interpreter, framework version, hardware, environment and probe
code, and the lock that keeps two dlselect processes from measuring at the same time.

Entries are written atomically; an entry that cannot be read back is ignored, reported and
rebuilt by the caller. Results flagged unstable are never written (the probe has already
re-measured them). A new measurement under a key keeps the medians of the runs before it
(``with_earlier``), so that the spread between runs is known once there are several.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from selector.probing.models import EARLIER_RUNS, Outcome

CACHE_FORMAT = 2
#: How fp32 is measured (TF32 off in every framework); part of every key, so a change of
#: policy never reuses figures measured under the old one.
PRECISION_POLICY = "fp32-strict;tf32-own-op"
#: How long a second dlselect waits for the one measuring before giving up.
LOCK_WAIT_S = 900.0


def cache_dir() -> Path:
    """The user's cache folder for dlselect (``$XDG_CACHE_HOME/dlselect`` on Linux, the
    platform's own elsewhere, by platformdirs), ``probes`` in it."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("dlselect", appauthor=False)) / "probes"


def cache_key(*, interpreter: str, framework: str, version: str | None, host_id: str,
              budget: str, device: str, program: Path,
              context: Mapping[str, object] | None = None) -> str:
    """Everything that changes a figure: the interpreter and framework version, the hardware
    (``host_id``; GPU models and driver in ``context``), the budget and device asked for, the
    environment the probe runs with (thread and device variables, in ``context``), the
    precision policy, and the code of every probe module."""
    code = b"".join(p.read_bytes() for p in sorted(program.parent.glob("*.py")))
    parts = [str(CACHE_FORMAT), os.path.abspath(interpreter), framework, version or "",
             host_id, budget, device, PRECISION_POLICY, hashlib.sha256(code).hexdigest(),
             json.dumps(dict(context or {}), sort_keys=True, default=str)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


@contextmanager
def measurement_lock(wait: Callable[[], None] | None = None,
                     timeout_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold the machine-wide measuring lock (an exclusive ``flock`` on a file in the cache
    folder). When another dlselect holds it, call ``wait`` once and block until it is free;
    give up with a DlselectError after ``timeout_s``. Where no lock file can be made (a
    read-only cache folder), measure without one: the cache is an optimisation."""
    import fcntl

    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
        handle = open(cache_dir() / "measure.lock", "a+b")  # noqa: SIM115 - held to the end
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if wait is not None:
                wait()
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        from selector.errors import DlselectError

                        raise DlselectError(
                            f"another dlselect has been measuring for over {timeout_s:g} s "
                            f"(lock {cache_dir() / 'measure.lock'})",
                            tip="wait for it to finish, or use --probe-results") from None
                    time.sleep(0.2)
        yield
    finally:
        handle.close()  # closing releases the lock


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


def with_earlier(outcome: Outcome, previous: Outcome | None) -> Outcome:
    """``outcome`` with each op's ``earlier_median_s``: the op's median in ``previous`` (the
    entry it replaces under the same key) followed by the earlier medians that one carried,
    newest first, at most ``EARLIER_RUNS``. An op measured differently than before (other
    parameters, such as a GPU size grown differently, device or precision) starts afresh."""
    if previous is None:
        return outcome
    ops = {}
    for name, op in outcome.ops.items():
        old = previous.ops.get(name)
        if old is None or (old.params, old.device, old.precision) != (
                op.params, op.device, op.precision):
            ops[name] = op
            continue
        earlier = [old.median_s, *old.earlier_median_s][:EARLIER_RUNS]
        ops[name] = op.model_copy(update={"earlier_median_s": earlier})
    return outcome.model_copy(update={"ops": ops})
