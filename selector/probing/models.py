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


#: A device's vendor class as the probe's framework tells it (a hardware target's
#: ``device_class`` in the knowledge base).
DeviceClass = Literal["cuda", "rocm", "mps", "xpu", "tpu", "cpu"]


class Device(ForbidExtra):
    kind: Literal["cpu", "gpu"]
    name: str
    threads: int | None = None
    memory_bytes: int | None = None
    index: int | None = None
    #: Absent in documents of probes that predate it (and where the framework does not say).
    device_class: DeviceClass | None = None

    @property
    def vendor_class(self) -> str:
        """The device class, with the old documents' meaning where it is absent: a CPU is
        ``cpu``, a GPU is ``cuda`` (the probes saw GPUs through CUDA only)."""
        if self.device_class is not None:
            return self.device_class
        return "cpu" if self.kind == "cpu" else "cuda"


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
#: Earlier runs' medians kept per op (``OpResult.earlier_median_s``).
EARLIER_RUNS = 4
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
    #: ``median_s`` of the same op in earlier runs with the same cache key (same interpreter,
    #: versions, host, environment and probe code), newest first: the spread between runs,
    #: which one run's interquartile range does not show (docs/probes-in-ranking.md).
    earlier_median_s: list[float] = Field(default=[], max_length=EARLIER_RUNS)

    @field_validator(
        "flops", "first_call_s", "median_s", "iqr_s", "gflops", "samples_per_s", "first_step_s",
        "loss0",
    )
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        return _must_be_finite(value)

    @field_validator("earlier_median_s")
    @classmethod
    def _positive_seconds(cls, value: list[float]) -> list[float]:
        if not all(math.isfinite(v) and 0 < v <= MAX_SECONDS for v in value):
            raise ValueError(f"each must be positive, finite and at most {MAX_SECONDS:g} s")
        return value


#: Bytes of one all-reduce buffer (the probes go to 64 MiB; a file may hold larger).
MAX_BUFFER_BYTES = 1 << 40
#: GB/s of one link or bus (NVLink 5 is 1.8 TB/s per GPU).
MAX_GBPS = 1e5
#: Devices in one multi-device measurement.
MAX_DEVICES = 1_000_000


class Timing(ForbidExtra):
    """One timed collective or step: first call, median and interquartile range of a call."""

    first_call_s: float = Field(ge=0, le=MAX_SECONDS)
    median_s: float = Field(gt=0, le=MAX_SECONDS)
    iqr_s: float = Field(ge=0, le=MAX_SECONDS)
    samples: int = Field(ge=1, le=MAX_SAMPLES)
    inner_loops: int = Field(ge=1, le=MAX_INNER_LOOPS)
    unstable: bool

    @field_validator("first_call_s", "median_s", "iqr_s")
    @classmethod
    def _finite(cls, value: float) -> float:
        return _must_be_finite(value) or 0.0


class AllreduceSize(Timing):
    bytes: int = Field(ge=1, le=MAX_BUFFER_BYTES)
    #: bytes / median time
    algbw_gbps: float = Field(gt=0, le=MAX_GBPS)
    #: nccl-tests' bus bandwidth: algbw x 2(n-1)/n
    bus_gbps: float = Field(ge=0, le=MAX_GBPS)


class StepTiming(Timing):
    #: training examples per second over all the run's devices
    samples_per_s: float = Field(gt=0, le=MAX_SAMPLES_PER_S)


class _MultiDeviceOp(ForbidExtra):
    devices: int = Field(ge=1, le=MAX_DEVICES)
    #: devices simulated on CPU cores (processes, XLA host devices): shown, never ranked
    simulated: bool
    device: str
    backend: str
    threads_per_device: int | None = None
    check: OpCheck | None = None
    kernel: str | None = None
    note: str | None = None


class AllreduceResult(_MultiDeviceOp):
    """``allreduce``: a float32 sum all-reduce across ``devices``, per buffer size."""

    dtype: str = "float32"
    sizes: list[AllreduceSize] = Field(min_length=1)

    def peak_bus_gbps(self) -> float:
        return max(s.bus_gbps for s in self.sizes)


class ScalingResult(_MultiDeviceOp):
    """``scaling``: the train_cnn step on one and on ``devices`` devices (weak scaling)."""

    model: str
    batch_per_device: int = Field(ge=1)
    single: StepTiming
    multi: StepTiming
    #: throughput on n devices / (n x throughput on one)
    efficiency: float = Field(gt=0, le=10.0)


class MultiDevice(ForbidExtra):
    """The ``multi_device`` section of a probe document (docs/probes.md)."""

    allreduce: AllreduceResult | None = None
    scaling: ScalingResult | None = None
    #: Between nodes, one rank per node (``dlselect probe --cluster``; never written by a probe)
    inter_node: AllreduceResult | None = None


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
    #: ``allreduce`` and ``scaling``, when the probe was asked for them
    multi_device: MultiDevice | None = None


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
    #: ``allreduce`` and ``scaling`` (docs/probes.md, "Multi-device ops"), when asked for
    multi_device: MultiDevice | None = None
    cached: bool = False
    elapsed_s: float | None = None
    #: the machine before and after the measurement (CPU frequency; GPU clocks, temperature
    #: and throttle reasons with nvidia-ml-py), and what changed in between
    machine: dict[str, object] | None = None
    machine_changes: list[str] = []


class NodeStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    TIMEOUT = "timeout"


class NodeReport(ForbidExtra):
    """One node of a cluster probe run (``dlselect probe --cluster``, docs/cluster.md): who it
    is, its hardware, and its own probe results; a node that died, hung or could not run
    dlselect has a status and a reason instead."""

    node_id: str
    hostname: str | None = None
    ip: str | None = None
    status: NodeStatus
    reason: str | None = None
    #: the node's host facts (as ``host`` of a one-machine report)
    host: dict[str, object] = {}
    results: list[Outcome] = []
    warnings: list[str] = []
    #: GPUs Ray counts on the node (its ``GPU`` resource)
    gpus: int | None = None
    #: the thread, device and precision variables the node's probes ran with (Ray's
    #: ``OMP_NUM_THREADS`` cap removed)
    probe_env: dict[str, str] = {}
    elapsed_s: float | None = None


class InterNode(ForbidExtra):
    """An all-reduce between nodes, one rank per node."""

    framework: str
    version: str | None = None
    #: node ids of the ranks, rank 0 first
    nodes: list[str]
    result: AllreduceResult


class ClusterInfo(ForbidExtra):
    #: as given: a Ray address, ``auto`` or ``local:N``
    address: str
    #: ``local:N``, or nodes that all share one machine: their figures are never ranked
    simulated: bool
    nodes_alive: int = Field(ge=0)
    ray_version: str | None = None
    #: seconds from the first call to Ray until the cluster was ready (``local:N`` starts it)
    startup_s: float | None = None


class ProbeReport(ForbidExtra):
    schema_version: Literal[1] = PROBE_REPORT_SCHEMA_VERSION
    tool: Literal["dlselect"] = "dlselect"
    host: dict[str, object]
    budget: str
    results: list[Outcome]
    warnings: list[str] = []
    #: ``dlselect probe --cluster``: the cluster, one report per node, the inter-node figures
    #: (``results`` is then empty; each node has its own)
    cluster: ClusterInfo | None = None
    nodes: list[NodeReport] = []
    inter_node: list[InterNode] = []
