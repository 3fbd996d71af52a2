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
from selector.models import Snapshot
from selector.vocab import LEVEL_VALUE, Axis, Status, SupportLevel

runner = CliRunner()
RETIRED = {"theano", "torch", "caffe", "mxnet", "neon", "cntk"}
ACTIVE = {"tensorflow", "pytorch", "jax", "paddlepaddle", "keras", "mlx", "mindspore"}


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
        for axis in (Axis.LANGUAGE, Axis.HARDWARE, Axis.DEPLOYMENT):
            assert snap.support_of(fw.id, axis), (fw.id, axis)
    criteria = {c.id for c in snap.criteria}
    assert criteria >= {"languages", "resources", "cnn", "rnn", "architecture", "speed",
                        "multi_gpu", "keras", "model_hub", "serving", "workload", "existing",
                        "deployment", "hardware", "distributed", "maintenance", "adoption"}


def test_every_target_has_an_entry_or_a_recorded_none_for_every_active_framework() -> None:
    snap = load_snapshot("current")
    active = [f.id for f in snap.frameworks if f.status is Status.ACTIVE]
    for target in snap.targets:
        if target.axis is Axis.EXISTING:
            # the team's code in X: every candidate framework says how it takes X's code
            pass
        for fid in active:
            if target.axis is Axis.EXISTING and fid == "mindspore" and target.id == "mindspore":
                continue
            assert any(e.framework == fid and e.axis is target.axis and e.target == target.id
                       for e in snap.support), (fid, target.axis.value, target.id)


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


def _level(snap: Snapshot, fid: str, axis: Axis, target: str) -> SupportLevel:
    entry = snap.support_of(fid, axis).get(target)
    return SupportLevel.NONE if entry is None else entry.level


@pytest.mark.parametrize(("flag", "value", "axis", "lacking"), [
    ("--hardware", "tpu", Axis.HARDWARE, "no route to tpu"),
    ("--deployment", "browser", Axis.DEPLOYMENT, "no route to browser"),
    ("--language", "java", Axis.LANGUAGE, "no route from java"),
])
def test_support_entries_exclude_only_without_a_route(flag: str, value: str, axis: Axis,
                                                      lacking: str) -> None:
    code, out, _ = run("recommend", flag, value, "--format", "json", "--samples", "0")
    assert code == 0
    doc = json.loads(out)
    snap = load_snapshot("current")
    for entry in doc["ranking"]:
        assert _level(snap, entry["framework"], axis, value) is not SupportLevel.NONE
    constrained = [e for e in doc["excluded"] if e["axis"] == axis.value]
    assert constrained and all(lacking in e["reason"] and e["targets"] == [value]
                               for e in constrained)
    for e in constrained:
        assert _level(snap, e["framework"], axis, value) is SupportLevel.NONE


def test_a_removed_route_is_named_in_the_reason() -> None:
    rec = recommend(build_profile(deployment=["edge-gpu"]).model_copy(update={"samples": 0}))
    mlx = next(e for e in rec.excluded if e.framework == "mlx")
    assert "no route to edge-gpu" in mlx.reason and "Jetson" in mlx.reason


def test_fit_counts_the_team_targets_not_breadth() -> None:
    """A Python-only team is not rewarded for bindings it will never use: every active
    framework is native in Python, so the language column is constant and decides nothing."""
    rec = recommend(build_profile(languages=["python"]).model_copy(update={"samples": 0}))
    values = {r.evidence["languages"].value for r in rec.ranking}
    assert values == {5.0}
    assert all(r.decomposition["languages"] == 0 for r in rec.ranking)
    # Left open, the axis counts breadth: the mean level over every language covered.
    snap = load_snapshot("current")
    open_axis = recommend(build_profile().model_copy(update={"samples": 0}), snap)
    covered = snap.covers(Axis.LANGUAGE)
    for entry in open_axis.ranking:
        levels = [LEVEL_VALUE[_level(snap, entry.framework, Axis.LANGUAGE, t)] for t in covered]
        expected = 1 + 4 * sum(levels) / len(levels)
        assert entry.evidence["languages"].value == pytest.approx(expected, abs=1e-6)
        assert entry.evidence["languages"].origin == "support"


def test_tpu_and_apple_silicon_rank_by_the_team_device() -> None:
    """The two used to give identical rankings (both only tripled a breadth score)."""
    tpu = recommend(build_profile(languages=["python"], hardware=["tpu"])
                    .model_copy(update={"samples": 0}))
    apple = recommend(build_profile(languages=["python"], hardware=["apple-silicon"])
                      .model_copy(update={"samples": 0}))
    assert [r.framework for r in tpu.ranking] != [r.framework for r in apple.ranking]
    assert "jax" in {r.framework for r in tpu.ranking}
    assert "jax" in {e.framework for e in apple.excluded}
    # A score measured on other hardware is capped where the route to the team's is a
    # third-party binding (TorchTPU), and evidence measured on the team's device replaces
    # the general score (JAX's MLPerf TPU entries).
    pytorch = next(r for r in tpu.ranking if r.framework == "pytorch")
    assert pytorch.evidence["speed"].capped_from == 5
    assert pytorch.evidence["speed"].value == pytest.approx(1 + 4 * 0.6)
    assert pytorch.evidence["speed"].hardware is None
    jax = next(r for r in tpu.ranking if r.framework == "jax")
    assert jax.evidence["speed"].hardware == "tpu"


