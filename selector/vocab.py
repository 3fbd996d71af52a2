"""Closed vocabularies of the profile. Each is a ``str`` Enum so that values serialise as text."""

from __future__ import annotations

from enum import Enum, StrEnum

#: The knowledge snapshot used when none is named.
DEFAULT_SNAPSHOT = "current"


#: The vocabulary of the profile (languages, workloads, hardware, scale, deployment targets,
#: existing code) is knowledge, not code: each snapshot defines its targets (``[[targets]]``,
#: with the words people type for them as ``aliases``); ``selector.engine.profile`` reads a
#: team's answers against them.


class Axis(StrEnum):
    """What a team's answer, a support entry and a fit criterion are about."""

    LANGUAGE = "language"      # the languages the team writes and trains models in
    WORKLOAD = "workload"      # what the team builds: vision, LLM fine-tuning, speech ...
    HARDWARE = "hardware"      # the device it trains on, by vendor
    SCALE = "scale"            # one device, several in one machine, several machines
    DEPLOYMENT = "deployment"  # where models must run
    EXISTING = "existing"      # the frameworks the team already has code in


class Role(StrEnum):
    """What a language route allows: writing and training models, or only running a model
    trained elsewhere (ONNX Runtime, ExecuTorch's mobile APIs, Core ML)."""

    TRAIN = "train"
    RUN = "run"


class Maturity(StrEnum):
    """How far a route is along, in its own documentation's words."""

    GA = "ga"
    BETA = "beta"
    EXPERIMENTAL = "experimental"


class SupportLevel(StrEnum):
    """How a framework reaches a target, best first (docs/knowledge-format.md)."""

    NATIVE = "native"
    LIMITED = "limited"
    BINDING = "binding"
    BRIDGE = "bridge"
    STALE = "stale"
    NONE = "none"


#: Each level's value in a fit criterion: the ordinal levels spaced evenly on [0, 1].
LEVEL_VALUE: dict[SupportLevel, float] = {
    SupportLevel.NATIVE: 1.0,
    SupportLevel.LIMITED: 0.8,
    SupportLevel.BINDING: 0.6,
    SupportLevel.BRIDGE: 0.4,
    SupportLevel.STALE: 0.2,
    SupportLevel.NONE: 0.0,
}

#: The axes a word given on one question may also name: the hardware question of schema 2
#: listed the scale in the same list (multi-gpu, multi-node).
ALSO_READS: dict[Axis, tuple[Axis, ...]] = {Axis.HARDWARE: (Axis.SCALE,)}

#: How the team's targets on an axis constrain a framework: ``any``, one reached is enough
#: (a team works in one of its languages); ``each``, every one must be reached; ``none``, no
#: exclusion (existing code is a cost, not a constraint).
AXIS_NEEDS: dict[Axis, str] = {
    Axis.LANGUAGE: "any",
    Axis.WORKLOAD: "each",
    Axis.HARDWARE: "each",
    Axis.SCALE: "each",
    Axis.DEPLOYMENT: "each",
    Axis.EXISTING: "none",
}


class Verdict(StrEnum):
    """What kind of answer a recommendation is (docs/robustness.md)."""

    CLEAR = "clear"            # the winner leads beyond the uncertainty
    TOO_CLOSE = "too-close"    # the lead is within the uncertainty: a choice between several
    CONSTRAINED = "constrained"  # one candidate is left: the constraints decided, not the scores


class Method(StrEnum):
    """The MCDA methods (``selector.engine.methods``); a profile ranks with those of
    ``selector.engine.methods.RANKING_METHODS``, the robustness analysis compares them all."""

    TOPSIS = "topsis"
    WSM = "wsm"
    WPM = "wpm"
    VIKOR = "vikor"


class Objective(StrEnum):
    MAX = "max"
    MIN = "min"


class Status(StrEnum):
    ACTIVE = "active"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


class SignalKind(StrEnum):
    """What a live signal read by ``dlselect kb refresh`` says (docs/knowledge-format.md)."""

    LATEST_RELEASE = "latest_release"  # the newest release on PyPI, dated by its upload
    PROJECT_STATUS = "project_status"  # the PEP 792 status PyPI gives the project
    ARCHIVED = "archived"              # whether the GitHub repository is archived (read-only)
    LAST_PUSH = "last_push"            # the last push to the GitHub repository


#: PEP 792 project status markers (https://packaging.python.org/en/latest/specifications/
#: project-status-markers/); every one but ``active`` says the project is winding down.
PROJECT_STATUSES = ("active", "archived", "quarantined", "deprecated")


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


class ProbeFormat(StrEnum):
    """What ``dlselect probe`` writes."""

    TABLE = "table"
    JSON = "json"


class Budget(StrEnum):
    """How long the probes measure (docs/probes.md)."""

    QUICK = "quick"  # seconds per framework
    FULL = "full"


class ProbeDevice(StrEnum):
    """Where the probes run; ``auto`` lets each probe take a GPU when it sees one."""

    AUTO = "auto"
    CPU = "cpu"
    GPU = "gpu"


def allowed(enum: type[Enum]) -> str:
    """The members of an enum as a comma-separated list for error messages."""
    return ", ".join(str(m.value) for m in enum)
