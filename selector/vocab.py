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


#: Spellings a person types that mean a canonical language id.
LANGUAGE_ALIASES: dict[str, Language] = {
    "c++": Language.CPP,
    "cxx": Language.CPP,
    "c#": Language.CSHARP,
    "js": Language.JAVASCRIPT,
    "typescript": Language.JAVASCRIPT,
    "py": Language.PYTHON,
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


class Method(StrEnum):
    TOPSIS = "topsis"
    WSM = "wsm"


class Objective(StrEnum):
    MAX = "max"
    MIN = "min"


class Status(StrEnum):
    ACTIVE = "active"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


def allowed(enum: type[Enum]) -> str:
    """The members of an enum as a comma-separated list for error messages."""
    return ", ".join(str(m.value) for m in enum)


def parse_language(text: str) -> Language:
    """Parse a language as a person types it (case-insensitive, common aliases)."""
    key = text.strip().lower()
    if key in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[key]
    return Language(key)
