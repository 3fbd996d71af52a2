"""What every probe measures: the op names, the budgets, the problem shapes and their FLOPs,
and ``OpSpec``, one prepared operation (standard library only, part of the probe harness).

The shapes of the three standard operations are defined here so that every probe measures exactly
the same problem and the figures compare across frameworks. This module imports no sibling: the
benchmarks load it by its path, without ``probes/`` on ``sys.path``, to read ``BUDGETS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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


if TYPE_CHECKING:
    Sync = Callable[[object], None]
else:  # collections.abc.Callable takes no [...] before Python 3.9, and the probes run on 3.8
    Sync = Callable
"""Waits until the work behind the given op output (or None) is finished."""


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
if TYPE_CHECKING:
    OpBuilder = Callable[[], OpSpec]
else:  # no [...] on collections.abc.Callable or dict before Python 3.9 (probes run on 3.8)
    OpBuilder = Callable
