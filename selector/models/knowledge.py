"""The domain model: what is read from outside (strict) and what the engine returns (frozen)."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from selector.vocab import (
    DEFAULT_SNAPSHOT,
    Axis,
    Deployment,
    Hardware,
    Language,
    Method,
    Objective,
    SignalKind,
    Status,
    SupportLevel,
    Task,
    Verdict,
)

#: Version of the knowledge-file format (snapshots and overlays). Bump on incompatible change.
KNOWLEDGE_SCHEMA_VERSION: Literal[2] = 2
#: Version of the JSON recommendation contract; see docs/json-contract.md for its history.
RECOMMENDATION_SCHEMA_VERSION: Literal[1] = 1


#: The methods a profile may rank with: ``selector.engine.methods.RANKING_METHODS``, which the
#: models, below the engine, cannot import (a test checks the two agree).
RANKING_METHODS = (Method.TOPSIS, Method.WSM)


def _ranks(method: Method) -> Method:
    if method not in RANKING_METHODS:
        raise ValueError(f"{method.value} cannot rank; use one of "
                         f"{', '.join(m.value for m in RANKING_METHODS)}")
    return method


RankingMethod = Annotated[Method, AfterValidator(_ranks), WithJsonSchema(
    {"enum": [m.value for m in RANKING_METHODS], "title": "Method", "type": "string"})]

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
#: A PyPI project name (PEP 508) and a GitHub repository as owner/name.
PypiName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$",
                                            max_length=100)]
Repository = Annotated[str, StringConstraints(
    pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")]


class ForbidExtra(BaseModel):
    """Unknown keys are errors and instances are immutable: data read from outside (knowledge
    files, probe output) and the values the engine builds and returns alike."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- knowledge ------------------------------------------------------------------------------


class Source(ForbidExtra):
    """A document a score rests on, named so that anyone can find it."""

    id: Ident
    title: Text
    author: Text | None = None
    publisher: Text | None = None
    url: Text | None = None
    published: date | None = None
    note: Text | None = None


class Criterion(ForbidExtra):
    id: Ident
    name: Text
    description: Text
    objective: Objective = Objective.MAX
    default_weight: float = Field(ge=0.0, allow_inf_nan=False)
    #: A fit criterion is computed for the team from the support entries on this axis
    #: (docs/weights.md) and has no scores of its own.
    fit: Axis | None = None
    #: A score that holds only where the framework reaches the team's targets on this axis
    #: (speed measured on GPUs says nothing of a stale TPU route): when the team names targets
    #: on the axis, the score is capped at the framework's fit there (docs/weights.md).
    capped_by: Axis | None = None


class Target(ForbidExtra):
    """What a language, hardware or deployment target means, in words a team lead uses."""

    axis: Axis
    id: Ident
    name: Text
    meaning: Text
    #: What a team can do when no framework of the snapshot serves this target.
    unserved: Text | None = None


class Framework(ForbidExtra):
    id: Ident
    name: Text
    status: Status
    status_as_of: date | None = None
    status_source: Ident | None = None
    status_note: Text | None = None
    #: Where ``dlselect kb refresh`` reads live signals: the PyPI project and the GitHub
    #: repository (owner/name), where the framework has them.
    pypi: PypiName | None = None
    repository: Repository | None = None


class Signal(ForbidExtra):
    """A live fact read by ``dlselect kb refresh``: never a judgement, never a score."""

    framework: Ident
    kind: SignalKind
    #: latest_release: the version; project_status: a PEP 792 marker; archived: "true" or
    #: "false"; last_push: the push's timestamp as the API gave it.
    value: Text
    #: The date of the fact itself (the release's upload, the push), where it has one.
    observed: date | None = None
    note: Text | None = None
    #: The source (its URL) the signal was read from, and when.
    source: Ident
    fetched: AwareDatetime


class Support(ForbidExtra):
    """How one framework reaches one target (docs/knowledge-format.md)."""

    framework: Ident
    axis: Axis
    target: Ident
    level: SupportLevel
    #: The binding or bridge, by name; required for ``binding`` and ``bridge``.
    via: Text | None = None
    source: Ident
    #: The date of the evidence itself; ``read_on``: when it was read (default: the snapshot's).
    evidence_date: date
    read_on: date | None = None
    note: Text | None = None
    #: Set by dlselect, not by hand: the overlay this entry came from, and the level it replaced.
    overlay: Ident | None = None
    replaces: SupportLevel | None = None


class Score(ForbidExtra):
    framework: Ident
    criterion: Ident
    value: float = Field(allow_inf_nan=False)
    source: Ident
    #: The date of the evidence itself; ``read_on``: when it was read (default: the snapshot's).
    evidence_date: date
    read_on: date | None = None
    rationale: Text
    #: The sentence of the source the score rests on, where it has one to quote.
    quote: Text | None = None
    #: Set by dlselect, not by hand: the overlay this score came from, and the value it replaced.
    overlay: Ident | None = None
    replaces: float | None = None


