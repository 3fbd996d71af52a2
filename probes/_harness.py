"""Shared machinery for dlselect's live probes (standard library only).

Every ``probe_<framework>.py`` runs inside that framework's own interpreter and imports this
module as a sibling (``python probes/probe_torch.py`` puts ``probes/`` on ``sys.path``). It must
stay importable by any Python 3.8+ interpreter with nothing but the standard library, because the
frameworks live in separate virtual environments with different numpy/Python versions.

What lives here:

* command line: ``--budget quick|full``, ``--device auto|cpu|gpu``, ``--output PATH``,
  ``--ops gemm,conv2d,...``, ``--ready-fd FD``; usage errors exit 2 (argparse's convention);
* the runner's two-phase start (``--ready-fd``): import and prepare every op, write ``ready``
  on FD, then wait for ``go`` on stdin before measuring, so that probes started side by side
  import in parallel but never measure at the same time;
* timing: ``time.perf_counter`` around a loop of calls, a ``sync`` callable called before every
  clock read, calibration of the inner loop count, repeated samples, median and IQR. Every
  framework is timed the same way: a sample queues its calls back to back and synchronises once
  at the end (``time_loop``), and the figure is per call;
* correctness: each op carries the precision it really ran in (fp32, tf32, bf16, fp16) and a
  ``check`` that compares its result on a small instance with a float64 numpy reference; a result
  outside the precision's tolerance fails the op (``op_errors``), so a wrong result is never
  reported as a fast one. The numpy helpers here take the numpy module as a parameter, because
  this module imports nothing but the standard library;
* problem sizes on a GPU: ``grow`` enlarges GEMM and conv2d until one call keeps the device busy
  for at least ``MIN_GPU_CALL_S``;
* the JSON document (probe schema_version 1) and its atomic write;
* exit codes: 3 when the framework cannot be imported, 4 when ``--device gpu`` is asked for and
  the framework sees no GPU. Each is reported as one line on stderr.

The shapes of the three standard operations are defined here so that every probe measures exactly
the same problem and the figures compare across frameworks.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, NoReturn, TextIO

# Taken when the probe imports this module, which every probe does before importing its
# framework, so ``elapsed_s`` includes the framework's import time.
_STARTED = time.perf_counter()

SCHEMA_VERSION = 1
EXIT_IMPORT_FAILED = 3
EXIT_DEVICE_UNAVAILABLE = 4

# A measurement is flagged ``unstable`` when its interquartile range exceeds this share of the
# median: on a busy 2-core machine that is the point where a 10 % difference between two
# frameworks stops meaning anything.
UNSTABLE_IQR_RATIO = 0.10
# Upper bound on the calibrated inner loop, so a no-op-fast call cannot spin forever.
MAX_INNER_LOOPS = 1_000_000

TRAINING_OPS = ("train_cnn", "train_lstm", "train_transformer")
STANDARD_OPS = ("gemm", "conv2d", "lstm", *TRAINING_OPS)
# Multi-device ops (``_multidevice.py``): run only when ``--ops`` names them, never by default.
MULTI_DEVICE_OPS = ("allreduce", "scaling")
KNOWN_OPS = ("gemm", "gemm_tf32", "gemm_fp16", "gemm_bf16", "gemm_naive", "conv2d", "lstm",
             *TRAINING_OPS, *(f"{op}_compiled" for op in TRAINING_OPS), *MULTI_DEVICE_OPS)

# What an op really ran in: float32 storage and math (fp32); float32 storage with TF32 tensor-core
# math, i.e. inputs rounded to a 10-bit mantissa (tf32); bfloat16 (bf16) or float16 (fp16).
PRECISIONS = ("fp32", "tf32", "bf16", "fp16")
PRECISION_OF_DTYPE = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}
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

# On a GPU, GEMM and conv2d grow until one call takes at least this long. A call of a few
# microseconds measures the Python dispatch and the kernel launch (5-20 us each), not the GPU;
# from 1 ms on those are a few percent of the call and the device runs at its steady clock.
MIN_GPU_CALL_S = 1e-3
GPU_GEMM_SIZES = (1024, 2048, 4096, 8192)
GPU_CONV_BATCHES = (32, 64, 128, 256)
# Calls timed (after one warm-up call) to decide whether a size is large enough.
GROW_TIMED_CALLS = 3

# Variables that change threads, kernel choice, precision or GPU memory; recorded when set.
RECORDED_ENV = (
    "OMP_NUM_THREADS",
    "OMP_PROC_BIND",
    "OMP_PLACES",
    "MKL_NUM_THREADS",
    "MKL_ENABLE_INSTRUCTIONS",
    "KMP_AFFINITY",
    "KMP_BLOCKTIME",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_VERBOSE",
    "GOTO_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_CPP_MIN_LOG_LEVEL",
    "TF_XLA_FLAGS",
    "XLA_FLAGS",
    "XLA_PYTHON_CLIENT_PREALLOCATE",
    "XLA_PYTHON_CLIENT_MEM_FRACTION",
    "TF_FORCE_GPU_ALLOW_GROWTH",
    "JAX_PLATFORMS",
    "JAX_ENABLE_X64",
    "JAX_DEFAULT_MATMUL_PRECISION",
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_TF32_OVERRIDE",
    "TORCH_NUM_THREADS",
    "DNNL_MAX_CPU_ISA",
    "ONEDNN_MAX_CPU_ISA",
    "NUMBA_NUM_THREADS",
    "NUMBA_THREADING_LAYER",
    "NUMBA_OPT",
    "NUMBA_DISABLE_JIT",
    "MXNET_CPU_WORKER_NTHREADS",
    "MXNET_ENGINE_TYPE",
    "MXNET_MKLDNN_ENABLED",
    "MXNET_CUDA_ALLOW_TENSOR_CORE",
    "MXNET_CUDA_TENSOR_OP_MATH_ALLOW_CONVERSION",
    "PYTENSOR_FLAGS",
    "THEANO_FLAGS",
)


@dataclass(frozen=True)
class Budget:
    """How long to measure and how big the size-dependent problems are."""

    name: str
    min_sample_s: float  # calibration target for one timed sample
    samples: int
    gemm_n: int
    conv_batch: int


BUDGETS: dict[str, Budget] = {
    "quick": Budget("quick", min_sample_s=0.02, samples=5, gemm_n=512, conv_batch=8),
    "full": Budget("full", min_sample_s=0.1, samples=21, gemm_n=1024, conv_batch=32),
}


@dataclass(frozen=True)
class ConvShape:
    """conv2d forward problem (batch size comes from the budget)."""

    channels_in: int = 64
    channels_out: int = 64
    height: int = 56
    width: int = 56
    kernel: int = 3
    stride: int = 1
    pad: int = 1

    @property
    def out_height(self) -> int:
        return (self.height + 2 * self.pad - self.kernel) // self.stride + 1

    @property
    def out_width(self) -> int:
        return (self.width + 2 * self.pad - self.kernel) // self.stride + 1


@dataclass(frozen=True)
class LstmShape:
    """One-layer LSTM forward problem (the same for both budgets)."""

    seq: int = 32
    batch: int = 16
    input: int = 128
    hidden: int = 256


CONV = ConvShape()
LSTM = LstmShape()
CHECK_CONV = ConvShape(channels_in=3, channels_out=5, height=7, width=6)
CHECK_LSTM = LstmShape(seq=5, batch=3, input=6, hidden=8)


def gemm_flops(n: int) -> int:
    """Multiply-adds of an n x n by n x n product, counted as two FLOPs each."""
    return 2 * n**3


def conv2d_flops(batch: int, shape: ConvShape = CONV) -> int:
    """2*N*K*C*R*S*P*Q with P x Q the output size (bias and padding zeros not discounted)."""
    taps = shape.channels_in * shape.kernel * shape.kernel
    return 2 * batch * shape.channels_out * taps * shape.out_height * shape.out_width


def lstm_flops(shape: LstmShape = LSTM) -> int:
    """The four gate GEMMs per step, seq * 2*batch*4*hidden*(input+hidden).

    Bias adds and the gate nonlinearities (about 10 elementwise ops per hidden unit, under 1 %
    of the total here) are not counted.
    """
    per_step = 2 * shape.batch * 4 * shape.hidden * (shape.input + shape.hidden)
    return shape.seq * per_step


def conv2d_params(batch: int, layout: str, shape: ConvShape = CONV) -> dict[str, Any]:
    return {
        "batch": batch,
        "channels_in": shape.channels_in,
        "channels_out": shape.channels_out,
        "height": shape.height,
        "width": shape.width,
        "kernel": shape.kernel,
        "stride": shape.stride,
        "pad": shape.pad,
        "layout": layout,
    }


def lstm_params(layout: str, shape: LstmShape = LSTM) -> dict[str, Any]:
    return {
        "seq": shape.seq,
        "batch": shape.batch,
        "input": shape.input,
        "hidden": shape.hidden,
        "layers": 1,
        "layout": layout,
    }


# --------------------------------------------------------------------------- command line


@dataclass(frozen=True)
class ProbeArgs:
    budget: Budget
    device: str  # "auto", "cpu" or "gpu", as requested
    output: str | None
    ops: tuple[str, ...] | None  # None: every op the probe has
    ready_fd: int | None  # two-phase start: say "ready" here, then wait for "go" on stdin
    stdout: TextIO  # the real standard output, kept for the JSON document


def _parse_ops(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [name for name in names if name not in KNOWN_OPS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown op(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(KNOWN_OPS)}"
        )
    return names


def _parser(probe: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"probe_{probe}.py",
        description=f"dlselect live probe for {probe}: micro-benchmarks, JSON out.",
    )
    parser.add_argument(
        "--budget",
        choices=sorted(BUDGETS),
        default="quick",
        help="quick: gemm n=512, conv batch 8, 7 samples of >=20 ms; "
        "full: n=1024, batch 32, 21 samples of >=100 ms (default: quick)",
    )
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "gpu"),
        default="auto",
        help="auto: the GPU if the framework sees one, else the CPU; gpu without one exits 4",
    )
    parser.add_argument("--output", metavar="PATH", help="write the JSON here (else stdout)")
    parser.add_argument("--ops", type=_parse_ops, metavar="OP[,OP...]", help="subset of ops")
    parser.add_argument(
        "--ready-fd",
        type=_parse_fd,
        metavar="FD",
        help="write 'ready' on this descriptor once prepared, then wait for 'go' on stdin",
    )
    return parser


def _parse_fd(text: str) -> int:
    try:
        fd = int(text)
    except ValueError:
        fd = -1
    if fd < 0:
        raise argparse.ArgumentTypeError(f"not a file descriptor: {text!r}")
    return fd


def start(probe: str, argv: Sequence[str] | None = None) -> ProbeArgs:
    """Parse the command line (exit 2 on misuse) and keep stdout clean for the JSON document."""
    ns = _parser(probe).parse_args(argv)
    return ProbeArgs(
        budget=BUDGETS[ns.budget],
        device=ns.device,
        output=ns.output,
        ops=ns.ops,
        ready_fd=ns.ready_fd,
        stdout=_guard_stdout(),
    )


def _guard_stdout() -> TextIO:
    """Point file descriptor 1 at stderr and return a handle on the original stdout.

    Frameworks and their native libraries print banners and warnings; when the document goes to
    stdout, that noise must not corrupt it, so everything else written to fd 1 goes to stderr.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(saved, "w", encoding="utf-8")


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    line = f"{type(exc).__name__}: {text}"
    return line if len(line) <= limit else line[: limit - 3] + "..."


