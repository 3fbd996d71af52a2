"""Correctness checks for the probes' ops (standard library only, part of the probe harness).

Each op carries the precision it really ran in (fp32, tf32, bf16, fp16) and a ``check`` that
compares its result on a small instance with a float64 numpy reference; a result outside the
precision's tolerance fails the op (``op_errors``), so a wrong result is never reported as a fast
one. The numpy helpers here take the numpy module as a parameter, because this module imports
nothing but the standard library.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from _ops import ConvShape, LstmShape

# Largest accepted max|out - ref| / max|ref| of an op's small check instance against a float64
# reference computed from the same (already rounded) inputs. Each bound sits five to twenty
# times above the error an honest kernel of that precision makes on these instances (sums of at
# most a few hundred products; simulated for GEMM n=64, worst of 20 draws) and far below the
# O(1) error of a wrong result (a transposed operand, a swapped layout, a wrong gate order):
# * fp32: unit roundoff 6e-8; such sums stay near 1e-6, and 1e-4 also absorbs float32
#   sigmoid/tanh in the LSTM and the reassociation of fastmath kernels;
# * tf32: operands cut to a 10-bit mantissa before the multiply: 5e-4 (rounded) to 9e-4
#   (truncated) measured in simulation;
# * fp16: a 10-bit mantissa on the stored output (4e-4), more where a kernel accumulates in fp16;
# * bf16: a 7-bit mantissa on the stored output: 3e-3 (rounded) to 6e-3 (truncated).
CHECK_TOLERANCE = {"fp32": 1e-4, "tf32": 5e-3, "bf16": 5e-2, "fp16": 1e-2}
# The small instances the checks run: a few thousand outputs each, cheap on any device. The conv
# is not square and has two images, so a swapped height/width or batch/channel axis shows.
CHECK_GEMM_N = 64
CHECK_CONV_BATCH = 2
CHECK_CONV = ConvShape(channels_in=3, channels_out=5, height=7, width=6)
CHECK_LSTM = LstmShape(seq=5, batch=3, input=6, hidden=8)


class WrongResult(Exception):
    """An op's check found its result outside the tolerance of its precision."""


class WrongDevice(WrongResult):
    """An op meant for the GPU left its check's result on another device (TensorFlow, for one,
    places an op without a GPU kernel on the CPU without a word)."""


# How the frameworks name a GPU in a result's device: torch "cuda:0", TensorFlow
# "/job:localhost/replica:0/task:0/device:GPU:0", JAX "cuda:0" (or "rocm:0").
GPU_DEVICE_WORDS = ("cuda", "gpu", "rocm")


def require_gpu_result(where: str) -> None:
    """Raise ``WrongDevice`` unless ``where``, the device of an op's result as its framework
    names it, is a GPU: the device an op reports is then observed, not only asked for."""
    if not any(word in where.lower() for word in GPU_DEVICE_WORDS):
        raise WrongDevice(f"the result is on {where}, not on the GPU")


def observed(result: Any, on_gpu: bool) -> Any:
    """``result``, after ``require_gpu_result`` on each device holding it when the op was meant
    for a GPU: a JAX array names them with ``devices()``, a torch or TensorFlow tensor with
    ``device``."""
    if on_gpu:
        devices = result.devices() if callable(getattr(result, "devices", None)) else [
            result.device]
        for where in devices:
            require_gpu_result(str(where))
    return result


def run_check(check: Callable[[], float], precision: str) -> dict[str, Any]:
    """``{"max_rel_error": x, "ok": True}``, or ``WrongResult`` when x exceeds the tolerance of
    ``precision`` (or is not a number)."""
    error = float(check())
    tolerance = CHECK_TOLERANCE[precision]
    if not (math.isfinite(error) and 0 <= error <= tolerance):
        raise WrongResult(
            f"wrong result: max_rel_error {error:.3g} above {tolerance:g} for {precision}"
        )
    return {"max_rel_error": error, "ok": True}


