"""dlselect live probe: PyTensor, standing in for the Theano line (``"stands_for": "theano"``).

Run with the interpreter that has pytensor: ``python probes/probe_pytensor.py --budget quick``.
PyTensor is the maintained fork of Theano (via Aesara): symbolic graphs compiled by
``pytensor.function`` with the default C linker. Each graph is compiled on the op's first call,
so compile time goes into ``first_call_s``; compiled C modules are cached in
``pytensor.config.compiledir`` (~/.pytensor), so a cold cache makes that figure far larger.

* gemm: ``a @ b`` on float32 matrices (rewritten to the Dot22 op).
* conv2d: PyTensor 2.x no longer has Theano's ``nnet.conv2d``; the op is built from what is left,
  the way Theano's CPU CorrMM worked: zero pad, nine shifted slices stacked into an im2col
  matrix, one GEMM. The kernel string says so.
* lstm: PyTensor has no LSTM layer; the cell is written out and iterated with ``pytensor.scan``.

PyTensor links a BLAS only where it finds one at install time (pip installs usually do not); the
GEMM-shaped ops then fall back to numpy's dot, whose BLAS is recorded in ``build``.
"""

from __future__ import annotations

import inspect
import os
from functools import partial
from typing import Any

import _harness as h
import _multidevice
import _training

PROBE = "pytensor"


def _rand(np: Any, seed: int, shape: tuple[int, ...], scale: float = 1.0) -> Any:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)).astype(np.float32)


class _CompiledOnFirstCall:
    """A pytensor.function built on the first call, inside the measured first call."""

    def __init__(self, pytensor: Any, inputs: list[Any], output: Any) -> None:
        self._compile = partial(pytensor.function, inputs, output)
        self._function: Any = None

    def __call__(self, *values: Any) -> object:
        if self._function is None:
            self._function = self._compile()
        return self._function(*values)


def _blas_note(pytensor: Any) -> str | None:
    if pytensor.config.blas__ldflags:
        return None
    return "no BLAS linked (blas__ldflags empty): PyTensor's GEMM ops fall back to numpy's dot"


def _check_gemm(pytensor: Any, np: Any, a_sym: Any, b_sym: Any, product: Any) -> float:
    a, b = _rand(np, 2, (h.CHECK_GEMM_N,) * 2), _rand(np, 3, (h.CHECK_GEMM_N,) * 2)
    out = pytensor.function([a_sym, b_sym], product)(a, b)
    return h.max_rel_error(np, out, h.ref_gemm(np, a, b))


def _gemm(pytensor: Any, np: Any, n: int) -> h.OpSpec:
    pt = pytensor.tensor
    a_sym, b_sym = pt.matrix("a", dtype="float32"), pt.matrix("b", dtype="float32")
    product = a_sym @ b_sym
    matmul = _CompiledOnFirstCall(pytensor, [a_sym, b_sym], product)
    a, b = _rand(np, 0, (n, n)), _rand(np, 1, (n, n))
    return h.OpSpec(
        fn=partial(matmul, a, b),
        flops=h.gemm_flops(n),
        dtype="float32",
        params={"n": n},
        kernel="a @ b in pytensor.function (Dot22)",
        device="cpu",
        note=_blas_note(pytensor),
        check=partial(_check_gemm, pytensor, np, a_sym, b_sym, product),
    )