class Scale(ForbidExtra):
    min: float = Field(allow_inf_nan=False)
    max: float = Field(allow_inf_nan=False)


class Emphasis(ForbidExtra):
    """How the profile shifts weight: criterion -> factor, per task, hardware and target."""

    task: dict[Task, dict[Ident, Annotated[float, Field(ge=0.0, allow_inf_nan=False)]]] = {}
    hardware: dict[Hardware, dict[Ident, Annotated[float, Field(ge=0.0, allow_inf_nan=False)]]] = {}
    deployment: dict[Deployment, dict[Ident, Annotated[float, Field(ge=0.0,
                                                                    allow_inf_nan=False)]]] = {}


class Snapshot(ForbidExtra):
    schema_version: Literal[2]
    kind: Literal["snapshot"] = "snapshot"
    id: Ident
    title: Text
    as_of: date
    #: When the snapshot's sources were last read (entries may say otherwise).
    read_on: date
    description: Text
    scale: Scale
    emphasis: Emphasis = Emphasis()
    sources: list[Source] = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)
    targets: list[Target] = []
    frameworks: list[Framework] = Field(min_length=1)
    support: list[Support] = Field(min_length=1)
    scores: list[Score] = []
    #: Live signals (``dlselect kb refresh``), from an overlay; they inform, they do not score.
    signals: list[Signal] = []
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

    def target(self, axis: Axis, tid: str) -> Target | None:
        return next((t for t in self.targets if t.axis is axis and t.id == tid), None)

    def covers(self, axis: Axis) -> list[str]:
        """Targets of ``axis`` the snapshot says something about, in vocabulary order."""
        from selector.vocab import AXIS_TARGETS

        named = {s.target for s in self.support if s.axis is axis}
        named |= {t.id for t in self.targets if t.axis is axis}
        return [str(t.value) for t in AXIS_TARGETS[axis] if t.value in named]

    def support_of(self, fid: str, axis: Axis) -> dict[str, Support]:
        """target -> the framework's entry on ``axis`` (a missing target means no route)."""
        return {s.target: s for s in self.support if s.framework == fid and s.axis is axis}


class Overlay(ForbidExtra):
    """A team's own judgement: some scores or support entries of a built-in snapshot replaced,
    with their sources."""

    schema_version: Literal[2]
    kind: Literal["overlay"]
    id: Ident
    title: Text
    base: Text  # a built-in snapshot id
    as_of: date
    sources: list[Source] = []
    scores: list[Score] = []
    support: list[Support] = []
    #: Live signals written by ``dlselect kb refresh``.
    signals: list[Signal] = []


# --- profile --------------------------------------------------------------------------------


class Profile(ForbidExtra):
    """A team's answers, validated. Empty ``languages`` means no language constraint."""

    languages: tuple[Language, ...] = ()
    task: Task | None = None
    hardware: tuple[Hardware, ...] = ()
    deployment: tuple[Deployment, ...] = ()
    #: Explicit weight overrides, criterion -> relative weight (see docs/weights.md).
    weights: dict[str, float] = {}
    method: RankingMethod = Method.TOPSIS
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


class SnapshotRef(ForbidExtra):
    id: str
    title: str
    as_of: date
    #: The overlay applied on top of the snapshot, if any.
    overlay: str | None = None
    scale: Scale = Scale(min=1, max=5)


class Override(ForbidExtra):
    """A score the overlay replaced."""

    framework: str
    criterion: str
    value: float
    base_value: float
    source: str


class SupportRef(ForbidExtra):
    """A support entry behind a fit score."""

    target: str
    level: SupportLevel
    via: str | None = None
    source: str
    evidence_date: date
    note: str | None = None


class Evidence(ForbidExtra):
    """One score used in the ranking and where it came from."""

    value: float
    source: str
    #: The date of the evidence (not the date it was read).
    as_of: date
    rationale: str
    #: knowledge (the snapshot), overlay (a team's file), probe (blended with a measurement) or
    #: support (a fit score computed from support entries, listed in ``support``)
    origin: Literal["knowledge", "overlay", "probe", "support"]
    #: When the source was read.
    read_on: date | None = None
    #: The evidence is more than STALE_YEARS older than the snapshot.
    stale: bool = False
    support: list[SupportRef] = []
    #: The snapshot's score before it was capped at the framework's fit on ``capped_by``.
    capped_from: float | None = None


class SourceRef(ForbidExtra):
    title: str
    author: str | None = None
    publisher: str | None = None
    url: str | None = None
    published: date | None = None


