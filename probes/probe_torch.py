"""dlselect live probe: PyTorch, eager mode (no torch.compile; "first call" is the eager warm-up).

Run with the interpreter that has torch: ``python probes/probe_torch.py --budget quick``.
Ops: gemm (float32; on a GPU also TF32, float16 and bfloat16), conv2d (NCHW), lstm
(torch.nn.LSTM).

float32 ops run without TF32: ``torch.backends.cuda.matmul.allow_tf32`` and
``torch.backends.cudnn.allow_tf32`` are set False before anything runs. ``gemm_tf32`` (GPUs of
compute capability 8.0 and later) switches matmul TF32 on around each of its own calls only.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import _harness as h
import _multi_torch
import _multidevice
import _train_torch

PROBE = "torch"


def _host(torch: Any, tensor: Any) -> Any:
    """A tensor as a float64 numpy array on the host (waits for the op that made it)."""
    return tensor.detach().to(device="cpu", dtype=torch.float64).numpy()


def _disable_tf32(torch: Any) -> None:
    """float32 means float32: no TF32 in cuBLAS matmuls nor in cuDNN convolutions and RNNs."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def _tf32_matmul(torch: Any, a: Any, b: Any) -> Any:
    """torch.matmul with TF32 allowed for this call only (the flag is read at launch)."""
    flags = torch.backends.cuda.matmul
    flags.allow_tf32 = True
    try:
        return torch.matmul(a, b)
    finally:
        flags.allow_tf32 = False


def _gemm_inputs(torch: Any, dev: Any, n: int, dtype: str) -> tuple[Any, Any]:
    a = torch.randn(n, n, device=dev).to(getattr(torch, dtype))
    b = torch.randn(n, n, device=dev).to(getattr(torch, dtype))
    return a, b


def _check_gemm(torch: Any, np: Any, dev: Any, device: str, dtype: str, matmul: Any) -> float:
    a, b = _gemm_inputs(torch, dev, h.CHECK_GEMM_N, dtype)
    out = _host(torch, h.observed(matmul(a, b), device == "gpu"))
    return h.max_rel_error(np, out, h.ref_gemm(np, _host(torch, a), _host(torch, b)))


def _gemm(
    torch: Any, np: Any, dev: Any, device: str, dtype: str, n: int, precision: str = ""
) -> h.OpSpec:
    precision = precision or h.PRECISION_OF_DTYPE[dtype]
    a, b = _gemm_inputs(torch, dev, n, dtype)
    matmul = partial(_tf32_matmul, torch) if precision == "tf32" else torch.matmul
    note = None
    if device == "gpu" and precision == "tf32":
        note = "TF32 allowed for this op only (torch.backends.cuda.matmul.allow_tf32 = True)"
    elif device == "gpu" and dtype == "float32":
        note = "TF32 off (torch.backends.cuda.matmul.allow_tf32 = False)"
    return h.OpSpec(
        fn=partial(matmul, a, b),
        flops=h.gemm_flops(n),
        dtype=dtype,
        params={"n": n},
        kernel="torch.matmul (eager)",
        device=device,
        note=note,
        precision=precision,
        check=partial(_check_gemm, torch, np, dev, device, dtype, matmul),
    )


def _conv_inputs(torch: Any, dev: Any, batch: int, shape: h.ConvShape) -> tuple[Any, Any]:
    x = torch.randn(batch, shape.channels_in, shape.height, shape.width, device=dev)
    w = torch.randn(shape.channels_out, shape.channels_in, shape.kernel, shape.kernel, device=dev)
    return x, w


def _conv_call(torch: Any, shape: h.ConvShape, x: Any, w: Any) -> Any:
    return torch.nn.functional.conv2d(x, w, stride=shape.stride, padding=shape.pad)


def _check_conv2d(torch: Any, np: Any, dev: Any, device: str) -> float:
    s = h.CHECK_CONV
    x, w = _conv_inputs(torch, dev, h.CHECK_CONV_BATCH, s)
    out = _host(torch, h.observed(_conv_call(torch, s, x, w), device == "gpu"))
    ref = h.ref_conv2d(np, _host(torch, x), _host(torch, w), "NCHW", "KCRS", s)
    return h.max_rel_error(np, out, ref)