def _im2col_conv(pt: Any, x: Any, w: Any, batch: int, shape: h.ConvShape = h.CONV) -> Any:
    """NCHW conv2d as pad + shifted slices + one GEMM (stride 1)."""
    c = shape
    padded = pt.zeros((batch, c.channels_in, c.height + 2 * c.pad, c.width + 2 * c.pad), "float32")
    padded = pt.set_subtensor(padded[:, :, c.pad : c.pad + c.height, c.pad : c.pad + c.width], x)
    channels_first = padded.dimshuffle(1, 0, 2, 3)  # (C, N, H+2p, W+2p)
    taps = [
        channels_first[:, :, r : r + c.out_height, s : s + c.out_width]
        for r in range(c.kernel)
        for s in range(c.kernel)
    ]
    # Rows ordered (c, r, s) to match w.reshape((K, C*R*S)); columns (n, p, q).
    columns = pt.stack(taps, axis=1).reshape((c.channels_in * c.kernel**2, -1))
    out = w.reshape((c.channels_out, -1)) @ columns  # (K, N*P*Q)
    return out.reshape((c.channels_out, batch, c.out_height, c.out_width)).dimshuffle(1, 0, 2, 3)


def _conv_function(pytensor: Any, batch: int, shape: h.ConvShape) -> _CompiledOnFirstCall:
    pt = pytensor.tensor
    x_sym, w_sym = pt.tensor4("x", dtype="float32"), pt.tensor4("w", dtype="float32")
    graph = _im2col_conv(pt, x_sym, w_sym, batch, shape)
    return _CompiledOnFirstCall(pytensor, [x_sym, w_sym], graph)


def _conv_inputs(np: Any, batch: int, shape: h.ConvShape, seed: int) -> tuple[Any, Any]:
    s = shape
    x = _rand(np, seed, (batch, s.channels_in, s.height, s.width))
    w = _rand(np, seed + 1, (s.channels_out, s.channels_in, s.kernel, s.kernel))
    return x, w


def _check_conv2d(pytensor: Any, np: Any) -> float:
    s = h.CHECK_CONV
    x, w = _conv_inputs(np, h.CHECK_CONV_BATCH, s, 2)
    out = _conv_function(pytensor, h.CHECK_CONV_BATCH, s)(x, w)
    return h.max_rel_error(np, out, h.ref_conv2d(np, x, w, "NCHW", "KCRS", s))


def _conv2d(pytensor: Any, np: Any, batch: int) -> h.OpSpec:
    conv = _conv_function(pytensor, batch, h.CONV)
    x, w = _conv_inputs(np, batch, h.CONV, 0)
    return h.OpSpec(
        fn=partial(conv, x, w),
        flops=h.conv2d_flops(batch),
        dtype="float32",
        params=h.conv2d_params(batch, "NCHW"),
        kernel="im2col (pad + 9 shifted slices) + one GEMM in pytensor.function",
        device="cpu",
        note="PyTensor 2.x has no conv2d op (Theano's nnet module was removed); "
        "built from tensor ops as Theano's CorrMM did",
        check=partial(_check_conv2d, pytensor, np),
    )


def _lstm_graph(pytensor: Any, xs: Any, weights: Any, bias: Any, hidden: int) -> Any:
    """Standard LSTM (gates i, f, g, o) over time-major ``xs``; returns every h_t."""
    pt = pytensor.tensor

    def step(x_t: Any, h_prev: Any, c_prev: Any) -> tuple[Any, Any]:
        # One fused GEMM for the four gates: [x_t, h] (batch, in+hidden) @ (in+hidden, 4*hidden).
        z = pt.concatenate([x_t, h_prev], axis=1) @ weights + bias
        i, f = pt.sigmoid(z[:, :hidden]), pt.sigmoid(z[:, hidden : 2 * hidden])
        g, o = pt.tanh(z[:, 2 * hidden : 3 * hidden]), pt.sigmoid(z[:, 3 * hidden :])
        c_t = f * c_prev + i * g
        return o * pt.tanh(c_t), c_t

    zeros = pt.zeros((xs.shape[1], hidden), dtype="float32")
    scan_args: dict[str, Any] = {"sequences": xs, "outputs_info": [zeros, zeros]}
    if "return_updates" in inspect.signature(pytensor.scan).parameters:
        scan_args["return_updates"] = False  # the newer API: outputs only, no updates dict
        return pytensor.scan(step, **scan_args)[0]
    return pytensor.scan(step, **scan_args)[0][0]


