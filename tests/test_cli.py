"""``dlselect`` as a user meets it: the JSON contract, the table, and every bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from selector.cli.app import app
from tests.conftest import REPO

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_python_cnn_json_ranks_tensorflow_first() -> None:
    code, out, err = run("recommend", "--language", "python", "--task", "cnn", "--kb", "2017",
                         "--no-probe", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) >= {"schema_version", "snapshot", "profile", "weights", "ranking", "excluded"}
    assert doc["schema_version"] == 2
    assert doc["snapshot"]["id"] == "2017"
    assert doc["ranking"][0]["framework"] == "tensorflow"
    assert [r["rank"] for r in doc["ranking"]] == list(range(1, len(doc["ranking"]) + 1))
    for entry in doc["ranking"]:
        assert set(entry) >= {"framework", "rank", "score", "contributions"}
        assert set(entry["contributions"]) == set(doc["weights"])
    assert sum(doc["weights"].values()) == pytest.approx(1.0, abs=1e-5)
    torch = next(e for e in doc["excluded"] if e["framework"] == "torch")
    assert "lua" in torch["reason"] and "python" in torch["reason"]


def test_lua_rnn_multi_gpu_ranks_torch_first() -> None:
    code, out, err = run("recommend", "--language", "lua", "--task", "rnn", "--hardware",
                         "multi-gpu", "--kb", "2017", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["ranking"][0]["framework"] == "torch"


def test_wsm_method_and_scores_sorted() -> None:
    code, out, _ = run("recommend", "--kb", "2017", "--method", "wsm", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["method"] == "wsm"
    scores = [r["score"] for r in doc["ranking"]]
    assert scores == sorted(scores, reverse=True)
    for entry in doc["ranking"]:
        assert entry["score"] == pytest.approx(sum(entry["contributions"].values()), abs=1e-5)


def test_scikit_criteria_methods_join_the_method_comparison() -> None:
    code, out, err = run("recommend", "--kb", "2017", "--method", "multimoora,wsm",
                         "--method", "moora", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["method"] == "wsm"  # the ranking method ranks and explains
    methods = doc["robustness"]["methods"]
    assert list(methods["orders"]) == ["topsis", "wsm", "wpm", "vikor", "multimoora", "moora"]
    assert "moora/multimoora" not in methods["kendall_tau"]
    assert "multimoora/moora" in methods["kendall_tau"]
    assert set(methods["winners"]) == set(methods["orders"])
    _, plain, _ = run("recommend", "--kb", "2017", "--method", "wsm", "--format", "json")
    assert json.loads(plain)["ranking"] == doc["ranking"]
    code, _, err = run("recommend", "--kb", "2017", "--method", "moora")
    assert code == 0
    assert "dlselect: moora ranks in the method comparison; topsis ranks and explains" in err


def test_cross_check_says_scikit_criteria_ranks_alike() -> None:
    code, out, err = run("recommend", "--kb", "2017", "--cross-check", "--format", "json")
    assert code == 0, err
    assert "\ndlselect: cross-check: scikit-criteria " in err
    assert "ranks as dlselect does by TOPSIS, WSM, WPM and VIKOR (scores at most" in err
    _, plain, _ = run("recommend", "--kb", "2017", "--format", "json")
    assert json.loads(out)["ranking"] == json.loads(plain)["ranking"]


def test_cross_check_fails_on_a_wrong_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    from selector.engine.methods import METHODS
    from selector.vocab import Method

    wsm = type(METHODS[Method.WSM])
    right = wsm.scores
    monkeypatch.setattr(wsm, "scores", lambda self, unit, w, maximise, span:
                        right(self, unit, w, maximise, span) + 0.01 * unit[..., 0])
    code, out, err = run("recommend", "--kb", "2017", "--cross-check", "--format", "json")
    assert code == 1
    assert json.loads(out)["ranking"]  # the result is still written
    assert "dlselect: cross-check: scikit-criteria" in err and "differs by WSM" in err
    assert "TOPSIS" not in err


def test_table_shows_ranking_and_exclusions() -> None:
    code, out, _ = run("recommend", "--kb", "2017", "--language", "python", "--task", "cnn")
    assert code == 0
    assert "TensorFlow" in out and "Excluded" in out and "Torch7" in out
    assert out.index("TensorFlow") < out.index("Excluded")


def test_weight_override_reaches_the_output() -> None:
    code, out, _ = run("recommend", "--kb", "2017", "--weight", "speed=5", "--format", "json")
    assert code == 0
    weights = json.loads(out)["weights"]
    assert weights["speed"] == pytest.approx(5 / 12, abs=1e-5)


def test_output_file_is_written_and_stdout_stays_empty(tmp_path: Path) -> None:
    target = tmp_path / "rec.json"
    code, out, _ = run("recommend", "--format", "json", "--output", str(target))
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["ranking"]
    assert [p.name for p in tmp_path.iterdir()] == ["rec.json"]


def test_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run("recommend", "--output", str(tmp_path / "no" / "such" / "dir.json"))
    assert code == 2
    assert err.startswith("dlselect: error: cannot write")


BAD_INPUTS = [
    (["--device", "tpu"], "unknown device 'tpu' for --device; allowed: auto, cpu, gpu"),
    (["--language", "klingon"], "unknown language 'klingon' in snapshot 2017; known: python"),
    (["--task", "gan"], "unknown workload 'gan' in snapshot 2017; known: cnn, rnn"),
    (["--workload", "transformer"], "unknown workload 'transformer' in snapshot 2017; known: "
                                    "cnn, rnn"),
    (["--hardware", "fpga"], "unknown hardware 'fpga' in snapshot 2017; known: cpu, gpu, "
                             "multi-gpu"),
    (["--hardware", "tpu"], "unknown hardware 'tpu' in snapshot 2017; did you mean gpu or "
                            "cpu? known: cpu, gpu, multi-gpu"),
    (["--hardware", "gpus"], "unknown hardware 'gpus' in snapshot 2017; did you mean gpu?"),
    (["--weight", "beauty=2"], "unknown criterion 'beauty' in --weight; snapshot 2017 has:"),
    (["--kb", "1999"], "unknown knowledge snapshot '1999'; built in: 2017, current"),
    (["--method", "electre"], "unknown method 'electre'; allowed: topsis, wsm"),
    (["--method", "vikor"], "unknown method 'vikor'; allowed: topsis, wsm (rank and explain), "
                            "moora, multimoora (scikit-criteria's, compared)"),
    (["--method", "topsis", "--method", "wsm"], "one ranking method at a time, not topsis and wsm"),
    (["--method", "moora", "--samples", "0"], "--method moora: scikit-criteria's methods rank in "
                                              "the method comparison of the robustness analysis"),
    (["--weight", "speed=-1"], "weight of 'speed' must be >= 0, got -1.0"),
    (["--weight", "speed=nan"], "weight of 'speed' must be a finite number, got nan"),
    (["--weight", "speed=inf"], "weight of 'speed' must be a finite number, got inf"),
    (["--weight", "speed=fast"], "weight of 'speed' must be a number, got 'fast'"),
    (["--weight", "speed"], "--weight 'speed' must look like CRITERION=WEIGHT"),
    (["--format", "xml"], "unknown format 'xml'; allowed: table, json"),
    ([f"--weight={c}=0" for c in ("languages", "resources", "cnn", "rnn", "architecture",
                                   "speed", "multi_gpu", "keras")],
     "all criterion weights are zero"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    code, out, err = run("recommend", "--kb", "2017", *args)
    assert code == 2
    assert out == ""
    first = err.splitlines()[0]
    assert first.startswith("dlselect: error: ")
    assert message in first
    assert "Traceback" not in err


@pytest.mark.parametrize(("content", "message"), [
    ("schema_version = 7\n", "schema_version: unsupported 7"),
    ("schema_version = 3\nid = \n", "not valid TOML"),
    ("schema_version = 3\nid = 'x'\n", "title: Field required (and"),
    ("schema_version = 1\nid = 'x'\n", "schema_version: 1 is no longer read"),
    ("schema_version = 2\nid = 'x'\n", "schema_version: 2 is no longer read"),
])
def test_bad_knowledge_file_is_one_line_and_exit_2(tmp_path: Path, content: str,
                                                   message: str) -> None:
    path = tmp_path / "kb.toml"
    path.write_text(content, encoding="utf-8")
    code, _, err = run("recommend", "--kb", str(path))
    assert code == 2
    assert message in err.splitlines()[0]
    assert "Traceback" not in err


def test_help_imports_no_heavy_module() -> None:
    probe = ("import sys, runpy; sys.argv = ['dlselect', '--help']\n"
             "try:\n    runpy.run_module('selector', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "heavy = [m for m in ('numpy', 'pydantic', 'skcriteria', 'pandas', 'torch',"
             " 'tensorflow') if m in sys.modules]\n"
             "print('HEAVY', heavy, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "PYTHONWARNINGS": ""}, timeout=60)
    assert "recommend" in proc.stdout
    assert "HEAVY []" in proc.stderr


def test_installed_console_script_runs() -> None:
    script = Path(sys.executable).parent / "dlselect"
    proc = subprocess.run([str(script), "recommend", "--kb", "2017", "--language", "python",
                           "--task", "cnn", "--format", "json"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ranking"][0]["framework"] == "tensorflow"
