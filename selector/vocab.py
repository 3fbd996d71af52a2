"""Closed vocabularies of the profile. Each is a ``str`` Enum so that values serialise as text."""

from __future__ import annotations

from enum import Enum, StrEnum

#: The knowledge snapshot used when none is named.
DEFAULT_SNAPSHOT = "current"


class Language(StrEnum):
    PYTHON = "python"
    CPP = "cpp"
    C = "c"
    LUA = "lua"
    JAVA = "java"
    SCALA = "scala"
    R = "r"
    JULIA = "julia"
    JAVASCRIPT = "javascript"
    GO = "go"
    CSHARP = "csharp"
    MATLAB = "matlab"
    PERL = "perl"
    SWIFT = "swift"
    RUST = "rust"
    KOTLIN = "kotlin"


#: Spellings a person types that mean a canonical language id.
LANGUAGE_ALIASES: dict[str, Language] = {
    "c++": Language.CPP,
    "cxx": Language.CPP,
    "c#": Language.CSHARP,
    "js": Language.JAVASCRIPT,
    "typescript": Language.JAVASCRIPT,
    "py": Language.PYTHON,
    "kt": Language.KOTLIN,
}


class Task(StrEnum):
    CNN = "cnn"
    RNN = "rnn"
    TRANSFORMER = "transformer"


class Hardware(StrEnum):
    CPU = "cpu"
    GPU = "gpu"
    MULTI_GPU = "multi-gpu"
    MULTI_NODE = "multi-node"
    TPU = "tpu"
    APPLE_SILICON = "apple-silicon"


class Deployment(StrEnum):
    SERVER = "server"
    MOBILE = "mobile"
    BROWSER = "browser"


class Axis(StrEnum):
    """What a support entry and a fit criterion are about."""

    LANGUAGE = "language"
    HARDWARE = "hardware"
    DEPLOYMENT = "deployment"


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

#: The profile's targets on each axis.
AXIS_TARGETS: dict[Axis, type[StrEnum]] = {
    Axis.LANGUAGE: Language,
    Axis.HARDWARE: Hardware,
    Axis.DEPLOYMENT: Deployment,
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


def parse_language(text: str) -> Language:
    """Parse a language as a person types it (case-insensitive, common aliases)."""
    key = text.strip().lower()
    if key in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[key]
    return Language(key)
