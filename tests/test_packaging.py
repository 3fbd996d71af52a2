"""The built wheel carries knowledge/ and probes/, and works away from the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_wheel_ships_data_and_runs_from_elsewhere(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(wheels), str(REPO)],
                   check=True, timeout=300, capture_output=True)
    (wheel,) = wheels.glob("dlselect-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "selector/_data/knowledge/2017.toml" in names
    assert "selector/_data/knowledge/current.toml" in names
    assert any(n.startswith("selector/_data/probes/") for n in names)
    # The HTML report's template, style and program are package data.
    for asset in ("report.html", "report.css", "report.js"):
        assert f"selector/report/html/{asset}" in names

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(wheel)], check=True, timeout=300,
                   capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import selector; print(selector.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(target))
    proc = subprocess.run([sys.executable, "-m", "selector", "recommend", "--kb", "2017",
                           "--language", "python", "--task", "cnn", "--format", "json"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ranking"][0]["framework"] == "tensorflow"
    html = subprocess.run([sys.executable, "-m", "selector", "recommend", "--kb", "2017",
                           "--samples", "0", "--format", "html"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert html.returncode == 0, html.stderr
    assert 'id="dlselect-data"' in html.stdout and "window.dlselect" in html.stdout
