"""Multi-device ops for the JAX probe: ``allreduce`` (``shard_map`` + ``lax.psum``) and
``scaling`` (the ``train_cnn`` step under ``shard_map`` with ``lax.pmean`` of the gradients).

Registration (in probe_jax.py's ``main``, after ``run_ops``)::

    section = _multidevice.run(args, results, _multi_jax.measurers(jax, device, args.budget))

XLA fixes its devices when JAX starts, so both ops run in one worker process (this file run as
a script, ``--worker``): on GPUs with every visible GPU (at least two); on the CPU with
``--xla_force_host_platform_device_count`` = ``_multidevice.CPU_RANKS`` added to ``XLA_FLAGS``,
i.e. simulated host devices that share the process's thread pool. ``scaling``'s one-device run
uses the first of those devices, in the same process, so both runs see the same threads.
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

HOST_DEVICES_FLAG = "--xla_force_host_platform_device_count"


def measurers(jax: Any, device: str, budget: h.Budget) -> dict[str, md.Measurer]:
    return {op: partial(_measure, jax, device, budget, op) for op in md.OPS}


def _measure(jax: Any, device: str, budget: h.Budget, op: str) -> dict[str, Any]:
    if device == "gpu":
        n = md.gpu_ranks(len(jax.devices("gpu")))
        env = md.worker_env(h.usable_cpus())
        simulated = False
    else:
        n = md.cpu_ranks()
        flags = " ".join(f for f in os.environ.get("XLA_FLAGS", "").split()
                         if not f.startswith(HOST_DEVICES_FLAG))
        env = dict(os.environ, XLA_FLAGS=f"{flags} {HOST_DEVICES_FLAG}={n}".strip(),
                   JAX_PLATFORMS="cpu")
        simulated = True
    with tempfile.TemporaryDirectory(prefix="dlselect-multi-") as tmp:
        output = os.path.join(tmp, f"{op}.json")
        argv = [*md.script(__file__), "--worker", op, "--devices", str(n), "--device", device,
                "--budget", budget.name, "--output", output]
        got = md.run_workers([argv], env, output)
    note = (f"simulated: {n} XLA host devices on this CPU ({HOST_DEVICES_FLAG}), sharing one "
            "thread pool; not a measurement of real devices") if simulated else None
    common = {"devices": n, "simulated": simulated, "device": device,
              "backend": "XLA (shard_map)", "threads_per_device": None}
    if op == "allreduce":
        return {**common, "dtype": "float32", "sizes": got["rows"], "check": got["check"],
                "kernel": "jax.shard_map + lax.psum under jax.jit", "note": note}
    return {**common, "model": "cnn", "batch_per_device": got["batch"],
            "single": got["single"], "multi": got["multi"],
            "efficiency": md.efficiency(got["single"]["samples_per_s"],
                                        got["multi"]["samples_per_s"], n),
            "check": got["check"],
            "kernel": "train_cnn step; n devices: jax.shard_map, batch split over the devices, "
                      "lax.pmean of the gradients",
            "note": note}


# --------------------------------------------------------------------------- worker side


def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=md.OPS, required=True)
    parser.add_argument("--devices", type=int, required=True)
    parser.add_argument("--device", required=True)
    parser.add_argument("--budget", choices=sorted(h.BUDGETS), required=True)
    parser.add_argument("--output", required=True)
    ns = parser.parse_args(argv)
    jax = importlib.import_module("jax")
    importlib.import_module("jax.numpy")  # makes jax.numpy, jax.lax and jax.nn attributes
    np = importlib.import_module("numpy")

    devices = jax.devices("gpu" if ns.device == "gpu" else "cpu")[: ns.devices]
    if len(devices) != ns.devices:
        raise SystemExit(f"asked for {ns.devices} devices, JAX sees {len(devices)}")
    mesh = jax.sharding.Mesh(np.array(devices), ("d",))
    budget = h.BUDGETS[ns.budget]
    if ns.worker == "allreduce":
        result = _allreduce(jax, np, mesh, devices, budget)
    else:
        result = _scaling(jax, np, mesh, devices, budget)
    md.write_json(ns.output, result)
    return 0


def _sharded(jax: Any, mesh: Any, array: Any) -> Any:
    spec = jax.sharding.PartitionSpec("d")
    return jax.device_put(array, jax.sharding.NamedSharding(mesh, spec))


def _allreduce(jax: Any, np: Any, mesh: Any, devices: list[Any],
               budget: h.Budget) -> dict[str, Any]:
    n = len(devices)
    on_cpu = devices[0].platform == "cpu"
    spec = jax.sharding.PartitionSpec("d")
    # The sum comes out replicated (out_specs P()).
    psum = jax.jit(jax.shard_map(lambda x: jax.lax.psum(x, "d"), mesh=mesh, in_specs=spec,
                                 out_specs=jax.sharding.PartitionSpec()))

    def sync(out: object) -> None:
        if out is not None:
            jax.block_until_ready(out)

    # Device r holds r + 1 everywhere: after the psum every block holds n(n+1)/2.
    check_in = _sharded(jax, mesh, np.repeat(np.arange(1, n + 1, dtype=np.float32), 64))
    out = np.asarray(psum(check_in))
    worst = out[np.argmax(np.abs(out - n * (n + 1) / 2))]
    check = md.allreduce_check(float(worst), n)
    rows = []
    for nbytes in md.sizes(budget):
        x = _sharded(jax, mesh, np.zeros(n * (nbytes // 4), dtype=np.float32))
        # On the CPU each call waits for its result: with several all-reduces queued back to
        # back, the XLA:CPU rendezvous of jax 0.10 deadlocked on a 2-core machine (each
        # device's part waits for the other's, which sits behind it in the same thread pool).
        # On GPUs the calls are queued, as torch's NCCL calls are, and ``sync`` waits.
        if on_cpu:
            timing = md.time_collective(lambda x=x: jax.block_until_ready(psum(x)), sync, budget)
        else:
            timing = md.time_collective(lambda x=x: psum(x), sync, budget)
        rows.append(md.size_row(nbytes, timing, n))
        del x
    return {"rows": rows, "check": check}


def _scaling(jax: Any, np: Any, mesh: Any, devices: list[Any],
             budget: h.Budget) -> dict[str, Any]:
    import _train_jax as tj
    import _training as t

    n = len(devices)
    inputs, labels = t.batch(np, "cnn")
    inputs = np.ascontiguousarray(inputs.transpose(0, 2, 3, 1))  # NCHW -> NHWC
    weights = tj._convert(np, "cnn", t.init_weights(np, "cnn"))

    def loss_fn(p: Any, x: Any, y: Any) -> Any:
        return tj._cross_entropy(jax, tj._forward_cnn(jax, p, x), y)

    def single_step(p: Any, x: Any, y: Any) -> tuple[Any, Any]:
        loss, grads = jax.value_and_grad(loss_fn)(p, x, y)
        return jax.tree_util.tree_map(lambda w, g: w - t.LR * g, p, grads), loss

    def shard_step(p: Any, x: Any, y: Any) -> tuple[Any, Any]:
        loss, grads = jax.value_and_grad(loss_fn)(p, x, y)
        grads = jax.lax.pmean(grads, "d")
        return (jax.tree_util.tree_map(lambda w, g: w - t.LR * g, p, grads),
                jax.lax.pmean(loss, "d"))

    rep, split = jax.sharding.PartitionSpec(), jax.sharding.PartitionSpec("d")
    multi_step = jax.jit(jax.shard_map(shard_step, mesh=mesh, in_specs=(rep, split, split),
                                       out_specs=(rep, rep)), donate_argnums=0)

    def run(step: Any, params: Any, x: Any, y: Any, examples: int) -> tuple[dict[str, Any], float]:
        state = [params]
        first: list[float] = []

        def call() -> Any:
            state[0], loss = step(state[0], x, y)
            loss = jax.block_until_ready(loss)
            if not first:
                first.append(float(loss))
            return loss

        timing = md.time_collective(call, lambda _out: None, budget)
        timing["samples_per_s"] = examples / timing["median_s"]
        return timing, first[0]

    dev0 = devices[0]
    single, _ = run(jax.jit(single_step, donate_argnums=0),
                    jax.device_put(weights, dev0), jax.device_put(inputs, dev0),
                    jax.device_put(labels, dev0), t.examples("cnn"))
    replicated = jax.sharding.NamedSharding(mesh, rep)
    multi, loss0 = run(multi_step, jax.device_put(weights, replicated),
                       _sharded(jax, mesh, np.concatenate([inputs] * n)),
                       _sharded(jax, mesh, np.concatenate([labels] * n)), n * t.examples("cnn"))
    error = t.relative_error(loss0, t.reference_loss0(np, "cnn"))
    if not error <= h.CHECK_TOLERANCE["fp32"]:
        raise h.WrongResult(f"wrong result: loss0 relative error {error:.3g}")
    return {"single": single, "multi": multi, "batch": t.examples("cnn"),
            "check": {"max_rel_error": error, "ok": True}}


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
