"""dlselect live probe: JAX, every op under jax.jit (the first call traces and compiles with XLA).

Run with the interpreter that has jax: ``python probes/probe_jax.py --budget quick``.
Ops: gemm (float32; float16 and bfloat16 too on a GPU), conv2d (lax.conv_general_dilated, NHWC),
lstm (an LSTM cell under lax.scan: JAX itself has no LSTM layer).

JAX dispatches asynchronously, and on the CPU independent computations may overlap, so each op
call blocks on its own result (``block_until_ready``): a sample is then a sum of complete calls.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import _harness as h

PROBE = "jax"


def _normal(jax: Any, dev: Any, seed: int, shape: tuple[int, ...], dtype: str) -> Any:
    values = jax.random.normal(jax.random.PRNGKey(seed), shape, dtype="float32")
    return jax.device_put(values.astype(dtype), dev)


def _blocking(jax: Any, compiled: Any, *inputs: Any) -> object:
    return jax.block_until_ready(compiled(*inputs))


def _gemm(jax: Any, dev: Any, device: str, n: int, dtype: str) -> h.OpSpec:
    a = _normal(jax, dev, 0, (n, n), dtype)
    b = _normal(jax, dev, 1, (n, n), dtype)
    note = None
    if device == "gpu" and dtype == "float32":
        precision = jax.config.jax_default_matmul_precision
        note = f"jax_default_matmul_precision={precision} (None: XLA may use TF32 on a GPU)"
    return h.OpSpec(
        fn=partial(_blocking, jax, jax.jit(jax.numpy.matmul), a, b),
        flops=h.gemm_flops(n),
        dtype=dtype,
        params={"n": n},
        kernel="jnp.matmul under jax.jit",
        device=device,
        note=note,
    )


def _conv2d(jax: Any, dev: Any, device: str, batch: int) -> h.OpSpec:
    c = h.CONV
    x = _normal(jax, dev, 0, (batch, c.height, c.width, c.channels_in), "float32")
    w = _normal(jax, dev, 1, (c.kernel, c.kernel, c.channels_in, c.channels_out), "float32")
    conv = partial(
        jax.lax.conv_general_dilated,
        window_strides=(c.stride, c.stride),
        padding=((c.pad, c.pad), (c.pad, c.pad)),
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
    )
    return h.OpSpec(
        fn=partial(_blocking, jax, jax.jit(conv), x, w),
        flops=h.conv2d_flops(batch),
        dtype="float32",
        params=h.conv2d_params(batch, "NHWC"),
        kernel="lax.conv_general_dilated under jax.jit (no bias)",
        device=device,
    )


def _lstm_forward(jax: Any, weights: Any, bias: Any, xs: Any) -> Any:
    """Standard LSTM (gates i, f, g, o) over a time-major sequence; returns every h_t."""
    jnp, sigmoid = jax.numpy, jax.nn.sigmoid

    def cell(carry: tuple[Any, Any], x_t: Any) -> tuple[tuple[Any, Any], Any]:
        h_prev, c_prev = carry
        # One fused GEMM for the four gates: [x_t, h] (batch, in+hidden) @ (in+hidden, 4*hidden).
        z = jnp.concatenate([x_t, h_prev], axis=1) @ weights + bias
        i, f, g, o = jnp.split(z, 4, axis=1)
        c_t = sigmoid(f) * c_prev + sigmoid(i) * jnp.tanh(g)
        h_t = sigmoid(o) * jnp.tanh(c_t)
        return (h_t, c_t), h_t

    zeros = jnp.zeros((xs.shape[1], bias.shape[0] // 4), xs.dtype)
    _, hs = jax.lax.scan(cell, (zeros, zeros), xs)
    return hs


def _lstm(jax: Any, dev: Any, device: str) -> h.OpSpec:
    s = h.LSTM
    weights = _normal(jax, dev, 0, (s.input + s.hidden, 4 * s.hidden), "float32") * 0.05
    bias = jax.device_put(jax.numpy.zeros((4 * s.hidden,), "float32"), dev)
    xs = _normal(jax, dev, 1, (s.seq, s.batch, s.input), "float32")
    forward = jax.jit(partial(_lstm_forward, jax))
    return h.OpSpec(
        fn=partial(_blocking, jax, forward, weights, bias, xs),
        flops=h.lstm_flops(),
        dtype="float32",
        params=h.lstm_params("TNC"),
        kernel="LSTM cell in lax.scan under jax.jit (JAX has no LSTM layer)",
        device=device,
    )


def _builders(jax: Any, dev: Any, device: str, budget: h.Budget) -> dict[str, h.OpBuilder]:
    n = budget.gemm_n
    builders: dict[str, h.OpBuilder] = {"gemm": partial(_gemm, jax, dev, device, n, "float32")}
    if device == "gpu":
        builders["gemm_fp16"] = partial(_gemm, jax, dev, device, n, "float16")
        builders["gemm_bf16"] = partial(_gemm, jax, dev, device, n, "bfloat16")
    builders["conv2d"] = partial(_conv2d, jax, dev, device, budget.conv_batch)
    builders["lstm"] = partial(_lstm, jax, dev, device)
    return builders


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
        stats = gpu.memory_stats() or {}
        devices.append(h.gpu_device(index, gpu.device_kind, stats.get("bytes_limit")))
    return devices


def main(argv: list[str] | None = None) -> int:
    args = h.start(PROBE, argv)
    jax = h.import_framework("jax")
    h.import_framework("jax.numpy")  # makes jax.numpy, jax.lax, jax.nn, jax.random attributes
    gpus = _gpus(jax)
    device = h.resolve_device(args.device, bool(gpus), PROBE)
    dev = gpus[0] if device == "gpu" else jax.devices("cpu")[0]
    results = h.run_ops(args, _builders(jax, dev, device, args.budget), jax.block_until_ready)
    info = h.ProbeInfo(
        probe=PROBE,
        framework="jax",
        version=str(jax.__version__),
        build=_build(jax, dev),
        devices=_devices(gpus),
        framework_threads=None,  # XLA sizes its CPU thread pool itself and does not report it
    )
    h.emit(h.document(args, info, results), args)
    return 0


if __name__ == "__main__":
    h.exit_now(main())
