"""dlselect live probe: Apache MXNet 1.x, imperative NDArray ops and a hybridized Gluon LSTM.

Run with the interpreter that has mxnet: ``python probes/probe_mxnet.py --budget quick``.
Ops: gemm (mx.nd.dot, float32), conv2d (mx.nd.Convolution, NCHW), lstm (mx.gluon.rnn.LSTM).

MXNet's engine is asynchronous even on the CPU: an op returns at once and runs on a worker
thread, so ``sync`` is ``mx.nd.waitall()``. On the CPU, mx.nd.dot goes to the OpenBLAS bundled in
the wheel (0.3.13 for 1.9.1), which may not know a recent CPU and fall back to a slow generic
core; the chosen core is recorded in ``build.other.openblas`` and in the gemm note.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import _harness as h

PROBE = "mxnet"


def _gemm(mx: Any, ctx: Any, device: str, n: int, blas_note: str | None) -> h.OpSpec:
    a = mx.nd.random.uniform(-1, 1, shape=(n, n), ctx=ctx, dtype="float32")
    b = mx.nd.random.uniform(-1, 1, shape=(n, n), ctx=ctx, dtype="float32")
    return h.OpSpec(
        fn=lambda: mx.nd.dot(a, b),
        flops=h.gemm_flops(n),
        dtype="float32",
        params={"n": n},
        kernel="mx.nd.dot (imperative; CPU: bundled OpenBLAS)",
        device=device,
        note=blas_note if device == "cpu" else None,
    )


def _conv2d(mx: Any, ctx: Any, device: str, batch: int, mkldnn: bool) -> h.OpSpec:
    c = h.CONV
    x = mx.nd.random.uniform(-1, 1, shape=(batch, c.channels_in, c.height, c.width), ctx=ctx)
    w_shape = (c.channels_out, c.channels_in, c.kernel, c.kernel)
    w = mx.nd.random.uniform(-1, 1, shape=w_shape, ctx=ctx)

    def call() -> object:
        return mx.nd.Convolution(
            data=x,
            weight=w,
            kernel=(c.kernel, c.kernel),
            stride=(c.stride, c.stride),
            pad=(c.pad, c.pad),
            num_filter=c.channels_out,
            no_bias=True,
        )

    backend = "MKLDNN" if mkldnn and device == "cpu" else "native"
    return h.OpSpec(
        fn=call,
        flops=h.conv2d_flops(batch),
        dtype="float32",
        params=h.conv2d_params(batch, "NCHW"),
        kernel=f"mx.nd.Convolution ({backend}, no bias)",
        device=device,
    )


def _lstm(mx: Any, ctx: Any, device: str) -> h.OpSpec:
    s = h.LSTM
    layer = mx.gluon.rnn.LSTM(s.hidden, num_layers=1, layout="TNC", input_size=s.input)
    layer.initialize(ctx=ctx)
    # Hybridizing turns the block into one fused RNN op; the graph is built on the first call.
    layer.hybridize(static_alloc=True, static_shape=True)
    x = mx.nd.random.uniform(-1, 1, shape=(s.seq, s.batch, s.input), ctx=ctx)
    return h.OpSpec(
        fn=lambda: layer(x),
        flops=h.lstm_flops(),
        dtype="float32",
        params=h.lstm_params("TNC"),
        kernel="mx.gluon.rnn.LSTM (hybridized, fused RNN op)",
        device=device,
    )


def _openblas(mx: Any) -> dict[str, Any] | None:
    return h.openblas_runtime([os.path.join(os.path.dirname(mx.__file__), "*openblas*")])


def _blas_note(openblas: dict[str, Any] | None) -> str | None:
    if openblas is None:
        return None
    return f"bundled {openblas['config']}; core in use: {openblas['core']}"


def _build(features: Any, openblas: dict[str, Any] | None) -> dict[str, Any]:
    enabled = sorted(name for name, feature in features.items() if feature.enabled)
    # MXNet reports whether CUDA/cuDNN are compiled in, not their versions.
    return h.build_info(
        cuda="enabled (version not reported)" if features.is_enabled("CUDA") else None,
        cudnn="enabled (version not reported)" if features.is_enabled("CUDNN") else None,
        blas=openblas["config"] if openblas else _blas_feature(features),
        other={"features": enabled, "openblas": openblas},
    )


def _blas_feature(features: Any) -> str | None:
    for name in ("BLAS_MKL", "BLAS_OPEN", "BLAS_ATLAS", "BLAS_APPLE"):
        if features.is_enabled(name):
            return name.removeprefix("BLAS_").lower()
    return None


def _devices(mx: Any) -> list[dict[str, Any]]:
    devices = [h.cpu_device()]
    for index in range(mx.context.num_gpus()):
        _free, total = mx.context.gpu_memory_info(index)
        devices.append(h.gpu_device(index, None, int(total)))  # mxnet has no device-name API
    return devices


def _builders(
    mx: Any, device: str, budget: h.Budget, features: Any, note: str | None
) -> dict[str, h.OpBuilder]:
    ctx = mx.gpu(0) if device == "gpu" else mx.cpu()
    mkldnn = bool(features.is_enabled("MKLDNN"))
    return {
        "gemm": partial(_gemm, mx, ctx, device, budget.gemm_n, note),
        "conv2d": partial(_conv2d, mx, ctx, device, budget.conv_batch, mkldnn),
        "lstm": partial(_lstm, mx, ctx, device),
    }


def main(argv: list[str] | None = None) -> int:
    args = h.start(PROBE, argv)
    mx = h.import_framework("mxnet")
    device = h.resolve_device(args.device, mx.context.num_gpus() > 0, PROBE)
    features = mx.runtime.Features()
    openblas = _openblas(mx)
    builders = _builders(mx, device, args.budget, features, _blas_note(openblas))
    results = h.run_ops(args, builders, lambda _out: mx.nd.waitall())
    info = h.ProbeInfo(
        probe=PROBE,
        framework="mxnet",
        version=str(mx.__version__),
        build=_build(features, openblas),
        devices=_devices(mx),
        framework_threads=None,  # MXNet has no API that reports its operator thread count
    )
    h.emit(h.document(args, info, results), args)
    return 0


if __name__ == "__main__":
    h.exit_now(main())