def import_framework(module: str) -> Any:
    """Import ``module`` or exit 3 with one line on stderr (the engine's "import failed")."""
    import importlib  # local: only needed here

    try:
        return importlib.import_module(module)
    except Exception as exc:  # broad on purpose: broken native libraries raise OSError etc.
        fail(EXIT_IMPORT_FAILED, f"import failed: {module}: {_one_line(exc)}")


def resolve_device(requested: str, gpu_available: bool, probe: str) -> str:
    """``auto`` takes the GPU when the framework sees one; ``gpu`` without one exits 4."""
    if requested == "cpu" or (requested == "auto" and not gpu_available):
        return "cpu"
    if gpu_available:
        return "gpu"
    fail(EXIT_DEVICE_UNAVAILABLE, f"device unavailable: {probe} sees no GPU")


def fail(code: int, message: str) -> NoReturn:
    sys.stderr.flush()
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(code)


# --------------------------------------------------------------------------- operations

Sync = Callable[[object], None]
"""Waits until the work behind the given op output (or None) is finished."""


class WrongResult(Exception):
    """An op's check found its result outside the tolerance of its precision."""


@dataclass(frozen=True)
class OpSpec:
    """One prepared operation: inputs allocated, graph built, ready to be called."""

    fn: Callable[[], object]  # one op call; returns its output, which is handed to ``sync``
    flops: int | None  # None where FLOPs are not counted (training steps); gflops is then None
    dtype: str
    params: Mapping[str, Any]
    kernel: str
    device: str
    note: str | None = None
    precision: str = "fp32"  # what really ran: one of PRECISIONS
    # Max relative error of the op's result on a small instance against a float64 reference
    # (``max_rel_error``); called once, after the timing.
    check: Callable[[], float] | None = None
    # Training steps: examples per call (gives samples_per_s and first_step_s) and the loss of
    # the first call (``loss0``, asked for right after that call).
    examples: int | None = None
    loss0: Callable[[], float] | None = None
    # Set by ``grow``, which has already made (and timed) the first call at the chosen size.
    first_call_s: float | None = None

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision {self.precision!r} not one of {', '.join(PRECISIONS)}")


