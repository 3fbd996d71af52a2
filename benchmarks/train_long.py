"""A long, dedicated measurement of the probes' training steps in one framework (part e of
benchmarks/run.py).

Runs in the framework's own interpreter (standard library + the framework), like a probe, and
prints one JSON line: for each of ``train_cnn``, ``train_lstm``, ``train_transformer``,
training examples per second from the median per-step time over at least ``--min-time``
seconds. The ops are the probe's own: they are built by the same builders
(``probes/_train_<fw>.py``, imported with ``probes/`` on ``sys.path``), after the same setup the
probe's ``main`` does (TF32 off, the same ``sync``), so a difference from the probe's quick
figure is the probe's short timing, not the work:

- torch: ``torch.utils.benchmark.Timer("step()").blocked_autorange(min_run_time)`` with the
  framework's own thread count (Timer defaults to one thread), as ``gemm_long.py`` does;
- tensorflow, jax, mxnet: the calibrated loop of ``gemm_long.py`` (blocks of at least
  ``BLOCK_S`` seconds, at least ``MIN_BLOCKS`` of them, until ``--min-time`` has passed; the
  probe's ``sync`` before every clock read), median per-step time over the *quiet* blocks:
  those in which other processes took at most ``QUIET_SHARE`` of the CPU (read from /proc
  around each block). On a shared machine a 3 s run per op is far more likely than the quick
  probe's 0.1 s of samples to overlap another process's burst, and a burst covering most of
  an op's blocks moved their median: the quick figure then read faster than the reference
  for a reason that was not the probe's. Each block's start, per-step time and others' share
  are in ``block_log``; ``median_all_s`` and the two halves' medians show the unfiltered
  figure and any drift over the run.

Like the probe, every op is built first, then measured one after the other; each op's first
call is timed on its own (``first_step_s``: tracing, compiling and one step) and its loss kept
(``loss0``, which must equal the quick probe's: same weights, same batch, same first step).
Every step trains on the same batch; the work per step does not change with the weights.
CPU only: ``run.py`` runs the quick probe with ``--device cpu`` to match.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gemm_long import BLOCK_S, MIN_BLOCKS, _loop, block_loops

# A block counts as quiet when other processes used at most this share of the machine's CPU
# time during it (from /proc, see ``_cpu_ticks``). The benchmark waits for a quiet CPU before
# each command, so the quick probe's 0.1 s of samples rarely overlap another process's burst;
# a 3 s run per op often does, and when a burst covers more than half of an op's blocks their
# median moves with it. Only the quiet blocks make the reference, so that both figures are of
# the op on an otherwise quiet CPU.
QUIET_SHARE = 0.10
# Without enough quiet blocks by ``--min-time``, the run goes on, up to this many times as
# long; then it takes the quiet blocks it has (at least ``MIN_QUIET`` of them) or all blocks.
MAX_TIME_FACTOR = 3
MIN_QUIET = 3

PROBES = Path(__file__).resolve().parents[1] / "probes"
OPS = ("train_cnn", "train_lstm", "train_transformer")

# (the framework module, the probe's sync, the training builders) for each framework, set up as
# the probe's ``main`` sets it up.
Setup = tuple[Any, Callable[[object], None], dict[str, Any]]


def _torch() -> Setup:
    import _harness as h
    import _train_torch
    import probe_torch
    import torch

    np = h.import_framework("numpy")
    probe_torch._disable_tf32(torch)
    sync = probe_torch._sync(torch, "cpu")
    return torch, sync, _train_torch.builders(torch, "cpu", None, h.BUDGETS["quick"], np)


def _tensorflow() -> Setup:
    from functools import partial

    import _harness as h
    import _train_tensorflow
    import probe_tensorflow
    import tensorflow as tf

    np = h.import_framework("numpy")
    tf.config.experimental.enable_tensor_float_32_execution(False)
    sync = partial(probe_tensorflow._read_back, tf)
    return tf, sync, _train_tensorflow.builders(tf, "cpu", None, h.BUDGETS["quick"], np)


def _jax() -> Setup:
    import _harness as h
    import _train_jax
    import jax
    import jax.numpy  # noqa: F401 - the builders need jax.numpy, jax.lax, jax.nn as attributes

    np = h.import_framework("numpy")
    dev = jax.devices("cpu")[0]
    return jax, jax.block_until_ready, _train_jax.builders(jax, "cpu", dev, h.BUDGETS["quick"],
                                                           np)


def _mxnet() -> Setup:
    os.environ["NVIDIA_TF32_OVERRIDE"] = "0"  # as probe_mxnet.py does before importing mxnet
    import _harness as h
    import _train_mxnet
    import mxnet as mx

    np = h.import_framework("numpy")

    def sync(_out: object) -> None:
        mx.nd.waitall()

    return mx, sync, _train_mxnet.builders(mx, "cpu", mx.cpu(), h.BUDGETS["quick"], np)


SETUPS: dict[str, Callable[[], Setup]] = {
    "torch": _torch, "tensorflow": _tensorflow, "jax": _jax, "mxnet": _mxnet,
}
METHODS = {
    "torch": "torch.utils.benchmark.Timer(\"step()\").blocked_autorange(min_run_time={t:g}), "
             "num_threads={threads}",
    "other": f"calibrated loop (blocks of >= {BLOCK_S:g} s, >= {MIN_BLOCKS} blocks, "
             "for >= {t:g} s), the probe's sync before each clock read, median of the blocks "
             f"in which other processes took <= {100 * QUIET_SHARE:.0f} % of the CPU (>= "
             f"{MIN_BLOCKS} of them, the run extended up to {MAX_TIME_FACTOR}x for them)",
}


def _timed_torch(torch: Any, step: Callable[[], object], min_time_s: float) -> dict[str, Any]:
    from torch.utils import benchmark

    threads = torch.get_num_threads()
    for _ in range(3):  # the same warm-up the calibrated loop makes
        step()
    timer = benchmark.Timer("step()", globals={"step": step}, num_threads=threads)
    start = time.perf_counter()
    m = timer.blocked_autorange(min_run_time=min_time_s)
    return {"median_s": m.median, "iqr_s": m.iqr, "blocks": len(m.times),
            "calls_per_block": m.number_per_run, "timed_s": time.perf_counter() - start,
            "method": METHODS["torch"].format(t=min_time_s, threads=threads)}


def _cpu_ticks() -> tuple[int, int] | None:
    """(CPU ticks the whole machine spent busy, ticks this process used) from ``/proc/stat``
    and ``/proc/self/stat``; None where the OS has no /proc."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            cpu = [int(v) for v in f.readline().split()[1:9]]
        with open("/proc/self/stat", encoding="ascii") as f:
            own = f.read().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return None
    # user nice system idle iowait irq softirq steal: busy is all but idle and iowait; guest
    # time is already counted in user. utime and stime are fields 14 and 15 of
    # /proc/self/stat, the 12th and 13th after the command name.
    return sum(cpu) - cpu[3] - cpu[4], int(own[11]) + int(own[12])