# --------------------------------------------------------------------------- references
# float64 numpy references for the checks. numpy is passed in (``np``): this module imports only
# the standard library, and each framework's interpreter brings its own numpy.


def max_rel_error(np: Any, out: Any, ref: Any) -> float:
    """max|out - ref| / max|ref| in float64 (the absolute error where ref is all zeros)."""
    got = np.asarray(out, dtype=np.float64)
    want = np.asarray(ref, dtype=np.float64)
    if got.shape != want.shape:
        raise ValueError(f"result shape {got.shape} differs from the reference's {want.shape}")
    error = float(np.max(np.abs(got - want)))
    scale = float(np.max(np.abs(want)))
    return error / scale if scale > 0 else error


def ref_gemm(np: Any, a: Any, b: Any) -> Any:
    return np.asarray(a, dtype=np.float64) @ np.asarray(b, dtype=np.float64)


def ref_conv2d(
    np: Any, x: Any, w: Any, layout: str, weight_layout: str, shape: ConvShape
) -> Any:
    """Direct convolution (cross-correlation, as every framework computes it), float64.

    ``x`` is NCHW or NHWC (``layout``, also the output's); ``w`` is KCRS (out, in, kh, kw) or
    RSCK (kh, kw, in, out: TensorFlow's and JAX's HWIO). Zero padding ``shape.pad``.
    """
    x64 = np.asarray(x, dtype=np.float64)
    w64 = np.asarray(w, dtype=np.float64)
    if layout == "NHWC":
        x64 = x64.transpose(0, 3, 1, 2)
    if weight_layout == "RSCK":
        w64 = w64.transpose(3, 2, 0, 1)
    pad, stride = shape.pad, shape.stride
    x64 = np.pad(x64, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((x64.shape[0], w64.shape[0], shape.out_height, shape.out_width))
    for r in range(shape.kernel):
        for s in range(shape.kernel):
            rows = slice(r, r + stride * (shape.out_height - 1) + 1, stride)
            cols = slice(s, s + stride * (shape.out_width - 1) + 1, stride)
            # out[n, k, p, q] += sum_c x[n, c, p*stride + r, q*stride + s] * w[k, c, r, s]
            out += np.einsum("ncpq,kc->nkpq", x64[:, :, rows, cols], w64[:, :, r, s])
    return out.transpose(0, 2, 3, 1) if layout == "NHWC" else out


def ref_lstm(np: Any, xs: Any, w_x: Any, w_h: Any, bias: Any) -> Any:
    """One LSTM layer over time-major ``xs`` (T, B, I) from a zero state, float64; every h_t.

    ``w_x`` (I, 4H) and ``w_h`` (H, 4H) hold the gates in the order i, f, g, o (sigmoid,
    sigmoid, tanh, sigmoid); ``bias`` (4H,) is the sum of the framework's bias vectors.
    """
    xs64 = np.asarray(xs, dtype=np.float64)
    wx, wh = np.asarray(w_x, dtype=np.float64), np.asarray(w_h, dtype=np.float64)
    b = np.asarray(bias, dtype=np.float64)
    hidden = wh.shape[0]

    def sigmoid(z: Any) -> Any:
        return 1.0 / (1.0 + np.exp(-z))

    h_t = np.zeros((xs64.shape[1], hidden))
    c_t = np.zeros_like(h_t)
    outputs = []
    for x_t in xs64:
        z = x_t @ wx + h_t @ wh + b
        i, f = sigmoid(z[:, :hidden]), sigmoid(z[:, hidden : 2 * hidden])
        g, o = np.tanh(z[:, 2 * hidden : 3 * hidden]), sigmoid(z[:, 3 * hidden :])
        c_t = f * c_t + i * g
        h_t = o * np.tanh(c_t)
        outputs.append(h_t)
    return np.stack(outputs)
