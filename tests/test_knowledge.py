"""Shipped snapshots validate, and malformed knowledge files are refused with a location."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from selector.errors import KnowledgeError
from selector.knowledge import builtin_ids, list_snapshots, load_snapshot, parse_snapshot
from selector.models import Snapshot
from tests.conftest import snapshot_data

ARTICLE_FRAMEWORKS = ["theano", "tensorflow", "torch", "caffe", "mxnet", "neon", "cntk"]
ARTICLE_CRITERIA = ["languages", "resources", "cnn", "rnn", "architecture", "speed", "multi_gpu",
                    "keras"]


@pytest.mark.parametrize("sid", builtin_ids())
def test_every_shipped_snapshot_is_complete_sourced_and_dated(sid: str) -> None:
    snap = load_snapshot(sid)
    scored = [c for c in snap.criteria if c.fit is None]
    general = [s for s in snap.scores if s.hardware is None]
    assert len(general) == len(snap.frameworks) * len(scored)
    sources = {s.id for s in snap.sources}
    for score in snap.scores:
        assert score.source in sources
        assert score.evidence_date <= snap.as_of
        assert score.evidence_date <= (score.read_on or snap.read_on)
        assert score.rationale
        assert snap.scale.min <= score.value <= snap.scale.max
    for entry in snap.support:
        assert entry.source in sources
        assert entry.evidence_date <= snap.as_of
        assert entry.evidence_date <= (entry.read_on or snap.read_on)
    for source in snap.sources:
        assert source.url or source.publisher, f"{source.id} cannot be found by a reader"


def test_2017_has_the_article_frameworks_and_criteria(snapshot_2017: Snapshot) -> None:
    assert [f.id for f in snapshot_2017.frameworks] == ARTICLE_FRAMEWORKS
    assert [c.id for c in snapshot_2017.criteria] == ARTICLE_CRITERIA
    assert snapshot_2017.as_of.year == 2017
    for score in snapshot_2017.scores:
        assert score.evidence_date.year in (2015, 2016, 2017)


def test_article_scores_quote_the_article(snapshot_2017: Snapshot) -> None:
    seed = Path(__file__).resolve().parent / "data" / "svds2017_zh.txt"
    article = seed.read_text(encoding="utf-8")
    cited = [s for s in snapshot_2017.scores if s.source == "svds2017"]
    assert len(cited) >= 30
    for score in cited:
        assert score.quote, f"{score.framework}/{score.criterion} cites no sentence"
        assert score.quote in article, f"{score.framework}/{score.criterion}: quote not found"


def test_article_claims_order_the_scores(snapshot_2017: Snapshot) -> None:
    def v(fw: str, c: str) -> float:
        return snapshot_2017.score(fw, c).value

    # Each comparison is a sentence of the article.
    documented = ("theano", "torch", "mxnet")
    assert v("tensorflow", "resources") > max(v(f, "resources") for f in documented)
    assert min(v(f, "resources") for f in documented) > v("cntk", "resources")
    assert v("tensorflow", "cnn") == v("torch", "cnn") > v("theano", "cnn")
    assert v("caffe", "rnn") == min(v(f, "rnn") for f in ARTICLE_FRAMEWORKS)
    assert v("caffe", "architecture") < v("tensorflow", "architecture")
    fastest = max(v(f, "speed") for f in ARTICLE_FRAMEWORKS)
    assert v("torch", "speed") == v("neon", "speed") == fastest
    assert v("mxnet", "multi_gpu") == max(v(f, "multi_gpu") for f in ARTICLE_FRAMEWORKS)
    assert {f for f in ARTICLE_FRAMEWORKS if v(f, "keras") > 1} == {"tensorflow", "theano"}
    assert v("tensorflow", "languages") > v("caffe", "languages")


def test_list_snapshots_names_2017() -> None:
    assert "2017" in [info.id for info in list_snapshots()]


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        parse_snapshot(data, "k.toml")
    return info.value.problems


GOOD = snapshot_data([[1, 2], [3, 4]])


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: d.update(schema_version=99), "k.toml: schema_version: unsupported 99"),
    (lambda d: d.pop("schema_version"), "k.toml: schema_version: no schema_version"),
    (lambda d: d.update(extra=1), "k.toml: extra: Extra inputs are not permitted"),
    (lambda d: d["scores"][1].update(value="high"), "k.toml: scores[1].value:"),
    (lambda d: d["scores"][2].update(value=11), "k.toml: scores[2].value: 11 is outside"),
    (lambda d: d["scores"][0].update(source="nowhere"), "k.toml: scores[0].source: unknown"),
    (lambda d: d["scores"][0].update(criterion="zz"), "k.toml: scores[0].criterion: unknown"),
    (lambda d: d["scores"].pop(3), "k.toml: scores: framework 'f1' has no score for c1"),
    (lambda d: d["scores"].append(dict(d["scores"][0])), "k.toml: scores[4]: f0/c0 is already"),
    (lambda d: d["scores"][0].pop("rationale"), "k.toml: scores[0].rationale: Field required"),
    (lambda d: d["scores"][0].update(evidence_date=dt.date(2030, 1, 1)),
     "k.toml: scores[0].evidence_date: 2030-01-01 is later than the snapshot's as_of"),
    (lambda d: d["scores"][0].update(read_on=dt.date(2019, 1, 1)),
     "k.toml: scores[0].evidence_date:"),
    (lambda d: d["scores"][0].pop("evidence_date"),
     "k.toml: scores[0].evidence_date: Field required"),
    (lambda d: d["support"][0].update(target="klingon"),
     "k.toml: support[0].target: unknown language 'klingon'"),
    (lambda d: d["support"][0].pop("evidence_date"),
     "k.toml: support[0].evidence_date: Field required"),
    (lambda d: d["support"][0].pop("source"), "k.toml: support[0].source: Field required"),
    (lambda d: d["support"][0].update(level="binding"),
     "k.toml: support[0].via: a binding entry must name the binding or bridge"),
    (lambda d: d["support"][0].update(level="sort-of"), "k.toml: support[0].level: Input"),
    (lambda d: d["support"].append(dict(d["support"][0])),
     "k.toml: support[2]: f0/language/python is already given in support[0]"),
    (lambda d: d["support"].pop(0), "k.toml: support: framework 'f0' has no language entry"),
    (lambda d: d["criteria"][0].update(fit="language"),
     "k.toml: scores[0].criterion: 'c0' is a fit criterion"),
    (lambda d: d["frameworks"][0].update(languages=["python"]),
     "k.toml: frameworks[0].languages: Extra inputs are not permitted"),
    (lambda d: d["criteria"][0].update(default_weight=-1), "k.toml: criteria[0].default_weight"),
    (lambda d: d["frameworks"].append(dict(d["frameworks"][0])),
     "k.toml: frameworks: id 'f0' appears 2"),
])
def test_malformed_snapshots_are_refused_with_a_location(mutate: Any, expected: str) -> None:
    data = copy.deepcopy(GOOD)
    mutate(data)
    problems = _problems(data)
    assert any(p.startswith(expected) for p in problems), problems


def test_every_problem_is_reported_not_only_the_first() -> None:
    data = copy.deepcopy(GOOD)
    data["scores"][0]["source"] = "nowhere"
    data["scores"][1]["criterion"] = "zz"
    assert len(_problems(data)) >= 2


def test_unreadable_and_unparsable_files(tmp_path: Path) -> None:
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("schema_version = \n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"bad.toml: not valid TOML"):
        load_snapshot(str(bad_toml))
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"bad.json: not valid JSON"):
        load_snapshot(str(bad_json))
    with pytest.raises(KnowledgeError, match="no such file"):
        load_snapshot(str(tmp_path / "missing.toml"))
    with pytest.raises(KnowledgeError, match="unknown knowledge snapshot 'nope'"):
        load_snapshot("nope")


def test_a_json_snapshot_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(GOOD, default=str), encoding="utf-8")
    assert load_snapshot(str(path)).id == "synthetic"


def test_grading_rules_refuse_an_own_runtime_as_a_bridge_and_one_route_graded_twice() -> None:
    """kb validate's consistency rules (docs/knowledge-format.md): each fails on the data
    that breaks it, and the shipped snapshot keeps them."""
    data = copy.deepcopy(GOOD)
    data["frameworks"][0]["runtimes"] = ["own-rt"]
    day = data["as_of"]
    data["targets"] += [{"axis": "deployment", "id": t, "name": t, "meaning": "m"}
                        for t in ("android", "ios")]
    data["support"] += [
        {"framework": "f0", "axis": "deployment", "target": "android", "level": "bridge",
         "via": "its own runtime", "route": "own-rt", "source": "test", "evidence_date": day},
        {"framework": "f0", "axis": "deployment", "target": "ios", "level": "native",
         "route": "shared", "source": "test", "evidence_date": day},
        {"framework": "f1", "axis": "deployment", "target": "ios", "level": "bridge",
         "via": "the same converter", "route": "shared", "source": "test",
         "evidence_date": day}]
    with pytest.raises(KnowledgeError) as err:
        parse_snapshot(data, "k.toml")
    problems = err.value.problems
    assert any("f0/deployment/android goes through its own runtime 'own-rt'" in p
               for p in problems)
    assert any("route 'shared' to deployment ios is graded differently" in p
               for p in problems)
    load_snapshot("current")  # the shipped snapshot passes both rules