def _conv2d(torch: Any, np: Any, dev: Any, device: str, batch: int) -> h.OpSpec:
    x, w = _conv_inputs(torch, dev, batch, h.CONV)
    note = None
    if device == "gpu":
        benchmark = torch.backends.cudnn.benchmark
        note = f"TF32 off (cudnn.allow_tf32 = False); cudnn.benchmark: {benchmark}"
    return h.OpSpec(
        fn=partial(_conv_call, torch, h.CONV, x, w),
        flops=h.conv2d_flops(batch),
        dtype="float32",
        params=h.conv2d_params(batch, "NCHW"),
        kernel="torch.nn.functional.conv2d (eager, no bias)",
        device=device,
        note=note,
        check=partial(_check_conv2d, torch, np, dev, device),
    )


def _lstm_parts(torch: Any, dev: Any, shape: h.LstmShape) -> tuple[Any, Any]:
    # Parameters without grad, so eager mode records no autograd graph: a pure forward pass.
    layer = torch.nn.LSTM(shape.input, shape.hidden, num_layers=1).to(dev).requires_grad_(False)
    x = torch.randn(shape.seq, shape.batch, shape.input, device=dev)
    return layer, x


def _check_lstm(torch: Any, np: Any, dev: Any) -> float:
    layer, x = _lstm_parts(torch, dev, h.CHECK_LSTM)
    out = _host(torch, layer(x)[0])
    # torch keeps (4H, in) matrices with the gates in the order i, f, g, o, and two biases.
    w_x, w_h = _host(torch, layer.weight_ih_l0).T, _host(torch, layer.weight_hh_l0).T
    bias = _host(torch, layer.bias_ih_l0) + _host(torch, layer.bias_hh_l0)
    return h.max_rel_error(np, out, h.ref_lstm(np, _host(torch, x), w_x, w_h, bias))


def _lstm(torch: Any, np: Any, dev: Any, device: str) -> h.OpSpec:
    layer, x = _lstm_parts(torch, dev, h.LSTM)
    return h.OpSpec(
        fn=lambda: layer(x)[0],
        flops=h.lstm_flops(),
        dtype="float32",
        params=h.lstm_params("TNC"),
        kernel="torch.nn.LSTM (eager, no grad)",
        device=device,
        note="TF32 off (cudnn.allow_tf32 = False)" if device == "gpu" else None,
        check=partial(_check_lstm, torch, np, dev),
    )


def _tf32_capable(torch: Any, dev: Any) -> bool:
    return h.tf32_possible(tuple(torch.cuda.get_device_capability(dev)))


def _builders(
    torch: Any, np: Any, device: str, budget: h.Budget, sync: h.Sync
) -> dict[str, h.OpBuilder]:
    dev = torch.device("cuda", 0) if device == "gpu" else torch.device("cpu")
    return h.kernel_builders(
        partial(_gemm, torch, np, dev, device),
        partial(_conv2d, torch, np, dev, device),
        partial(_lstm, torch, np, dev, device),
        device, budget, sync, tf32=device == "gpu" and _tf32_capable(torch, dev),
    )


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
    # A ROCm build of torch speaks CUDA's API (torch.cuda) and says so in torch.version.hip.
    gpu_class = h.torch_gpu_class(getattr(getattr(torch, "version", None), "hip", None))
    for index in range(torch.cuda.device_count() if torch.cuda.is_available() else 0):
        props = torch.cuda.get_device_properties(index)
        devices.append(h.gpu_device(index, props.name, props.total_memory, gpu_class))
    return devices


def main(argv: list[str] | None = None) -> int:
    args = h.start(PROBE, argv)
    torch = h.import_framework("torch")
    np = h.import_framework("numpy")
    device = h.resolve_device(args.device, torch.cuda.is_available(), PROBE)
    _disable_tf32(torch)
    sync = _sync(torch, device)
    builders = _builders(torch, np, device, args.budget, sync)
    builders.update(_train_torch.builders(torch, device, None, args.budget, np))
    results = h.run_ops(args, builders, sync)
    multi = _multidevice.run(args, results, _multi_torch.measurers(torch, device, args.budget))
    info = h.ProbeInfo(
        probe=PROBE,
        framework="torch",
        version=str(torch.__version__),
        build=_build(torch),
        devices=_devices(torch),
        framework_threads=torch.get_num_threads(),
    )
    h.emit(h.document(args, info, results, multi), args)
    return 0


if __name__ == "__main__":
    h.exit_now(main())