class Ranked(ForbidExtra):
    framework: str
    name: str
    rank: int
    score: float
    #: criterion -> weight x score rescaled to [0, 1]; they add up to the weighted-sum score.
    contributions: dict[str, float]
    #: criterion -> its share of this framework's score under the method used (docs/ranking.md):
    #: they add up to ``score``.
    decomposition: dict[str, float] = {}
    status: Status = Status.ACTIVE
    #: criterion -> the score used, its source, date and origin
    evidence: dict[str, Evidence] = {}


class Exclusion(ForbidExtra):
    framework: str
    name: str
    reason: str
    #: The axis and targets that excluded it, for a constraint on languages, hardware or
    #: deployment.
    axis: Axis | None = None
    targets: list[str] = []


class Unserved(ForbidExtra):
    """A target the team named that no framework of the snapshot reaches."""

    axis: Axis
    target: str
    name: str
    advice: str | None = None


class VerdictInfo(ForbidExtra):
    """What kind of answer this is, and the headline that says it (docs/robustness.md)."""

    kind: Verdict
    #: The frameworks the verdict names: the winner, or those too close to call.
    frameworks: list[str]
    headline: str
    #: Why it is this kind: the figures that decided it.
    reasons: list[str] = []
    #: For a close call: the priority that settles it, as a question.
    question: str | None = None


class Measurement(ForbidExtra):
    """A score that came (in part) from a live probe; see docs/probes-in-ranking.md."""

    framework: str
    criterion: str
    probe: str
    version: str | None
    interpreter: str | None
    #: operation -> rate measured: GFLOP/s for a kernel, samples/s for a training step
    ops: dict[str, float]
    #: geometric mean of rates relative to the fastest framework measured, per operation
    #: (1 where the two measurement intervals overlap: equally fast within the noise)
    ratio: float
    knowledge_value: float
    probe_value: float
    value: float
    #: the device class the figures were measured on (cpu or gpu)
    device: str | None = None
    #: the ratio's range from each measurement's interquartile range
    ratio_low: float | None = None
    ratio_high: float | None = None
    #: a figure the probe flagged unstable (interquartile range above 10% of the median)
    unstable: bool = False
    #: False: shown, not blended into the score (``reason`` says why; ``value`` is then the
    #: knowledge value)
    blended: bool = True
    reason: str | None = None


class CriticalWeight(ForbidExtra):
    """The smallest change of one criterion's weight (others renormalised proportionally)
    that changes the winner (Triantaphyllou and Sanchez 1997)."""

    criterion: str
    old_weight: float
    new_weight: float
    delta: float
    #: delta / old weight; None when the old weight is 0
    relative: float | None
    new_winner: str


class Agreement(ForbidExtra):
    """The ranking by several MCDA methods on the same matrix and weights."""

    #: method -> frameworks, best first
    orders: dict[str, list[str]]
    #: "methodA/methodB" -> Kendall's tau between their orders
    kendall_tau: dict[str, float]
    #: method -> its winner
    winners: dict[str, str]
    winners_differ: bool


class Robustness(ForbidExtra):
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


class StaleScore(ForbidExtra):
    """A decisive score whose evidence is older than the threshold, counted from today."""

    framework: str
    criterion: str
    evidence_date: date
    source: str
    #: Days from the evidence to ``Age.today``.
    age_days: int


class Age(ForbidExtra):
    """How old the facts behind a recommendation are (docs/json-contract.md)."""

    snapshot_as_of: date
    #: The date ages are counted to: the day the recommendation was made.
    today: date
    #: Days from the snapshot's as-of date to ``today`` (negative: dated after today).
    age_days: int
    #: Evidence older than this many years, counted from ``today``, is listed as stale.
    stale_years: int
    #: The snapshot is older than six months (the report warns).
    old: bool = False
    #: The decisive scores (the winner's lead over the runner-up, both ways) whose evidence is
    #: older than ``stale_years``.
    stale_decisive: list[StaleScore] = []


class Recommendation(ForbidExtra):
    schema_version: Literal[1] = RECOMMENDATION_SCHEMA_VERSION
    snapshot: SnapshotRef
    profile: Profile
    method: RankingMethod
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
    #: The kind of answer and its headline.
    verdict: VerdictInfo | None = None
    #: criterion -> its part of the winner's lead over the runner-up under the method used
    #: (docs/ranking.md): they add up to the difference of their scores, and a criterion on which
    #: the two score the same has none. Empty with a single framework.
    margin: dict[str, float] = {}
    #: Targets the team named that no framework in the snapshot serves.
    unserved: list[Unserved] = []
    #: How old the snapshot and the decisive evidence are; absent in output of older versions.
    age: Age | None = None
