"""Answers files: a team's answers saved as TOML, replayed with ``recommend --answers FILE``.

    schema_version = 1
    person = "Ana"
    snapshot = "current"
    languages = ["python"]
    runtime_languages = ["kotlin"]
    workloads = ["llm-finetune"]
    hardware = ["nvidia-gpu"]
    scale = ["multi-device"]
    deployment = ["server", "android"]
    existing = ["tensorflow"]
    method = "topsis"
    allow_retired = false
    probe = false

    [weights]
    speed = 2.0

Every key is optional but ``schema_version``; precedence is flags over file over defaults.
The words are the snapshot's targets (``dlselect kb targets``) or their aliases, so files of
earlier releases (``task = "cnn"``, ``hardware = ["gpu", "multi-gpu"]``, ``deployment =
["mobile"]``) read as they did.

An answers file names no program to run: it may come from someone else (a colleague, a
repository), and the interpreters dlselect probes with run as the user. They come only from
``--python`` on the command line and ``[probe] pythons`` in the user's own config file; a
file with ``pythons`` is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from selector.errors import ProfileError, location

ANSWERS_SCHEMA_VERSION: Literal[1] = 1


class Answers(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = ANSWERS_SCHEMA_VERSION
    #: whose priorities these are, when several people's answers are combined
    person: str | None = None
    snapshot: str | None = None
    languages: list[str] | None = None
    runtime_languages: list[str] | None = None
    #: one workload, as files of earlier releases name it; ``workloads`` takes several
    task: str | None = None
    workloads: list[str] | None = None
    hardware: list[str] | None = None
    scale: list[str] | None = None
    deployment: list[str] | None = None
    existing: list[str] | None = None
    weights: dict[str, float] | None = None
    method: str | None = None
    allow_retired: bool | None = None
    probe: bool | None = None
    budget: str | None = None
    device: str | None = None
    samples: int | None = Field(default=None, ge=0, le=10_000_000)
    #: numpy seeds with a non-negative integer; TOML integers are 64-bit signed.
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)


def folded(answers: Answers) -> Answers:
    """The answers with a schema-1 ``task`` folded into ``workloads`` (first), so that flags,
    files and people combine on one list."""
    if answers.task is None:
        return answers
    workloads = [answers.task, *[w for w in answers.workloads or [] if w != answers.task]]
    return answers.model_copy(update={"task": None, "workloads": workloads})


def load_answers(path: Path) -> Answers:
    from selector.documents import read_document

    data = read_document(path, ProfileError, "answers file")
    version = data.get("schema_version")
    if version != ANSWERS_SCHEMA_VERSION:
        raise ProfileError(f"{path}: schema_version: unsupported {version!r}; this dlselect "
                           f"reads answers version {ANSWERS_SCHEMA_VERSION}")
    if "pythons" in data:
        raise ProfileError(f"{path}: pythons: an answers file cannot name interpreters to run; "
                           "they come only from --python on the command line or [probe] "
                           "pythons in your own config file")
    try:
        return Answers.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = location(err["loc"])
        more = f" (and {len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
        raise ProfileError(f"{path}: {loc}: {err['msg']}{more}") from None


def to_toml(answers: Answers) -> str:
    """Serialise answers (flat strings, lists, numbers, booleans and one weights table) with
    tomli-w, which quotes keys and escapes strings the way TOML requires."""
    import tomli_w

    data = answers.model_dump(exclude_none=True, exclude={"weights"})
    if answers.weights is not None:  # an empty table too: {} must not read back as None
        data["weights"] = dict(answers.weights)
    return ("# dlselect answers: replay with `dlselect recommend --answers THIS_FILE`\n"
            + tomli_w.dumps(data))
