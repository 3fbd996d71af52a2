"""A long, dedicated float32 GEMM measurement in one framework (part c of benchmarks/run.py).

Runs in the framework's own interpreter (standard library + the framework), like a probe, and
prints one JSON line: GFLOP/s from the median per-call time over at least ``--min-time``
seconds. It calls the same operation as the probe (same function, same execution mode, same
sync), so a difference from the probe's quick figure is the probe's short timing, not the op:

- torch: ``torch.utils.benchmark.Timer("torch.matmul(a, b)").blocked_autorange(min_run_time)``
  with the framework's own thread count (Timer defaults to one thread);
- tensorflow: ``tf.function(tf.linalg.matmul)`` under ``tf.device("/CPU:0")``, synced by copying
  one element of the last output to the host;
- jax: ``jax.jit(jnp.matmul)``, each call ``jax.block_until_ready``;
- mxnet: ``mx.nd.dot``, ``mx.nd.waitall()`` before every clock read;
- numba: ``np.dot`` inside an ``@njit`` function (synchronous).

Everything but torch uses a calibrated loop: blocks of at least ``BLOCK_S`` seconds, repeated
until ``--min-time`` has passed (and at least ``MIN_BLOCKS`` blocks), median per-call time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

BLOCK_S = 0.1
MIN_BLOCKS = 10


def _loop(call: Callable[[], object], sync: Callable[[object], None], loops: int) -> float:
    out: object = None
    sync(out)
    start = time.perf_counter()
    for _ in range(loops):
        out = call()
    sync(out)
    return time.perf_counter() - start


def block_loops(call: Callable[[], object], sync: Callable[[object], None],
                block_s: float = BLOCK_S) -> int:
    """Three warm-up calls, then the loop count that makes one block last ``block_s``."""
    for _ in range(3):
        _loop(call, sync, 1)
    loops = 1
    while True:
        elapsed = _loop(call, sync, loops)
        if elapsed >= block_s:
            return loops
        loops = max(2 * loops, math.ceil(loops * block_s / max(elapsed, 1e-9) * 1.2))


def calibrated(call: Callable[[], object], sync: Callable[[object], None],
               min_time_s: float) -> dict[str, Any]:
    """Warm up, grow the loop count until a block lasts BLOCK_S, then time blocks until
    ``min_time_s`` has passed; per-call median and quartiles over the blocks."""
    loops = block_loops(call, sync)
    per_call: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < min_time_s or len(per_call) < MIN_BLOCKS:
        per_call.append(_loop(call, sync, loops) / loops)
    q1, median, q3 = statistics.quantiles(per_call, n=4, method="inclusive")
    return {"median_s": median, "iqr_s": q3 - q1, "blocks": len(per_call),
            "calls_per_block": loops, "timed_s": time.perf_counter() - start}


def _torch(n: int, min_time_s: float) -> dict[str, Any]:
    import torch
    from torch.utils import benchmark

    a, b = torch.randn(n, n), torch.randn(n, n)
    threads = torch.get_num_threads()
    timer = benchmark.Timer("torch.matmul(a, b)", globals={"torch": torch, "a": a, "b": b},
                            num_threads=threads)
    start = time.perf_counter()
    m = timer.blocked_autorange(min_run_time=min_time_s)
    return {"median_s": m.median, "iqr_s": m.iqr, "blocks": len(m.times),
            "calls_per_block": m.number_per_run, "timed_s": time.perf_counter() - start,
            "method": f"torch.utils.benchmark.Timer.blocked_autorange(min_run_time="
                      f"{min_time_s:g}), num_threads={threads}",
            "version": torch.__version__}


def _tensorflow(n: int, min_time_s: float) -> dict[str, Any]:
    import tensorflow as tf

    with tf.device("/CPU:0"):
        a, b = tf.random.normal((n, n)), tf.random.normal((n, n))
    matmul = tf.function(tf.linalg.matmul)

    def call() -> object:
        with tf.device("/CPU:0"):
            return matmul(a, b)

    def sync(out: object) -> None:
        if out is not None:
            tf.reshape(out, [-1])[:1].numpy()

    result = calibrated(call, sync, min_time_s)
    result["method"] = "tf.function(tf.linalg.matmul), calibrated loop, .numpy() of one element"
    result["version"] = tf.__version__
    return result


def _jax(n: int, min_time_s: float) -> dict[str, Any]:
    import jax

    a = jax.random.normal(jax.random.PRNGKey(0), (n, n), dtype="float32")
    b = jax.random.normal(jax.random.PRNGKey(1), (n, n), dtype="float32")
    matmul = jax.jit(jax.numpy.matmul)

    def call() -> object:
        return jax.block_until_ready(matmul(a, b))

    result = calibrated(call, lambda _out: None, min_time_s)
    result["method"] = "jax.jit(jnp.matmul), calibrated loop, block_until_ready on every call"
    result["version"] = jax.__version__
    return result


def _mxnet(n: int, min_time_s: float) -> dict[str, Any]:
    import mxnet as mx

    a = mx.nd.random.uniform(-1, 1, shape=(n, n), dtype="float32")
    b = mx.nd.random.uniform(-1, 1, shape=(n, n), dtype="float32")
    result = calibrated(lambda: mx.nd.dot(a, b), lambda _out: mx.nd.waitall(), min_time_s)
    result["method"] = "mx.nd.dot, calibrated loop, mx.nd.waitall() before each clock read"
    result["version"] = mx.__version__
    return result


def _numba(n: int, min_time_s: float) -> dict[str, Any]:
    import numba
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)

    @numba.njit
    def dot(x: Any, y: Any) -> Any:
        return np.dot(x, y)

    result = calibrated(lambda: dot(a, b), lambda _out: None, min_time_s)
    result["method"] = "np.dot in @njit, calibrated loop"
    result["version"] = numba.__version__
    return result


MEASURES: dict[str, Callable[[int, float], dict[str, Any]]] = {
    "torch": _torch, "tensorflow": _tensorflow, "jax": _jax, "mxnet": _mxnet, "numba": _numba,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("framework", choices=sorted(MEASURES))
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--min-time", type=float, default=2.0)
    args = parser.parse_args()
    # Frameworks and their native libraries print on file descriptor 1: point it at stderr and
    # keep the real stdout for the one JSON line.
    sys.stdout.flush()
    real_stdout = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    result = MEASURES[args.framework](args.n, args.min_time)
    result["n"] = args.n
    result["gflops"] = 2 * args.n**3 / result["median_s"] / 1e9
    real_stdout.write(json.dumps(result) + "\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
