"""How the probes time an op (standard library only, part of the probe harness).

``time.perf_counter`` around a loop of calls, a ``sync`` callable called before every clock read,
calibration of the inner loop count, repeated samples, median and IQR. Every framework is timed the
same way: a sample queues its calls back to back and synchronises once at the end
(``time_loop``), and the figure is per call. On a GPU, ``grow`` enlarges GEMM and conv2d until one
call keeps the device busy for at least ``MIN_GPU_CALL_S``.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from _checks import run_check
from _ops import Budget, OpBuilder, OpSpec, Sync

# A measurement is flagged ``unstable`` when its interquartile range exceeds this share of the
# median: on a busy 2-core machine that is the point where a 10 % difference between two
# frameworks stops meaning anything.
UNSTABLE_IQR_RATIO = 0.10
# An unstable op is calibrated and sampled again, in the same process, up to this many more times
# (stopping at the first stable set). Three, as many sets as the runner used to get by measuring
# it again in a fresh process, which re-imported the framework and recompiled the op to do so.
REMEASURE_SETS = 3
# Upper bound on the calibrated inner loop, so a no-op-fast call cannot spin forever.
MAX_INNER_LOOPS = 1_000_000

# On a GPU, GEMM and conv2d grow until one call takes at least this long. A call of a few
# microseconds measures the Python dispatch and the kernel launch (5-20 us each), not the GPU;
# from 1 ms on those are a few percent of the call and the device runs at its steady clock.
MIN_GPU_CALL_S = 1e-3
GPU_GEMM_SIZES = (1024, 2048, 4096, 8192)
GPU_CONV_BATCHES = (32, 64, 128, 256)
# Calls timed (after one warm-up call) to decide whether a size is large enough.
GROW_TIMED_CALLS = 3


@dataclass(frozen=True)
class Grown:
    """A builder whose problem size is picked by ``grow``. Growing times calls, so ``run_ops``
    calls this builder only after the runner's go, when no other probe is measuring."""

    build_for_size: Callable[[int], OpSpec]
    sizes: tuple[int, ...]
    sync: Sync
    min_call_s: float = MIN_GPU_CALL_S

    def __call__(self) -> OpSpec:
        return grow(self.build_for_size, self.sizes, self.sync, self.min_call_s)


def kernel_builders(
    gemm: Callable[..., OpSpec],
    conv2d: Callable[[int], OpSpec],
    lstm: OpBuilder,
    device: str,
    budget: Budget,
    sync: Sync,
    tf32: bool,
) -> dict[str, OpBuilder]:
    """The standard kernels, laid out the same way for every framework that has them all.

    ``gemm(dtype, n, precision=...)`` and ``conv2d(batch)`` build a spec for one size. On the
    CPU the budget's sizes; on a GPU, GEMM (float32, TF32 where ``tf32``, float16, bfloat16) and
    conv2d grow until a call keeps the device busy (``grow``)."""
    if device == "cpu":
        return {
            "gemm": partial(gemm, "float32", budget.gemm_n),
            "conv2d": partial(conv2d, budget.conv_batch),
            "lstm": lstm,
        }
    builders: dict[str, OpBuilder] = {"gemm": Grown(partial(gemm, "float32"), GPU_GEMM_SIZES, sync)}
    if tf32:
        builders["gemm_tf32"] = Grown(partial(gemm, "float32", precision="tf32"),
                                      GPU_GEMM_SIZES, sync)
    for dtype, name in (("float16", "gemm_fp16"), ("bfloat16", "gemm_bf16")):
        builders[name] = Grown(partial(gemm, dtype), GPU_GEMM_SIZES, sync)
    builders["conv2d"] = Grown(conv2d, GPU_CONV_BATCHES, sync)
    builders["lstm"] = lstm
    return builders


def grow(
    build_for_size: Callable[[int], OpSpec],
    sizes: Sequence[int],
    sync: Sync,
    min_call_s: float = MIN_GPU_CALL_S,
) -> OpSpec:
    """The spec of the first size in ``sizes`` whose call takes at least ``min_call_s`` (else of
    the largest). Each size tried is called once (compile, autotune) and then timed over
    ``GROW_TIMED_CALLS`` queued calls; the chosen spec keeps its first call's time as
    ``first_call_s``, and its note says how the size was chosen."""
    if not sizes:
        raise ValueError("grow needs at least one size")
    for index, size in enumerate(sizes):
        spec = build_for_size(size)
        first_s = time_loop(spec.fn, sync, 1)
        per_call_s = time_loop(spec.fn, sync, GROW_TIMED_CALLS) / GROW_TIMED_CALLS
        last = index == len(sizes) - 1
        if per_call_s >= min_call_s or last:
            reached = "reached" if per_call_s >= min_call_s else "largest tried; not reached"
            why = (
                f"size {size} of {', '.join(map(str, sizes))}: the first whose call takes "
                f">= {min_call_s * 1e3:g} ms ({per_call_s * 1e3:.3g} ms; {reached})"
            )
            note = why if spec.note is None else f"{spec.note}; {why}"
            return replace(spec, first_call_s=first_s, note=note)
        del spec  # free the device memory of this size before allocating the next
    raise AssertionError("unreachable")


