"""The wizard: scripted sessions for every path, replay parity, and a real terminal."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pexpect
import pytest
from typer.testing import CliRunner

from selector.cli.app import app
from selector.engine.priorities import Help
from tests.conftest import REPO

runner = CliRunner()


def session(lines: list[str], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["wizard", "--script", *args], input="\n".join(lines) + "\n")
    return result.exit_code, result.stdout, result.stderr


# languages, languages that only run models, workloads, hardware, scale, deployment,
# existing code, priorities (a change, then blank: keep), retired?, probe?, save?, report
ANSWERED = ["python, cpp", "", "transformer", "gpu, multi-gpu", "", "server", "",
            "speed++ keras0", "", "y", "n", "n", "n"]


def test_every_question_answered() -> None:
    code, out, err = session(ANSWERED)
    assert code == 0, err
    # Questions go to stderr, the verdict to stdout.
    # The snapshot is no question: the default, named, with the advanced flag to change it.
    flat = " ".join(err.split())  # rich wraps long lines
    assert "Knowledge: snapshot current, as of" in flat and "--kb SNAPSHOT" in flat
    assert "Knowledge snapshot" not in err and "Languages your team writes" in err
    assert "What you build" in err and "Hardware you will train on" in err
    assert "How many devices" in err and "Frameworks you already have code in" in err
    assert "Where models must run" in err and "What matters most?" in err
    assert "Another change" in err  # the priorities are shown back after a change
    assert "Rank retired frameworks too" in err
    assert "Rank" in out and "Why:" in out
    # Retired frameworks were allowed, so none is excluded for being retired.
    assert "retired (status as of" not in out


# Its script answers the probe question, asked only where a framework is installed.
@pytest.mark.frameworks
def test_all_defaults_runs_the_probes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    code, out, err = session([""] * 13)
    assert code == 0, err
    assert "Frameworks found here:" in err and "torch" in err
    assert "Scores from live probes" in out
    assert "retired (status as of" in out  # excluded by default


def test_a_bad_answer_is_explained_and_asked_again() -> None:
    lines = ["klingon", "python", "gan", "cnn", "fpga", "gpu",
             "speed+++", "speed+", "", "n", "n", "n"]
    code, out, err = session(lines, "--kb", "2017")
    assert code == 0, err
    flat = " ".join(err.split())
    assert "unknown language 'klingon'" in flat and "please try again" in flat
    assert "unknown workload 'gan' in snapshot 2017; known: cnn, rnn" in flat
    assert "unknown hardware 'fpga' in snapshot 2017; known: cpu, gpu, multi-gpu" in flat
    assert "cannot read 'speed+++'" in err
    assert "TensorFlow" in out  # the 2017 verdict for a Python CNN team


def test_an_unknown_snapshot_is_refused_before_the_first_question() -> None:
    code, out, err = session(["python"], "--kb", "2018")
    assert code == 2 and out == ""
    assert err.startswith("dlselect: error: unknown knowledge snapshot '2018'; built in: "
                          "2017, current\nTip: ")


def test_2017_asks_only_what_it_can_use() -> None:
    code, _, err = session(["", "", "", "", "n", "n", "n"], "--kb", "2017")
    assert code == 0
    assert "Knowledge: snapshot 2017, as of 2017-" in " ".join(err.split())
    assert "Where models must run" not in err  # 2017 knows no deployment targets
    assert "Rank retired frameworks" not in err  # and no retired frameworks
    assert "transformer" not in err.split("What you build")[1].splitlines()[0]
    assert "How many devices" not in err  # nor a scale


def test_end_of_input_leaves_cleanly() -> None:
    code, out, err = session(["python", "cnn"])
    assert code == 2
    assert "dlselect: error: end of input before the last question; nothing was saved" in err
    assert "Traceback" not in out + err


# Its script answers the probe question, asked only where a framework is installed.
@pytest.mark.frameworks
def test_saved_answers_replay_to_the_same_json(tmp_path: Path) -> None:
    answers, report = tmp_path / "a.toml", tmp_path / "r.json"
    lines = ANSWERED[:-2] + ["y", str(answers), "json", str(report)]
    code, _, err = session(lines)
    assert code == 0, err
    replay = runner.invoke(app, ["recommend", "--answers", str(answers), "--format", "json"])
    assert replay.exit_code == 0, replay.stderr
    assert json.loads(replay.stdout) == json.loads(report.read_text())


# Its script answers the probe question, asked only where a framework is installed.
@pytest.mark.frameworks
def test_the_report_can_be_saved_as_a_decision_record(tmp_path: Path) -> None:
    record = tmp_path / "adr.md"
    code, out, err = session(ANSWERED[:-2] + ["n", "pdf", "markdown", str(record)])
    assert code == 0, err
    assert "answer json, markdown or no, not 'pdf'" in err
    assert record.read_text(encoding="utf-8").startswith("---\nstatus: proposed\n")


def test_with_script_stdout_is_only_the_result() -> None:
    code, out, err = session(ANSWERED)
    assert code == 0, err
    assert "Rank" in out and "Why:" in out
    for prompt in ("Knowledge: snapshot", "Languages your team writes", "Save these answers",
                   "Save the report", "Priorities now", "This machine"):
        assert prompt not in out and prompt in err


# Its script answers the probe question, asked only where a framework is installed.
@pytest.mark.frameworks
def test_a_save_path_that_is_no_file_is_asked_again(tmp_path: Path) -> None:
    answers = tmp_path / "a.toml"
    lines = ANSWERED[:-2] + ["y", str(tmp_path / "gone" / "a.toml"), str(tmp_path),
                             str(answers), "json", str(tmp_path / "gone" / "r.json"),
                             str(tmp_path / "r.json")]
    code, out, err = session(lines)
    assert code == 0, err
    err = " ".join(err.split())  # rich wraps long lines
    assert f"{tmp_path / 'gone'}: no such folder; please try again" in err
    assert f"{tmp_path}: is a folder; please try again" in err
    assert answers.read_text(encoding="utf-8").startswith("# dlselect answers")
    json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert "Rank" in out  # the verdict was shown, and the session went on


# Its script answers the probe question, asked only where a framework is installed.
@pytest.mark.frameworks
def test_an_existing_file_is_replaced_only_when_confirmed(tmp_path: Path) -> None:
    kept, other, replaced = tmp_path / "kept.toml", tmp_path / "other.toml", tmp_path / "r.md"
    kept.write_text("keep me", encoding="utf-8")
    replaced.write_text("old", encoding="utf-8")
    lines = ANSWERED[:-2] + ["y", str(kept), "n", str(other),
                             "markdown", str(replaced), "y"]
    code, _, err = session(lines)
    assert code == 0, err
    assert f"{kept} exists; replace it?" in " ".join(err.split())  # rich wraps long lines
    assert kept.read_text(encoding="utf-8") == "keep me"
    assert other.read_text(encoding="utf-8").startswith("# dlselect answers")
    assert replaced.read_text(encoding="utf-8").startswith("---\nstatus: proposed\n")


def test_flags_override_the_answers_file(tmp_path: Path) -> None:
    answers = tmp_path / "a.toml"
    answers.write_text('schema_version = 1\nsnapshot = "2017"\nlanguages = ["python"]\n'
                       'task = "rnn"\n\n[weights]\nspeed = 2.0\n', encoding="utf-8")
    result = runner.invoke(app, ["recommend", "--answers", str(answers), "--task", "cnn",
                                 "--weight", "keras=0", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    profile = json.loads(result.stdout)["profile"]
    assert profile["workloads"] == ["cnn"] and profile["snapshot"] == "2017"
    assert profile["weights"] == {"speed": 2.0, "keras": 0.0}


@pytest.mark.parametrize(("content", "message"), [
    ("schema_version = 2\n", "schema_version: unsupported 2"),
    ("schema_version = 1\ncolour = 'blue'\n", "colour: Extra inputs are not permitted"),
    ("schema_version = 1\nlanguages = 'python'\n", "languages: Input should be a valid list"),
    ("schema_version = 1\nlanguages = [\n", "not valid TOML"),
])
def test_malformed_answers_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "a.toml"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["recommend", "--answers", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"dlselect: error: {path}: {message}")


def test_without_a_terminal_it_says_how_and_exits_2(tmp_path: Path) -> None:
    for args in ([], ["wizard"]):
        result = runner.invoke(app, args, input="")
        assert result.exit_code == 2
        assert "the wizard needs a terminal" in result.stderr
        assert "dlselect recommend --answers FILE" in result.stderr


def test_without_a_terminal_an_answers_file_is_enough(tmp_path: Path) -> None:
    answers = tmp_path / "a.toml"
    answers.write_text('schema_version = 1\nsnapshot = "2017"\nlanguages = ["lua"]\n',
                       encoding="utf-8")
    result = runner.invoke(app, ["wizard", "--answers", str(answers)], input="")
    assert result.exit_code == 0, result.stderr
    assert "Torch7" in result.stdout


def spawn() -> pexpect.spawn:
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120", "LINES": "50"}
    child = pexpect.spawn(str(Path(sys.executable).parent / "dlselect"), cwd=str(REPO),
                          env=env, encoding="utf-8", timeout=120, dimensions=(50, 120))
    return child


@pytest.mark.slow
def test_a_whole_session_in_a_real_terminal() -> None:
    child = spawn()
    try:
        child.expect("Knowledge: snapshot current")
        child.expect("Languages your team writes")
        child.sendline("klingon")
        child.expect("unknown language 'klingon'")
        child.expect("Languages your team writes")
        child.sendline("python")
        child.expect("Languages that only run models")
        child.sendline("")
        child.expect("What you build")
        child.sendline("cnn")
        child.expect("Hardware you will train on")
        child.sendline("")
        child.expect("How many devices")
        child.sendline("")
        child.expect("Where models must run")
        child.sendline("")
        child.expect("Frameworks you already have code in")
        child.sendline("")
        child.expect("What matters most")
        child.sendline("")
        child.expect("Rank retired frameworks")
        child.sendline("")
        child.expect("Measure them now")
        child.sendline("n")
        child.expect("Why: ")
        child.expect("Save these answers")
        verdict = child.before
        assert "PyTorch beats" in verdict and "Excluded" in verdict
        child.sendline("n")
        child.expect("Save the report")
        child.sendline("no")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


@pytest.mark.slow
def test_ctrl_c_in_a_real_terminal_leaves_cleanly() -> None:
    child = spawn()
    try:
        child.expect("Languages your team writes")
        child.sendcontrol("c")
        child.expect(pexpect.EOF)
        assert "cancelled; nothing was saved" in child.before
        assert "Traceback" not in child.before
    finally:
        child.close()
    assert child.exitstatus == 130  # as for Ctrl-C in every command


def _to_priorities(child: pexpect.spawn) -> None:
    """Answer the questions before the priorities: a Python CNN team on a GPU."""
    for question, answer in (("Languages your team writes", "python"),
                             ("Languages that only run models", ""), ("What you build", "cnn"),
                             ("Hardware you will train on", "gpu"), ("How many devices", ""),
                             ("Where models must run", ""),
                             ("Frameworks you already have code in", "")):
        child.expect(question)
        child.sendline(answer)
    child.expect("What matters most")


def _shown_shares(child: pexpect.spawn) -> dict[str, int]:
    """The priority table the wizard just printed: plain name -> percentage."""
    from selector.engine.priorities import plain_names
    from selector.knowledge import load_snapshot

    child.expect("Priorities now")
    child.expect(r"(Another change|What matters most)")
    text = re.sub(r"\x1b\[[0-9;]*m", "", child.before)  # a 0% row is dim
    shares = {}
    for c in plain_names(load_snapshot("current")):
        match = re.search(rf"^{re.escape(c.name)}\s+(\d+)%", text, re.MULTILINE)
        assert match, (c.name, text)
        shares[c.id] = int(match.group(1))
    return shares


def _expected(answer: str) -> dict[str, int]:
    from selector.engine.priorities import (
        RankAnswer,
        apply_answer,
        parse_answer,
        percentages,
    )
    from selector.engine.profile import build_profile
    from selector.engine.weights import raw_weights
    from selector.knowledge import load_snapshot

    snap = load_snapshot("current")
    raw = raw_weights(snap, build_profile(languages=["python"], task="cnn", hardware=["gpu"]))
    parsed = parse_answer(snap, answer)
    assert parsed is not None and not isinstance(parsed, Help)
    assert isinstance(parsed, RankAnswer) == ("," in answer)
    weights = apply_answer(parsed, raw)
    return dict(zip(weights, percentages(list(weights.values())), strict=True))


def _finish(child: pexpect.spawn) -> str:
    """Keep the shown priorities and take the defaults to the end; the verdict."""
    child.sendline("")
    for _ in range(6):
        found = child.expect(["Rank retired frameworks", "Measure them now",
                              "Save these answers"])
        child.sendline("n")
        if found == 2:
            break
    verdict: str = child.before
    child.expect("Save the report")
    child.sendline("no")
    child.expect(pexpect.EOF)
    return verdict


@pytest.mark.slow
def test_question_mark_explains_the_priorities_in_a_real_terminal() -> None:
    child = spawn()
    try:
        _to_priorities(child)
        child.sendline("?")
        child.expect("language fit")
        child.expect(r"\(languages\): it can be used from the languages your team writes")
        child.expect("rank-order centroid")
        child.expect("What matters most")
        child.sendline("? speed")
        child.expect(r"speed.*\(speed\): how fast training and inference run")
        child.expect(r"Backed by 17 scores citing \d+ sources dated")
        child.expect("benchmark results")
        child.expect("What matters most")
        child.sendline("help language fit")
        child.expect("Computed for your team from \\d+ support entries")
        child.expect("What matters most")
        child.sendline("? warp")
        child.expect("unknown priority 'warp'; say one of: language fit, support")
        child.expect("What matters most")
        child.sendcontrol("c")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130


@pytest.mark.slow
def test_a_ranking_answer_in_a_real_terminal() -> None:
    answer = "speed, language fit, support"
    child = spawn()
    try:
        _to_priorities(child)
        child.sendline(answer)
        shown = _shown_shares(child)
        verdict = _finish(child)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert shown == _expected(answer) and sum(shown.values()) == 100
    # Rank-order centroid over the places: speed > language fit > support > the rest.
    assert shown["speed"] > shown["languages"] > shown["resources"] > shown["cnn"]
    assert "Weights: languages 0.175" in " ".join(verdict.split())


@pytest.mark.slow
def test_speed_equals_3_in_a_real_terminal() -> None:
    child = spawn()
    try:
        _to_priorities(child)
        child.sendline("speed=3")
        shown = _shown_shares(child)
        child.sendline("speed-")  # halves it: 1.5
        halved = _shown_shares(child)
        _finish(child)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert shown == _expected("speed=3") and sum(shown.values()) == 100
    assert halved == _expected("speed=1.5") and sum(halved.values()) == 100
    assert halved["speed"] < shown["speed"]


# Its script answers the probe question, asked only where a framework is installed.
@pytest.mark.frameworks
def test_several_people_give_priorities_and_replay(tmp_path: Path) -> None:
    ana, ben, report = tmp_path / "ana.toml", tmp_path / "ben.toml", tmp_path / "r.json"
    lines = ["python", "", "", "gpu, tpu", "", "", "",  # the shared answers, once
             "Ana", "speed", "",  # Person 1: a name, a ranking, keep it
             "Ana", "Ben", "support, ease of use", "",  # a name already taken is asked again
             "n", "n", "y", str(ana), str(ben), "json", str(report)]
    code, out, err = session(lines, "--people", "2")
    assert code == 0, err
    flat = " ".join(err.split())
    assert "What matters most to Ana?" in flat and "What matters most to Ben?" in flat
    assert "'Ana' is already taken" in flat
    assert "Stakeholders:" in out and "Ana: own winner" in " ".join(out.split())
    assert f"dlselect recommend --answers {ana} --answers {ben}" in flat
    assert 'person = "Ana"' in ana.read_text(encoding="utf-8")
    replay = runner.invoke(app, ["recommend", "--answers", str(ana), "--answers", str(ben),
                                 "--format", "json"])
    assert replay.exit_code == 0, replay.stderr
    saved = json.loads(report.read_text(encoding="utf-8"))
    assert json.loads(replay.stdout) == saved
    assert [p["name"] for p in saved["stakeholders"]["people"]] == ["Ana", "Ben"]


def test_people_must_be_a_small_positive_number() -> None:
    code, _, err = session([], "--people", "0")
    assert code == 2
    assert err == "dlselect: error: --people must be between 1 and 20, got 0\n"
