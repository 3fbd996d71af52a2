"""Answers files: a team's answers saved as TOML, replayed with ``recommend --answers FILE``.

    schema_version = 1
    snapshot = "current"
    languages = ["python"]
    task = "cnn"
    hardware = ["gpu"]
    deployment = ["server"]
    method = "topsis"
    allow_retired = false
    probe = false

    [weights]
    speed = 2.0

Every key is optional but ``schema_version``; precedence is flags over file over defaults.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from selector.errors import ProfileError

ANSWERS_SCHEMA_VERSION: Literal[1] = 1


class Answers(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = ANSWERS_SCHEMA_VERSION
    snapshot: str | None = None
    languages: list[str] | None = None
    task: str | None = None
    hardware: list[str] | None = None
    deployment: list[str] | None = None
    weights: dict[str, float] | None = None
    method: str | None = None
    allow_retired: bool | None = None
    probe: bool | None = None
    budget: str | None = None
    pythons: list[str] | None = Field(default=None)
    samples: int | None = Field(default=None, ge=0, le=10_000_000)
    seed: int | None = None


def load_answers(path: Path) -> Answers:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such answers file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from None
    version = data.get("schema_version")
    if version != ANSWERS_SCHEMA_VERSION:
        raise ProfileError(f"{path}: schema_version: unsupported {version!r}; this dlselect "
                           f"reads answers version {ANSWERS_SCHEMA_VERSION}")
    try:
        return Answers.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        more = f" (and {len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
        raise ProfileError(f"{path}: {loc}: {err['msg']}{more}") from None


def to_toml(answers: Answers) -> str:
    """Serialise answers (flat strings, lists, numbers, booleans and one weights table)."""
    lines = ["# dlselect answers: replay with `dlselect recommend --answers THIS_FILE`",
             f"schema_version = {answers.schema_version}"]
    data = answers.model_dump(exclude_none=True, exclude={"schema_version", "weights"})
    for key, value in data.items():
        lines.append(f"{key} = {_value(value)}")
    if answers.weights:
        lines.append("")
        lines.append("[weights]")
        for name, weight in answers.weights.items():
            lines.append(f"{name} = {_value(weight)}")
    return "\n".join(lines) + "\n"


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to an answers file")