def time_loop(fn: Callable[[], object], sync: Sync, loops: int) -> float:
    """Seconds for ``loops`` calls, with ``sync`` before each clock read."""
    out: object = None
    sync(out)
    start_s = time.perf_counter()
    for _ in range(loops):
        out = fn()
    sync(out)
    return time.perf_counter() - start_s


def calibrate(fn: Callable[[], object], sync: Sync, min_sample_s: float) -> int:
    """Grow the inner loop count until one sample lasts at least ``min_sample_s``."""
    loops = 1
    while True:
        elapsed = time_loop(fn, sync, loops)
        if elapsed >= min_sample_s or loops >= MAX_INNER_LOOPS:
            return loops
        # Aim 20 % past the target so the next try usually lands; always at least double.
        wanted = math.ceil(loops * min_sample_s / max(elapsed, 1e-9) * 1.2)
        loops = min(MAX_INNER_LOOPS, max(2 * loops, wanted))


def timed_samples(fn: Callable[[], object], sync: Sync,
                  budget: Budget) -> tuple[int, list[float]]:
    """Calibrate, then ``budget.samples`` timed samples: the inner loop count and the seconds
    per call of each sample (all positive and finite, else ``RuntimeError``)."""
    loops = calibrate(fn, sync, budget.min_sample_s)
    per_call = [time_loop(fn, sync, loops) / loops for _ in range(budget.samples)]
    if not all(t > 0 and math.isfinite(t) for t in per_call):
        raise RuntimeError(f"clock gave a non-positive or non-finite sample ({per_call!r})")
    return loops, per_call


def summarize(per_call_s: Sequence[float]) -> tuple[float, float]:
    """Median and interquartile range (quartiles by the 'inclusive' method)."""
    q1, _, q3 = statistics.quantiles(per_call_s, n=4, method="inclusive")
    return statistics.median(per_call_s), q3 - q1


def measure(spec: OpSpec, sync: Sync, budget: Budget, *,
            checked: dict[str, Any] | None = None) -> dict[str, Any]:
    """First call, calibration, ``budget.samples`` timed samples, then the op's check (unless
    ``checked`` brings its result, made while the op was prepared). An unstable set of samples
    is followed by up to ``REMEASURE_SETS`` more (each calibrated anew), until one is stable;
    the steadiest set is reported, flagged ``unstable`` if it still is.

    Raises ``WrongResult`` when the check finds the result outside its precision's tolerance.
    """
    if spec.first_call_s is None:
        first_call_s = time_loop(spec.fn, sync, 1)
    else:
        first_call_s = spec.first_call_s  # made by grow at the chosen size
    loss0 = None if spec.loss0 is None else _finite("loss0", spec.loss0())
    loops, per_call = timed_samples(spec.fn, sync, budget)
    median_s, iqr_s = summarize(per_call)
    for _ in range(REMEASURE_SETS):
        if iqr_s / median_s <= UNSTABLE_IQR_RATIO:
            break
        # Unstable: calibrated and sampled again at once, in this process (no second import or
        # compile), and the steadier set of samples kept. Still unstable after every set, it
        # stays flagged: the runner never caches it, the ranking carries its range.
        loops_2, per_call_2 = timed_samples(spec.fn, sync, budget)
        median_2, iqr_2 = summarize(per_call_2)
        if iqr_2 / median_2 < iqr_s / median_s:
            loops, per_call, median_s, iqr_s = loops_2, per_call_2, median_2, iqr_2
    result: dict[str, Any] = {
        "device": spec.device,
        "dtype": spec.dtype,
        "precision": spec.precision,
        "params": dict(spec.params),
        "flops": spec.flops,
        "first_call_s": first_call_s,
        "median_s": median_s,
        "iqr_s": iqr_s,
        "samples": len(per_call),
        "inner_loops": loops,
        "gflops": spec.flops / median_s / 1e9 if spec.flops else None,
        "unstable": iqr_s / median_s > UNSTABLE_IQR_RATIO,
        "kernel": spec.kernel,
        "note": spec.note,
        "check": checked if checked is not None or spec.check is None
        else run_check(spec.check, spec.precision),
    }
    if spec.examples is not None:
        result["samples_per_s"] = spec.examples / median_s
        result["first_step_s"] = first_call_s
    if loss0 is not None:
        result["loss0"] = loss0
    return result


def _finite(name: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise RuntimeError(f"{name} is not finite ({number!r})")
    return number
