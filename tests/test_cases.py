"""The cited case suite (tests/cases/README.md): documented, public framework decisions and
well-established situations, each run against the `current` snapshot.

A failing case is fixed by correcting a fact of the knowledge base with a source, never by
tuning a number until the case passes.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from selector.engine.profile import build_profile
from selector.engine.recommend import recommend
from selector.errors import RankingError
from selector.knowledge import load_snapshot

CASES = sorted((Path(__file__).parent / "cases").glob("*.toml"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseProfile(_Strict):
    languages: list[str] = []
    runtime_languages: list[str] = []
    task: str | None = None
    workloads: list[str] = []
    hardware: list[str] = []
    scale: list[str] = []
    deployment: list[str] = []
    existing: list[str] = []


class Expect(_Strict):
    first: list[str] = []
    top_k: int | None = Field(default=None, ge=1)
    within: list[str] = []
    #: With ``top_k``: at least one of these ranks in the top k (one route, several
    #: frameworks: TensorFlow and Keras 3 both reach LiteRT through TensorFlow's converter).
    within_any: list[str] = []
    excluded: list[str] = []
    not_first: list[str] = []
    no_ranking: bool = False


class Citation(_Strict):
    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    date: date
    publisher: str | None = None
    supports: str = Field(min_length=1)


class Case(_Strict):
    title: str
    situation: str
    kind: Literal["published-move", "documented-stack", "only-route"]
    profile: CaseProfile
    expect: Expect
    citations: list[Citation] = Field(min_length=1)


def load_case(path: Path) -> Case:
    with path.open("rb") as handle:
        return Case.model_validate(tomllib.load(handle))


def test_the_suite_has_at_least_fifty_cited_cases() -> None:
    cases = [load_case(p) for p in CASES]
    assert len(cases) >= 50
    known = {f.id for f in load_snapshot("current").frameworks}
    for path, case in zip(CASES, cases, strict=True):
        e = case.expect
        named = set(e.first + e.within + e.within_any + e.excluded + e.not_first)
        assert named <= known, f"{path.name}: unknown framework {named - known}"
        assert (e.first or e.within or e.within_any or e.excluded or e.not_first
                or e.no_ranking), path.name
        assert (e.top_k is None) == (not e.within and not e.within_any), \
            f"{path.name}: top_k goes with within or within_any"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = load_case(path)
    p = case.profile
    profile = build_profile(languages=p.languages, runtime_languages=p.runtime_languages,
                            task=p.task, workloads=p.workloads, hardware=p.hardware,
                            scale=p.scale, deployment=p.deployment, existing=p.existing,
                            snapshot="current")
    profile = profile.model_copy(update={"samples": 0})
    e = case.expect
    if e.no_ranking:
        with pytest.raises(RankingError):
            recommend(profile)
        return
    rec = recommend(profile)
    order = [r.framework for r in rec.ranking]
    excluded = {x.framework for x in rec.excluded}
    shown = f"{case.title}: ranking {order}, excluded {sorted(excluded)}"
    if e.first:
        assert order[0] in e.first, shown
    if e.within:
        assert e.top_k is not None
        assert set(e.within) <= set(order[:e.top_k]), shown
    if e.within_any:
        assert e.top_k is not None
        assert set(e.within_any) & set(order[:e.top_k]), shown
    assert set(e.excluded) <= excluded, shown
    assert order[0] not in e.not_first, shown
