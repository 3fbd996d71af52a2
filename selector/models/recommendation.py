"""The domain model the engine returns: a recommendation (docs/json-contract.md) and its parts."""

from __future__ import annotations

from datetime import date
from typing import Literal

from selector.models.knowledge import (
    RECOMMENDATION_SCHEMA_VERSION,
    ForbidExtra,
    Profile,
    RankingMethod,
    Scale,
)
from selector.vocab import Axis, Maturity, Role, Status, SupportLevel, Verdict

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
    #: ``ga``, ``beta`` or ``experimental``; ``run``: a route that only runs models.
    maturity: Maturity = Maturity.GA
    role: Role = Role.TRAIN


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
    #: The hardware target the score was measured on, where the snapshot has evidence for the
    #: team's device; None: the general score (capped by fit where the team named hardware).
    hardware: str | None = None


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
    #: Of the languages that excluded it, those it runs models from (trained elsewhere).
    runs_from: list[str] = []


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
    #: probe runs behind every figure used (this one and earlier runs kept in the probe
    #: cache): above 1, the rates are medians over the runs and the range covers them all
    runs: int = 1
    #: False: shown, not blended into the score (``reason`` says why; ``value`` is then the
    #: knowledge value)
    blended: bool = True
    reason: str | None = None


class NodeUse(ForbidExtra):
    """One machine (a probe-results file, or a node of a ``--cluster`` run) and whether its
    figures counted (docs/cluster.md)."""

    name: str
    #: the file (and cluster address) it came from
    source: str
    node_id: str | None = None
    ip: str | None = None
    host_id: str | None = None
    gpus: int = 0
    #: ok, failed or timeout (a node of a cluster run that did not finish)
    status: str = "ok"
    #: its hardware matches the team's
    matches: bool
    #: its figures are the ones ranked (one node's only)
    counted: bool
    #: framework -> what it measured there, in a few words
    measured: dict[str, str] = {}
    reason: str


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


class PersonView(ForbidExtra):
    """One stakeholder's priorities and the ranking they alone would give (docs/weights.md)."""

    name: str
    #: criterion -> this person's weight, normalised to add up to 1
    weights: dict[str, float]
    #: the winner under this person's weights alone
    winner: str
    #: the group's winner's rank under this person's weights (1: it holds for them)
    group_winner_rank: int
    group_winner_holds: bool


class CriterionSpread(ForbidExtra):
    """How far the people's weights for one criterion lie apart."""

    criterion: str
    low: float
    high: float
    #: high - low, in weight share
    spread: float
    #: high / low; None when someone gives it no weight
    ratio: float | None
    #: who gives it the lowest and the highest weight
    lowest: str
    highest: str


class Stakeholders(ForbidExtra):
    """Several people's priorities, combined into the group's weights (docs/weights.md)."""

    #: how the group's weights were made from each person's normalised weights
    aggregation: Literal["geometric-mean"] = "geometric-mean"
    people: list[PersonView]
    #: every criterion, the widest spread of weight share first
    disagreement: list[CriterionSpread]
    #: the group's winner is every person's own winner too
    holds_for_everyone: bool


class Recommendation(ForbidExtra):
    schema_version: Literal[2] = RECOMMENDATION_SCHEMA_VERSION
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
    #: Several people's priorities and where they disagree; absent for one person's answers.
    stakeholders: Stakeholders | None = None
    #: With probe results from several machines (or a cluster): every node and which one's
    #: figures counted. Empty with one machine.
    nodes: list[NodeUse] = []
