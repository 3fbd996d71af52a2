"""dlselect live probe: PyTorch, eager mode (no torch.compile; "first call" is the eager warm-up).

Run with the interpreter that has torch: ``python probes/probe_torch.py --budget quick``.
Ops: gemm (float32; float16 and bfloat16 too on a GPU), conv2d (NCHW), lstm (torch.nn.LSTM).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import _harness as h

PROBE = "torch"


def _gemm(torch: Any, dev: Any, device: str, n: int, dtype: str) -> h.OpSpec:
    a = torch.randn(n, n, device=dev).to(getattr(torch, dtype))
    b = torch.randn(n, n, device=dev).to(getattr(torch, dtype))
    note = None
    if device == "gpu" and dtype == "float32":
        note = f"TF32 for float32 matmul allowed: {torch.backends.cuda.matmul.allow_tf32}"
    return h.OpSpec(
        fn=lambda: torch.matmul(a, b),
        flops=h.gemm_flops(n),
        dtype=dtype,
        params={"n": n},
        kernel="torch.matmul (eager)",
        device=device,
        note=note,
    )


def _conv2d(torch: Any, dev: Any, device: str, batch: int) -> h.OpSpec:
    c = h.CONV
    x = torch.randn(batch, c.channels_in, c.height, c.width, device=dev)
    w = torch.randn(c.channels_out, c.channels_in, c.kernel, c.kernel, device=dev)
    conv = torch.nn.functional.conv2d
    note = None
    if device == "gpu":
        note = f"cudnn.benchmark: {torch.backends.cudnn.benchmark}"
    return h.OpSpec(
        fn=lambda: conv(x, w, stride=c.stride, padding=c.pad),
        flops=h.conv2d_flops(batch),
        dtype="float32",
        params=h.conv2d_params(batch, "NCHW"),
        kernel="torch.nn.functional.conv2d (eager, no bias)",
        device=device,
        note=note,
    )


def _lstm(torch: Any, dev: Any, device: str) -> h.OpSpec:
    s = h.LSTM
    # Parameters without grad, so eager mode records no autograd graph: a pure forward pass.
    layer = torch.nn.LSTM(s.input, s.hidden, num_layers=1).to(dev).requires_grad_(False)
    x = torch.randn(s.seq, s.batch, s.input, device=dev)
    return h.OpSpec(
        fn=lambda: layer(x)[0],
        flops=h.lstm_flops(),
        dtype="float32",
        params=h.lstm_params("TNC"),
        kernel="torch.nn.LSTM (eager, no grad)",
        device=device,
    )


def _builders(torch: Any, device: str, budget: h.Budget) -> dict[str, h.OpBuilder]:
    dev = torch.device("cuda", 0) if device == "gpu" else torch.device("cpu")
    n = budget.gemm_n
    builders: dict[str, h.OpBuilder] = {"gemm": partial(_gemm, torch, dev, device, n, "float32")}
    if device == "gpu":
        builders["gemm_fp16"] = partial(_gemm, torch, dev, device, n, "float16")
        builders["gemm_bf16"] = partial(_gemm, torch, dev, device, n, "bfloat16")
    builders["conv2d"] = partial(_conv2d, torch, dev, device, budget.conv_batch)
    builders["lstm"] = partial(_lstm, torch, dev, device)
    return builders


def _sync(torch: Any, device: str) -> h.Sync:
    if device == "gpu":
        # CUDA kernels are queued asynchronously; wait for all of them before reading the clock.
        return lambda _out: torch.cuda.synchronize()
    return lambda _out: None  # CPU eager ops have finished when they return


def _build(torch: Any) -> dict[str, Any]:
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return h.build_info(
        cuda=torch.version.cuda,
        cudnn=None if cudnn is None else str(cudnn),
        blas=blas.group(1) if blas else None,
        other={
            "mkldnn": torch.backends.mkldnn.is_available(),
            "openmp": torch.backends.openmp.is_available(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        },
    )


def _devices(torch: Any) -> list[dict[str, Any]]:
    devices = [h.cpu_device()]
    for index in range(torch.cuda.device_count() if torch.cuda.is_available() else 0):
        props = torch.cuda.get_device_properties(index)
        devices.append(h.gpu_device(index, props.name, props.total_memory))
    return devices


def main(argv: list[str] | None = None) -> int:
    args = h.start(PROBE, argv)
    torch = h.import_framework("torch")
    device = h.resolve_device(args.device, torch.cuda.is_available(), PROBE)
    results = h.run_ops(args, _builders(torch, device, args.budget), _sync(torch, device))
    info = h.ProbeInfo(
        probe=PROBE,
        framework="torch",
        version=str(torch.__version__),
        build=_build(torch),
        devices=_devices(torch),
        framework_threads=torch.get_num_threads(),
    )
    h.emit(h.document(args, info, results), args)
    return 0


if __name__ == "__main__":
    h.exit_now(main())