def test_several_hardware_answers_neither_zero_nor_compound() -> None:
    weights = json.loads(run("recommend", "--hardware", "cpu", "--hardware", "multi-gpu",
                             "--format", "json", "--samples", "0")[1])["weights"]
    snap = load_snapshot("current")
    default = {c.id: c.default_weight for c in snap.criteria}
    ratio = default["multi_gpu"] / default["resources"]
    assert weights["multi_gpu"] == pytest.approx(3 * ratio * weights["resources"], abs=1e-5)
    weights = json.loads(run("recommend", "--hardware", "gpu", "--hardware", "multi-gpu",
                             "--format", "json", "--samples", "0")[1])["weights"]
    assert weights["speed"] == pytest.approx(1.5 * weights["resources"], abs=1e-5)


def test_deployment_target_shifts_weight() -> None:
    code, out, _ = run("recommend", "--deployment", "mobile", "--format", "json")
    assert code == 0
    weights = json.loads(out)["weights"]
    assert weights["deployment"] == pytest.approx(3 * weights["speed"], abs=1e-5)


OVERLAY = """
schema_version = 2
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
evidence_date = 2026-11-01
rationale = "Nobody on the team has used JAX."

[[scores]]
framework = "pytorch"
criterion = "maintenance"
value = 4
source = "team-review"
evidence_date = 2026-11-01
rationale = "We pin an old PyTorch and patch it ourselves."

[[support]]
framework = "pytorch"
axis = "language"
target = "csharp"
level = "native"
source = "team-review"
evidence_date = 2026-11-01
note = "We run TorchSharp in production and maintain our own fork."
"""


def test_overlay_changes_exactly_the_scores_it_names(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(OVERLAY, encoding="utf-8")
    base = load_snapshot("current")
    merged = load_snapshot(str(path))
    changed = {(s.framework, s.criterion) for s, b in zip(merged.scores, base.scores, strict=True)
               if s != b}
    assert changed == {("jax", "resources"), ("pytorch", "maintenance")}
    csharp = merged.support_of("pytorch", Axis.LANGUAGE)["csharp"]
    assert csharp.level is SupportLevel.NATIVE and csharp.overlay == "our-team"
    assert csharp.replaces is SupportLevel.BINDING
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
    (('source = "team-review"\nevidence_date = 2026-11-01\nrationale = "Nobody',
      'source = "rumour"\nevidence_date = 2026-11-01\nrationale = "Nobody'),
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
    assert out.strip() == (f"{path}: valid overlay 'our-team' of snapshot 'current' "
                           "(2 scores, 1 support entries)")


def test_a_version_1_overlay_still_loads(tmp_path: Path) -> None:
    old = OVERLAY.split("[[support]]")[0].replace("schema_version = 2", "schema_version = 1")
    old = old.replace("evidence_date =", "as_of =")
    path = tmp_path / "old.toml"
    path.write_text(old, encoding="utf-8")
    merged = load_snapshot(str(path))
    assert merged.score("jax", "resources").evidence_date.isoformat() == "2026-11-01"


def test_a_version_1_snapshot_is_refused_with_the_way_to_convert(tmp_path: Path) -> None:
    path = tmp_path / "old.toml"
    path.write_text("schema_version = 1\nid = 'x'\n", encoding="utf-8")
    code, _, err = run("kb", "validate", str(path))
    assert code == 1
    assert "schema_version: 1 is no longer read" in err and "From earlier versions" in err


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
    scored = [c for c in doc["criteria"] if "fit" not in c]
    general = [s for s in doc["scores"] if "hardware" not in s]
    assert len(general) == len(doc["frameworks"]) * len(scored)
    for score in doc["scores"]:
        assert score["source"] and score["evidence_date"] and score["rationale"]
    for entry in doc["support"]:
        assert entry["source"] and entry["evidence_date"] and entry["level"]
    code, out, _ = run("kb", "show", "PyTorch", "--format", "json")
    assert {s["framework"] for s in json.loads(out)["scores"]} == {"pytorch"}
    assert {s["framework"] for s in json.loads(out)["support"]} == {"pytorch"}
    code, out, _ = run("kb", "show", "tensorflow", "--kb", "2017")
    assert code == 0 and "TensorFlow" in out and "svds2017" in out
    code, _, err = run("kb", "show", "chainer")
    assert code == 2 and "unknown framework 'chainer' in snapshot current" in err
