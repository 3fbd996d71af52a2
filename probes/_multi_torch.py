"""Multi-device ops for the torch probe: ``allreduce`` and ``scaling`` with torch.distributed.

Registration (in probe_torch.py's ``main``, after ``run_ops``)::

    section = _multidevice.run(args, results, _multi_torch.measurers(torch, device, args.budget))

Each device is a process (a "rank"): NCCL on GPUs, one rank per visible GPU (at least two);
gloo on the CPU, ``_multidevice.CPU_RANKS`` ranks sharing the physical cores evenly (simulated
devices). The ranks are this file run as a script (``--worker``), started by the probe, meeting
over TCP on 127.0.0.1; rank 0 writes the result to a file the probe reads.

``scaling`` runs the ``train_cnn`` step of ``_train_torch.py`` once in one process (no
torch.distributed) and once wrapped in ``DistributedDataParallel`` over ``n`` ranks, each rank
with the same per-device batch and the same number of threads.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from datetime import timedelta
from functools import partial
from typing import Any

import _harness as h
import _multidevice as md

PROBE = "torch"


def measurers(torch: Any, device: str, budget: h.Budget) -> dict[str, md.Measurer]:
    return {
        "allreduce": partial(_measure, torch, device, budget, "allreduce"),
        "scaling": partial(_measure, torch, device, budget, "scaling"),
    }


def _plan(torch: Any, device: str) -> tuple[int, str, bool, int]:
    """(ranks, backend, simulated, threads per rank)."""
    if device == "gpu":
        gpus = md.gpu_ranks(torch.cuda.device_count())
        if not torch.distributed.is_nccl_available():
            raise md.Unsupported("this torch build has no NCCL")
        return gpus, "nccl", False, h.usable_cpus()
    if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
        raise md.Unsupported("this torch build has no torch.distributed gloo backend")
    n = md.cpu_ranks()
    return n, "gloo", True, md.threads_per_rank(n)


def _measure(torch: Any, device: str, budget: h.Budget, op: str) -> dict[str, Any]:
    n, backend, simulated, threads = _plan(torch, device)
    with tempfile.TemporaryDirectory(prefix="dlselect-multi-") as tmp:

        def launch(world: int, what: str) -> dict[str, Any]:
            output = os.path.join(tmp, f"{what}-{world}.json")
            port = md.free_port()
            argvs = [[*md.script(__file__), "--worker", what, "--rank", str(r), "--world",
                      str(world), "--port", str(port), "--backend", backend, "--device", device,
                      "--budget", budget.name, "--output", output] for r in range(world)]
            return md.run_workers(argvs, md.worker_env(threads), output)

        common = {"devices": n, "simulated": simulated, "device": device, "backend": backend,
                  "threads_per_device": threads if device == "cpu" else None}
        if op == "allreduce":
            got = launch(n, "allreduce")
            return {**common, "dtype": "float32", "sizes": got["rows"], "check": got["check"],
                    "kernel": f"torch.distributed.all_reduce (SUM, {backend})",
                    "note": _note(simulated, n, threads)}
        single = launch(1, "scaling")
        multi = launch(n, "scaling")
        return {**common, "model": "cnn", "batch_per_device": single["batch"],
                "single": single["timing"], "multi": multi["timing"],
                "efficiency": md.efficiency(single["timing"]["samples_per_s"],
                                            multi["timing"]["samples_per_s"], n),
                "check": multi["check"],
                "kernel": "train_cnn step; n devices: DistributedDataParallel "
                          f"({backend}), gradients averaged",
                "note": _note(simulated, n, threads)}


def _note(simulated: bool, n: int, threads: int) -> str | None:
    if not simulated:
        return None
    return (f"simulated: {n} gloo processes on this CPU, {threads} thread(s) each; "
            "not a measurement of real devices")


# --------------------------------------------------------------------------- worker side


def _worker(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=md.OPS, required=True)
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--world", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--master", default="127.0.0.1", help="rank 0's address")
    parser.add_argument("--backend", required=True)
    parser.add_argument("--device", required=True)
    parser.add_argument("--budget", choices=sorted(h.BUDGETS), required=True)
    parser.add_argument("--output", required=True)
    ns = parser.parse_args(argv)
    torch = importlib.import_module("torch")  # imported as the probe imports it

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda", ns.rank) if ns.device == "gpu" else torch.device("cpu")
    if ns.device == "gpu":
        torch.cuda.set_device(dev)
    dist = torch.distributed
    if ns.world > 1:
        dist.init_process_group(ns.backend, init_method=f"tcp://{ns.master}:{ns.port}",
                                rank=ns.rank, world_size=ns.world,
                                timeout=timedelta(seconds=md.WORKER_TIMEOUT_S / 2))
    budget = h.BUDGETS[ns.budget]

    def sync(_out: object) -> None:
        if ns.device == "gpu":
            torch.cuda.synchronize()

    def agree(loops: int) -> int:
        if ns.world == 1:
            return loops
        t = torch.tensor([loops], dtype=torch.int64, device=dev)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return int(t.item())

    def barrier() -> None:
        if ns.world > 1:
            dist.barrier()

    try:
        if ns.worker == "allreduce":
            result = _allreduce(torch, dev, ns.world, ns.rank, budget, sync, agree, barrier)
        else:
            result = _scaling(torch, dev, ns.device, ns.world, budget, sync, agree, barrier)
    finally:
        if ns.world > 1:
            dist.destroy_process_group()
    if ns.rank == 0:
        md.write_json(ns.output, result)
    return 0


def _allreduce(torch: Any, dev: Any, n: int, rank: int, budget: h.Budget, sync: h.Sync,
               agree: Any, barrier: Any) -> dict[str, Any]:
    dist = torch.distributed
    probe = torch.full((256,), float(rank + 1), device=dev)
    dist.all_reduce(probe)
    got = float(probe.max().item()) if rank == 0 else float(probe.min().item())
    check = md.allreduce_check(got, n)
    rows = []
    for nbytes in md.sizes(budget):
        # Zeros: the sum stays zero however many calls are timed (no overflow to inf).
        buf = torch.zeros(nbytes // 4, dtype=torch.float32, device=dev)
        timing = md.time_collective(partial(dist.all_reduce, buf), sync, budget, agree, barrier)
        rows.append(md.size_row(nbytes, timing, n))
        del buf
    return {"rows": rows, "check": check}


def _scaling(torch: Any, dev: Any, device: str, n: int, budget: h.Budget, sync: h.Sync,
             agree: Any, barrier: Any) -> dict[str, Any]:
    import _train_torch
    import _training as t
    np = importlib.import_module("numpy")

    model = _train_torch._cnn(torch).to(dev)
    _train_torch._load(torch, np, "cnn", model, t.init_weights(np, "cnn"))
    if n > 1:
        ids = [dev.index] if device == "gpu" else None
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
    inputs, labels = t.batch(np, "cnn")
    x = torch.from_numpy(inputs).to(dev)
    y = torch.from_numpy(labels.astype(np.int64)).to(dev)
    optimizer = torch.optim.SGD(model.parameters(), lr=t.LR)
    first: list[float] = []

    def step() -> Any:
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        if not first:
            first.append(float(loss.item()))
        return loss.detach()

    timing = md.time_collective(step, sync, budget, agree, barrier)
    batch = t.examples("cnn")
    timing["samples_per_s"] = n * batch / timing["median_s"]
    error = t.relative_error(first[0], t.reference_loss0(np, "cnn"))
    if not error <= h.CHECK_TOLERANCE["fp32"]:
        raise h.WrongResult(f"wrong result: loss0 relative error {error:.3g}")
    return {"timing": timing, "batch": batch, "loss0": first[0],
            "check": {"max_rel_error": error, "ok": True}}


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