# Builds an op: allocates inputs and layers. Anything that compiles must wait for the first call
# of ``fn``, so that its time lands in first_call_s, measured while no other probe runs.
OpBuilder = Callable[[], OpSpec]


@dataclass(frozen=True)
class Grown:
    """A builder whose problem size is picked by ``grow``. Growing times calls, so ``run_ops``
    calls this builder only after the runner's go, when no other probe is measuring."""

    build_for_size: Callable[[int], OpSpec]
    sizes: tuple[int, ...]
    sync: Sync
    min_call_s: float = MIN_GPU_CALL_S

    def __call__(self) -> OpSpec:
        return grow(self.build_for_size, self.sizes, self.sync, self.min_call_s)


def kernel_builders(
    gemm: Callable[..., OpSpec],
    conv2d: Callable[[int], OpSpec],
    lstm: OpBuilder,
    device: str,
    budget: Budget,
    sync: Sync,
    tf32: bool,
) -> dict[str, OpBuilder]:
    """The standard kernels, laid out the same way for every framework that has them all.

    ``gemm(dtype, n, precision=...)`` and ``conv2d(batch)`` build a spec for one size. On the
    CPU the budget's sizes; on a GPU, GEMM (float32, TF32 where ``tf32``, float16, bfloat16) and
    conv2d grow until a call keeps the device busy (``grow``)."""
    if device == "cpu":
        return {
            "gemm": partial(gemm, "float32", budget.gemm_n),
            "conv2d": partial(conv2d, budget.conv_batch),
            "lstm": lstm,
        }
    builders: dict[str, OpBuilder] = {"gemm": Grown(partial(gemm, "float32"), GPU_GEMM_SIZES, sync)}
    if tf32:
        builders["gemm_tf32"] = Grown(partial(gemm, "float32", precision="tf32"),
                                      GPU_GEMM_SIZES, sync)
    for dtype, name in (("float16", "gemm_fp16"), ("bfloat16", "gemm_bf16")):
        builders[name] = Grown(partial(gemm, dtype), GPU_GEMM_SIZES, sync)
    builders["conv2d"] = Grown(conv2d, GPU_CONV_BATCHES, sync)
    builders["lstm"] = lstm
    return builders


