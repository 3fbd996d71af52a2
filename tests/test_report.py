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


#: Profiles of the golden records: the short record of the default profile and of two others
#: (each must stay short), and the long record (--detail) of one.
SHORT_PROFILES = {
    "adr_default.md": [],
    "adr_2017_python_cnn.md": ["--kb", "2017", "-l", "python", "--task", "cnn"],
    "adr_current_transformer_gpu.md": ["-l", "python", "--task", "transformer",
                                       "--hardware", "gpu"],
}
#: The short record's length "for a typical profile" (about 80 lines; the issue's limit).
SHORT_LINES = 100


@pytest.mark.parametrize(("name", "args"), [
    *SHORT_PROFILES.items(),
    ("adr_current_transformer_gpu_detail.md", ["-l", "python", "--task", "transformer",
                                               "--hardware", "gpu", "--detail"]),
])
def test_markdown_report_matches_golden_file(name: str, args: list[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLSELECT_TODAY", "2026-12-08")  # ages are counted to this day
    text = markdown(*args)
    golden = GOLDEN / name
    if os.environ.get("DLSELECT_UPDATE_GOLDEN") == "1":
        # Regenerate on purpose, then review the diff before committing it.
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"missing {golden}: run with DLSELECT_UPDATE_GOLDEN=1 and review"
    assert text == golden.read_text(encoding="utf-8")


MADR_SECTIONS = ["## Context and Problem Statement", "## Decision Drivers",
                 "## Considered Options", "## Decision Outcome", "### Consequences",
                 "### Confirmation", "## Pros and Cons of the Options", "## More Information"]


@pytest.mark.parametrize("detail", [[], ["--detail"]])
def test_markdown_report_has_the_madr_sections(detail: list[str]) -> None:
    text = markdown("--kb", "2017", "-l", "python", "--task", "cnn", *detail)
    heads = [line for line in text.splitlines() if line.startswith("#")]
    assert heads[0] == "# Use TensorFlow as the deep-learning framework"
    assert [h for h in heads if h in MADR_SECTIONS] == MADR_SECTIONS  # in MADR's order
    assert text.startswith("---\nstatus: proposed\ndate: DATE\ndecision-makers: ")
    assert 'Chosen option: "TensorFlow", because' in text
    assert "`svds2017`" in text and "Getting Started with Deep Learning" in text


def sections(text: str) -> dict[str, list[str]]:
    """Heading -> the lines under it, up to the next heading."""
    parts: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("#"):
            current = line
            parts[current] = []
        else:
            parts.setdefault(current, []).append(line)
    return parts


@pytest.mark.parametrize("args", list(SHORT_PROFILES.values()))
def test_the_short_record_is_short_and_speaks_to_a_reviewer(args: list[str]) -> None:
    from selector.knowledge import load_snapshot

    text = markdown(*args)
    assert len(text.splitlines()) <= SHORT_LINES
    snapshot = load_snapshot(args[args.index("--kb") + 1] if "--kb" in args else "current")
    names = {c.name for c in snapshot.criteria}
    drivers = [line.removeprefix("* ") for line in sections(text)["## Decision Drivers"]
               if line.startswith("* ")]
    shown = {name for line in drivers
             for name in (line.split(": ", 1)[1].split(", ")
                          if " each: " in line or line.startswith("Not weighed (0%): ")
                          else [line.rsplit(": ", 1)[0]])}
    # every criterion, by its name (a fit criterion with nothing to fit is not in the matrix:
    # existing code, for a team that named none)
    assert shown == {c.name for c in snapshot.criteria
                     if not (c.fit is not None and c.when_open == "skip")}
    # the criteria named as pros and cons, and as the reasons of the outcome, are names too
    judged = [line.split(" on ", 1)[1] for line in text.splitlines()
              if line.startswith(("* Good, because it scores high on",
                                  "* Bad, because it scores low on",
                                  "* Good, because it is ahead of", "* Bad, because it trails"))]
    outcome = next(line for line in text.splitlines() if line.startswith("Chosen option:"))
    judged.append(outcome.split("mostly on ", 1)[1].split(", while ")[0].rstrip("."))
    for listed in judged:
        rest = re.sub(r" \([\d.]+(/5| against [\d.]+)\)", "",
                      re.sub(r" and \d+ more$", "", listed))
        for name in sorted(names, key=len, reverse=True):
            rest = rest.replace(name, "@")
        assert re.fullmatch(r"@((, | and )@)*", rest), listed
    body = text.split("### Sources cited above", 1)[0]
    assert not [c.id for c in snapshot.criteria if "_" in c.id and c.id in body]
    assert "dlselect" not in body and not re.search(r"(?<![-\w])--[a-z]", body)
    assert not re.search(r"docs/[\w-]+\.md", body)


def test_retired_frameworks_get_one_line_not_options() -> None:
    text = markdown()
    options = sections(text)["## Considered Options"]
    retired = ["Theano", "Torch7 (Lua)", "Caffe", "Apache MXNet", "Neon (Intel Nervana)",
               "CNTK (Microsoft Cognitive Toolkit)"]
    assert not [line for line in options if line.startswith("* ") and
                any(name in line for name in retired)]
    assert (f"Not considered: {', '.join(retired)} (retired; see More Information)."
            in options)
    assert "* Retired, so not considered: Theano (since 2020-07-27);" in text


def consequences(text: str) -> list[str]:
    return [line for line in sections(text)["### Consequences"] if line.startswith("* ")]


def test_consequences_state_what_the_choice_costs_this_team() -> None:
    text = markdown("-l", "java", "--deployment", "browser")
    found = consequences(text)
    assert ("* Bad, because its Java code reaches PyTorch only through a third-party binding: "
            "Deep Java Library (DJL) PyTorch engine over LibTorch (`djl-pytorch-engine`, "
            "2025-12-16)") in found
    assert ("* Bad, because reaching Browser takes first-party support that is limited "
            "(experimental or inference only): ExecuTorch WebGPU backend (Emscripten + "
            "emdawnwebgpu build) (`executorch-webgpu-docs`, 2026-12-08)") in found
    assert any(line.startswith("* Bad, because the call is too close: ") for line in found)
    assert any("the team named no workload or hardware" in line for line in found)
    # the sources of what the consequences claim are listed, with their public URLs
    cited = sections(text)["### Sources cited above"]
    assert any(line.startswith("* `executorch-webgpu-docs`: ") and "<https://" in line
               for line in cited)
    # not the winner's pros again
    pros = [line.split("because ", 1)[1] for line in text.splitlines()
            if line.startswith("* Good, because it scores high on")]
    assert not {line.split("because ", 1)[1] for line in found} & set(pros)


def test_consequences_of_a_partial_route_cap_and_old_evidence() -> None:
    found = consequences(markdown("-l", "r", "--task", "rnn"))
    assert any(line.startswith("* Bad, because its R code reaches PyTorch only through a "
                               "third-party binding: ") for line in found)
    assert any(line.startswith("* Bad, because its strengths in ") and
               "count only 3.4 of 5 for this team: that is how well the team reaches PyTorch "
               "from its languages" in line for line in found)
    old = consequences(markdown("--kb", "2017", "-l", "python", "--task", "cnn"))
    assert "* Bad, because the knowledge is 8.9 years old: facts may have changed since; " \
           "refresh them before accepting" in old
    assert any(line.startswith("* Bad, because the lead rests partly on evidence older than "
                               "2 years: TensorFlow's ") for line in old)
    native = consequences(markdown("-l", "python", "--hardware", "gpu", "--deployment",
                                   "server"))
    assert "* Good, because it trains natively on NVIDIA GPU" in native
    assert "* Good, because it deploys natively to Server" in native


def test_detail_gives_everything_the_long_record_had() -> None:
    args = ["-l", "python", "--task", "transformer", "--hardware", "gpu"]
    doc = json.loads(run("recommend", *args, "--format", "json"))
    text = markdown(*args, "--detail")
    heads = sections(text)
    for head in ("### Decision matrix", "### Robustness", "### Age of the facts",
                 "### Excluded frameworks", "### Sources"):
        assert head in heads
    for sid in doc["sources"]:
        assert f"* `{sid}`: " in text
    matrix = heads["### Decision matrix"]
    assert sum(1 for line in matrix if line.startswith("| ") and "%" in line) == len(
        doc["weights"])
    from selector.knowledge import load_snapshot

    names = {c.id: c.name for c in load_snapshot("current").criteria}
    options = text.split("## Pros and Cons of the Options", 1)[1].split("## More Information")[0]
    for entry in doc["ranking"]:  # every score with its rationale and source
        section = options.split(f"### {entry['name']}\n", 1)[1].split("\n### ", 1)[0]
        for cid, ev in entry["evidence"].items():
            assert f"{names[cid]} scores {ev['value']:g} of 5: " in section
            assert f"(`{ev['source']}`, {ev['as_of']}" in section
    assert "rank it anyway" not in text and "docs/weights.md" not in text


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
    assert "How sure this is: TensorFlow stays first in" in text
    assert "### Robustness" in markdown("--kb", "2017", "-l", "python", "--task", "cnn",
                                        "--detail")
    assert json.loads(run("recommend", "--samples", "0", "--format", "json"))["robustness"] is None