def _lstm_parts(
    pytensor: Any, np: Any, shape: h.LstmShape, seed: int, scale: float
) -> tuple[_CompiledOnFirstCall, Any, Any, Any]:
    """The compiled-on-first-call forward, its weight and bias values, and an input."""
    s = shape
    w_value = _rand(np, seed, (s.input + s.hidden, 4 * s.hidden), scale)
    b_value = _rand(np, seed + 1, (4 * s.hidden,), 0.1)
    weights, bias = pytensor.shared(w_value, "W"), pytensor.shared(b_value, "b")
    xs_sym = pytensor.tensor.tensor3("xs", dtype="float32")
    graph = _lstm_graph(pytensor, xs_sym, weights, bias, s.hidden)
    xs = _rand(np, seed + 2, (s.seq, s.batch, s.input))
    return _CompiledOnFirstCall(pytensor, [xs_sym], graph), w_value, b_value, xs


def _check_lstm(pytensor: Any, np: Any) -> float:
    s = h.CHECK_LSTM
    forward, w, b, xs = _lstm_parts(pytensor, np, s, 3, 0.5)
    ref = h.ref_lstm(np, xs, w[: s.input], w[s.input :], b)
    return h.max_rel_error(np, forward(xs), ref)


def _lstm(pytensor: Any, np: Any) -> h.OpSpec:
    forward, _w, _b, xs = _lstm_parts(pytensor, np, h.LSTM, 0, 0.05)
    return h.OpSpec(
        fn=partial(forward, xs),
        flops=h.lstm_flops(),
        dtype="float32",
        params=h.lstm_params("TNC"),
        kernel="LSTM cell in pytensor.scan (PyTensor has no LSTM layer)",
        device="cpu",
        check=partial(_check_lstm, pytensor, np),
    )


def _build(pytensor: Any, np: Any) -> dict[str, Any]:
    config = pytensor.config
    site = os.path.dirname(os.path.dirname(np.__file__))
    return h.build_info(
        blas=config.blas__ldflags or None,
        other={
            "cxx": config.cxx or None,
            "linker": str(config.linker),
            "mode": str(config.mode),
            "floatX": str(config.floatX),
            "compiledir": str(config.compiledir),
            "numpy": np.__version__,
            "numpy_blas": h.numpy_blas(np),
            "openblas": h.openblas_runtime([os.path.join(site, "numpy.libs", "*openblas*")]),
        },
    )


def main(argv: list[str] | None = None) -> int:
    args = h.start(PROBE, argv)
    pytensor = h.import_framework("pytensor")
    h.import_framework("pytensor.tensor")
    np = h.import_framework("numpy")
    # PyTensor dropped Theano's GPU backend: --device gpu exits 4.
    h.resolve_device(args.device, False, PROBE)
    builders: dict[str, h.OpBuilder] = {
        "gemm": partial(_gemm, pytensor, np, args.budget.gemm_n),
        "conv2d": partial(_conv2d, pytensor, np, args.budget.conv_batch),
        "lstm": partial(_lstm, pytensor, np),
    }
    unsupported = dict.fromkeys(h.TRAINING_OPS, _training.PYTENSOR_UNSUPPORTED)
    # compiled functions are synchronous
    results = h.run_ops(args, builders, lambda _out: None, unsupported)
    multi = _multidevice.run(args, results, {}, _multidevice.unsupported(PROBE))
    info = h.ProbeInfo(
        probe=PROBE,
        framework="pytensor",
        version=str(pytensor.__version__),
        build=_build(pytensor, np),
        devices=[h.cpu_device()],
        framework_threads=None,  # PyTensor does not report a thread count (BLAS decides)
        stands_for="theano",
    )
    h.emit(h.document(args, info, results, multi), args)
    return 0


if __name__ == "__main__":
    h.exit_now(main())