def grow(
    build_for_size: Callable[[int], OpSpec],
    sizes: Sequence[int],
    sync: Sync,
    min_call_s: float = MIN_GPU_CALL_S,
) -> OpSpec:
    """The spec of the first size in ``sizes`` whose call takes at least ``min_call_s`` (else of
    the largest). Each size tried is called once (compile, autotune) and then timed over
    ``GROW_TIMED_CALLS`` queued calls; the chosen spec keeps its first call's time as
    ``first_call_s``, and its note says how the size was chosen."""
    if not sizes:
        raise ValueError("grow needs at least one size")
    for index, size in enumerate(sizes):
        spec = build_for_size(size)
        first_s = time_loop(spec.fn, sync, 1)
        per_call_s = time_loop(spec.fn, sync, GROW_TIMED_CALLS) / GROW_TIMED_CALLS
        last = index == len(sizes) - 1
        if per_call_s >= min_call_s or last:
            reached = "reached" if per_call_s >= min_call_s else "largest tried; not reached"
            why = (
                f"size {size} of {', '.join(map(str, sizes))}: the first whose call takes "
                f">= {min_call_s * 1e3:g} ms ({per_call_s * 1e3:.3g} ms; {reached})"
            )
            note = why if spec.note is None else f"{spec.note}; {why}"
            return replace(spec, first_call_s=first_s, note=note)
        del spec  # free the device memory of this size before allocating the next
    raise AssertionError("unreachable")


