"""The decision log: numbering, the superseded status, and ``recommend --adr-dir/--supersedes``."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from selector.cli.app import app
from selector.report.adr_log import (
    AdrLogError,
    RecordRef,
    find_record,
    mark_superseded,
    next_record,
    numbered,
    record_name,
    status_of,
    title_of,
)

runner = CliRunner()
NAME = "choose-a-deep-learning-framework"
QUICK = ["--samples", "200"]


# --- pure logic ----------------------------------------------------------------------------


def test_records_are_numbered_with_four_digits_after_the_highest() -> None:
    assert next_record([]) == RecordRef(1, f"0001-{NAME}.md")
    names = ["0001-use-postgres.md", "0003-x.md", "README.md", "template.md", "12-short.md",
             "00042-five-digits.md", "0002-not-markdown.txt"]
    assert [r.number for r in numbered(names)] == [1, 3]
    assert next_record(names).name == f"0004-{NAME}.md"
    assert record_name(12) == f"0012-{NAME}.md"
    with pytest.raises(AdrLogError, match="full"):
        next_record(["9999-last.md"])
    with pytest.raises(AdrLogError):
        record_name(0)


def test_a_record_is_found_by_its_number_once() -> None:
    names = ["0001-a.md", "0002-b.md", "0002-c.md"]
    assert find_record(names, 1) == RecordRef(1, "0001-a.md")
    with pytest.raises(AdrLogError, match="no record 0005"):
        find_record(names, 5)
    with pytest.raises(AdrLogError, match="ambiguous"):
        find_record(names, 2)


NEW = RecordRef(2, f"0002-{NAME}.md")
SUPERSEDED = f"status: superseded by [0002](0002-{NAME}.md)"


def test_the_status_becomes_superseded_and_nothing_else_changes() -> None:
    old = ("---\nstatus: accepted\ndate: 2026-01-05\ndecision-makers: Ana, Bo\n---\n\n"
           "# Use TensorFlow\n\nstatus: this body line is not the front matter\n")
    new = mark_superseded(old, NEW)
    assert new == old.replace("status: accepted", SUPERSEDED, 1)
    assert status_of(new) == SUPERSEDED.removeprefix("status: ")
    assert title_of(new) == "Use TensorFlow"
    with pytest.raises(AdrLogError, match="already superseded"):
        mark_superseded(new, RecordRef(3, "0003-x.md"))


def test_line_endings_and_missing_status_or_front_matter_are_kept() -> None:
    crlf = "---\r\nstatus: proposed\r\ndate: 2026-01-05\r\n---\r\n\r\n# T\r\n"
    assert mark_superseded(crlf, NEW) == crlf.replace("status: proposed", SUPERSEDED)
    no_status = "---\ndate: 2026-01-05\n---\n# T\n"
    assert mark_superseded(no_status, NEW) == f"---\ndate: 2026-01-05\n{SUPERSEDED}\n---\n# T\n"
    bare = "# 1. Record architecture decisions\n\nDate: 2026-01-05\n"  # as adr-tools writes
    assert mark_superseded(bare, NEW) == f"---\n{SUPERSEDED}\n---\n\n{bare}"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
       st.sampled_from(["proposed", "accepted", "'accepted'", "deprecated"]))
def test_only_the_status_line_changes_whatever_the_body(body: str, status: str) -> None:
    old = f"---\nstatus: {status}\ndate: 2026-01-05\n---\n{body}"
    new = mark_superseded(old, NEW)
    assert new.split("\n", 2)[2] == old.split("\n", 2)[2]
    assert new.split("\n", 2)[1] == SUPERSEDED


# --- the CLI -------------------------------------------------------------------------------


def recommend(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["recommend", *args, *QUICK],
                           env={"DLSELECT_TODAY": "2026-12-08"})
    return result.exit_code, result.stdout, result.stderr


def test_adr_dir_writes_numbered_records_and_never_replaces_one(tmp_path: Path) -> None:
    log = tmp_path / "docs" / "decisions"  # created, parents included
    code, out, err = recommend("-l", "python", "--adr-dir", str(log))
    assert code == 0, err
    first = log / f"0001-{NAME}.md"
    assert out == "" and f"dlselect: wrote {first}" in err
    assert first.read_text(encoding="utf-8").startswith("---\nstatus: proposed\n")
    (log / "0007-use-kafka.md").write_text("# Use Kafka\n", encoding="utf-8")
    before = first.read_bytes()
    chart = tmp_path / "img" / "chart.svg"
    chart.parent.mkdir()
    code, _, err = recommend("--kb", "2017", "-l", "python", "--adr-dir", str(log),
                             "--chart", str(chart))
    assert code == 0, err
    eighth = (log / f"0008-{NAME}.md").read_text(encoding="utf-8")
    assert first.read_bytes() == before
    assert "![Scores and rank acceptability](../../img/chart.svg)" in eighth  # from the log
    assert chart.read_text(encoding="utf-8").startswith("<?xml")


def test_a_new_record_never_replaces_a_file_of_that_name(tmp_path: Path) -> None:
    from selector.cli.common import OutputError, create_file

    path = tmp_path / f"0001-{NAME}.md"
    create_file(path, b"first")
    with pytest.raises(OutputError, match="it exists"):
        create_file(path, b"second")
    assert path.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_supersedes_marks_the_earlier_record_and_links_it(tmp_path: Path) -> None:
    log = tmp_path / "adr"
    log.mkdir()
    old = log / "0001-use-tensorflow.md"
    old_text = ("---\nstatus: accepted\ndate: 2019-03-01\ndecision-makers: Ana\n---\n\n"
                "# Use TensorFlow\n\nWe chose TensorFlow in 2019.\n")
    old.write_text(old_text, encoding="utf-8")
    code, _, err = recommend("-l", "python", "--adr-dir", str(log), "--supersedes", "1")
    assert code == 0, err
    new = log / f"0002-{NAME}.md"
    assert f"marked {old} superseded by 0002" in err
    assert old.read_text(encoding="utf-8") == old_text.replace(
        "status: accepted", f"status: superseded by [0002](0002-{NAME}.md)")
    assert "* Supersedes [0001](0001-use-tensorflow.md) (Use TensorFlow)." in new.read_text(
        encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (["--supersedes", "3"], "no record 0003 in the decision log (no file named 0003-*.md)"),
    (["--supersedes", "1", "--format", "json"], "--adr-dir writes a Markdown record, not "
                                                "--format json"),
    (["--output", "x.md"], "--adr-dir and --output both say where the record goes"),
])
def test_a_refused_log_write_is_one_line_exit_2_and_writes_nothing(
        tmp_path: Path, args: list[str], message: str) -> None:
    log = tmp_path / "adr"
    log.mkdir()
    old = log / f"0001-{NAME}.md"
    old.write_text("---\nstatus: accepted\n---\n# Old\n", encoding="utf-8")
    code, out, err = recommend("--adr-dir", str(log), *args)
    assert code == 2 and out == ""
    assert err.splitlines() == [f"dlselect: error: {message}"] + (
        ["Tip: leave out --format"] if "json" in args else
        ["Tip: give one of them"] if "--output" in args else [])
    assert sorted(p.name for p in log.iterdir()) == [old.name]
    assert old.read_text(encoding="utf-8") == "---\nstatus: accepted\n---\n# Old\n"


def test_a_missing_log_with_supersedes_is_not_created(tmp_path: Path) -> None:
    code, _, err = recommend("--adr-dir", str(tmp_path / "none"), "--supersedes", "1")
    assert code == 2 and "no record 0001" in err
    assert not (tmp_path / "none").exists()


def test_supersedes_and_detail_are_refused_where_they_mean_nothing(tmp_path: Path) -> None:
    code, _, err = recommend("--supersedes", "1")
    assert code == 2
    assert err == "dlselect: error: --supersedes needs --adr-dir (it marks a record of that log)\n"
    code, _, err = recommend("--detail", "--format", "json")
    assert code == 2
    assert err.startswith("dlselect: error: --detail applies to the Markdown record only")
    log = tmp_path / "adr"
    code, _, err = recommend("--adr-dir", str(log), "--supersedes", "1")
    assert code == 2 and not log.exists()
    assert recommend("--adr-dir", str(log))[0] == 0
    code, _, err = recommend("--adr-dir", str(log), "--supersedes", "1")
    assert code == 0
    code, _, err = recommend("--adr-dir", str(log), "--supersedes", "1")
    assert code == 2 and "record 0001" in err and "is already superseded by [0002]" in err
    assert sorted(p.name for p in log.iterdir()) == [f"0001-{NAME}.md", f"0002-{NAME}.md"]
