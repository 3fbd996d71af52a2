"""What every part of the benchmark suite shares: paths, targets, the quick budget, the
interleaved runner and the section a part returns."""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from _proc import QUIET, Run
from _stats import Figure, fmt

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
MXNET_VENV = ROOT / ".venv-mxnet"
PY = VENV / "bin" / "python"
DLSELECT = VENV / "bin" / "dlselect"
MXNET_PY = MXNET_VENV / "bin" / "python"
BENCH = ROOT / "benchmarks"
DOC = ROOT / "docs" / "benchmarks.md"
COMMAND = ".venv/bin/python benchmarks/run.py"

#: (framework, module, interpreter) for part b's import baseline, in the probe catalog's order.
FRAMEWORKS: tuple[tuple[str, str, Path], ...] = (
    ("torch", "torch", PY),
    ("tensorflow", "tensorflow", PY),
    ("jax", "jax", PY),
    ("numba", "numba", PY),
    ("mxnet", "mxnet", MXNET_PY),
    ("pytensor", "pytensor", PY),
)
NAMED_FRAMEWORKS = ("torch", "tensorflow", "numba", "jax", "mxnet")
#: Part c: the frameworks whose GEMM is checked.
ACCURACY = ("torch", "tensorflow", "jax", "numba", "mxnet")
#: Part e: the frameworks with training-step ops, and the ops (numba and pytensor have none).
TRAINING = ("torch", "tensorflow", "jax", "mxnet")
TRAIN_OPS = ("train_cnn", "train_lstm", "train_transformer")
#: Part e: seconds of timed steps per op in train_long.py.
TRAIN_LONG_MIN_S = 3.0
HEAVY = ("numpy", "pydantic", "skcriteria", "pandas", "torch", "tensorflow")

HELP_TARGET_S = 0.3
#: Part a: ``recommend`` on the defaults against ``import skcriteria``. The numpy kernels are the
#: scores, so recommend no longer imports scikit-criteria; 0.4x is what is left for the
#: interpreter, typer, pydantic, numpy, the knowledge base and the robustness analysis.
RECOMMEND_RATIO_TARGET = 0.4
RECOMMEND_RSS_TARGET_MB = 100.0
#: Part a's floor: the two libraries ``recommend`` cannot start without.
FLOOR_IMPORT = "import numpy, pydantic"
#: The issue "Probes that compare like with like": the default probe suite, training steps
#: included, within 2x of importing the frameworks. Before the training steps joined the default
#: ops the target was 1.5x; the report still says how the suite stands against that.
SUITE_RATIO_TARGET = 2.0
SUITE_RATIO_BEFORE_TRAINING = 1.5
ACCURACY_BAND = (0.9, 1.1)
SMAA_SPEEDUP_TARGET = 300.0
#: The parts, in the report's order.
PARTS = "abcdef"

T = TypeVar("T")


def _probe_budget() -> Any:
    """The probes' quick budget (samples, minimum sample time), read from probes/_ops.py (the
    harness's part that defines it: standard library only, no sibling imports), so the report's
    text follows the probes."""
    spec = importlib.util.spec_from_file_location("_probe_ops", ROOT / "probes" / "_ops.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.BUDGETS["quick"]


QUICK = _probe_budget()
#: "5 samples of >= 20 ms", the quick budget in words.
QUICK_SAMPLES = f"{QUICK.samples} samples of >= {1000 * QUICK.min_sample_s:.0f} ms"
#: The least time the quick budget times an op (about that much for an op much faster than a
#: sample).
QUICK_SPAN_S = QUICK.samples * QUICK.min_sample_s


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def interleaved(rounds: int, commands: dict[str, Callable[[], T]],
                label: str) -> dict[str, list[T]]:
    """Run each command once per round, the order rotated every round (A B C, B C A, ...),
    after waiting for a quiet CPU before each."""
    names = list(commands)
    out: dict[str, list[T]] = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            QUIET.wait()
            out[name].append(commands[name]())
        log(f"{label}: round {r + 1}/{rounds}")
    return out


def walls(runs: Sequence[Run]) -> list[float | None]:
    return [r.wall_s if r.ok else None for r in runs]


def failures(runs: Sequence[Run]) -> list[str]:
    return [r.failure() for r in runs if not r.ok]


def ok_values(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None]


def median_or_none(values: Sequence[float | None]) -> float | None:
    present = ok_values(values)
    return statistics.median(present) if present else None


def needs_reason(fig: Figure) -> bool:
    """A missed target, or a met one that single runs missed: both get a likely reason."""
    return fig.verdict == "MISSED" or bool(fig.agreement_text())


@dataclass
class Section:
    """What one part measured: its figures (in the summary) and its detail, in Markdown."""

    figures: list[Figure] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    ran: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # for other parts' reasons

def fmt_opt(value: float | None, unit: str) -> str:
    return "—" if value is None else fmt(value, unit)
