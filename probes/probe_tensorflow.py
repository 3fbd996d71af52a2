"""dlselect live probe: TensorFlow 2, every op wrapped in tf.function (graph mode, no XLA).

Run with the interpreter that has tensorflow: ``python probes/probe_tensorflow.py``.
Ops: gemm (float32; float16 and bfloat16 too on a GPU), conv2d (NHWC on the CPU, where TF's
kernels want it; NCHW on a GPU), lstm (tf.keras.layers.LSTM). The first call traces the Python
function into a graph, which is why ``first_call_s`` is much larger than ``median_s``.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import _harness as h

PROBE = "tensorflow"


def _gemm(tf: Any, place: str, device: str, n: int, dtype: str) -> h.OpSpec:
    with tf.device(place):
        a = tf.cast(tf.random.normal((n, n)), dtype)
        b = tf.cast(tf.random.normal((n, n)), dtype)
    matmul = tf.function(tf.linalg.matmul)
    note = None
    if device == "gpu" and dtype == "float32":
        tf32 = tf.config.experimental.tensor_float_32_execution_enabled()
        note = f"TF32 execution enabled: {tf32}"
    return h.OpSpec(
        fn=partial(_call_on, tf, place, matmul, a, b),
        flops=h.gemm_flops(n),
        dtype=dtype,
        params={"n": n},
        kernel="tf.linalg.matmul in tf.function",
        device=device,
        note=note,
    )


def _conv2d(tf: Any, place: str, device: str, batch: int) -> h.OpSpec:
    c = h.CONV
    layout = "NCHW" if device == "gpu" else "NHWC"
    shape = (
        (batch, c.channels_in, c.height, c.width)
        if layout == "NCHW"
        else (batch, c.height, c.width, c.channels_in)
    )
    with tf.device(place):
        x = tf.random.normal(shape)
        w = tf.random.normal((c.kernel, c.kernel, c.channels_in, c.channels_out))  # HWIO
    # "SAME" with a 3x3 window and stride 1 is exactly pad 1 on each side.
    conv = tf.function(partial(tf.nn.conv2d, strides=c.stride, padding="SAME", data_format=layout))
    return h.OpSpec(
        fn=partial(_call_on, tf, place, conv, x, w),
        flops=h.conv2d_flops(batch),
        dtype="float32",
        params=h.conv2d_params(batch, layout),
        kernel="tf.nn.conv2d in tf.function (no bias)",
        device=device,
    )


def _lstm(tf: Any, place: str, device: str) -> h.OpSpec:
    s = h.LSTM
    with tf.device(place):
        layer = tf.keras.layers.LSTM(s.hidden, return_sequences=True)
        layer.build((s.batch, s.seq, s.input))
        x = tf.random.normal((s.batch, s.seq, s.input))  # Keras is batch-major
    forward = tf.function(partial(layer, training=False))
    return h.OpSpec(
        fn=partial(_call_on, tf, place, forward, x),
        flops=h.lstm_flops(),
        dtype="float32",
        params=h.lstm_params("NTC"),
        kernel="tf.keras.layers.LSTM in tf.function",
        device=device,
    )


def _call_on(tf: Any, place: str, fn: Any, *inputs: Any) -> object:
    with tf.device(place):
        return fn(*inputs)


def _read_back(tf: Any, out: object) -> None:
    """Copy one element of ``out`` to the host: returns only once the op that made it is done."""
    if out is not None:
        tf.reshape(out, [-1])[:1].numpy()


def _builders(tf: Any, device: str, budget: h.Budget) -> dict[str, h.OpBuilder]:
    place = "/GPU:0" if device == "gpu" else "/CPU:0"
    n = budget.gemm_n
    builders: dict[str, h.OpBuilder] = {"gemm": partial(_gemm, tf, place, device, n, "float32")}
    if device == "gpu":
        builders["gemm_fp16"] = partial(_gemm, tf, place, device, n, "float16")
        builders["gemm_bf16"] = partial(_gemm, tf, place, device, n, "bfloat16")
    builders["conv2d"] = partial(_conv2d, tf, place, device, budget.conv_batch)
    builders["lstm"] = partial(_lstm, tf, place, device)
    return builders


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
    for index, gpu in enumerate(tf.config.list_physical_devices("GPU")):
        details = tf.config.experimental.get_device_details(gpu)
        # TF tells a GPU's total memory only once it has allocated on it; left null.
        devices.append(h.gpu_device(index, details.get("device_name"), None))
    return devices


def main(argv: list[str] | None = None) -> int:
    args = h.start(PROBE, argv)
    tf = h.import_framework("tensorflow")
    device = h.resolve_device(args.device, bool(tf.config.list_physical_devices("GPU")), PROBE)
    builders = _builders(tf, device, args.budget)
    results = h.run_ops(args, builders, partial(_read_back, tf))
    info = h.ProbeInfo(
        probe=PROBE,
        framework="tensorflow",
        version=str(tf.__version__),
        build=_build(tf),
        devices=_devices(tf),
        # 0 is TF's way of saying "not set: one thread per usable core".
        framework_threads=tf.config.threading.get_intra_op_parallelism_threads(),
    )
    h.emit(h.document(args, info, results), args)
    return 0


if __name__ == "__main__":
    h.exit_now(main())
