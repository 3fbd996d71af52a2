"""The domain model read from outside: knowledge files (snapshots, overlays) and the team's
profile, with the shared base and field types; what the engine returns is in
``selector.models.recommendation``."""

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
    Maturity,
    Method,
    Objective,
    Role,
    SignalKind,
    Status,
    SupportLevel,
)

#: Version of the knowledge-file format (snapshots and overlays). Bump on incompatible change:
#: 3 made the vocabulary data (``[[targets]]`` with aliases on six axes, emphasis per axis).
KNOWLEDGE_SCHEMA_VERSION: Literal[3] = 3
#: Version of the JSON recommendation contract; see docs/json-contract.md for its history.
RECOMMENDATION_SCHEMA_VERSION: Literal[2] = 2


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
#: A word a person types for a target ("c++", "gpu", "mobile"): lower case, no spaces.
Word = Annotated[str, StringConstraints(pattern=r"^[a-z0-9#+][a-z0-9#+_.-]*$", max_length=64)]
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
    #: A fit criterion on an axis the team left open: ``breadth``, the mean over every target
    #: of the axis; ``skip``, the criterion weighs nothing (existing code the team did not name).
    when_open: Literal["breadth", "skip"] = "breadth"
    #: The criterion counts only for teams that name one of these targets (axis -> ids), or
    #: that weigh it themselves; for everyone else its weight is 0 (docs/weights.md).
    only_for: dict[Axis, list[Ident]] = {}
    #: With ``only_for``: whether the criterion counts for a team that named nothing on those
    #: axes (``counts``: CNN modelling for a team that named no workload) or not (``skip``).
    when_unnamed: Literal["counts", "skip"] = "skip"
    #: Former ids of this criterion, still read in ``--weight`` and answers files.
    aliases: list[Ident] = []


class Target(ForbidExtra):
    """One answer a team can give on an axis, what it means in words a team lead uses, and
    the words people type for it."""

    axis: Axis
    id: Ident
    name: Text
    meaning: Text
    #: Other words for it ("gpu" for nvidia-gpu, "cnn" for vision). A word may stand for
    #: several targets ("mobile": android and ios); ``--hardware`` also reads the scale's.
    aliases: list[Word] = []
    #: What a team can do when no framework of the snapshot serves this target.
    unserved: Text | None = None
    #: Language: teams name it for the code that runs models (Go services, C embedders):
    #: named as a language the team trains in when no framework trains in it, it is read as
    #: one the team only runs models from, and the answer says so.
    read_as_runtime: bool = False
    #: Hardware: the device class a live probe reports for it (cpu, cuda, rocm, mps, xpu,
    #: tpu); a target without one is measured by no probe here.
    device_class: Ident | None = None
    #: Workload: the probes' kernel and training-step ops that speak for its speed.
    kernels: list[Ident] = []
    training: list[Ident] = []


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
    #: The route ids (``route`` of support entries) of the framework's own first-party
    #: runtimes ("executorch", "litert"): an entry on one is native or limited, never a
    #: binding or a bridge.
    runtimes: list[Ident] = []


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
    #: Language entries: ``train`` (write and train models in it) or ``run`` (only run a model
    #: trained elsewhere). A framework has at most one ``train`` entry per language, and one
    #: ``run`` entry per route (the best one counts).
    role: Role = Role.TRAIN
    maturity: Maturity = Maturity.GA
    #: The binding or bridge, by name; required for ``binding`` and ``bridge``.
    via: Text | None = None
    #: A route several frameworks share (``onnx-runtime``, ``litert``, ``coreml``): every
    #: framework that reaches a target through it the same way has the same level.
    route: Ident | None = None
    source: Ident
    #: Further sources the note draws on, by id.
    see: list[Ident] = []
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
    #: Evidence measured on one device (an MLPerf row of AMD or TPU systems): the score holds
    #: for teams on that hardware target; the score without ``hardware`` is the fallback.
    hardware: Ident | None = None
    value: float = Field(allow_inf_nan=False, strict=True)
    source: Ident
    #: Further sources the rationale draws on, by id.
    see: list[Ident] = []
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


Factor = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
#: How the profile shifts weight: axis -> target -> criterion -> factor (docs/weights.md).
Emphasis = dict[Axis, dict[Ident, dict[Ident, Factor]]]


