"""``dlselect recommend``: rank frameworks for a team's answers (flags, an answers file, or
both: flags over file over defaults)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from selector.cli.common import emit
from selector.errors import DlselectError

if TYPE_CHECKING:
    from selector.answers import Answers
    from selector.models import Recommendation
    from selector.probing.models import Outcome

BUDGETS = ("quick", "full")


def recommend_command(
    language: list[str] = typer.Option(
        [], "--language", "-l", help="A language the team uses (repeatable). "
        "None given: no language constraint."),
    task: str | None = typer.Option(None, "--task", help="Main task: cnn, rnn, transformer."),
    hardware: list[str] = typer.Option(
        [], "--hardware", help="Hardware to train on (repeatable): cpu, gpu, multi-gpu, "
        "multi-node, tpu, apple-silicon."),
    deployment: list[str] = typer.Option(
        [], "--deployment", help="Where models must run (repeatable): server, mobile, browser."),
    kb: str | None = typer.Option(None, "--kb", help="Knowledge snapshot: a built-in id "
                                  "(default: current) or a snapshot or overlay file."),
    weight: list[str] = typer.Option(
        [], "--weight", "-w", help="CRITERION=W: set one criterion's relative weight "
        "(repeatable); the others stay as derived."),
    method: str | None = typer.Option(None, "--method",
                                      help="Ranking method: topsis (default) or wsm."),
    allow_retired: bool | None = typer.Option(
        None, "--allow-retired/--exclude-retired",
        help="Rank retired frameworks too, marked as retired (default: exclude them)."),
    probe: bool | None = typer.Option(
        None, "--probe/--no-probe",
        help="Measure installed frameworks live and use the results (default: no)."),
    probe_results: list[Path] = typer.Option(
        [], "--probe-results", help="Rank with measurements saved by `dlselect probe --format "
        "json` (repeatable; e.g. one file per machine)."),
    python: list[str] = typer.Option([], "--python", help="With --probe: another interpreter "
                                     "to search for frameworks (repeatable)."),
    budget: str | None = typer.Option(None, "--budget", help="With --probe: quick or full."),
    answers_file: Path | None = typer.Option(
        None, "--answers", help="Replay answers saved by the wizard (TOML); flags override it."),
    fmt: str = typer.Option("table", "--format", "-f", help="Output: table or json."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Write the result to this file instead of stdout."),
) -> None:
    """Rank deep-learning frameworks for a team, and show why."""
    from selector.answers import Answers, load_answers
    from selector.engine.profile import parse_weight

    base = load_answers(answers_file) if answers_file else Answers()
    flags = {
        "snapshot": kb, "languages": language or None, "task": task,
        "hardware": hardware or None, "deployment": deployment or None, "method": method,
        "allow_retired": allow_retired, "probe": probe, "budget": budget,
        "pythons": python or None,
    }
    merged = base.model_copy(update={k: v for k, v in flags.items() if v is not None})
    if weight:
        merged = merged.model_copy(update={"weights": {**(base.weights or {}),
                                                       **dict(parse_weight(w) for w in weight)}})
    render(recommend_from_answers(merged, probe_results), fmt, output)


def recommend_from_answers(answers: Answers, probe_results: list[Path] | None = None,
                           ) -> Recommendation:
    """The one path from answers to a recommendation, shared by ``recommend`` and the wizard
    (so a saved session replays to the same result)."""
    from selector.engine.profile import build_profile
    from selector.engine.recommend import recommend
    from selector.vocab import DEFAULT_SNAPSHOT

    profile = build_profile(
        languages=answers.languages or [], task=answers.task, hardware=answers.hardware or [],
        deployment=answers.deployment or [], weights=answers.weights or {},
        method=answers.method or "topsis", snapshot=answers.snapshot or DEFAULT_SNAPSHOT)
    profile = profile.model_copy(update={"allow_retired": bool(answers.allow_retired)})
    outcomes: list[Outcome] | None = None
    if probe_results:
        from selector.probing.results import load_outcomes

        outcomes = load_outcomes(list(probe_results))
    if answers.probe:
        outcomes = (outcomes or []) + run_live_probes(answers.pythons or [],
                                                      answers.budget or "quick")
    rec = recommend(profile, probes=outcomes)
    for warning in rec.warnings:
        typer.echo(f"dlselect: warning: {warning}", err=True)
    return rec


def render(rec: Recommendation, fmt: str, output: Path | None) -> None:
    from selector.report.registry import formatter_for
    from selector.vocab import OutputFormat, allowed

    try:
        out_format = OutputFormat(fmt.lower())
    except ValueError:
        raise DlselectError(f"unknown format {fmt!r}; allowed: {allowed(OutputFormat)}") from None
    formatter = formatter_for(out_format)
    emit(formatter.render(rec), output=output, plain=formatter.plain)


def run_live_probes(python: list[str], budget: str) -> list[Outcome]:
    from rich.console import Console

    from selector.cli.probe import ConsoleReporter
    from selector.probing.service import ProbeRequest, probe

    if budget not in BUDGETS:
        raise DlselectError(f"unknown budget {budget!r}; allowed: {', '.join(BUDGETS)}")
    reporter = ConsoleReporter(Console(stderr=True))
    try:
        report = probe(ProbeRequest(pythons=tuple(python), budget=budget), reporter=reporter)
    finally:
        reporter.close()
    for warning in report.warnings:
        typer.echo(f"dlselect: warning: {warning}", err=True)
    return report.results
