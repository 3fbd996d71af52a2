"""The probe JSON (probe schema_version 1) as validated at the trust boundary, and what the
runner reports for each framework."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PROBE_SCHEMA_VERSION: Literal[1] = 1
#: Version of ``dlselect probe --format json`` (a report of several probe outcomes).
PROBE_REPORT_SCHEMA_VERSION: Literal[1] = 1


class _Open(BaseModel):
    # Probe output crosses a process boundary: unknown keys are refused.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Device(_Open):
    kind: Literal["cpu", "gpu"]
    name: str
    threads: int | None = None
    memory_bytes: int | None = None
    index: int | None = None


class OpResult(_Open):
    device: str
    dtype: str
    params: dict[str, object] = {}
    flops: float = Field(gt=0)
    first_call_s: float = Field(ge=0)
    median_s: float = Field(gt=0)
    iqr_s: float = Field(ge=0)
    samples: int = Field(ge=1)
    inner_loops: int = Field(ge=1)
    gflops: float = Field(gt=0)
    unstable: bool
    kernel: str | None = None
    note: str | None = None

    @field_validator("flops", "first_call_s", "median_s", "iqr_s", "gflops")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be finite")
        return value


class ProbeDocument(_Open):
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
    op_errors: dict[str, str] = {}
    elapsed_s: float = Field(ge=0)


class ProbeStatus(StrEnum):
    OK = "ok"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"
    TIMEOUT = "timeout"


class Outcome(BaseModel):
    """One framework in one interpreter: what happened, and the measurement if any."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    framework: str
    version: str | None = None
    interpreter: str | None = None
    status: ProbeStatus
    reason: str | None = None
    stands_for: str | None = None
    devices: list[Device] = []
    ops: dict[str, OpResult] = {}
    op_errors: dict[str, str] = {}
    cached: bool = False
    elapsed_s: float | None = None


class ProbeReport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = PROBE_REPORT_SCHEMA_VERSION
    tool: Literal["dlselect"] = "dlselect"
    host: dict[str, object]
    budget: str
    results: list[Outcome]
    warnings: list[str] = []