def time_loop(fn: Callable[[], object], sync: Sync, loops: int) -> float:
    """Seconds for ``loops`` calls, with ``sync`` before each clock read."""
    out: object = None
    sync(out)
    start_s = time.perf_counter()
    for _ in range(loops):
        out = fn()
    sync(out)
    return time.perf_counter() - start_s


def calibrate(fn: Callable[[], object], sync: Sync, min_sample_s: float) -> int:
    """Grow the inner loop count until one sample lasts at least ``min_sample_s``."""
    loops = 1
    while True:
        elapsed = time_loop(fn, sync, loops)
        if elapsed >= min_sample_s or loops >= MAX_INNER_LOOPS:
            return loops
        # Aim 20 % past the target so the next try usually lands; always at least double.
        wanted = math.ceil(loops * min_sample_s / max(elapsed, 1e-9) * 1.2)
        loops = min(MAX_INNER_LOOPS, max(2 * loops, wanted))


def timed_samples(fn: Callable[[], object], sync: Sync,
                  budget: Budget) -> tuple[int, list[float]]:
    """Calibrate, then ``budget.samples`` timed samples: the inner loop count and the seconds
    per call of each sample (all positive and finite, else ``RuntimeError``)."""
    loops = calibrate(fn, sync, budget.min_sample_s)
    per_call = [time_loop(fn, sync, loops) / loops for _ in range(budget.samples)]
    if not all(t > 0 and math.isfinite(t) for t in per_call):
        raise RuntimeError(f"clock gave a non-positive or non-finite sample ({per_call!r})")
    return loops, per_call


def summarize(per_call_s: Sequence[float]) -> tuple[float, float]:
    """Median and interquartile range (quartiles by the 'inclusive' method)."""
    q1, _, q3 = statistics.quantiles(per_call_s, n=4, method="inclusive")
    return statistics.median(per_call_s), q3 - q1


def measure(spec: OpSpec, sync: Sync, budget: Budget, *,
            checked: dict[str, Any] | None = None) -> dict[str, Any]:
    """First call, calibration, ``budget.samples`` timed samples, then the op's check (unless
    ``checked`` brings its result, made while the op was prepared).

    Raises ``WrongResult`` when the check finds the result outside its precision's tolerance.
    """
    if spec.first_call_s is None:
        first_call_s = time_loop(spec.fn, sync, 1)
    else:
        first_call_s = spec.first_call_s  # made by grow at the chosen size
    loss0 = None if spec.loss0 is None else _finite("loss0", spec.loss0())
    loops, per_call = timed_samples(spec.fn, sync, budget)
    median_s, iqr_s = summarize(per_call)
    if iqr_s / median_s > UNSTABLE_IQR_RATIO:
        # Unstable: measured once more at once, in this process (no second import or compile),
        # and the steadier set of samples kept. Still unstable, the runner measures it again
        # in a fresh process; never cached as is.
        loops_2, per_call_2 = timed_samples(spec.fn, sync, budget)
        median_2, iqr_2 = summarize(per_call_2)
        if iqr_2 / median_2 < iqr_s / median_s:
            loops, per_call, median_s, iqr_s = loops_2, per_call_2, median_2, iqr_2
    result: dict[str, Any] = {
        "device": spec.device,
        "dtype": spec.dtype,
        "precision": spec.precision,
        "params": dict(spec.params),
        "flops": spec.flops,
        "first_call_s": first_call_s,
        "median_s": median_s,
        "iqr_s": iqr_s,
        "samples": len(per_call),
        "inner_loops": loops,
        "gflops": spec.flops / median_s / 1e9 if spec.flops else None,
        "unstable": iqr_s / median_s > UNSTABLE_IQR_RATIO,
        "kernel": spec.kernel,
        "note": spec.note,
        "check": checked if checked is not None or spec.check is None
        else run_check(spec.check, spec.precision),
    }
    if spec.examples is not None:
        result["samples_per_s"] = spec.examples / median_s
        result["first_step_s"] = first_call_s
    if loss0 is not None:
        result["loss0"] = loss0
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


