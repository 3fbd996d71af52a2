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
    code, out, err = invoke("recommend", "--kb", "2017", "--language", "swift")
    assert code == 2 and out == ""
    assert err.splitlines() == ["dlselect: error: no framework in snapshot 2017 serves swift",
                                "Tip: relax --language, --hardware or --deployment"]


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