def _others_share(before: tuple[int, int] | None, after: tuple[int, int] | None,
                  wall_s: float) -> float | None:
    """Share of the machine's CPU time other processes used between two ``_cpu_ticks``."""
    if before is None or after is None or wall_s <= 0:
        return None
    ticks = os.sysconf("SC_CLK_TCK") * (os.cpu_count() or 1) * wall_s
    others = (after[0] - before[0]) - (after[1] - before[1])
    return max(0.0, others / ticks)


def calibrated_quiet(call: Callable[[], object], sync: Callable[[object], None],
                     min_time_s: float) -> dict[str, Any]:
    """``gemm_long.calibrated``'s loop (3 warm-up calls, blocks of >= ``BLOCK_S``, >=
    ``MIN_BLOCKS`` blocks for >= ``min_time_s``), recording for each block when it started,
    its per-call time and the CPU share other processes took during it; the figure is the
    median per-call time of the quiet blocks (``QUIET_SHARE``)."""
    loops = block_loops(call, sync, BLOCK_S)
    blocks: list[dict[str, Any]] = []
    start = time.perf_counter()

    def quiet() -> list[float]:
        return [b["per_call_s"] for b in blocks
                if b["others_share"] is None or b["others_share"] <= QUIET_SHARE]

    while True:
        timed = time.perf_counter() - start
        if timed >= min_time_s and len(blocks) >= MIN_BLOCKS and (
                len(quiet()) >= MIN_BLOCKS or timed >= MAX_TIME_FACTOR * min_time_s):
            break
        ticks = _cpu_ticks()
        at = time.perf_counter()
        elapsed = _loop(call, sync, loops)
        share = _others_share(ticks, _cpu_ticks(), time.perf_counter() - at)
        blocks.append({"t_s": at - start, "per_call_s": elapsed / loops,
                       "others_share": share})
    kept = quiet()
    every = [b["per_call_s"] for b in blocks]
    used = kept if len(kept) >= MIN_QUIET else every
    q1, median, q3 = statistics.quantiles(used, n=4, method="inclusive")
    half = len(blocks) // 2
    return {"median_s": median, "iqr_s": q3 - q1, "blocks": len(blocks),
            "quiet_blocks": len(kept), "median_all_s": statistics.median(every),
            "median_first_half_s": statistics.median(every[:half]),
            "median_second_half_s": statistics.median(every[half:]),
            "calls_per_block": loops, "timed_s": time.perf_counter() - start,
            "block_log": [[round(b["t_s"], 4), b["per_call_s"],
                           None if b["others_share"] is None else round(b["others_share"], 3)]
                          for b in blocks]}


