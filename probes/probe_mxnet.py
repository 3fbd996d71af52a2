"""dlselect live probe: Apache MXNet 1.x, imperative NDArray ops and a hybridized Gluon LSTM.

Run with the interpreter that has mxnet: ``python probes/probe_mxnet.py --budget quick``.
Ops: gemm (mx.nd.dot, float32), conv2d (mx.nd.Convolution, NCHW), lstm (mx.gluon.rnn.LSTM).

MXNet's engine is asynchronous even on the CPU: an op returns at once and runs on a worker
thread, so ``sync`` is ``mx.nd.waitall()``. On the CPU, mx.nd.dot goes to the OpenBLAS bundled in
the wheel (0.3.13 for 1.9.1), which may not know a recent CPU and fall back to a slow generic
core; the chosen core is recorded in ``build.other.openblas`` and in the gemm note.

TF32: MXNet 1.9 has no switch of its own for it. Its float32 GEMMs and convolutions go to cuBLAS
and cuDNN in their default math mode, which uses TF32 on GPUs of compute capability 8.0 and later
(``mxnet.test_utils.effective_dtype`` says so and widens its own test tolerances to float16's
there); MXNET_CUDA_ALLOW_TENSOR_CORE and MXNET_CUDA_TENSOR_OP_MATH_ALLOW_CONVERSION concern
float16 tensor cores, not TF32. NVIDIA's libraries read ``NVIDIA_TF32_OVERRIDE=0`` and then use
no TF32 at all, so this probe sets it before importing mxnet: its float32 ops are float32, and it
has no gemm_tf32.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import _harness as h
import _multi_mxnet
import _multidevice
import _train_mxnet

PROBE = "mxnet"
TF32_NOTE = "TF32 off (NVIDIA_TF32_OVERRIDE=0, set by the probe before importing mxnet)"


def _gemm_inputs(mx: Any, ctx: Any, n: int) -> tuple[Any, Any]:
    a = mx.nd.random.uniform(-1, 1, shape=(n, n), ctx=ctx, dtype="float32")
    b = mx.nd.random.uniform(-1, 1, shape=(n, n), ctx=ctx, dtype="float32")
    return a, b


def _check_gemm(mx: Any, np: Any, ctx: Any) -> float:
    a, b = _gemm_inputs(mx, ctx, h.CHECK_GEMM_N)
    out = mx.nd.dot(a, b).asnumpy()
    return h.max_rel_error(np, out, h.ref_gemm(np, a.asnumpy(), b.asnumpy()))


def _gemm(mx: Any, np: Any, ctx: Any, device: str, n: int, blas_note: str | None) -> h.OpSpec:
    a, b = _gemm_inputs(mx, ctx, n)
    return h.OpSpec(
        fn=lambda: mx.nd.dot(a, b),
        flops=h.gemm_flops(n),
        dtype="float32",
        params={"n": n},
        kernel="mx.nd.dot (imperative; CPU: bundled OpenBLAS)",
        device=device,
        note=blas_note if device == "cpu" else TF32_NOTE,
        check=partial(_check_gemm, mx, np, ctx),
    )


def _conv_inputs(mx: Any, ctx: Any, batch: int, shape: h.ConvShape) -> tuple[Any, Any]:
    s = shape
    x = mx.nd.random.uniform(-1, 1, shape=(batch, s.channels_in, s.height, s.width), ctx=ctx)
    w_shape = (s.channels_out, s.channels_in, s.kernel, s.kernel)
    return x, mx.nd.random.uniform(-1, 1, shape=w_shape, ctx=ctx)


def _conv_call(mx: Any, shape: h.ConvShape, x: Any, w: Any) -> Any:
    return mx.nd.Convolution(
        data=x,
        weight=w,
        kernel=(shape.kernel, shape.kernel),
        stride=(shape.stride, shape.stride),
        pad=(shape.pad, shape.pad),
        num_filter=shape.channels_out,
        no_bias=True,
    )


def _check_conv2d(mx: Any, np: Any, ctx: Any) -> float:
    s = h.CHECK_CONV
    x, w = _conv_inputs(mx, ctx, h.CHECK_CONV_BATCH, s)
    out = _conv_call(mx, s, x, w).asnumpy()
    ref = h.ref_conv2d(np, x.asnumpy(), w.asnumpy(), "NCHW", "KCRS", s)
    return h.max_rel_error(np, out, ref)


def _conv2d(mx: Any, np: Any, ctx: Any, device: str, batch: int, mkldnn: bool) -> h.OpSpec:
    x, w = _conv_inputs(mx, ctx, batch, h.CONV)
    backend = "MKLDNN" if mkldnn and device == "cpu" else "native"
    return h.OpSpec(
        fn=partial(_conv_call, mx, h.CONV, x, w),
        flops=h.conv2d_flops(batch),
        dtype="float32",
        params=h.conv2d_params(batch, "NCHW"),
        kernel=f"mx.nd.Convolution ({backend}, no bias)",
        device=device,
        note=TF32_NOTE if device == "gpu" else None,
        check=partial(_check_conv2d, mx, np, ctx),
    )


def _lstm_parts(mx: Any, ctx: Any, shape: h.LstmShape) -> tuple[Any, Any]:
    s = shape
    layer = mx.gluon.rnn.LSTM(s.hidden, num_layers=1, layout="TNC", input_size=s.input)
    layer.initialize(ctx=ctx)
    # Hybridizing turns the block into one fused RNN op; the graph is built on the first call.
    layer.hybridize(static_alloc=True, static_shape=True)
    x = mx.nd.random.uniform(-1, 1, shape=(s.seq, s.batch, s.input), ctx=ctx)
    return layer, x


def _check_lstm(mx: Any, np: Any, ctx: Any) -> float:
    layer, x = _lstm_parts(mx, ctx, h.CHECK_LSTM)
    # Biases start at zero; random ones make the check see their gate order too.
    for bias in (layer.l0_i2h_bias, layer.l0_h2h_bias):
        bias.set_data(mx.nd.random.uniform(-0.5, 0.5, shape=bias.shape, ctx=ctx))
    out = layer(x).asnumpy()
    # Gluon keeps (4H, in) matrices with the gates in the order i, f, c (= g), o.
    w_x = layer.l0_i2h_weight.data(ctx).asnumpy().T
    w_h = layer.l0_h2h_weight.data(ctx).asnumpy().T
    bias = layer.l0_i2h_bias.data(ctx).asnumpy() + layer.l0_h2h_bias.data(ctx).asnumpy()
    return h.max_rel_error(np, out, h.ref_lstm(np, x.asnumpy(), w_x, w_h, bias))


def _lstm(mx: Any, np: Any, ctx: Any, device: str) -> h.OpSpec:
    layer, x = _lstm_parts(mx, ctx, h.LSTM)
    return h.OpSpec(
        fn=lambda: layer(x),
        flops=h.lstm_flops(),
        dtype="float32",
        params=h.lstm_params("TNC"),
        kernel="mx.gluon.rnn.LSTM (hybridized, fused RNN op)",
        device=device,
        note=TF32_NOTE if device == "gpu" else None,
        check=partial(_check_lstm, mx, np, ctx),
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
            return name[len("BLAS_"):].lower()  # str.removeprefix needs Python 3.9
    return None


def _devices(mx: Any) -> list[dict[str, Any]]:
    devices = [h.cpu_device()]
    for index in range(mx.context.num_gpus()):
        _free, total = mx.context.gpu_memory_info(index)
        devices.append(h.gpu_device(index, None, int(total)))  # mxnet has no device-name API
    return devices


def _builders(
    mx: Any,
    np: Any,
    device: str,
    budget: h.Budget,
    features: Any,
    note: str | None,
    sync: h.Sync,
) -> dict[str, h.OpBuilder]:
    ctx = mx.gpu(0) if device == "gpu" else mx.cpu()
    mkldnn = bool(features.is_enabled("MKLDNN"))
    if device == "cpu":
        return {
            "gemm": partial(_gemm, mx, np, ctx, device, budget.gemm_n, note),
            "conv2d": partial(_conv2d, mx, np, ctx, device, budget.conv_batch, mkldnn),
            "lstm": partial(_lstm, mx, np, ctx, device),
        }
    # On a GPU, GEMM and conv2d grow until a call keeps the device busy (h.grow).
    gemm = partial(_gemm, mx, np, ctx, device)
    return {
        "gemm": h.Grown(lambda n: gemm(n, note), h.GPU_GEMM_SIZES, sync),
        "conv2d": h.Grown(
            lambda batch: _conv2d(mx, np, ctx, device, batch, mkldnn), h.GPU_CONV_BATCHES, sync
        ),
        "lstm": partial(_lstm, mx, np, ctx, device),
    }


def main(argv: list[str] | None = None) -> int:
    args = h.start(PROBE, argv)
    # Read by cuBLAS and cuDNN, which MXNet loads on import: float32 stays float32 (see above).
    os.environ["NVIDIA_TF32_OVERRIDE"] = "0"
    mx = h.import_framework("mxnet")
    np = h.import_framework("numpy")
    device = h.resolve_device(args.device, mx.context.num_gpus() > 0, PROBE)
    features = mx.runtime.Features()
    openblas = _openblas(mx)

    def sync(_out: object) -> None:
        mx.nd.waitall()

    builders = _builders(mx, np, device, args.budget, features, _blas_note(openblas), sync)
    builders.update(_train_mxnet.builders(mx, device, None, args.budget, np))
    results = h.run_ops(args, builders, sync)
    multi = _multidevice.run(args, results, _multi_mxnet.measurers(mx, device, args.budget),
                             {"scaling": _multi_mxnet.SCALING_UNSUPPORTED})
    info = h.ProbeInfo(
        probe=PROBE,
        framework="mxnet",
        version=str(mx.__version__),
        build=_build(features, openblas),
        devices=_devices(mx),
        framework_threads=None,  # MXNet has no API that reports its operator thread count
    )
    h.emit(h.document(args, info, results, multi), args)
    return 0


if __name__ == "__main__":
    h.exit_now(main())
