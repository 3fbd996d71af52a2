"""The Python API replays an answers file to the same recommendation as the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from selector.cli.app import app
from selector.errors import DlselectError

ANSWERS = """\
schema_version = 1
snapshot = "2017"
languages = ["python"]
task = "cnn"
hardware = ["gpu"]
method = "wsm"
probe = false
samples = 300
seed = 4

[weights]
speed = 3
"""


def test_an_answers_file_replays_through_the_python_api(tmp_path: Path) -> None:
    from selector import recommend_from_answers
    from selector.answers import load_answers

    path = tmp_path / "answers.toml"
    path.write_text(ANSWERS, encoding="utf-8")
    rec = recommend_from_answers(load_answers(path))
    assert rec.method == "wsm" and rec.profile.weights == {"speed": 3.0}
    assert rec.robustness is not None and rec.robustness.samples == 300
    result = CliRunner().invoke(app, ["recommend", "--answers", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    from selector.report.json_format import document

    assert json.loads(result.stdout) == document(rec)


def test_the_api_refuses_bad_answers_with_the_projects_error(tmp_path: Path) -> None:
    from selector import recommend_from_answers
    from selector.answers import load_answers

    path = tmp_path / "answers.toml"
    path.write_text(ANSWERS.replace('"wsm"', '"vikor"'), encoding="utf-8")
    with pytest.raises(DlselectError, match="unknown method 'vikor'; allowed: topsis, wsm"):
        recommend_from_answers(load_answers(path))
