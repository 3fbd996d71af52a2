"""The current snapshot: status, constraints, overlays and the kb commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from selector.cli.app import app
from selector.engine.profile import build_profile
from selector.engine.recommend import recommend
from selector.knowledge import load_snapshot
from selector.vocab import Status

runner = CliRunner()
RETIRED = {"theano", "torch", "caffe", "mxnet", "neon", "cntk"}
ACTIVE = {"tensorflow", "pytorch", "jax", "paddlepaddle", "keras"}


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_current_has_the_frameworks_and_statuses() -> None:
    snap = load_snapshot("current")
    status = {f.id: f.status for f in snap.frameworks}
    assert {f for f, s in status.items() if s is Status.RETIRED} == RETIRED
    assert {f for f, s in status.items() if s is Status.ACTIVE} == ACTIVE
    for fw in snap.frameworks:
        assert fw.status_as_of is not None and fw.status_source and fw.status_note
        assert fw.hardware and fw.deployment and fw.source
    criteria = {c.id for c in snap.criteria}
    assert criteria >= {"languages", "resources", "cnn", "rnn", "architecture", "speed",
                        "multi_gpu", "keras", "transformer", "deployment", "hardware",
                        "distributed", "maintenance", "adoption"}


def test_done_when_transformer_gpu_json_is_ranked_from_current() -> None:
    code, out, err = run("recommend", "--language", "python", "--task", "transformer",
                         "--hardware", "gpu", "--no-probe", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["snapshot"]["id"] == "current"
    assert {r["framework"] for r in doc["ranking"]} <= ACTIVE
    excluded = {e["framework"]: e["reason"] for e in doc["excluded"]}
    assert set(excluded) >= RETIRED
    for fw in RETIRED:
        assert excluded[fw].startswith("retired (status as of ")
        assert "--allow-retired" in excluded[fw]


def test_allow_retired_ranks_them() -> None:
    rec = recommend(build_profile(snapshot="current").model_copy(update={"allow_retired": True}))
    assert {r.framework for r in rec.ranking} == RETIRED | ACTIVE
    assert rec.excluded == []


@pytest.mark.parametrize(("flag", "value", "lacking"), [
    ("--hardware", "tpu", "cannot use tpu"),
    ("--deployment", "browser", "cannot deploy to browser"),
    ("--language", "java", "usable from python only"),
])
def test_hardware_deployment_and_language_exclude_with_reason(flag: str, value: str,
                                                              lacking: str) -> None:
    code, out, _ = run("recommend", flag, value, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    snap = load_snapshot("current")
    for entry in doc["ranking"]:
        fw = snap.framework(entry["framework"])
        listed = {"--hardware": fw.hardware, "--deployment": fw.deployment,
                  "--language": fw.languages}[flag]
        assert listed is not None and value in listed
    assert any(lacking in e["reason"] for e in doc["excluded"])


def test_deployment_target_shifts_weight() -> None:
    code, out, _ = run("recommend", "--deployment", "mobile", "--format", "json")
    assert code == 0
    weights = json.loads(out)["weights"]
    assert weights["deployment"] == pytest.approx(3 * weights["speed"], abs=1e-5)


OVERLAY = """
schema_version = 1
kind = "overlay"
id = "our-team"
title = "Our team's own judgement"
base = "current"
as_of = 2026-11-01

[[sources]]
id = "team-review"
title = "Platform team review, November 2026"

[[scores]]
framework = "jax"
criterion = "resources"
value = 2
source = "team-review"
as_of = 2026-11-01
rationale = "Nobody on the team has used JAX."

