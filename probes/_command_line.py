"""A probe's command line and its exit codes (standard library only, part of the probe harness).

``--budget quick|full``, ``--device auto|cpu|gpu``, ``--output PATH``, ``--ops gemm,conv2d,...``,
``--ready-fd FD``; usage errors exit 2 (argparse's convention), 3 when the framework cannot be
imported, 4 when ``--device gpu`` is asked for and the framework sees no GPU. Each is reported as
one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO

from _ops import BUDGETS, KNOWN_OPS, Budget

EXIT_IMPORT_FAILED = 3
EXIT_DEVICE_UNAVAILABLE = 4


@dataclass(frozen=True)
class ProbeArgs:
    budget: Budget
    device: str  # "auto", "cpu" or "gpu", as requested
    output: str | None
    ops: tuple[str, ...] | None  # None: every op the probe has
    ready_fd: int | None  # two-phase start: say "ready" here, then wait for "go" on stdin
    stdout: TextIO  # the real standard output, kept for the JSON document


def _parse_ops(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [name for name in names if name not in KNOWN_OPS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown op(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(KNOWN_OPS)}"
        )
    return names


def _parser(probe: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"probe_{probe}.py",
        description=f"dlselect live probe for {probe}: micro-benchmarks, JSON out.",
    )
    parser.add_argument(
        "--budget",
        choices=sorted(BUDGETS),
        default="quick",
        help="quick: gemm n=512, conv batch 8, 7 samples of >=20 ms; "
        "full: n=1024, batch 32, 21 samples of >=100 ms (default: quick)",
    )
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "gpu"),
        default="auto",
        help="auto: the GPU if the framework sees one, else the CPU; gpu without one exits 4",
    )
    parser.add_argument("--output", metavar="PATH", help="write the JSON here (else stdout)")
    parser.add_argument("--ops", type=_parse_ops, metavar="OP[,OP...]", help="subset of ops")
    parser.add_argument(
        "--ready-fd",
        type=_parse_fd,
        metavar="FD",
        help="write 'ready' on this descriptor once prepared, then wait for 'go' on stdin",
    )
    return parser


def _parse_fd(text: str) -> int:
    try:
        fd = int(text)
    except ValueError:
        fd = -1
    if fd < 0:
        raise argparse.ArgumentTypeError(f"not a file descriptor: {text!r}")
    return fd


def start(probe: str, argv: Sequence[str] | None = None) -> ProbeArgs:
    """Parse the command line (exit 2 on misuse) and keep stdout clean for the JSON document."""
    ns = _parser(probe).parse_args(argv)
    return ProbeArgs(
        budget=BUDGETS[ns.budget],
        device=ns.device,
        output=ns.output,
        ops=ns.ops,
        ready_fd=ns.ready_fd,
        stdout=_guard_stdout(),
    )


def _guard_stdout() -> TextIO:
    """Point file descriptor 1 at stderr and return a handle on the original stdout.

    Frameworks and their native libraries print banners and warnings; when the document goes to
    stdout, that noise must not corrupt it, so everything else written to fd 1 goes to stderr.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(saved, "w", encoding="utf-8")


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    line = f"{type(exc).__name__}: {text}"
    return line if len(line) <= limit else line[: limit - 3] + "..."


def import_framework(module: str) -> Any:
    """Import ``module`` or exit 3 with one line on stderr (the engine's "import failed")."""
    import importlib  # local: only needed here

    try:
        return importlib.import_module(module)
    except Exception as exc:  # broad on purpose: broken native libraries raise OSError etc.
        fail(EXIT_IMPORT_FAILED, f"import failed: {module}: {_one_line(exc)}")


def resolve_device(requested: str, gpu_available: bool, probe: str) -> str:
    """``auto`` takes the GPU when the framework sees one; ``gpu`` without one exits 4."""
    if requested == "cpu" or (requested == "auto" and not gpu_available):
        return "cpu"
    if gpu_available:
        return "gpu"
    fail(EXIT_DEVICE_UNAVAILABLE, f"device unavailable: {probe} sees no GPU")


def fail(code: int, message: str) -> NoReturn:
    sys.stderr.flush()
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(code)
