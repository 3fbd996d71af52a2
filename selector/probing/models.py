"""The probe JSON (probe schema_version 1) as validated at the trust boundary, and what the
runner reports for each framework."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

# Probe output crosses a process boundary: unknown keys are refused.
from selector.models import ForbidExtra

PROBE_SCHEMA_VERSION: Literal[1] = 1
#: Version of ``dlselect probe --format json`` (a report of several probe outcomes).
PROBE_REPORT_SCHEMA_VERSION: Literal[1] = 1


class Device(ForbidExtra):
    kind: Literal["cpu", "gpu"]
    name: str
    threads: int | None = None
    memory_bytes: int | None = None
    index: int | None = None


def _must_be_finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError("must be finite")
    return value


class OpCheck(ForbidExtra):
    """The op's result on a small instance against a float64 reference (docs/probes.md)."""

    max_rel_error: float = Field(ge=0)
    ok: bool

    @field_validator("max_rel_error")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be finite")
        return value


# Bounds on what a measurement can be. A probe-results file crosses a trust boundary (it may
# come from another machine or be edited by hand), and a figure far beyond any machine would
# crown a framework on its own: the speed criterion is min-max scaled over the frameworks.
# The bounds are generous: an H200 does about 1e6 GFLOP/s in dense FP16 and 2e6 in FP8, and the
# runner kills a probe after minutes, not days.
#: GFLOP/s of one device (10 PFLOP/s).
MAX_GFLOPS = 1e7
#: FLOPs of one call (an hour of an H200 at full speed is about 4e18).
MAX_FLOPS = 1e18
#: Any duration a probe reports, in seconds (a day).
MAX_SECONDS = 86_400.0
#: Timed samples and inner loops of one op.
MAX_SAMPLES = 1_000_000
MAX_INNER_LOOPS = 1_000_000_000
#: Training examples per second.
MAX_SAMPLES_PER_S = 1e9


class OpResult(ForbidExtra):
    device: str
    dtype: str
    #: What really ran: float32 math, TF32 tensor-core math on float32 data, bfloat16, float16.
    precision: Literal["fp32", "tf32", "bf16", "fp16"] = "fp32"
    params: dict[str, object] = {}
    #: None where FLOPs are not counted (a training step); gflops is then None too.
    flops: float | None = Field(default=None, gt=0, le=MAX_FLOPS)
    first_call_s: float = Field(ge=0, le=MAX_SECONDS)
    median_s: float = Field(gt=0, le=MAX_SECONDS)
    iqr_s: float = Field(ge=0, le=MAX_SECONDS)
    samples: int = Field(ge=1, le=MAX_SAMPLES)
    inner_loops: int = Field(ge=1, le=MAX_INNER_LOOPS)
    gflops: float | None = Field(default=None, gt=0, le=MAX_GFLOPS)
    unstable: bool
    kernel: str | None = None
    note: str | None = None
    #: Absent in documents of probes that predate checks.
    check: OpCheck | None = None
    #: Training steps: examples per second, the first step's time and its loss.
    samples_per_s: float | None = Field(default=None, gt=0, le=MAX_SAMPLES_PER_S)
    first_step_s: float | None = Field(default=None, ge=0, le=MAX_SECONDS)
    loss0: float | None = None

    @field_validator(
        "flops", "first_call_s", "median_s", "iqr_s", "gflops", "samples_per_s", "first_step_s",
        "loss0",
    )
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        return _must_be_finite(value)


class ProbeDocument(ForbidExtra):
    schema_version: Literal[1]
    probe: str
    framework: str
    stands_for: str | None = None
    version: str
    build: dict[str, object] = {}
    python: dict[str, str] = {}
    budget: str
    device_requested: str
    devices: list[Device]
    threads: dict[str, object] = {}
    env: dict[str, str] = {}
    ops: dict[str, OpResult]
    unsupported_ops: list[str] = []
    #: op -> why the framework cannot run it, where the probe says (e.g. no autodiff)
    unsupported_reasons: dict[str, str] = {}
    op_errors: dict[str, str] = {}
    elapsed_s: float = Field(ge=0, le=MAX_SECONDS)


class ProbeStatus(StrEnum):
    OK = "ok"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"
    TIMEOUT = "timeout"


class Outcome(ForbidExtra):
    """One framework in one interpreter: what happened, and the measurement if any."""

    framework: str
    version: str | None = None
    interpreter: str | None = None
    status: ProbeStatus
    reason: str | None = None
    stands_for: str | None = None
    devices: list[Device] = []
    ops: dict[str, OpResult] = {}
    op_errors: dict[str, str] = {}
    #: op -> why the framework cannot run it, where the probe says
    unsupported: dict[str, str] = {}
    cached: bool = False
    elapsed_s: float | None = None
    #: the machine before and after the measurement (CPU frequency; GPU clocks, temperature
    #: and throttle reasons with nvidia-ml-py), and what changed in between
    machine: dict[str, object] | None = None
    machine_changes: list[str] = []


class ProbeReport(ForbidExtra):
    schema_version: Literal[1] = PROBE_REPORT_SCHEMA_VERSION
    tool: Literal["dlselect"] = "dlselect"
    host: dict[str, object]
    budget: str
    results: list[Outcome]
    warnings: list[str] = []
