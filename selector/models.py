"""The domain model: what is read from outside (strict) and what the engine returns (frozen)."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from selector.vocab import (
    DEFAULT_SNAPSHOT,
    Deployment,
    Hardware,
    Language,
    Method,
    Objective,
    Status,
    Task,
)

#: Version of the knowledge-file format (snapshots and overlays). Bump on incompatible change.
KNOWLEDGE_SCHEMA_VERSION: Literal[1] = 1
#: Version of the JSON recommendation contract; see docs/json-contract.md for its history.
RECOMMENDATION_SCHEMA_VERSION: Literal[1] = 1


Ident = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Strict(BaseModel):
    """Data read from outside: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Frozen(BaseModel):
    """Values the engine builds and returns."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- knowledge ------------------------------------------------------------------------------


class Source(Strict):
    """A document a score rests on, named so that anyone can find it."""

    id: Ident
    title: Text
    author: Text | None = None
    publisher: Text | None = None
    url: Text | None = None
    published: date | None = None
    note: Text | None = None


class Criterion(Strict):
    id: Ident
    name: Text
    description: Text
    objective: Objective = Objective.MAX
    default_weight: float = Field(ge=0.0, allow_inf_nan=False)


class Framework(Strict):
    id: Ident
    name: Text
    languages: list[Language] = Field(min_length=1)
    status: Status
    status_as_of: date | None = None
    status_source: Ident | None = None
    status_note: Text | None = None
    #: The source of the languages, hardware and deployment lists.
    source: Ident | None = None
    #: Hardware the framework can use at all; ``None`` means the snapshot does not say.
    hardware: list[Hardware] | None = None
    #: Deployment targets it can serve at all; ``None`` means the snapshot does not say.
    deployment: list[Deployment] | None = None


class Score(Strict):
    framework: Ident
    criterion: Ident
    value: float = Field(allow_inf_nan=False)
    source: Ident
    as_of: date
    rationale: Text
    #: The sentence of the source the score rests on, where it has one to quote.
    quote: Text | None = None
    #: Set by dlselect, not by hand: the overlay this score came from, and the value it replaced.
    overlay: Ident | None = None
    replaces: float | None = None


class Scale(Strict):
    min: float = Field(allow_inf_nan=False)
    max: float = Field(allow_inf_nan=False)


class Emphasis(Strict):
    """How the profile shifts weight: criterion -> factor, per task, hardware and target."""

    task: dict[Task, dict[Ident, Annotated[float, Field(ge=0.0, allow_inf_nan=False)]]] = {}
    hardware: dict[Hardware, dict[Ident, Annotated[float, Field(ge=0.0, allow_inf_nan=False)]]] = {}
    deployment: dict[Deployment, dict[Ident, Annotated[float, Field(ge=0.0,
                                                                    allow_inf_nan=False)]]] = {}


class Snapshot(Strict):
    schema_version: Literal[1]
    kind: Literal["snapshot"] = "snapshot"
    id: Ident
    title: Text
    as_of: date
    description: Text
    scale: Scale
    emphasis: Emphasis = Emphasis()
    sources: list[Source] = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)
    frameworks: list[Framework] = Field(min_length=1)
    scores: list[Score] = Field(min_length=1)
    #: Set by dlselect, not by hand: the overlay applied to this snapshot.
    overlay: Ident | None = None

    def criterion(self, cid: str) -> Criterion:
        return next(c for c in self.criteria if c.id == cid)

    def framework(self, fid: str) -> Framework:
        return next(f for f in self.frameworks if f.id == fid)

    def source(self, sid: str) -> Source:
        return next(s for s in self.sources if s.id == sid)

    def score(self, fid: str, cid: str) -> Score:
        return next(s for s in self.scores if s.framework == fid and s.criterion == cid)


class Overlay(Strict):
    """A team's own judgement: some scores of a built-in snapshot replaced, with their sources."""

    schema_version: Literal[1]
    kind: Literal["overlay"]
    id: Ident
    title: Text
    base: Text  # a built-in snapshot id
    as_of: date
    sources: list[Source] = []
    scores: list[Score] = Field(min_length=1)


# --- profile --------------------------------------------------------------------------------