def measure(framework: str, ops: tuple[str, ...], min_time_s: float) -> dict[str, Any]:
    module, sync, builders = SETUPS[framework]()
    specs = {op: builders[op]() for op in ops}  # built first, as the probe's run_ops does
    out: dict[str, Any] = {}
    for op, spec in specs.items():
        sync(None)
        start = time.perf_counter()
        first = spec.fn()
        sync(first)
        first_step_s = time.perf_counter() - start
        loss0 = spec.loss0() if spec.loss0 is not None else None
        if framework == "torch":
            result = _timed_torch(module, spec.fn, min_time_s)
        else:
            result = calibrated_quiet(spec.fn, sync, min_time_s)
            result["method"] = METHODS["other"].format(t=min_time_s)
        result.update(first_step_s=first_step_s, loss0=loss0, examples=spec.examples,
                      samples_per_s=spec.examples / result["median_s"])
        out[op] = result
    return {"framework": framework, "version": str(getattr(module, "__version__", "?")),
            "min_time_s": min_time_s, "ops": out}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 2)[0])
    parser.add_argument("framework", choices=sorted(SETUPS))
    parser.add_argument("--ops", default=",".join(OPS),
                        help="comma-separated training ops (default: all three)")
    parser.add_argument("--min-time", type=float, default=3.0,
                        help="seconds of timed steps per op (default 3)")
    args = parser.parse_args()
    ops = tuple(op for op in args.ops.split(",") if op)
    unknown = [op for op in ops if op not in OPS]
    if not ops or unknown:
        parser.error(f"unknown op(s) {', '.join(unknown) or '(none)'}; known: {', '.join(OPS)}")
    sys.path.insert(0, str(PROBES))
    # Frameworks and their native libraries print on file descriptor 1: point it at stderr and
    # keep the real stdout for the one JSON line.
    sys.stdout.flush()
    real_stdout = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    result = measure(args.framework, ops, args.min_time)
    real_stdout.write(json.dumps(result) + "\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