def _finite(name: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise RuntimeError(f"{name} is not finite ({number!r})")
    return number


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


def tf32_possible(compute_capability: tuple[int, int] | None) -> bool:
    """Whether a GPU can run TF32: NVIDIA compute capability 8.0 (Ampere) or later, and not
    switched off for every library by ``NVIDIA_TF32_OVERRIDE=0``. Unknown capability: no."""
    if compute_capability is None or os.environ.get("NVIDIA_TF32_OVERRIDE") == "0":
        return False
    return tuple(compute_capability) >= (8, 0)


@dataclass
class OpResults:
    ops: dict[str, dict[str, Any]]
    op_errors: dict[str, str]
    unsupported_ops: list[str]
    waited_s: float = 0.0  # time spent waiting for the runner's go, left out of elapsed_s
    #: op -> why the framework cannot run it, where the probe says
    unsupported_reasons: dict[str, str] = field(default_factory=dict)


def run_ops(args: ProbeArgs, builders: Mapping[str, OpBuilder], sync: Sync,
            unsupported: Mapping[str, str] | None = None) -> OpResults:
    """Prepare the requested ops, wait for the runner's go, then measure them one by one.

    Requested means ``--ops`` when given, otherwise every op the probe built plus the standard
    ones (gemm, conv2d, lstm). Requested ops without a builder (the framework lacks them, or they
    need a GPU) are listed as unsupported. An op that raises, while being prepared or measured,
    is recorded in ``op_errors`` and the others go on.
    """
    wanted = args.ops or (*builders, *(op for op in STANDARD_OPS if op not in builders))
    wanted = [op for op in wanted if op not in MULTI_DEVICE_OPS]  # measured by _multidevice
    results = OpResults(ops={}, op_errors={}, unsupported_ops=[])
    specs: dict[str, OpSpec | Grown] = {}
    checked: dict[str, dict[str, Any]] = {}
    for name in wanted:
        if name not in builders:
            results.unsupported_ops.append(name)
            if unsupported and name in unsupported:
                results.unsupported_reasons[name] = unsupported[name]
            continue
        builder = builders[name]
        if isinstance(builder, Grown):
            specs[name] = builder  # it times calls: built after the go
            continue
        with _op_errors(results, name):
            spec = builder()
            # The correctness check times nothing: it runs now, side by side with the other
            # probes' imports, not in the measuring turn (compiling a small instance and the
            # float64 reference take seconds in some frameworks). A wrong op is not measured.
            # A training step's check needs its first loss: it runs after the first step.
            if spec.check is not None and spec.loss0 is None:
                checked[name] = run_check(spec.check, spec.precision)
            specs[name] = spec
    results.waited_s = _handshake(args.ready_fd)
    for name, prepared in specs.items():
        with _op_errors(results, name):
            spec = prepared() if isinstance(prepared, Grown) else prepared
            results.ops[name] = measure(spec, sync, args.budget, checked=checked.get(name))
    return results


@contextmanager
def _op_errors(results: OpResults, name: str) -> Iterator[None]:
    try:
        yield
    except WrongResult as exc:  # the op ran; its result is wrong: no traceback to show
        print(f"{name}: {exc}", file=sys.stderr)
        results.op_errors[name] = str(exc)
    except Exception as exc:  # broad on purpose: one op failing is data, not a crash
        traceback.print_exc(file=sys.stderr)
        results.op_errors[name] = _one_line(exc)


def _handshake(ready_fd: int | None) -> float:
    """Tell the runner this probe is prepared, block until it says ``go`` on stdin.

    Returns the seconds spent waiting (the runner measures other probes meanwhile).
    """
    if ready_fd is None:
        return 0.0
    try:
        os.write(ready_fd, b"ready\n")
    finally:
        os.close(ready_fd)
    start_s = time.perf_counter()
    if sys.stdin.readline().strip() != "go":
        fail(1, "stopped before measuring: stdin closed without 'go'")
    return time.perf_counter() - start_s


# --------------------------------------------------------------------------- description


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cpus() -> int:
    """CPUs this process may run on (affinity mask), falling back to the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cpu_device() -> dict[str, Any]:
    return {"kind": "cpu", "name": cpu_model(), "threads": usable_cpus()}


def gpu_device(index: int, name: str | None, memory_bytes: int | None) -> dict[str, Any]:
    """A GPU entry; ``name`` falls back to a placeholder where the framework reports none."""
    label = name or f"unknown (GPU {index}; the framework reports no name)"
    return {"kind": "gpu", "name": label, "memory_bytes": memory_bytes, "index": index}


def build_info(
    cuda: str | None = None,
    cudnn: str | None = None,
    blas: str | None = None,
    other: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {"cuda": cuda, "cudnn": cudnn, "blas": blas, "other": dict(other or {})}


def numpy_blas(np: Any) -> str | None:
    """numpy's BLAS as "name version (openblas configuration)", or None if it won't say."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:  # numpy < 1.26 has no mode="dicts"; its BLAS then goes unrecorded
        return None
    config = blas.get("openblas configuration")
    text = f"{blas.get('name')} {blas.get('version')}"
    return f"{text} ({' '.join(config.split())})" if config else text


# Symbol prefixes/suffixes under which OpenBLAS builds export their introspection functions:
# plain (mxnet's bundled copy), scipy-openblas with 32-bit ints (scipy) and 64-bit ints
# (numpy >= 2), numpy 1.x's "64_".
_OPENBLAS_SYMBOLS = (
    ("openblas_", ""),
    ("scipy_openblas_", ""),
    ("scipy_openblas_", "64_"),
    ("openblas_", "64_"),
)


def openblas_runtime(library_globs: Sequence[str]) -> dict[str, Any] | None:
    """Ask an OpenBLAS already loaded by the framework which core and threads it chose.

    The core is picked at load time from the CPU (or OPENBLAS_CORETYPE); an old OpenBLAS that
    does not know the CPU falls back to a slow generic core, which explains a slow GEMM.
    ``library_globs`` are file patterns of the library the framework itself loaded; dlopen on
    the same path returns that very instance.
    """
    import ctypes  # local: only probes that use OpenBLAS need it
    import glob

    for path in sorted({p for pattern in library_globs for p in glob.glob(pattern)}):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in _OPENBLAS_SYMBOLS:
            info = _openblas_query(lib, prefix, suffix)
            if info is not None:
                return {"library": os.path.basename(path), **info}
    return None


def _openblas_query(lib: Any, prefix: str, suffix: str) -> dict[str, Any] | None:
    import ctypes

    try:
        config = getattr(lib, f"{prefix}get_config{suffix}")
        core = getattr(lib, f"{prefix}get_corename{suffix}")
        threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
    except AttributeError:
        return None
    config.restype = core.restype = ctypes.c_char_p
    threads.restype = ctypes.c_int
    return {
        "config": config().decode(errors="replace").strip(),
        "core": core().decode(errors="replace").strip(),
        "threads": int(threads()),
    }


def recorded_env() -> dict[str, str]:
    return {name: os.environ[name] for name in RECORDED_ENV if name in os.environ}


@dataclass(frozen=True)
class ProbeInfo:
    probe: str
    framework: str
    version: str
    build: Mapping[str, Any]
    devices: list[dict[str, Any]]
    framework_threads: int | None  # intra-op threads as the framework reports them
    stands_for: str | None = None


def document(args: ProbeArgs, info: ProbeInfo, results: OpResults,
             multi_device: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The probe's JSON document, schema_version 1 (see docs/probes.md); ``multi_device``
    (the ``allreduce`` and ``scaling`` results, when asked for) is an optional key."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "probe": info.probe,
        "framework": info.framework,
        "stands_for": info.stands_for,
        "version": info.version,
        "build": dict(info.build),
        "python": {"version": platform.python_version(), "executable": sys.executable},
        "budget": args.budget.name,
        "device_requested": args.device,
        "devices": info.devices,
        "threads": {"framework": info.framework_threads, "cpu_count": os.cpu_count()},
        "env": recorded_env(),
        "ops": results.ops,
        "unsupported_ops": results.unsupported_ops,
        "unsupported_reasons": results.unsupported_reasons,
        "op_errors": results.op_errors,
        "elapsed_s": time.perf_counter() - _STARTED - results.waited_s,
    }
    if multi_device:
        doc["multi_device"] = dict(multi_device)
    return doc


def emit(doc: Mapping[str, Any], args: ProbeArgs) -> None:
    """Write the document to ``--output`` atomically (tmp file, then rename) or to stdout."""
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    if args.output is None:
        args.stdout.write(text)
        args.stdout.flush()
    else:
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, args.output)


def exit_now(code: int) -> NoReturn:
    """End a probe run as a script: the result is already written (``emit``). Tearing down a
    framework's interpreter takes up to a second (TensorFlow about 1 s, torch 0.4 s) that the
    runner would otherwise wait out before the next probe may measure, and nothing of value
    happens in it, so skip it. Only for ``__main__``: never call it from an importer."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
