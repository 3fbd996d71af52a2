"""dlselect live probe: TensorFlow 2, every op wrapped in tf.function (graph mode, no XLA).

Run with the interpreter that has tensorflow: ``python probes/probe_tensorflow.py``.
Ops: gemm (float32; on a GPU also TF32, float16 and bfloat16), conv2d (NHWC on the CPU, where
TF's kernels want it; NCHW on a GPU), lstm (tf.keras.layers.LSTM). The first call traces the
Python function into a graph, which is why ``first_call_s`` is much larger than ``median_s``.

float32 ops run without TF32 (``tf.config.experimental.enable_tensor_float_32_execution(False)``
before anything runs); ``gemm_tf32`` (GPUs of compute capability 8.0 and later) switches it on
around each of its own calls only.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import _harness as h
import _multi_tensorflow
import _multidevice
import _train_tensorflow

PROBE = "tensorflow"


def _host(tf: Any, tensor: Any) -> Any:
    """A tensor as a numpy array on the host (float32 holds float16/bfloat16 values exactly)."""
    return tf.cast(tensor, "float32").numpy()


def _call_on(tf: Any, place: str, fn: Any, *inputs: Any) -> object:
    with tf.device(place):
        return fn(*inputs)


def _call_with_tf32(tf: Any, place: str, fn: Any, *inputs: Any) -> object:
    """``fn`` with TF32 allowed for this call only (the flag is read when the kernel runs)."""
    tf.config.experimental.enable_tensor_float_32_execution(True)
    try:
        return _call_on(tf, place, fn, *inputs)
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(False)


def _gemm_inputs(tf: Any, place: str, n: int, dtype: str) -> tuple[Any, Any]:
    with tf.device(place):
        a = tf.cast(tf.random.normal((n, n)), dtype)
        b = tf.cast(tf.random.normal((n, n)), dtype)
    return a, b


def _on_gpu(place: str) -> bool:
    """Whether ops are asked for on a GPU: with soft placement, TensorFlow's default, an op
    without a GPU kernel then runs on the CPU, which the checks catch (``h.observed``)."""
    return "GPU" in place.upper()


def _check_gemm(tf: Any, np: Any, place: str, dtype: str, call: Any, matmul: Any) -> float:
    a, b = _gemm_inputs(tf, place, h.CHECK_GEMM_N, dtype)
    out = _host(tf, h.observed(call(tf, place, matmul, a, b), _on_gpu(place)))
    return h.max_rel_error(np, out, h.ref_gemm(np, _host(tf, a), _host(tf, b)))


def _gemm(
    tf: Any, np: Any, place: str, device: str, dtype: str, n: int, precision: str = ""
) -> h.OpSpec:
    precision = precision or h.PRECISION_OF_DTYPE[dtype]
    a, b = _gemm_inputs(tf, place, n, dtype)
    matmul = tf.function(tf.linalg.matmul)
    call = _call_with_tf32 if precision == "tf32" else _call_on
    note = None
    if device == "gpu" and precision == "tf32":
        note = "TF32 enabled for this op only (enable_tensor_float_32_execution(True))"
    elif device == "gpu" and dtype == "float32":
        note = "TF32 off (enable_tensor_float_32_execution(False))"
    return h.OpSpec(
        fn=partial(call, tf, place, matmul, a, b),
        flops=h.gemm_flops(n),
        dtype=dtype,
        params={"n": n},
        kernel="tf.linalg.matmul in tf.function",
        device=device,
        note=note,
        precision=precision,
        check=partial(_check_gemm, tf, np, place, dtype, call, matmul),
    )


def _conv_parts(
    tf: Any, place: str, layout: str, batch: int, shape: h.ConvShape
) -> tuple[Any, Any, Any]:
    s = shape
    dims = (
        (batch, s.channels_in, s.height, s.width)
        if layout == "NCHW"
        else (batch, s.height, s.width, s.channels_in)
    )
    with tf.device(place):
        x = tf.random.normal(dims)
        w = tf.random.normal((s.kernel, s.kernel, s.channels_in, s.channels_out))  # HWIO
    # "SAME" with a 3x3 window and stride 1 is exactly pad 1 on each side.
    conv = tf.function(partial(tf.nn.conv2d, strides=s.stride, padding="SAME", data_format=layout))
    return conv, x, w


def _check_conv2d(tf: Any, np: Any, place: str, layout: str) -> float:
    s = h.CHECK_CONV
    conv, x, w = _conv_parts(tf, place, layout, h.CHECK_CONV_BATCH, s)
    out = _host(tf, h.observed(_call_on(tf, place, conv, x, w), _on_gpu(place)))
    ref = h.ref_conv2d(np, _host(tf, x), _host(tf, w), layout, "RSCK", s)
    return h.max_rel_error(np, out, ref)


def _conv2d(tf: Any, np: Any, place: str, device: str, batch: int) -> h.OpSpec:
    layout = "NCHW" if device == "gpu" else "NHWC"
    conv, x, w = _conv_parts(tf, place, layout, batch, h.CONV)
    return h.OpSpec(
        fn=partial(_call_on, tf, place, conv, x, w),
        flops=h.conv2d_flops(batch),
        dtype="float32",
        params=h.conv2d_params(batch, layout),
        kernel="tf.nn.conv2d in tf.function (no bias)",
        device=device,
        note="TF32 off (enable_tensor_float_32_execution(False))" if device == "gpu" else None,
        check=partial(_check_conv2d, tf, np, place, layout),
    )


def _lstm_parts(tf: Any, place: str, shape: h.LstmShape) -> tuple[Any, Any, Any]:
    with tf.device(place):
        layer = tf.keras.layers.LSTM(shape.hidden, return_sequences=True)
        layer.build((shape.batch, shape.seq, shape.input))
        x = tf.random.normal((shape.batch, shape.seq, shape.input))  # Keras is batch-major
    return layer, tf.function(partial(layer, training=False)), x


def _check_lstm(tf: Any, np: Any, place: str) -> float:
    layer, forward, x = _lstm_parts(tf, place, h.CHECK_LSTM)
    out = _host(tf, _call_on(tf, place, forward, x)).transpose(1, 0, 2)  # to time-major
    # Keras keeps (in, 4H) kernels with the gates in the order i, f, c (= g), o.
    cell = layer.cell
    w_x, w_h = _host(tf, cell.kernel), _host(tf, cell.recurrent_kernel)
    xs = _host(tf, x).transpose(1, 0, 2)
    return h.max_rel_error(np, out, h.ref_lstm(np, xs, w_x, w_h, _host(tf, cell.bias)))


def _lstm(tf: Any, np: Any, place: str, device: str) -> h.OpSpec:
    _layer, forward, x = _lstm_parts(tf, place, h.LSTM)
    return h.OpSpec(
        fn=partial(_call_on, tf, place, forward, x),
        flops=h.lstm_flops(),
        dtype="float32",
        params=h.lstm_params("NTC"),
        kernel="tf.keras.layers.LSTM in tf.function",
        device=device,
        note="TF32 off (enable_tensor_float_32_execution(False))" if device == "gpu" else None,
        check=partial(_check_lstm, tf, np, place),
    )


def _read_back(tf: Any, out: object) -> None:
    """Copy one element of ``out`` to the host: returns only once the op that made it is done."""
    if out is not None:
        tf.reshape(out, [-1])[:1].numpy()


def _tf32_capable(tf: Any) -> bool:
    gpus = tf.config.list_physical_devices("GPU")
    details = tf.config.experimental.get_device_details(gpus[0]) if gpus else {}
    return h.tf32_possible(details.get("compute_capability"))


def _builders(
    tf: Any, np: Any, device: str, budget: h.Budget, sync: h.Sync
) -> dict[str, h.OpBuilder]:
    place = "/GPU:0" if device == "gpu" else "/CPU:0"
    return h.kernel_builders(
        partial(_gemm, tf, np, place, device),
        partial(_conv2d, tf, np, place, device),
        partial(_lstm, tf, np, place, device),
        device, budget, sync, tf32=device == "gpu" and _tf32_capable(tf),
    )


def _build(tf: Any) -> dict[str, Any]:
    info = dict(tf.sysconfig.get_build_info())
    return h.build_info(
        cuda=info.get("cuda_version"),
        cudnn=info.get("cudnn_version"),
        blas=None,  # TF links no BLAS on the CPU: its kernels are Eigen and oneDNN
        other={
            "is_cuda_build": bool(info.get("is_cuda_build", False)),
            "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on for x86 Linux)"),
            "keras": getattr(tf.keras, "__version__", None),
            "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        },
    )


def _devices(tf: Any) -> list[dict[str, Any]]:
    devices = [h.cpu_device()]
    gpus = tf.config.list_physical_devices("GPU")
    gpu_class = h.tensorflow_gpu_class(bool(tf.test.is_built_with_rocm())) if gpus else None
    for index, gpu in enumerate(gpus):
        details = tf.config.experimental.get_device_details(gpu)
        # TF tells a GPU's total memory only once it has allocated on it; left null.
        devices.append(h.gpu_device(index, details.get("device_name"), None, gpu_class))
    return devices


def main(argv: list[str] | None = None) -> int:
    args = h.start(PROBE, argv)
    tf = h.import_framework("tensorflow")
    np = h.import_framework("numpy")
    device = h.resolve_device(args.device, bool(tf.config.list_physical_devices("GPU")), PROBE)
    tf.config.experimental.enable_tensor_float_32_execution(False)  # float32 means float32
    sync = partial(_read_back, tf)
    builders = _builders(tf, np, device, args.budget, sync)
    builders.update(_train_tensorflow.builders(tf, device, None, args.budget, np))
    results = h.run_ops(args, builders, sync)
    multi = _multidevice.run(args, results, _multi_tensorflow.measurers(tf, device, args.budget),
                             {"scaling": _multi_tensorflow.SCALING_UNSUPPORTED})
    info = h.ProbeInfo(
        probe=PROBE,
        framework="tensorflow",
        version=str(tf.__version__),
        build=_build(tf),
        devices=_devices(tf),
        # 0 is TF's way of saying "not set: one thread per usable core".
        framework_threads=tf.config.threading.get_intra_op_parallelism_threads(),
    )
    h.emit(h.document(args, info, results, multi), args)
    return 0


if __name__ == "__main__":
    h.exit_now(main())
