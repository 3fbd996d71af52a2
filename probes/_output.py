"""What a probe hands back to the runner (standard library only, part of the probe harness).

The runner's two-phase start (``--ready-fd``): ``ready`` on FD once every op is prepared, then
wait for ``go`` on stdin before measuring, so that probes started side by side import in parallel
but never measure at the same time. Then the JSON document (probe schema_version 1), its atomic
write, and the quick exit.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from _command_line import ProbeArgs, fail
from _environment import recorded_env

# Taken when the probe imports the harness (which imports this module), which every probe does
# before importing its framework, so ``elapsed_s`` includes the framework's import time.
_STARTED = time.perf_counter()

SCHEMA_VERSION = 1


@dataclass
class OpResults:
    ops: dict[str, dict[str, Any]]
    op_errors: dict[str, str]
    unsupported_ops: list[str]
    waited_s: float = 0.0  # time spent waiting for the runner's go, left out of elapsed_s
    #: op -> why the framework cannot run it, where the probe says
    unsupported_reasons: dict[str, str] = field(default_factory=dict)


def _handshake(ready_fd: int | None) -> float:
    """Tell the runner this probe is prepared, block until it says ``go`` on stdin.

    Returns the seconds spent waiting (the runner measures other probes meanwhile).
    """
    if ready_fd is None:
        return 0.0
    try:
        os.write(ready_fd, b"ready\n")
    finally:
        os.close(ready_fd)
    start_s = time.perf_counter()
    if sys.stdin.readline().strip() != "go":
        fail(1, "stopped before measuring: stdin closed without 'go'")
    return time.perf_counter() - start_s


@dataclass(frozen=True)
class ProbeInfo:
    probe: str
    framework: str
    version: str
    build: Mapping[str, Any]
    devices: list[dict[str, Any]]
    framework_threads: int | None  # intra-op threads as the framework reports them
    stands_for: str | None = None


def document(args: ProbeArgs, info: ProbeInfo, results: OpResults,
             multi_device: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The probe's JSON document, schema_version 1 (see docs/probes.md); ``multi_device``
    (the ``allreduce`` and ``scaling`` results, when asked for) is an optional key."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "probe": info.probe,
        "framework": info.framework,
        "stands_for": info.stands_for,
        "version": info.version,
        "build": dict(info.build),
        "python": {"version": platform.python_version(), "executable": sys.executable},
        "budget": args.budget.name,
        "device_requested": args.device,
        "devices": info.devices,
        "threads": {"framework": info.framework_threads, "cpu_count": os.cpu_count()},
        "env": recorded_env(),
        "ops": results.ops,
        "unsupported_ops": results.unsupported_ops,
        "unsupported_reasons": results.unsupported_reasons,
        "op_errors": results.op_errors,
        "elapsed_s": time.perf_counter() - _STARTED - results.waited_s,
    }
    if multi_device:
        doc["multi_device"] = dict(multi_device)
    return doc


def emit(doc: Mapping[str, Any], args: ProbeArgs) -> None:
    """Write the document to ``--output`` atomically (tmp file, then rename) or to stdout."""
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    if args.output is None:
        args.stdout.write(text)
        args.stdout.flush()
    else:
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, args.output)


def exit_now(code: int) -> NoReturn:
    """End a probe run as a script: the result is already written (``emit``). Tearing down a
    framework's interpreter takes up to a second (TensorFlow about 1 s, torch 0.4 s) that the
    runner would otherwise wait out before the next probe may measure, and nothing of value
    happens in it, so skip it. Only for ``__main__``: never call it from an importer."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
