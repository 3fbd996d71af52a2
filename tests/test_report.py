"""Report formats: JSON Schema of every JSON output, the Markdown ADR, and the Python API."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from selector.cli.app import app
from selector.probing.models import Device, OpResult, Outcome, ProbeReport, ProbeStatus
from tests.conftest import REPO

runner = CliRunner()
GOLDEN = Path(__file__).resolve().parent / "golden"


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def schema(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(run("schema", name))
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(doc)
    return doc


def validate(doc: Any, name: str) -> None:
    jsonschema.Draft202012Validator(schema(name)).validate(doc)


def probe_report(tmp_path: Path) -> Path:
    op = OpResult(device="cpu", dtype="float32", flops=1e9, first_call_s=0.1, median_s=0.01,
                  iqr_s=0.0, samples=5, inner_loops=1, gflops=100.0, unstable=False)
    results = [Outcome(framework=fw, version="1", interpreter="/py", status=ProbeStatus.OK,
                       devices=[Device(kind="cpu", name="cpu", threads=2)],
                       ops={"gemm": op.model_copy(update={"gflops": g}), "conv2d": op})
               for fw, g in (("torch", 100.0), ("jax", 200.0), ("tensorflow", 150.0))]
    results.append(Outcome(framework="caffe", status=ProbeStatus.UNAVAILABLE, reason="none"))
    path = tmp_path / "host.json"
    path.write_text(ProbeReport(host={"id": "x"}, budget="quick", results=results)
                    .model_dump_json(), encoding="utf-8")
    return path


@pytest.mark.parametrize("args", [
    ["--kb", "2017", "-l", "python", "--task", "cnn"],
    ["--task", "transformer", "--hardware", "gpu", "--method", "wsm"],
    ["--allow-retired", "--deployment", "mobile"],
    ["--kb", "2017", "-l", "lua"],
])
def test_every_recommendation_validates_against_the_schema(args: list[str]) -> None:
    validate(json.loads(run("recommend", *args, "--format", "json")), "recommendation")


def test_recommendations_with_probes_and_overlays_validate(tmp_path: Path) -> None:
    doc = json.loads(run("recommend", "--probe-results", str(probe_report(tmp_path)),
                         "--format", "json"))
    assert doc["measured"]
    validate(doc, "recommendation")
    overlay = tmp_path / "o.toml"
    overlay.write_text(
        'schema_version = 1\nkind = "overlay"\nid = "t"\ntitle = "T"\nbase = "current"\n'
        'as_of = 2026-01-01\n[[sources]]\nid = "us"\ntitle = "Us"\n[[scores]]\n'
        'framework = "jax"\ncriterion = "speed"\nvalue = 1\nsource = "us"\n'
        'as_of = 2026-01-01\nrationale = "Slow for us."\n', encoding="utf-8")
    doc = json.loads(run("recommend", "--kb", str(overlay), "--format", "json"))
    assert doc["overrides"]
    validate(doc, "recommendation")


def test_probe_and_snapshot_outputs_validate(tmp_path: Path) -> None:
    validate(json.loads(probe_report(tmp_path).read_text()), "probe")
    validate(json.loads(run("kb", "show", "--format", "json")), "snapshot")
    validate(json.loads(run("kb", "show", "--kb", "2017", "--format", "json")), "snapshot")


def test_schema_catches_a_broken_document() -> None:
    doc = json.loads(run("recommend", "--format", "json"))
    doc["ranking"][0]["rank"] = "first"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc, "recommendation")


def test_every_output_format_is_handled() -> None:
    from selector.report.registry import formatter_for
    from selector.vocab import OutputFormat

    for fmt in OutputFormat:
        assert formatter_for(fmt) is not None


def markdown(*args: str) -> str:
    text = run("recommend", *args, "--format", "markdown")
    return re.sub(r"^date: \d{4}-\d{2}-\d{2}$", "date: DATE", text, count=1, flags=re.M)


@pytest.mark.parametrize(("name", "args"), [
    ("adr_2017_python_cnn.md", ["--kb", "2017", "-l", "python", "--task", "cnn"]),
    ("adr_current_transformer_gpu.md", ["-l", "python", "--task", "transformer",
                                        "--hardware", "gpu"]),
])
def test_markdown_report_matches_golden_file(name: str, args: list[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLSELECT_TODAY", "2026-11-30")  # ages are counted to this day
    text = markdown(*args)
    golden = GOLDEN / name
    if os.environ.get("DLSELECT_UPDATE_GOLDEN") == "1":
        # Regenerate on purpose, then review the diff before committing it.
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"missing {golden}: run with DLSELECT_UPDATE_GOLDEN=1 and review"
    assert text == golden.read_text(encoding="utf-8")


def test_markdown_report_has_the_madr_sections() -> None:
    text = markdown("--kb", "2017", "-l", "python", "--task", "cnn")
    heads = [line for line in text.splitlines() if line.startswith("#")]
    assert heads[:3] == ["# Use TensorFlow as the deep-learning framework",
                         "## Context and Problem Statement", "## Decision Drivers"]
    for section in ("## Considered Options", "## Decision Outcome", "### Consequences",
                    "## Pros and Cons of the Options", "## More Information", "### Sources"):
        assert section in heads
    assert text.startswith("---\nstatus: proposed\ndate: DATE\n")
    assert 'Chosen option: "TensorFlow", because' in text
    assert "`svds2017`" in text and "Getting Started with Deep Learning" in text


def test_readme_python_api_example_runs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README
    printed = out.getvalue()
    expected = section.split("```text", 1)[1].split("```", 1)[0].strip()
    assert printed.strip() == expected


def test_chart_is_drawn_and_linked_from_the_markdown(tmp_path: Path) -> None:
    report = tmp_path / "adr" / "decision.md"
    report.parent.mkdir()
    chart = tmp_path / "img" / "chart.svg"
    chart.parent.mkdir()
    result = runner.invoke(app, ["recommend", "-l", "python", "--task", "cnn", "--format",
                                 "markdown", "--output", str(report), "--chart", str(chart)])
    assert result.exit_code == 0, result.stderr
    svg = chart.read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg
    assert "Rank acceptability (SMAA-2)" in svg and "PyTorch" in svg
    assert "![Scores and rank acceptability](../img/chart.svg)" in report.read_text()
    png = tmp_path / "chart.png"
    assert runner.invoke(app, ["recommend", "--chart", str(png)]).exit_code == 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_chart_must_be_svg_or_png(tmp_path: Path) -> None:
    result = runner.invoke(app, ["recommend", "--chart", str(tmp_path / "chart.gif")])
    assert result.exit_code == 2
    assert "--chart file must end in .svg or .png, not '.gif'" in result.stderr
    assert not (tmp_path / "chart.gif").exists()


def test_robustness_is_in_every_format() -> None:
    doc = json.loads(run("recommend", "--kb", "2017", "-l", "python", "--task", "cnn",
                         "--format", "json", "--samples", "2000", "--seed", "7"))
    rb = doc["robustness"]
    assert rb["samples"] == 2000 and rb["seed"] == 7 and rb["winner"] == "tensorflow"
    for shares in rb["acceptability_around"].values():
        assert sum(shares) == pytest.approx(1.0, abs=1e-5)
    assert set(rb["methods"]["orders"]) == {"topsis", "wsm", "wpm", "vikor"}
    table = run("recommend", "--kb", "2017", "-l", "python", "--task", "cnn")
    assert "Robustness: TensorFlow stays first in" in table
    text = markdown("--kb", "2017", "-l", "python", "--task", "cnn")
    assert "### Robustness" in text and "How sure this is:" in text
    assert json.loads(run("recommend", "--samples", "0", "--format", "json"))["robustness"] is None
