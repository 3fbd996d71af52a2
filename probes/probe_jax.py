"""dlselect live probe: JAX, every op under jax.jit (the first call traces and compiles with XLA).

Run with the interpreter that has jax: ``python probes/probe_jax.py --budget quick``.
Ops: gemm (float32; on a GPU also TF32, float16 and bfloat16), conv2d
(lax.conv_general_dilated, NHWC), lstm (an LSTM cell under lax.scan: JAX itself has no LSTM
layer).

Precision: every float32 matmul and convolution passes ``precision=lax.Precision.HIGHEST``, which
on a GPU means true float32 (XLA's default there is TF32); ``gemm_tf32`` (GPUs of compute
capability 8.0 and later) passes ``Precision.HIGH``, TF32 where available. On the CPU the setting
changes nothing.

Timing: on a GPU an op call only dispatches (it returns the output array) and the harness
synchronises once per sample with ``block_until_ready`` on the last output, as for the other
frameworks. On the CPU each call blocks on its own result instead: there a torch or TensorFlow
call returns finished work (and MXNet's engine runs its queue on one worker thread by default),
while JAX's CPU client may run independent dispatched computations at the same time, so a queue
of JAX calls would be timed as overlapping calls, not as one call after another.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import _harness as h
import _multi_jax
import _multidevice
import _train_jax

PROBE = "jax"


def _normal(
    jax: Any, dev: Any, seed: int, shape: tuple[int, ...], dtype: str, scale: float = 1.0
) -> Any:
    """Standard normal values times ``scale``, drawn by numpy on the host and put on ``dev`` in
    ``dtype``. Not ``jax.random``: that compiles an XLA computation for every shape, about half
    a second each on a 2-core CPU and seven seconds of this probe's preparation in all, while
    the values serve only as inputs."""
    numpy = h.import_framework("numpy")  # jax's own dependency: already imported
    values = numpy.random.default_rng(seed).standard_normal(shape, dtype=numpy.float32)
    values = values * numpy.float32(scale)
    # device_put returns before the copy is done: wait, so that it is part of the preparation
    # and not of an op's first call.
    return jax.block_until_ready(jax.device_put(values.astype(jax.numpy.dtype(dtype)), dev))


def _host(np: Any, array: Any) -> Any:
    """An array as numpy on the host (float32 holds float16/bfloat16 values exactly)."""
    return np.asarray(array.astype("float32"))


def _blocking(jax: Any, compiled: Any, *inputs: Any) -> object:
    return jax.block_until_ready(compiled(*inputs))


def _op_call(jax: Any, device: str, compiled: Any, *inputs: Any) -> Any:
    """One op call: dispatch only on a GPU (the harness syncs), blocking on the CPU."""
    if device == "gpu":
        return partial(compiled, *inputs)
    return partial(_blocking, jax, compiled, *inputs)


def _precision(jax: Any, precision: str) -> Any:
    """The lax precision of an op: HIGHEST (float32) for fp32, HIGH (TF32) for tf32; None
    (the dtype decides) for half precision."""
    if precision == "fp32":
        return jax.lax.Precision.HIGHEST
    if precision == "tf32":
        return jax.lax.Precision.HIGH
    return None


def _check_gemm(jax: Any, np: Any, dev: Any, dtype: str, matmul: Any) -> float:
    a = _normal(jax, dev, 2, (h.CHECK_GEMM_N, h.CHECK_GEMM_N), dtype)
    b = _normal(jax, dev, 3, (h.CHECK_GEMM_N, h.CHECK_GEMM_N), dtype)
    out = _host(np, h.observed(matmul(a, b), dev.platform != "cpu"))
    return h.max_rel_error(np, out, h.ref_gemm(np, _host(np, a), _host(np, b)))


def _gemm(
    jax: Any, np: Any, dev: Any, device: str, dtype: str, n: int, precision: str = ""
) -> h.OpSpec:
    precision = precision or h.PRECISION_OF_DTYPE[dtype]
    a = _normal(jax, dev, 0, (n, n), dtype)
    b = _normal(jax, dev, 1, (n, n), dtype)
    lax_precision = _precision(jax, precision)
    matmul = jax.jit(partial(jax.numpy.matmul, precision=lax_precision))
    note = None
    if device == "gpu" and lax_precision is not None:
        note = f"precision=lax.Precision.{lax_precision.name}"
    return h.OpSpec(
        fn=_op_call(jax, device, matmul, a, b),
        flops=h.gemm_flops(n),
        dtype=dtype,
        params={"n": n},
        kernel="jnp.matmul under jax.jit",
        device=device,
        note=note,
        precision=precision,
        check=partial(_check_gemm, jax, np, dev, dtype, matmul),
    )


def _conv_fn(jax: Any, shape: h.ConvShape) -> Any:
    return jax.jit(
        partial(
            jax.lax.conv_general_dilated,
            window_strides=(shape.stride, shape.stride),
            padding=((shape.pad, shape.pad), (shape.pad, shape.pad)),
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
            precision=jax.lax.Precision.HIGHEST,
        )
    )


def _conv_inputs(jax: Any, dev: Any, batch: int, shape: h.ConvShape, seed: int) -> tuple[Any, Any]:
    s = shape
    x = _normal(jax, dev, seed, (batch, s.height, s.width, s.channels_in), "float32")
    w = _normal(jax, dev, seed + 1, (s.kernel, s.kernel, s.channels_in, s.channels_out), "float32")
    return x, w


def _check_conv2d(jax: Any, np: Any, dev: Any) -> float:
    s = h.CHECK_CONV
    x, w = _conv_inputs(jax, dev, h.CHECK_CONV_BATCH, s, 2)
    out = _host(np, h.observed(_conv_fn(jax, s)(x, w), dev.platform != "cpu"))
    ref = h.ref_conv2d(np, _host(np, x), _host(np, w), "NHWC", "RSCK", s)
    return h.max_rel_error(np, out, ref)


def _conv2d(jax: Any, np: Any, dev: Any, device: str, batch: int) -> h.OpSpec:
    x, w = _conv_inputs(jax, dev, batch, h.CONV, 0)
    return h.OpSpec(
        fn=_op_call(jax, device, _conv_fn(jax, h.CONV), x, w),
        flops=h.conv2d_flops(batch),
        dtype="float32",
        params=h.conv2d_params(batch, "NHWC"),
        kernel="lax.conv_general_dilated under jax.jit (no bias)",
        device=device,
        note="precision=lax.Precision.HIGHEST" if device == "gpu" else None,
        check=partial(_check_conv2d, jax, np, dev),
    )


def _lstm_forward(jax: Any, weights: Any, bias: Any, xs: Any) -> Any:
    """Standard LSTM (gates i, f, g, o) over a time-major sequence; returns every h_t."""
    jnp, sigmoid = jax.numpy, jax.nn.sigmoid
    highest = jax.lax.Precision.HIGHEST

    def cell(carry: tuple[Any, Any], x_t: Any) -> tuple[tuple[Any, Any], Any]:
        h_prev, c_prev = carry
        # One fused GEMM for the four gates: [x_t, h] (batch, in+hidden) @ (in+hidden, 4*hidden).
        z = jnp.matmul(jnp.concatenate([x_t, h_prev], axis=1), weights, precision=highest) + bias
        i, f, g, o = jnp.split(z, 4, axis=1)
        c_t = sigmoid(f) * c_prev + sigmoid(i) * jnp.tanh(g)
        h_t = sigmoid(o) * jnp.tanh(c_t)
        return (h_t, c_t), h_t

    zeros = jnp.zeros((xs.shape[1], bias.shape[0] // 4), xs.dtype)
    _, hs = jax.lax.scan(cell, (zeros, zeros), xs)
    return hs


def _lstm_inputs(
    jax: Any, dev: Any, shape: h.LstmShape, seed: int, weight_scale: float = 0.05
) -> tuple[Any, Any, Any]:
    s = shape
    weights = _normal(jax, dev, seed, (s.input + s.hidden, 4 * s.hidden), "float32", weight_scale)
    bias = _normal(jax, dev, seed + 1, (4 * s.hidden,), "float32", 0.1)
    xs = _normal(jax, dev, seed + 2, (s.seq, s.batch, s.input), "float32")
    return weights, bias, xs


def _check_lstm(jax: Any, np: Any, dev: Any) -> float:
    s = h.CHECK_LSTM
    # A larger scale than the timed op's (10x), so the gates saturate unevenly.
    weights, bias, xs = _lstm_inputs(jax, dev, s, 3, weight_scale=0.5)
    out = _host(np, jax.jit(partial(_lstm_forward, jax))(weights, bias, xs))
    w = _host(np, weights)
    ref = h.ref_lstm(np, _host(np, xs), w[: s.input], w[s.input :], _host(np, bias))
    return h.max_rel_error(np, out, ref)


def _lstm(jax: Any, np: Any, dev: Any, device: str) -> h.OpSpec:
    weights, bias, xs = _lstm_inputs(jax, dev, h.LSTM, 0)
    forward = jax.jit(partial(_lstm_forward, jax))
    return h.OpSpec(
        fn=_op_call(jax, device, forward, weights, bias, xs),
        flops=h.lstm_flops(),
        dtype="float32",
        params=h.lstm_params("TNC"),
        kernel="LSTM cell in lax.scan under jax.jit (JAX has no LSTM layer)",
        device=device,
        note="precision=lax.Precision.HIGHEST" if device == "gpu" else None,
        check=partial(_check_lstm, jax, np, dev),
    )


def _tf32_capable(dev: Any) -> bool:
    capability = getattr(dev, "compute_capability", None)  # "8.0" on CUDA devices
    try:
        major, minor = (int(part) for part in str(capability).split(".")[:2])
    except ValueError:
        return False
    return h.tf32_possible((major, minor))


def _builders(
    jax: Any, np: Any, dev: Any, device: str, budget: h.Budget, sync: h.Sync
) -> dict[str, h.OpBuilder]:
    return h.kernel_builders(
        partial(_gemm, jax, np, dev, device),
        partial(_conv2d, jax, np, dev, device),
        partial(_lstm, jax, np, dev, device),
        device, budget, sync, tf32=device == "gpu" and _tf32_capable(dev),
    )


def _gpus(jax: Any) -> list[Any]:
    try:
        return list(jax.devices("gpu"))
    except RuntimeError:  # no GPU backend (plugin) installed or no GPU visible
        return []


def _build(jax: Any, dev: Any) -> dict[str, Any]:
    platform_version = str(dev.client.platform_version)
    return h.build_info(
        cuda=platform_version if dev.platform == "gpu" else None,
        blas=None,  # XLA:CPU emits its own GEMM/conv code (Eigen/oneDNN); no external BLAS
        other={
            "jaxlib": getattr(jax.lib, "__version__", None),
            "backend": jax.default_backend(),
            "platform_version": platform_version,
            "x64_enabled": bool(jax.config.jax_enable_x64),
        },
    )


def _devices(gpus: list[Any]) -> list[dict[str, Any]]:
    devices = [h.cpu_device()]
    for index, gpu in enumerate(gpus):
        # No total memory: JAX's memory_stats() has bytes_limit, the cap of XLA's allocator
        # (by default 75% of the memory), which is not the device's size.
        version = getattr(getattr(gpu, "client", None), "platform_version", None)
        devices.append(h.gpu_device(index, gpu.device_kind, None,
                                    h.jax_device_class(gpu.platform, version)))
    return devices


def main(argv: list[str] | None = None) -> int:
    args = h.start(PROBE, argv)
    jax = h.import_framework("jax")
    h.import_framework("jax.numpy")  # makes jax.numpy, jax.lax, jax.nn, jax.random attributes
    gpus = _gpus(jax)
    device = h.resolve_device(args.device, bool(gpus), PROBE)
    dev = gpus[0] if device == "gpu" else jax.devices("cpu")[0]
    np = h.import_framework("numpy")
    sync = jax.block_until_ready
    builders = _builders(jax, np, dev, device, args.budget, sync)
    builders.update(_train_jax.builders(jax, device, dev, args.budget, np))
    results = h.run_ops(args, builders, sync)
    multi = _multidevice.run(args, results, _multi_jax.measurers(jax, device, args.budget))
    info = h.ProbeInfo(
        probe=PROBE,
        framework="jax",
        version=str(jax.__version__),
        build=_build(jax, dev),
        devices=_devices(gpus),
        framework_threads=None,  # XLA sizes its CPU thread pool itself and does not report it
    )
    h.emit(h.document(args, info, results, multi), args)
    return 0


if __name__ == "__main__":
    h.exit_now(main())
