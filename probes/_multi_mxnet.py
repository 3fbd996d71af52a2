"""Multi-device ops for the MXNet probe: ``allreduce`` through a kvstore, every device pushing
its buffer and pulling the sum (``KVStore.pushpull``): the ``local`` kvstore across CPU
contexts, the ``device`` kvstore across GPUs. ``scaling`` is not built yet and says so.

Registration (in probe_mxnet.py's ``main``, after ``run_ops``)::

    section = _multidevice.run(args, results, _multi_mxnet.measurers(mx, device, budget))

On the CPU the devices are simulated: ``mx.cpu(0)``, ``mx.cpu(1)``, ... are contexts of one
process that share its memory and MXNet's operator threads, so the figure shows the kvstore's
machinery and what it costs here, not a link between devices.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import _harness as h
import _multidevice as md

SCALING_UNSUPPORTED = ("not implemented in dlselect's MXNet probe yet (the train_cnn step with "
                       "its gradients summed through a kvstore)")


def measurers(mx: Any, device: str, budget: h.Budget) -> dict[str, md.Measurer]:
    return {"allreduce": partial(_measure, mx, device, budget)}


def _measure(mx: Any, device: str, budget: h.Budget) -> dict[str, Any]:
    if device == "gpu":
        n = md.gpu_ranks(int(mx.context.num_gpus()))
        contexts = [mx.gpu(i) for i in range(n)]
        kind, simulated = "device", False
    else:
        n = md.cpu_ranks()
        contexts = [mx.cpu(i) for i in range(n)]
        kind, simulated = "local", True
    kv = mx.kv.create(kind)

    def sync(_out: object) -> None:
        mx.nd.waitall()

    def buffers(elements: int, fill: Any) -> list[Any]:
        return [fill(rank, elements, ctx) for rank, ctx in enumerate(contexts)]

    def zeros(_rank: int, m: int, ctx: Any) -> Any:
        return mx.nd.zeros((m,), ctx=ctx, dtype="float32")

    # The check: rank r contributes r + 1, so every element of every output is n(n+1)/2.
    kv.init(0, mx.nd.zeros((256,), dtype="float32"))
    outs = buffers(256, zeros)
    kv.pushpull(0, buffers(256, lambda r, m, ctx: mx.nd.full((m,), r + 1.0, ctx=ctx)), out=outs)
    sync(None)
    check = md.allreduce_check(min(float(o.min().asscalar()) for o in outs), n)
    rows = []
    for key, nbytes in enumerate(md.sizes(budget), start=1):
        elements = nbytes // 4
        kv.init(key, mx.nd.zeros((elements,), dtype="float32"))
        values, outs = buffers(elements, zeros), buffers(elements, zeros)
        timing = md.time_collective(partial(kv.pushpull, key, values, out=outs), sync, budget)
        rows.append(md.size_row(nbytes, timing, n))
        del values, outs
    note = (f"simulated: {n} CPU contexts of one process (mx.cpu(0..{n - 1})) sharing its "
            "memory and MXNet's operator threads; not a measurement of real devices"
            if simulated else None)
    return {"devices": n, "simulated": simulated, "device": device,
            "backend": f"kvstore '{kind}'", "threads_per_device": None, "dtype": "float32",
            "sizes": rows, "check": check,
            "kernel": f"mx.kv.create('{kind}').pushpull(key, per-device buffers, out=...)",
            "note": note}
