"""Multi-device ops for the TensorFlow probe: ``allreduce`` with
``tf.distribute.MirroredStrategy`` (a replica context's ``all_reduce``, SUM, in a
``tf.function``). ``scaling`` is not built yet and says so.

Registration (in probe_tensorflow.py's ``main``, after ``run_ops``)::

    section = _multidevice.run(args, results, _multi_tensorflow.measurers(tf, device, budget))

TensorFlow fixes its devices when it first uses them, so the op runs in a worker process (this
file run as a script, ``--worker``): on GPUs with every visible GPU (at least two); on the CPU
with ``_multidevice.CPU_RANKS`` logical CPU devices
(``tf.config.set_logical_device_configuration``), simulated devices that share TensorFlow's
thread pools.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from functools import partial
from typing import Any

import _harness as h
import _multidevice as md

SCALING_UNSUPPORTED = ("not implemented in dlselect's TensorFlow probe yet (the train_cnn step "
                       "under MirroredStrategy)")


def measurers(tf: Any, device: str, budget: h.Budget) -> dict[str, md.Measurer]:
    return {"allreduce": partial(_measure, tf, device, budget)}


def _measure(tf: Any, device: str, budget: h.Budget) -> dict[str, Any]:
    if device == "gpu":
        n = md.gpu_ranks(len(tf.config.list_physical_devices("GPU")))
        simulated = False
    else:
        n = md.cpu_ranks()
        simulated = True
    with tempfile.TemporaryDirectory(prefix="dlselect-multi-") as tmp:
        output = os.path.join(tmp, "allreduce.json")
        argv = [*md.script(__file__), "--worker", "allreduce", "--devices", str(n), "--device",
                device, "--budget", budget.name, "--output", output]
        got = md.run_workers([argv], dict(os.environ), output)
    note = (f"simulated: {n} logical CPU devices (set_logical_device_configuration) sharing "
            "TensorFlow's thread pools; not a measurement of real devices") if simulated else None
    return {"devices": n, "simulated": simulated, "device": device,
            "backend": f"MirroredStrategy ({got['cross_device_ops']})",
            "threads_per_device": None, "dtype": "float32", "sizes": got["rows"],
            "check": got["check"],
            "kernel": "tf.distribute.MirroredStrategy: replica_context.all_reduce(SUM) in "
                      "tf.function",
            "note": note}


def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=("allreduce",), required=True)
    parser.add_argument("--devices", type=int, required=True)
    parser.add_argument("--device", required=True)
    parser.add_argument("--budget", choices=sorted(h.BUDGETS), required=True)
    parser.add_argument("--output", required=True)
    ns = parser.parse_args(argv)
    tf = importlib.import_module("tensorflow")

    n = ns.devices
    if ns.device == "gpu":
        names = [d.name for d in tf.config.list_logical_devices("GPU")][:n]
    else:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)])
        names = [d.name for d in tf.config.list_logical_devices("CPU")][:n]
    if len(names) != n:
        raise SystemExit(f"asked for {n} devices, TensorFlow has {len(names)}")
    strategy = tf.distribute.MirroredStrategy(devices=names)
    ctx_sum = tf.distribute.ReduceOp.SUM

    @tf.function
    def all_reduce(values: Any) -> Any:
        return strategy.run(
            lambda x: tf.distribute.get_replica_context().all_reduce(ctx_sum, x), args=(values,))

    def per_replica(elements: int, fill: Any) -> Any:
        return strategy.experimental_distribute_values_from_function(
            lambda ctx: fill(ctx.replica_id_in_sync_group, elements))

    def sync(out: object) -> None:
        if out is not None:  # one element back to the host: every replica's sum is done
            for local in strategy.experimental_local_results(out):
                local[:1].numpy()

    check_in = per_replica(256, lambda r, m: tf.fill([m], float(r + 1)))
    got = min(float(tf.reduce_min(x)) for x in
              strategy.experimental_local_results(all_reduce(check_in)))
    check = md.allreduce_check(got, n)
    budget = h.BUDGETS[ns.budget]
    rows = []
    for nbytes in md.sizes(budget):
        values = per_replica(nbytes // 4, lambda r, m: tf.zeros([m]))
        timing = md.time_collective(partial(all_reduce, values), sync, budget)
        rows.append(md.size_row(nbytes, timing, n))
        del values
    # The cross-device implementation TensorFlow chose (a private attribute: named if there).
    ops = type(getattr(strategy.extended, "_cross_device_ops", None)).__name__
    md.write_json(ns.output, {"rows": rows, "check": check, "cross_device_ops": ops})
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
