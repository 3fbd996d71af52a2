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
  probe's ``sync`` before every clock read), median per-step time.

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
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gemm_long import BLOCK_S, MIN_BLOCKS, calibrated

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
             "for >= {t:g} s), the probe's sync before each clock read",
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
            result = calibrated(spec.fn, sync, min_time_s)
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