[[scores]]
framework = "pytorch"
criterion = "deployment"
value = 5
source = "team-review"
as_of = 2026-11-01
rationale = "We already serve PyTorch models with our own stack."
"""


def test_overlay_changes_exactly_the_scores_it_names(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(OVERLAY, encoding="utf-8")
    base = load_snapshot("current")
    merged = load_snapshot(str(path))
    changed = {(s.framework, s.criterion) for s, b in zip(merged.scores, base.scores, strict=True)
               if s != b}
    assert changed == {("jax", "resources"), ("pytorch", "deployment")}
    assert merged.score("jax", "resources").value == 2
    code, out, _ = run("recommend", "--kb", str(path), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["snapshot"]["overlay"] == "our-team"
    assert {(o["framework"], o["criterion"]) for o in doc["overrides"]} == changed
    jax = next(o for o in doc["overrides"] if o["framework"] == "jax")
    assert jax["base_value"] == base.score("jax", "resources").value
    code, table, _ = run("recommend", "--kb", str(path))
    assert "Scores from overlay our-team" in table and "jax/resources" in table


@pytest.mark.parametrize(("change", "expected"), [
    (('base = "current"', 'base = "1999"'), "base: unknown built-in snapshot '1999'"),
    (('framework = "jax"', 'framework = "chainer"'),
     "scores[0].framework: unknown framework 'chainer' in snapshot current"),
    (('criterion = "resources"', 'criterion = "vibes"'),
     "scores[0].criterion: unknown criterion 'vibes' in snapshot current"),
    (("value = 2", "value = 9"), "scores[0].value: 9 is outside the scale [1, 5]"),
    (('source = "team-review"\nas_of = 2026-11-01\nrationale = "Nobody',
      'source = "rumour"\nas_of = 2026-11-01\nrationale = "Nobody'),
     "scores[0].source: unknown source 'rumour'"),
    (('id = "team-review"', 'id = "jax-readme"'),
     "sources[0].id: 'jax-readme' is already used; choose another id"),
    (('rationale = "Nobody on the team has used JAX."', ''),
     "scores[0].rationale: Field required"),
    (('kind = "overlay"', 'kind = "overlay"\nextra = 1'), "extra: Extra inputs are not permitted"),
])
def test_kb_validate_refuses_malformed_overlays_with_location(
        tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(OVERLAY.replace(*change, 1), encoding="utf-8")
    code, out, err = run("kb", "validate", str(path))
    assert code == 1
    assert out == ""
    assert any(line.startswith(f"{path}: {expected}") for line in err.splitlines()), err


def test_kb_validate_accepts_a_good_overlay(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(OVERLAY, encoding="utf-8")
    code, out, _ = run("kb", "validate", str(path))
    assert code == 0
    assert out.strip() == f"{path}: valid overlay 'our-team' of snapshot 'current' (2 scores)"


def test_kb_validate_reports_every_problem(tmp_path: Path) -> None:
    data = load_snapshot("2017").model_dump(mode="json", exclude_none=True)
    data["scores"][0]["source"] = "nowhere"
    data["scores"][5]["value"] = 0
    data["frameworks"][1]["status"] = "zombie"
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run("kb", "validate", str(path))
    assert code == 1
    assert f"{path}: frameworks[1].status: Input should be" in err
    data["frameworks"][1]["status"] = "active"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run("kb", "validate", str(path))
    lines = err.splitlines()
    assert f"{path}: scores[0].source: unknown source 'nowhere'" in lines
    assert f"{path}: scores[5].value: 0 is outside the scale [1, 5]" in lines


def test_every_shipped_snapshot_validates_through_the_cli() -> None:
    for sid in ("2017", "current"):
        path = Path(__file__).resolve().parents[1] / "knowledge" / f"{sid}.toml"
        code, out, _ = run("kb", "validate", str(path))
        assert code == 0 and f"valid snapshot '{sid}'" in out


def test_kb_list_and_show() -> None:
    code, out, _ = run("kb", "list", "--format", "json")
    assert code == 0
    listed = {s["id"]: s for s in json.loads(out)}
    assert listed["current"]["default"] and listed["2017"]["as_of"] == "2017-12-31"
    code, out, _ = run("kb", "show", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert len(doc["scores"]) == len(doc["frameworks"]) * len(doc["criteria"])
    for score in doc["scores"]:
        assert score["source"] and score["as_of"] and score["rationale"]
    code, out, _ = run("kb", "show", "pytorch", "--format", "json")
    assert {s["framework"] for s in json.loads(out)["scores"]} == {"pytorch"}
    code, out, _ = run("kb", "show", "tensorflow", "--kb", "2017")
    assert code == 0 and "TensorFlow" in out and "svds2017" in out
    code, _, err = run("kb", "show", "chainer")
    assert code == 2 and "unknown framework 'chainer' in snapshot current" in err
