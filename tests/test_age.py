"""How old the facts behind a recommendation are: the snapshot's age, counted to today, and
the decisive scores resting on evidence older than the threshold; and signals in knowledge
files."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from typer.testing import CliRunner

from selector.cli.app import app
from selector.clock import add_months, age_text, years_before
from selector.engine.age import decisive
from selector.engine.profile import build_profile
from selector.engine.recommend import recommend
from selector.errors import KnowledgeError
from selector.knowledge import load_snapshot, parse_overlay, parse_snapshot
from tests.conftest import snapshot_data

runner = CliRunner()


def rec_for(today: date, stale_years: int = 2, **answers: Any) -> Any:
    profile = build_profile(**answers).model_copy(update={"samples": 0})
    return recommend(profile, stale_years=stale_years, today=today)


def test_age_counts_to_today_and_warns_after_six_months() -> None:
    fresh = rec_for(date(2026, 12, 10), languages=["python"], task="transformer")
    assert fresh.age is not None
    assert (fresh.age.snapshot_as_of, fresh.age.today, fresh.age.age_days) == \
        (date(2026, 12, 8), date(2026, 12, 10), 2)
    assert not fresh.age.old and not any("knowledge snapshot" in w for w in fresh.warnings)
    edge = rec_for(date(2027, 6, 8), languages=["python"])  # six months to the day: not yet
    assert edge.age is not None and not edge.age.old
    old = rec_for(date(2027, 6, 9), languages=["python"])
    assert old.age is not None and old.age.old
    warned = [w for w in old.warnings if w.startswith("knowledge snapshot current is as of "
                                                      "2026-12-08, 6 months old: facts may")]
    assert len(warned) == 1


def test_stale_decisive_lists_exactly_the_old_decisive_scores() -> None:
    today = date(2029, 1, 1)
    rec = rec_for(today, languages=["python"], task="transformer")
    assert rec.age is not None and rec.age.stale_years == 2
    limit = years_before(today, 2)
    criteria = decisive(rec)
    assert criteria
    expected = {(r.framework, c) for r in rec.ranking[:2] for c in criteria
                if r.evidence[c].as_of < limit and r.evidence[c].origin != "probe"}
    listed = {(s.framework, s.criterion) for s in rec.age.stale_decisive}
    assert listed == expected and listed
    for s in rec.age.stale_decisive:
        ev = next(r for r in rec.ranking if r.framework == s.framework).evidence[s.criterion]
        assert (s.evidence_date, s.source) == (ev.as_of, ev.source)
        assert s.age_days == (today - ev.as_of).days
    # A longer threshold lists fewer, and none past the evidence's age.
    lenient = rec_for(today, stale_years=20, languages=["python"], task="transformer")
    assert lenient.age is not None and lenient.age.stale_decisive == []


def test_decisive_criteria_are_those_of_the_why_sentence() -> None:
    from selector.engine.explain import losing_margin, winning_margin

    rec = rec_for(date(2026, 11, 30), languages=["python"], task="cnn", snapshot="2017")
    named = {c for names, _ in winning_margin(rec) + losing_margin(rec) for c in names}
    assert set(decisive(rec)) == named


def test_one_framework_left_its_largest_shares_decide(make_snapshot: Any) -> None:
    snap = make_snapshot([[5, 1, 3]], weights=[3, 1, 1])
    rec = recommend(build_profile().model_copy(update={"samples": 0}), snap,
                    today=date(2030, 1, 1))
    assert decisive(rec)[0] == "c0"
    assert rec.age is not None
    assert {s.criterion for s in rec.age.stale_decisive} == set(decisive(rec))


def test_a_negative_threshold_is_refused() -> None:
    from selector.errors import RankingError

    with pytest.raises(RankingError, match="0 years or more"):
        rec_for(date(2026, 11, 30), stale_years=-1)


def run(*args: str, today: str = "2026-11-30", **env: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"DLSELECT_TODAY": today, **env})
    return result.exit_code, result.stdout, result.stderr


def test_table_states_the_age_and_the_old_decisive_scores() -> None:
    code, out, err = run("recommend", "--kb", "2017", "-l", "python", "--task", "cnn",
                         "--samples", "0")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "Facts: snapshot 2017 as of 2017-12-31, 8.9 years old on 2026-11-30." in flat
    assert ("Decisive scores resting on evidence older than 2 years: TensorFlow keras "
            "(svds2017, 2017-03-01, 9.7 years old)") in flat
    assert "Warning: knowledge snapshot 2017 is as of 2017-12-31, 8.9 years old" in flat
    assert err.count("dlselect: warning: knowledge snapshot 2017") == 1
    code, out, _ = run("recommend", "-l", "python", "--samples", "0", today="2026-12-08")
    flat = " ".join(out.split())
    assert "Facts: snapshot current as of 2026-12-08, 0 days old on 2026-12-08." in flat
    assert "Warning: knowledge snapshot" not in flat
    code, out, _ = run("recommend", "-l", "python", "--samples", "0", "--stale-years", "20")
    assert "Decisive scores resting" not in out


def test_stale_years_option_reaches_the_json() -> None:
    code, out, err = run("recommend", "--kb", "2017", "-l", "python", "--samples", "0",
                         "--stale-years", "10", "--format", "json")
    assert code == 0, err
    age = json.loads(out)["age"]
    assert age == {"snapshot_as_of": "2017-12-31", "today": "2026-11-30", "age_days": 3256,
                   "stale_years": 10, "old": True, "stale_decisive": []}
    code, out, _ = run("recommend", "--kb", "2017", "-l", "python", "--samples", "0",
                       "--stale-years", "1", "--format", "json")
    stale = json.loads(out)["age"]["stale_decisive"]
    assert stale and set(stale[0]) == {"framework", "criterion", "evidence_date", "source",
                                       "age_days"}


def test_markdown_has_an_age_section() -> None:
    code, out, err = run("recommend", "-l", "python", "--samples", "0", "--format", "markdown",
                         today="2029-06-01")
    assert code == 0, err
    assert "(as of 2026-12-08, 2.5 years old on 2029-06-01)" in out
    # the short record states the age as a consequence; the long one has the section
    assert ("* Bad, because the knowledge is 2.5 years old: facts may have changed since; "
            "refresh them before accepting") in out
    assert "* Bad, because the lead rests partly on evidence older than 2 years: " in out
    code, out, err = run("recommend", "-l", "python", "--samples", "0", "--format", "markdown",
                         "--detail", today="2029-06-01")
    assert code == 0, err
    section = out.split("### Age of the facts", 1)[1].split("###", 1)[0]
    assert "more than six months: facts may have changed since" in section
    assert "Scores that decided the ranking and rest on evidence older than 2 years:" in section
    assert out.startswith("---\nstatus: proposed\ndate: 2029-06-01\n")


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--stale-years", "-1"], {}, "--stale-years must be between 0 and 100, got -1"),
    ([], {"DLSELECT_TODAY": "yesterday"}, "DLSELECT_TODAY='yesterday' is not a date (YYYY-MM-DD)"),
])
def test_bad_age_input_is_one_line_and_exit_2(args: list[str], env: dict[str, str],
                                              message: str) -> None:
    result = runner.invoke(app, ["recommend", "--samples", "0", *args], env=env)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"dlselect: error: {message}"


def test_the_schema_documents_age() -> None:
    doc = json.loads(runner.invoke(app, ["schema"]).stdout)
    assert "age" in doc["properties"]
    assert set(doc["$defs"]["Age"]["properties"]) >= {"snapshot_as_of", "age_days",
                                                       "stale_years", "stale_decisive"}


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2024, 2, 29), -24, date(2022, 2, 28)),
    (date(2026, 11, 30), 6, date(2027, 5, 30)),
    (date(2026, 1, 15), -1, date(2025, 12, 15)),
])
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_age_text() -> None:
    assert [age_text(d) for d in (0, 1, 59, 200, 800, -3)] == [
        "0 days old", "1 day old", "59 days old", "7 months old", "2.2 years old",
        "dated 3 days after today"]


# --- signals and the refresh mapping in knowledge files ------------------------------------

SIGNAL = {"framework": "f0", "kind": "archived", "value": "true", "source": "test",
          "fetched": "2020-01-02T10:00:00Z"}


@pytest.mark.parametrize(("change", "expected"), [
    ({"value": "yes"}, "signals[0].value: an archived signal is 'true' or 'false'"),
    ({"framework": "nope"}, "signals[0].framework: unknown framework 'nope'"),
    ({"kind": "project_status", "value": "sleepy"}, "unknown project status 'sleepy'"),
    ({"kind": "last_push", "observed": "2020-02-01"}, "signals[0].observed: 2020-02-01 is later"),
    ({"fetched": "2020-01-02T10:00:00"}, "signals[0].fetched: Input should have timezone info"),
    ({"kind": "stars"}, "signals[0].kind: Input should be"),
])
def test_bad_signals_are_refused_with_a_location(change: dict[str, str], expected: str) -> None:
    data = snapshot_data([[1.0]])
    data["signals"] = [{**SIGNAL, **change}]
    with pytest.raises(KnowledgeError) as err:
        parse_snapshot(data, "s")
    assert any(expected in p for p in err.value.problems), err.value.problems


def test_duplicate_signals_and_bad_repositories_are_refused() -> None:
    data = snapshot_data([[1.0]])
    data["signals"] = [SIGNAL, SIGNAL]
    data["frameworks"][0]["repository"] = "owner/.."
    with pytest.raises(KnowledgeError) as err:
        parse_snapshot(data, "s")
    assert any("f0/archived is already given in signals[0]" in p for p in err.value.problems)
    assert any("frameworks[0].repository: 'owner/..' is not a repository name" in p
               for p in err.value.problems)
    data = snapshot_data([[1.0]])
    data["frameworks"][0]["pypi"] = "no spaces allowed"
    with pytest.raises(KnowledgeError, match=r"frameworks\[0\].pypi"):
        parse_snapshot(data, "s")


def test_shipped_snapshots_name_where_to_read_live_signals() -> None:
    current = load_snapshot("current")
    mapped = {f.id: (f.pypi, f.repository) for f in current.frameworks}
    assert mapped["pytorch"] == ("torch", "pytorch/pytorch")
    assert mapped["mxnet"] == ("mxnet", "apache/mxnet")
    assert all(repo for _, repo in mapped.values())
    assert all(f.repository for f in load_snapshot("2017").frameworks)


def test_an_overlay_of_signals_only_is_valid_and_an_empty_one_is_not() -> None:
    overlay = {"schema_version": 2, "kind": "overlay", "id": "live", "title": "Live",
               "base": "current", "as_of": date(2026, 12, 1),
               "sources": [{"id": "live-gh", "title": "GitHub", "url": "https://x"}],
               "signals": [{**SIGNAL, "framework": "jax", "value": "false",
                            "source": "live-gh", "fetched": "2026-12-01T00:00:00Z"}]}
    parsed = parse_overlay(overlay, "o")
    assert len(parsed.signals) == 1
    with pytest.raises(KnowledgeError, match="an overlay must replace at least one score or "
                                             "support entry, or carry a signal"):
        parse_overlay({**overlay, "signals": []}, "o")
