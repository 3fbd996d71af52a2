"""Files from other people run nothing: a folder dlselect is started in (a cloned repository, a
download) and an answers file someone sent (each case is a row of docs/faults.md)."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from selector.cli.app import app
from selector.probing.runner import run_jobs
from tests.test_probe_faults import fake

runner = CliRunner()

#: Modules the interpreter look-up and the probes import, planted in the working folder.
PLANTED = ("json", "platform")

# Leaves a marker, then hands back the real module, so that nothing else looks wrong (as a
# hostile one would).
MODULE = '''
import importlib, os, sys
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "ran-" + __name__), "a") as marker:
    marker.write("%s ran in pid %d\\n" % (__name__, os.getpid()))
del sys.modules[__name__]
path = sys.path[:]
sys.path[:] = [p for p in path if os.path.abspath(p or ".") != here]
try:
    sys.modules[__name__] = importlib.import_module(__name__)
finally:
    sys.path[:] = path
'''


def plant(folder: Path) -> list[Path]:
    """``json.py`` and ``platform.py`` in ``folder``; the markers they would leave."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in PLANTED:
        (folder / f"{name}.py").write_text(MODULE, encoding="utf-8")
    return [folder / f"ran-{name}" for name in PLANTED]


def ran(markers: list[Path]) -> list[str]:
    return [m.read_text(encoding="utf-8") for m in markers if m.exists()]


@pytest.fixture
def cloned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The working folder is someone else's, with modules planted; no config file, and a cache
    of the test's own. The markers its modules would leave."""
    monkeypatch.setenv("DLSELECT_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "cloned"
    markers = plant(folder)
    monkeypatch.chdir(folder)
    return markers


def test_interpreter_discovery_runs_no_module_of_the_working_folder(cloned: list[Path]) -> None:
    import subprocess

    from selector.probing.discovery import discover

    # The stand-ins work: a plain `python -c` in the folder runs both.
    subprocess.run([sys.executable, "-c", "import json, platform"], check=True)
    assert len(ran(cloned)) == 2
    for marker in cloned:
        marker.unlink()
    found = {i.path: i for i in discover([sys.executable])}
    assert ran(cloned) == []
    me = found[sys.executable]
    assert me.error is None and me.python == platform.python_version()
    assert me.found.get("pytest") is None  # not a probed framework; only SPECS are looked up


def test_a_relative_interpreter_path_is_inspected_and_probed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both run the interpreter in a private folder: a relative path is still the one the user
    meant, from the working folder."""
    from selector.probing.discovery import inspect

    job = fake(tmp_path, "ok")
    executable = Path(sys.executable)
    (tmp_path / "env").symlink_to(executable.parent.parent)
    monkeypatch.chdir(tmp_path)
    relative = os.path.join("env", executable.parent.name, executable.name)  # env/bin/python
    assert inspect(relative).error is None
    (outcome,) = run_jobs([replace(job, interpreter=relative)])
    assert outcome.status == "ok", outcome.reason


@pytest.mark.frameworks
@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba not installed")
def test_a_probe_run_in_a_planted_folder_runs_none_of_its_modules(cloned: list[Path]) -> None:
    """``dlselect probe`` end to end: the look-up and the probe (whose harness imports json and
    platform too), named on stderr first, the JSON on stdout alone."""
    result = runner.invoke(app, ["probe", "--framework", "numba", "--format", "json",
                                 "--refresh"])
    assert result.exit_code == 0, result.stderr
    assert ran(cloned) == []
    (numba,) = json.loads(result.stdout)["results"]
    assert numba["status"] == "ok", numba["reason"]
    first = result.stderr.splitlines()[0]
    assert first.startswith("dlselect: inspecting interpreters: "), result.stderr
    assert sys.executable in first.split(": ", 2)[2].split(", ")


def fake_interpreter(path: Path, marker: Path) -> Path:
    """A program posing as a Python: it leaves ``marker`` and answers the look-up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho \"ran with $1\" >> '{marker}'\n"
                    "echo '{\"python\": \"3.11.0\", \"found\": {}}'\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("command", ["recommend", "wizard"])
def test_an_answers_file_cannot_name_an_interpreter(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    monkeypatch.setenv("DLSELECT_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    marker = tmp_path / "it-ran"
    fake_interpreter(tmp_path / "shared" / "tools" / "python", marker)
    answers = tmp_path / "shared" / "team.toml"
    answers.write_text('schema_version = 1\nperson = "Colleague"\nlanguages = ["python"]\n'
                       'task = "cnn"\nprobe = true\npythons = ["tools/python"]\n',
                       encoding="utf-8")
    monkeypatch.chdir(answers.parent)
    result = runner.invoke(app, [command, "--answers", str(answers), "--samples", "0"]
                           if command == "recommend" else [command, "--answers", str(answers)],
                           input="")
    assert not marker.exists(), marker.read_text(encoding="utf-8")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"dlselect: error: {answers}: pythons: an answers file cannot name interpreters to run; "
        "they come only from --python on the command line or [probe] pythons in your own "
        "config file"]


def test_interpreters_from_the_command_line_and_the_config_run_and_are_named_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's own: ``--python`` and ``[probe] pythons`` are run, each named on stderr (one
    line, before any runs); stdout is the JSON alone."""
    marker = tmp_path / "it-ran"
    given = fake_interpreter(tmp_path / "given" / "bin" / "python", marker)
    mine = fake_interpreter(tmp_path / "mine" / "bin" / "python", marker)
    config = tmp_path / "config.toml"
    config.write_text(f'[probe]\npythons = ["{mine}"]\n', encoding="utf-8")
    monkeypatch.setenv("DLSELECT_CONFIG", str(config))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # caffe cannot be installed: no probe runs, only the look-up.
    result = runner.invoke(app, ["probe", "--framework", "caffe", "--python", str(given),
                                 "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["results"][0]["status"] == "unavailable"
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"dlselect: inspecting interpreters: {given}, {sys.executable}, "
                               f"{mine}"), result.stderr
    assert sum("inspecting interpreters" in line for line in lines) == 1
    runs = marker.read_text(encoding="utf-8").splitlines()
    assert runs.count("ran with -I") == 3  # --python twice (checked, then searched), the config's


def test_the_wizard_names_the_interpreters_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It looks (to offer the probes), then measures: one line, before the look. (What it
    finds and measures is stood in for: the line is the point here.)"""
    from selector.probing import discovery, service
    from selector.probing.models import ProbeReport

    monkeypatch.setenv("DLSELECT_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setattr(discovery, "discover", lambda *_, **__: [discovery.Interpreter(
        sys.executable, python=platform.python_version(), found={"numba": "0.1"})])
    monkeypatch.setattr(service, "probe", lambda request, **_: ProbeReport(
        host={}, budget=request.budget, results=[]))
    # languages, run-only languages, workloads, hardware, scale, deployment, existing code,
    # priorities, retired?, probe?, save?, report
    lines = ["python", "", "cnn", "cpu", "", "", "", "", "n", "y", "n", "no"]
    result = runner.invoke(app, ["wizard", "--script"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    # Without a terminal the answers are not echoed: the line follows the question before.
    announced = [line.split("dlselect: inspecting interpreters: ", 1)[1]
                 for line in result.stderr.splitlines() if "inspecting interpreters" in line]
    assert len(announced) == 1 and sys.executable in announced[0].split(", ")
    assert (result.stderr.index("inspecting interpreters")
            < result.stderr.index("Frameworks found here: numba 0.1"))
