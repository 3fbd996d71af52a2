"""Several stakeholders: aggregation by hand, a two-person review, and one file as before."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from selector.answers import Answers
from selector.cli.app import app
from selector.engine.group import geometric_aggregate, merge_answers, spreads
from selector.errors import ProfileError, RankingError
from tests.test_report import validate

runner = CliRunner()

SHARED = 'schema_version = 1\nlanguages = ["python"]\n'


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_geometric_mean_of_normalised_weights_by_hand() -> None:
    # Ana 50/50, Ben 80/20: geometric means sqrt(0.4) and sqrt(0.1), renormalised: 2/3, 1/3.
    got = geometric_aggregate([{"a": 0.5, "b": 0.5}, {"a": 0.8, "b": 0.2}])
    assert got == pytest.approx({"a": 2 / 3, "b": 1 / 3}, abs=1e-12)
    # Each person's weights are normalised first: a scale is not a louder voice.
    assert geometric_aggregate([{"a": 5.0, "b": 5.0}, {"a": 0.8, "b": 0.2}]) == pytest.approx(got)
    # Three people: cube roots of the products; the arithmetic mean would give a 0.5 here.
    three = geometric_aggregate([{"a": 0.9, "b": 0.1}, {"a": 0.5, "b": 0.5},
                                 {"a": 0.1, "b": 0.9}])
    assert three["a"] == pytest.approx(0.5)
    skewed = geometric_aggregate([{"a": 0.9, "b": 0.1}, {"a": 0.6, "b": 0.4},
                                  {"a": 0.6, "b": 0.4}])
    a, b = (0.9 * 0.6 * 0.6) ** (1 / 3), (0.1 * 0.4 * 0.4) ** (1 / 3)
    assert skewed == pytest.approx({"a": a / (a + b), "b": b / (a + b)})
    assert math.isclose(math.fsum(skewed.values()), 1.0)


def test_a_criterion_one_person_switches_off_is_off_for_the_group() -> None:
    got = geometric_aggregate([{"a": 1.0, "b": 0.0, "c": 1.0}, {"a": 1.0, "b": 3.0, "c": 1.0}])
    assert got == pytest.approx({"a": 0.5, "b": 0.0, "c": 0.5})
    with pytest.raises(RankingError, match="multiply out to zero"):
        geometric_aggregate([{"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 1.0}])


def test_spread_of_weight_share_by_hand() -> None:
    rows = spreads([("Ana", {"a": 0.6, "b": 0.3, "c": 0.1}),
                    ("Ben", {"a": 0.2, "b": 0.3, "c": 0.5})])
    assert [(s.criterion, s.spread, s.ratio, s.highest, s.lowest) for s in rows] == [
        ("a", 0.4, 3.0, "Ana", "Ben"), ("c", 0.4, 5.0, "Ben", "Ana"),
        ("b", 0.0, 1.0, "Ana", "Ana")]
    assert spreads([("A", {"a": 0.0}), ("B", {"a": 1.0})])[0].ratio is None


def test_shared_answers_are_unions_or_must_match() -> None:
    a = Answers(languages=["python"], hardware=["gpu"], task="cnn", weights={"speed": 2.0})
    b = Answers(languages=["python", "r"], hardware=["tpu"], deployment=["server"], task="cnn",
                snapshot="current", person="Ben")
    shared = merge_answers([("a.toml", a), ("b.toml", b)])
    assert shared.languages == ["python", "r"] and shared.hardware == ["gpu", "tpu"]
    assert shared.deployment == ["server"] and shared.task == "cnn"
    assert shared.weights is None and shared.person is None
    with pytest.raises(ProfileError, match="b.toml: task 'rnn' differs from a.toml's 'cnn'"):
        merge_answers([("a.toml", a), ("b.toml", b.model_copy(update={"task": "rnn"}))])
    with pytest.raises(ProfileError, match="b.toml: snapshot '2017' differs from a.toml's "
                                           "'current'"):
        merge_answers([("a.toml", a), ("b.toml", b.model_copy(update={"snapshot": "2017"}))])
    with pytest.raises(ProfileError, match="method 'wsm' differs"):
        merge_answers([("a.toml", a), ("b.toml", b.model_copy(update={"method": "wsm"}))])


@pytest.fixture
def review(tmp_path: Path) -> tuple[Path, Path]:
    """Ana cares about speed on GPUs and TPUs, Ben about support, on GPUs."""
    ana = write(tmp_path / "ana.toml", SHARED + 'person = "Ana"\nhardware = ["gpu", "tpu"]\n'
                "samples = 2000\n\n[weights]\nspeed = 10.0\n")
    ben = write(tmp_path / "ben.toml", SHARED + 'hardware = ["gpu"]\nsamples = 2000\n\n'
                "[weights]\nresources = 10.0\n")
    return ana, ben


def test_a_two_person_review(review: tuple[Path, Path], tmp_path: Path) -> None:
    ana, ben = review
    code, out, err = cli("recommend", "--answers", str(ana), "--answers", str(ben),
                         "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    validate(doc, "recommendation")
    group = doc["stakeholders"]
    assert doc["profile"]["hardware"] == ["nvidia-gpu", "tpu"]  # the union, in the snapshot's words
    assert [p["name"] for p in group["people"]] == ["Ana", "ben"]  # person, else the file name
    # Each person's view is what that person's answers alone give on the shared answers.
    alone = {}
    for name, weight in (("Ana", "speed=10"), ("ben", "resources=10")):
        code, out, err = cli("recommend", "-l", "python", "--hardware", "gpu", "--hardware",
                             "tpu", "--weight", weight, "--samples", "0", "--format", "json")
        assert code == 0, err
        alone[name] = json.loads(out)
    for person in group["people"]:
        mine = alone[person["name"]]
        assert person["winner"] == mine["ranking"][0]["framework"]
        assert person["weights"] == pytest.approx(mine["weights"], abs=1e-6)
        order = [r["framework"] for r in mine["ranking"]]
        assert person["group_winner_rank"] == order.index(doc["ranking"][0]["framework"]) + 1
    winners = [p["winner"] for p in group["people"]]
    assert winners[0] != winners[1]  # the review this test is about: they disagree
    assert group["holds_for_everyone"] is False
    assert [p["group_winner_holds"] for p in group["people"]].count(True) <= 1
    # The group's weights are the geometric mean of theirs.
    expected = geometric_aggregate([alone["Ana"]["weights"], alone["ben"]["weights"]])
    assert doc["weights"] == pytest.approx(expected, abs=1e-5)
    # They disagree most on the two criteria each raised.
    assert {s["criterion"] for s in group["disagreement"][:2]} == {"speed", "resources"}

    code, table, _ = cli("recommend", "--answers", str(ana), "--answers", str(ben))
    assert code == 0
    table = " ".join(table.split())
    assert "Stakeholders:" in table and "They disagree most on: support (ben 39% vs Ana" in table
    code, record, _ = cli("recommend", "--answers", str(ana), "--answers", str(ben),
                          "--format", "markdown")
    assert code == 0
    section = record.split("## Stakeholders\n")[1].split("\n## ")[0]
    assert "| Criterion | Ana | ben | Group |" in section
    for column in range(1, 4):  # every column of percentages adds up to exactly 100
        cells = [line.split("|")[column + 1] for line in section.splitlines()
                 if line.startswith("| ") and "%" in line]
        assert sum(int(c.strip().rstrip("%")) for c in cells) == 100


def test_one_answers_file_gives_the_same_bytes_as_before(tmp_path: Path) -> None:
    answers = write(tmp_path / "a.toml", SHARED + 'task = "cnn"\nsamples = 500\n\n'
                    "[weights]\nspeed = 2.0\n")
    for fmt in ("json", "markdown", "table"):
        code, from_file, err = cli("recommend", "--answers", str(answers), "--format", fmt)
        assert code == 0, err
        code, from_flags, err = cli("recommend", "-l", "python", "--task", "cnn", "--samples",
                                    "500", "--weight", "speed=2", "--format", fmt)
        assert code == 0, err
        if fmt == "markdown":  # the record is dated the day it is written
            from_file, from_flags = (t.split("\n", 3)[3] for t in (from_file, from_flags))
        assert from_file == from_flags
        assert "takeholders" not in from_file


def test_people_with_different_workloads_share_them_all(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", SHARED + 'task = "cnn"\n')
    b = write(tmp_path / "b.toml", SHARED + 'workloads = ["rnn", "gnn"]\n')
    code, out, err = cli("recommend", "--answers", str(a), "--answers", str(b),
                         "--samples", "0", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["profile"]["workloads"] == ["vision", "sequence", "gnn"]
    # A flag overrides every file.
    code, out, err = cli("recommend", "--answers", str(a), "--answers", str(b),
                         "--task", "cnn", "--samples", "0", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["profile"]["workloads"] == ["vision"]


def test_people_who_disagree_on_the_method_get_one_line_and_exit_2(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", SHARED + 'method = "topsis"\n')
    b = write(tmp_path / "b.toml", SHARED + 'method = "wsm"\n')
    code, out, err = cli("recommend", "--answers", str(a), "--answers", str(b))
    assert code == 2 and out == ""
    assert err == (f"dlselect: error: {b}: method 'wsm' differs from {a}'s 'topsis'; the "
                   "people must share every answer but their priorities ([weights])\n")


def test_the_same_name_twice_is_numbered(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    a = write(tmp_path / "team.toml", SHARED)
    b = write(tmp_path / "x" / "team.toml", SHARED + "\n[weights]\nspeed = 3.0\n")
    code, out, err = cli("recommend", "--answers", str(a), "--answers", str(b),
                         "--samples", "0", "--format", "json")
    assert code == 0, err
    assert [p["name"] for p in json.loads(out)["stakeholders"]["people"]] == ["team",
                                                                               "team (2)"]
