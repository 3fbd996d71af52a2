"""The vocabulary of 2026 (the snapshot's targets): every question a team brings gets an answer
or advice in every format, old words keep working and say how they were read."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from selector.cli.app import app

runner = CliRunner()

#: The profiles the vocabulary issue names, each answered with a ranking or with advice.
DONE_WHEN = [
    ["--workload", "llm-finetune", "--hardware", "amd-gpu", "--scale", "multi-node"],
    ["--workload", "llm-serving", "--hardware", "tpu"],
    ["--deployment", "ios", "-l", "swift"],
    ["--deployment", "microcontroller"],
    ["--existing", "tensorflow", "--workload", "vision"],
    ["--hardware", "aws-neuron"],
]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["recommend", "--no-probe", "--samples", "200", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("args", DONE_WHEN, ids=lambda a: " ".join(a))
@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "html"])
def test_each_question_of_2026_gets_an_answer_in_every_format(args: list[str], fmt: str) -> None:
    code, out, err = run(*args, "--format", fmt)
    assert code == 0, err
    assert "Traceback" not in err
    if fmt == "json":
        doc = json.loads(out)
        assert doc["schema_version"] == 2 and doc["ranking"]
    else:
        assert out.strip()


def test_tabular_work_gets_the_advice_not_a_ranking() -> None:
    code, out, err = run("--workload", "tabular")
    assert code == 2 and out == ""
    first, tip = err.splitlines()
    assert first == "dlselect: error: no framework in snapshot current serves Tabular data"
    assert tip.startswith("Tip: Start without a deep-learning framework") and "XGBoost" in tip


def test_old_words_are_read_as_the_new_ids_and_the_answer_says_so() -> None:
    code, out, _ = run("--task", "cnn", "--hardware", "gpu", "--hardware", "multi-gpu",
                       "--deployment", "mobile", "--format", "json")
    assert code == 0
    profile = json.loads(out)["profile"]
    assert profile["workloads"] == ["vision"]
    assert profile["hardware"] == ["nvidia-gpu"] and profile["scale"] == ["multi-device"]
    assert profile["deployment"] == ["android", "ios"]
    read = {(r["axis"], r["word"]): r["targets"] for r in profile["readings"]}
    assert read[("hardware", "gpu")] == ["nvidia-gpu"]
    assert read[("scale", "multi-gpu")] == ["multi-device"]
    assert read[("deployment", "mobile")] == ["android", "ios"]
    code, out, _ = run("--hardware", "gpu")
    assert "'gpu' is read as hardware nvidia-gpu" in " ".join(out.split())


def test_an_amd_team_is_ranked_on_amd_evidence() -> None:
    code, out, _ = run("-l", "python", "--hardware", "amd-gpu", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    pytorch = next(r for r in doc["ranking"] if r["framework"] == "pytorch")
    assert pytorch["evidence"]["speed"]["hardware"] == "amd-gpu"
    assert "mlx" in {e["framework"] for e in doc["excluded"]}  # no ROCm route
    code, out, _ = run("-l", "python", "--hardware", "nvidia-gpu", "--format", "json")
    pytorch = next(r for r in json.loads(out)["ranking"] if r["framework"] == "pytorch")
    assert pytorch["evidence"]["speed"]["hardware"] == "nvidia-gpu"


def test_a_beta_route_is_named_where_it_leads() -> None:
    code, out, _ = run("-l", "python", "--workload", "llm-finetune", "--hardware", "tpu")
    assert code == 0
    flat = " ".join(out.split())
    assert "PyTorch reaches tpu through TorchTPU" in flat and ", beta" in flat


def test_training_in_javascript_is_told_apart_from_running_models_there() -> None:
    code, out, _ = run("-l", "javascript", "--workload", "vision", "--format", "json")
    doc = json.loads(out)
    # Only stale routes train in JavaScript: TF.js, and node-mlx (third-party) for MLX.
    assert {r["framework"] for r in doc["ranking"]} == {"tensorflow", "mlx"}
    for entry in doc["ranking"]:
        support = entry["evidence"]["languages"]["support"]
        assert support[0]["level"] == "stale" and support[0]["role"] == "train"
    runs = {e["framework"] for e in doc["excluded"] if "javascript" in e["runs_from"]}
    assert {"pytorch", "keras"} <= runs
    code, out, _ = run("-l", "python", "--runtime-language", "javascript", "--workload",
                       "vision", "--deployment", "browser", "--format", "json")
    assert "pytorch" in {r["framework"] for r in json.loads(out)["ranking"]}


def test_keras_compatibility_counts_only_for_a_team_with_keras_code() -> None:
    _, out, _ = run("--format", "json")
    assert json.loads(out)["weights"]["keras"] == 0
    _, out, _ = run("--existing", "keras", "--format", "json")
    weights = json.loads(out)["weights"]
    assert weights["keras"] > 0 and weights["existing"] > weights["keras"]


def test_an_unknown_word_names_the_nearest() -> None:
    code, out, err = run("--workload", "llm-fintune")
    assert code == 2 and out == ""
    assert err.splitlines()[0].startswith(
        "dlselect: error: unknown workload 'llm-fintune' in snapshot current; did you mean "
        "llm-finetune")


def test_kb_targets_lists_the_vocabulary() -> None:
    result = runner.invoke(app, ["kb", "targets", "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    by_id = {(r["axis"], r["id"]): r for r in rows}
    assert "gpu" in by_id[("hardware", "nvidia-gpu")]["aliases"]
    assert by_id[("workload", "tabular")]["frameworks"] == []
    assert by_id[("workload", "tabular")]["unserved"]
    assert {r["axis"] for r in rows} == {"language", "workload", "hardware", "scale",
                                          "deployment", "existing"}
    result = runner.invoke(app, ["kb", "targets", "workload", "--kb", "2017"])
    assert result.exit_code == 0 and "cnn" in result.stdout and "llm" not in result.stdout


def test_of_several_run_routes_from_one_language_the_best_counts() -> None:
    from selector.knowledge import load_snapshot
    from selector.vocab import Axis, Role

    snap = load_snapshot("current")
    routes = {e.route: e.level.value for e in snap.support if e.framework == "pytorch"
              and e.axis is Axis.LANGUAGE and e.target == "swift" and e.role is Role.RUN}
    assert routes == {"executorch": "limited", "coremltools-torch": "bridge"}
    assert snap.support_of("pytorch", Axis.LANGUAGE, Role.RUN)["swift"].route == "executorch"
    code, out, _ = run("-l", "python", "--runtime-language", "swift", "--deployment", "ios",
                       "--format", "json")
    pytorch = next(r for r in json.loads(out)["ranking"] if r["framework"] == "pytorch")
    swift = [s for s in pytorch["evidence"]["languages"]["support"] if s["target"] == "swift"]
    assert swift[0]["level"] == "limited" and "ExecuTorch" in swift[0]["via"]