class Snapshot(ForbidExtra):
    schema_version: Literal[3]
    kind: Literal["snapshot"] = "snapshot"
    id: Ident
    title: Text
    as_of: date
    #: When the snapshot's sources were last read (entries may say otherwise).
    read_on: date
    description: Text
    scale: Scale
    emphasis: Emphasis = {}
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

    def vocabulary(self, axis: Axis) -> list[Target]:
        """The answers a team can give on ``axis``, in the snapshot's order."""
        return [t for t in self.targets if t.axis is axis]

    def resolve(self, axis: Axis, word: str) -> list[tuple[Axis, str]]:
        """The targets a word names on ``axis`` (and the axes it also reads), by id first,
        then by alias; empty when it names none."""
        from selector.vocab import ALSO_READS

        key = word.strip().lower()
        axes = (axis, *ALSO_READS.get(axis, ()))
        for where in axes:
            if any(t.id == key for t in self.vocabulary(where)):
                return [(where, key)]
        return [(where, t.id) for where in axes for t in self.vocabulary(where)
                if key in t.aliases]

    def covers(self, axis: Axis) -> list[str]:
        """Targets of ``axis`` the support entries say something about, in vocabulary order;
        an axis no entry covers is no constraint (the 2017 article graded no hardware)."""
        named = {s.target for s in self.support if s.axis is axis}
        return [t.id for t in self.vocabulary(axis) if t.id in named]

    def support_of(self, fid: str, axis: Axis, role: Role = Role.TRAIN) -> dict[str, Support]:
        """target -> the framework's entry on ``axis`` (a missing target means no route). For
        ``role = run`` on languages: the better of its run and train entries (what trains in
        a language runs in it too)."""
        from selector.vocab import LEVEL_VALUE

        result: dict[str, Support] = {}
        for s in self.support:
            if s.framework != fid or s.axis is not axis:
                continue
            if s.role is Role.RUN and role is Role.TRAIN:
                continue
            held = result.get(s.target)
            if held is None or LEVEL_VALUE[s.level] > LEVEL_VALUE[held.level]:
                result[s.target] = s
        return result


class Overlay(ForbidExtra):
    """A team's own judgement: some scores or support entries of a built-in snapshot replaced,
    with their sources."""

    schema_version: Literal[2, 3]
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


class Reading(ForbidExtra):
    """How a word the team typed was read: ``gpu`` as nvidia-gpu, ``mobile`` as android and
    ios, ``multi-gpu`` as nvidia-gpu at the multi-device scale."""

    axis: Axis
    word: str
    targets: tuple[Ident, ...]
    #: A language in which no framework trains but some run models, read as one the team
    #: only runs models from.
    as_runtime: bool = False


class Profile(ForbidExtra):
    """A team's answers, validated against the snapshot's vocabulary: every id is one of its
    ``[[targets]]``. Empty ``languages`` means no language constraint."""

    #: Languages the team writes and trains models in; ``runtime_languages``: languages that
    #: only load and run a model trained elsewhere.
    languages: tuple[Ident, ...] = ()
    runtime_languages: tuple[Ident, ...] = ()
    workloads: tuple[Ident, ...] = ()
    hardware: tuple[Ident, ...] = ()
    scale: tuple[Ident, ...] = ()
    deployment: tuple[Ident, ...] = ()
    #: Frameworks the team already has code in.
    existing: tuple[Ident, ...] = ()
    #: Words that were read as other targets (aliases), for the answer to say so.
    readings: tuple[Reading, ...] = ()
    #: Explicit weight overrides, criterion -> relative weight (see docs/weights.md).
    weights: dict[str, float] = {}
    method: RankingMethod = Method.TOPSIS
    snapshot: str = DEFAULT_SNAPSHOT
    #: Weight samples of the robustness analysis (0: skip it) and their random seed.
    samples: int = Field(default=20_000, ge=0, le=10_000_000)
    seed: int = 0
    #: Rank retired frameworks too (marked as retired) instead of excluding them.
    allow_retired: bool = False

    def targets(self, axis: Axis) -> tuple[str, ...]:
        """What the team named on ``axis`` (languages: those it trains in)."""
        return {Axis.LANGUAGE: self.languages, Axis.WORKLOAD: self.workloads,
                Axis.HARDWARE: self.hardware, Axis.SCALE: self.scale,
                Axis.DEPLOYMENT: self.deployment, Axis.EXISTING: self.existing}[axis]

    @field_validator("weights")
    @classmethod
    def _finite_non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        for name, weight in value.items():
            if not math.isfinite(weight) or weight < 0:
                raise ValueError(f"weight of {name!r} must be a finite number >= 0, got {weight}")
        return value
