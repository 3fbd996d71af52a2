"""The fault matrix's cases that belong to no other module: where the result is written.

The rest of the matrix lives beside the code it exercises; docs/faults.md lists every case with
its test."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from selector.cli.app import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("kind", ["missing-folder", "under-a-file", "is-a-folder"])
def test_unwritable_output_is_one_line_and_leaves_nothing(tmp_path: Path, kind: str) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("keep me", encoding="utf-8")
    target = {"missing-folder": tmp_path / "gone" / "out.json",
              "under-a-file": blocker / "out.json",
              "is-a-folder": tmp_path}[kind]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code, out, err = invoke("recommend", "--format", "json", "--output", str(target),
                            "--samples", "0")
    assert code == 2
    assert out == ""
    assert err.startswith(f"dlselect: error: cannot write {target}: ")
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert blocker.read_text(encoding="utf-8") == "keep me"


def test_output_vanishing_between_runs_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "rec.json"
    assert invoke("recommend", "--format", "json", "--output", str(target),
                  "--samples", "0")[0] == 0
    target.unlink()
    folder.rmdir()
    code, _, err = invoke("recommend", "--format", "json", "--output", str(target))
    assert code == 2 and "cannot write" in err


def test_an_existing_output_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "rec.json"
    target.write_text("x" * 100_000, encoding="utf-8")
    assert invoke("recommend", "--format", "json", "--output", str(target),
                  "--samples", "0")[0] == 0
    json.loads(target.read_text(encoding="utf-8"))  # no tail of the old content
    assert [p.name for p in tmp_path.iterdir()] == ["rec.json"]


def test_nothing_left_to_rank_is_one_line() -> None:
    code, out, err = invoke("recommend", "--language", "swift", "--deployment", "edge-gpu")
    assert code == 2 and out == ""
    first, tip = err.splitlines()
    assert first.startswith("dlselect: error: no framework is left to rank: every one is "
                            "excluded (")
    assert tip == ("Tip: relax --language, --workload, --hardware or --deployment; a language "
                   "the team only runs models from goes to --runtime-language (swift)")


def test_an_unknown_word_names_the_nearest_and_where_to_look() -> None:
    code, out, err = invoke("recommend", "--kb", "2017", "--language", "swift")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "dlselect: error: unknown language 'swift' in snapshot 2017; known: python, cpp, c, "
        "lua, java, scala, r, julia, javascript, go, csharp, matlab",
        "Tip: dlselect kb targets lists what each means"]
    code, out, err = invoke("recommend", "--hardware", "rocm7")
    assert code == 2 and "did you mean rocm?" in err.splitlines()[0]


def test_a_language_only_retired_frameworks_serve_says_what_to_do() -> None:
    code, out, err = invoke("recommend", "--language", "lua")
    assert code == 2 and out == ""
    first, tip = err.splitlines()
    assert first == ("dlselect: error: no framework in snapshot current serves Lua (only the "
                     "retired Torch7 (Lua) did; rank it with --allow-retired)")
    assert tip.startswith("Tip: ") and "PyTorch" in tip


def test_output_file_gets_the_usual_mode(tmp_path: Path) -> None:
    target = tmp_path / "rec.md"
    assert invoke("recommend", "--format", "markdown", "--output", str(target),
                  "--samples", "0")[0] == 0
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


# --- outputs never destroy anything (issue 13, item 2) -----------------------------------------


def test_output_through_a_symlink_replaces_its_target(tmp_path: Path) -> None:
    target = tmp_path / "runs" / "today.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "latest.json"
    link.symlink_to(Path("runs") / "today.json")
    code, out, err = invoke("recommend", "--format", "json", "--output", str(link),
                            "--samples", "0")
    assert (code, out) == (0, ""), err
    assert link.is_symlink() and os.readlink(link) == str(Path("runs") / "today.json")
    json.loads(target.read_text(encoding="utf-8"))
    assert sorted(p.name for p in target.parent.iterdir()) == ["today.json"]


def test_output_through_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "latest.md"
    link.symlink_to(tmp_path / "new.md")
    assert invoke("recommend", "--format", "markdown", "--output", str(link),
                  "--samples", "0")[0] == 0
    assert link.is_symlink() and (tmp_path / "new.md").read_text(encoding="utf-8")


def test_output_to_a_fifo_is_written_as_a_stream(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, out, err = invoke("recommend", "--format", "json", "--output", str(fifo),
                            "--samples", "0")
    reader.join(timeout=30)
    assert (code, out) == (0, ""), err
    assert json.loads(got[0])["schema_version"]
    assert fifo.is_fifo()


def full_device(tmp_path: Path) -> Path:
    """/dev/full, or (as root, who could replace /dev/full itself) a node of the same device."""
    import stat

    if os.geteuid() != 0:
        return Path("/dev/full")
    node = tmp_path / "full"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    return node


def test_output_to_a_full_device_is_one_line_and_keeps_the_device(tmp_path: Path) -> None:
    device = full_device(tmp_path)
    code, out, err = invoke("recommend", "--format", "json", "--output", str(device),
                            "--samples", "0")
    assert code == 2 and out == ""
    assert err.splitlines() == [f"dlselect: error: cannot write {device}: "
                                "No space left on device"]
    assert device.is_char_device()


@pytest.mark.parametrize("spelling", ["-", "/dev/stdout"])
def test_output_to_stdout_is_the_result_on_stdout(spelling: str) -> None:
    code, out, err = invoke("recommend", "--format", "json", "--output", spelling,
                            "--samples", "0")
    assert code == 0, err
    assert json.loads(out)["schema_version"]


@pytest.mark.parametrize("kind", ["missing-folder", "full-device"])
def test_a_failed_output_leaves_no_chart(tmp_path: Path, kind: str) -> None:
    output = (tmp_path / "gone" / "rec.md" if kind == "missing-folder"
              else full_device(tmp_path))
    chart = tmp_path / "chart.svg"
    code, _, err = invoke("recommend", "--format", "markdown", "--output", str(output),
                          "--chart", str(chart), "--samples", "0")
    assert code == 2 and err.startswith(f"dlselect: error: cannot write {output}: ")
    assert not chart.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "full"] == []


def test_a_bad_format_leaves_no_chart(tmp_path: Path) -> None:
    chart = tmp_path / "chart.svg"
    code, _, _ = invoke("recommend", "--format", "pdf", "--chart", str(chart), "--samples", "0")
    assert code == 2 and not chart.exists()


@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink", "hardlink"])
def test_chart_and_output_may_not_be_the_same_file(tmp_path: Path, spelling: str) -> None:
    chart = tmp_path / "c.svg"
    chart.write_text("keep", encoding="utf-8")
    output = {"same": chart, "dotted": tmp_path / "." / "sub" / ".." / "c.svg",
              "symlink": tmp_path / "link.svg", "hardlink": tmp_path / "hard.svg"}[spelling]
    (tmp_path / "sub").mkdir()
    if spelling == "symlink":
        output.symlink_to(chart)
    elif spelling == "hardlink":
        os.link(chart, output)
    code, out, err = invoke("recommend", "--format", "json", "--output", str(output),
                            "--chart", str(chart), "--samples", "0")
    assert code == 2 and out == ""
    assert err.splitlines()[0] == (f"dlselect: error: --chart {chart} and --output {output} "
                                   "are the same file")
    assert chart.read_text(encoding="utf-8") == "keep"


# --- every bad input gets one line (issue 13, item 3) ------------------------------------------


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert lines and lines[0].startswith("dlselect: error: "), err
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("Tip: ")), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("seed", ["-1", str(2**63)])
def test_a_seed_out_of_range_is_one_line(seed: str) -> None:
    code, out, err = invoke("recommend", "--seed", seed, "--samples", "10")
    assert code == 2 and out == ""
    assert "seed" in one_line(err)


def test_a_missing_python_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    for command in (["probe", "--framework", "pytensor"],
                    ["recommend", "--probe", "--samples", "0"]):
        code, out, err = invoke(*command, "--python", str(missing))
        assert code == 2 and out == "", err
        assert one_line(err) == f"dlselect: error: interpreter not found: {missing}"


def test_a_gpu_asked_for_on_a_machine_without_one_is_one_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from selector import hardware

    monkeypatch.setattr(hardware, "_nvidia_gpus", lambda: ((), "none found"))
    monkeypatch.setattr(hardware, "gpu_identity", lambda: [])
    for command in (["probe"], ["recommend", "--probe", "--samples", "0"]):
        code, out, err = invoke(*command, "--device", "gpu")
        assert code == 2 and out == ""
        assert one_line(err).startswith("dlselect: error: --device gpu: no NVIDIA GPU")


def test_kb_validate_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    for path in (tmp_path / "missing.toml", tmp_path):
        code, out, err = invoke("kb", "validate", str(path))
        assert code == 2 and out == ""
        assert one_line(err).startswith(f"dlselect: error: {path}: ")


@pytest.mark.parametrize("content", ["", "\n# nothing here\n"])
def test_an_empty_knowledge_file_says_it_has_no_schema_version(tmp_path: Path,
                                                               content: str) -> None:
    path = tmp_path / "kb.toml"
    path.write_text(content, encoding="utf-8")
    code, _, err = invoke("recommend", "--kb", str(path))
    assert code == 2
    assert one_line(err) == (f"dlselect: error: {path}: schema_version: no schema_version; "
                             "this dlselect reads version 3")


@pytest.mark.parametrize(("field", "value"), [
    ("gflops", 1e308), ("median_s", 1e308), ("samples", 10**12), ("flops", 1e300),
    ("first_call_s", 1e9),
])
def test_probe_results_with_absurd_figures_are_refused(tmp_path: Path, field: str,
                                                       value: float) -> None:
    op = {"device": "cpu", "dtype": "float32", "flops": 2e9, "first_call_s": 0.1,
          "median_s": 0.01, "iqr_s": 0.0, "samples": 5, "inner_loops": 1, "gflops": 200.0,
          "unstable": False}
    op[field] = value
    doc = {"schema_version": 1, "tool": "dlselect", "host": {}, "budget": "quick",
           "results": [{"framework": "torch", "status": "ok", "ops": {"gemm": op}}]}
    path = tmp_path / "host.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = invoke("recommend", "--probe-results", str(path), "--samples", "0")
    assert code == 2 and out == ""
    assert one_line(err).startswith(
        f"dlselect: error: {path}: results[0].ops.gemm.{field}: Input should be less than")


@pytest.mark.parametrize("args", [["recommend", "--bogus"], ["recommend", "--samples", "many"],
                                  ["kb", "validate"], ["nonsense"]])
def test_a_usage_error_is_one_line_and_a_tip(args: list[str]) -> None:
    code, out, err = invoke(*args)
    assert code == 2 and out == ""
    one_line(err)
    assert err.splitlines()[1].startswith("Tip: run 'dlselect")


def test_kb_show_ignores_case() -> None:
    code, out, _ = invoke("kb", "show", "PyTorch", "--format", "json")
    assert code == 0 and [f["id"] for f in json.loads(out)["frameworks"]] == ["pytorch"]


def test_torch_means_torch7_in_kb_and_pytorch_in_probe_and_each_says_so() -> None:
    code, _, err = invoke("kb", "show", "torch", "--format", "json")
    assert code == 0
    assert "'torch' here is Torch7 (Lua); PyTorch is 'pytorch'" in err
    code, _, err = invoke("kb", "show", "pytorch", "--kb", "2017")
    assert code == 2 and "PyTorch is not in snapshot 2017" in err
    code, _, err = invoke("probe", "--framework", "pytorch")
    assert code == 2
    assert err.splitlines()[1] == ("Tip: the probes name PyTorch 'torch' (its Python package); "
                                   "the knowledge base calls it 'pytorch' and Torch7 'torch'")