class Profile(Frozen):
    """A team's answers, validated. Empty ``languages`` means no language constraint."""

    languages: tuple[Language, ...] = ()
    task: Task | None = None
    hardware: tuple[Hardware, ...] = ()
    deployment: tuple[Deployment, ...] = ()
    #: Explicit weight overrides, criterion -> relative weight (see docs/weights.md).
    weights: dict[str, float] = {}
    method: Method = Method.TOPSIS
    snapshot: str = DEFAULT_SNAPSHOT
    #: Weight samples of the robustness analysis (0: skip it) and their random seed.
    samples: int = Field(default=20_000, ge=0, le=10_000_000)
    seed: int = 0
    #: Rank retired frameworks too (marked as retired) instead of excluding them.
    allow_retired: bool = False

    @field_validator("weights")
    @classmethod
    def _finite_non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        for name, weight in value.items():
            if not math.isfinite(weight) or weight < 0:
                raise ValueError(f"weight of {name!r} must be a finite number >= 0, got {weight}")
        return value


# --- recommendation -------------------------------------------------------------------------


class SnapshotRef(Frozen):
    id: str
    title: str
    as_of: date
    #: The overlay applied on top of the snapshot, if any.
    overlay: str | None = None
    scale: Scale = Scale(min=1, max=5)


class Override(Frozen):
    """A score the overlay replaced."""

    framework: str
    criterion: str
    value: float
    base_value: float
    source: str


class Evidence(Frozen):
    """One score used in the ranking and where it came from."""

    value: float
    source: str
    as_of: date
    rationale: str
    #: knowledge (the snapshot), overlay (a team's file) or probe (blended with a measurement)
    origin: Literal["knowledge", "overlay", "probe"]


class SourceRef(Frozen):
    title: str
    author: str | None = None
    publisher: str | None = None
    url: str | None = None
    published: date | None = None


class Ranked(Frozen):
    framework: str
    name: str
    rank: int
    score: float
    #: criterion -> weight x score rescaled to [0, 1]; they add up to the weighted-sum score.
    contributions: dict[str, float]
    status: Status = Status.ACTIVE
    #: criterion -> the score used, its source, date and origin
    evidence: dict[str, Evidence] = {}


class Exclusion(Frozen):
    framework: str
    name: str
    reason: str


class Measurement(Frozen):
    """A score that came (in part) from a live probe; see docs/probes-in-ranking.md."""

    framework: str
    criterion: str
    probe: str
    version: str | None
    interpreter: str | None
    #: operation -> GFLOP/s measured
    ops: dict[str, float]
    #: geometric mean of GFLOP/s relative to the fastest framework measured, per operation
    ratio: float
    knowledge_value: float
    probe_value: float
    value: float


class CriticalWeight(Frozen):
    """The smallest change of one criterion's weight (others renormalised proportionally)
    that changes the winner (Triantaphyllou and Sanchez 1997)."""

    criterion: str
    old_weight: float
    new_weight: float
    delta: float
    #: delta / old weight; None when the old weight is 0
    relative: float | None
    new_winner: str


class Agreement(Frozen):
    """The ranking by several MCDA methods on the same matrix and weights."""

    #: method -> frameworks, best first
    orders: dict[str, list[str]]
    #: "methodA/methodB" -> Kendall's tau between their orders
    kendall_tau: dict[str, float]
    #: method -> its winner
    winners: dict[str, str]
    winners_differ: bool


class Robustness(Frozen):
    """How sure the ranking is (docs/robustness.md)."""

    samples: int
    seed: int
    #: Dirichlet concentration of the samples around the user's weights
    concentration: float
    #: framework -> share of samples at rank 1, 2, ... (weights uniform over the simplex)
    acceptability_uniform: dict[str, list[float]]
    #: framework -> share of samples at rank 1, 2, ... (weights around the user's)
    acceptability_around: dict[str, list[float]]
    winner: str
    #: share of samples around the user's weights in which the winner stays first
    winner_confidence: float
    critical_weight: CriticalWeight | None
    methods: Agreement


class Recommendation(Frozen):
    schema_version: Literal[1] = RECOMMENDATION_SCHEMA_VERSION
    snapshot: SnapshotRef
    profile: Profile
    method: Method
    weights: dict[str, float]
    ranking: list[Ranked]
    excluded: list[Exclusion]
    #: Scores that came from an overlay rather than the snapshot.
    overrides: list[Override] = []
    #: Scores that came from live probes, blended with the knowledge base.
    measured: list[Measurement] = []
    #: source id -> the document, for every source cited in ``ranking[].evidence``
    sources: dict[str, SourceRef] = {}
    robustness: Robustness | None = None
    warnings: list[str] = []
