"""``dlselect recommend``: rank frameworks for a team's answers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from selector.cli.common import emit
from selector.errors import DlselectError
from selector.vocab import DEFAULT_SNAPSHOT

if TYPE_CHECKING:
    from selector.probing.models import Outcome


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
    kb: str = typer.Option(DEFAULT_SNAPSHOT, "--kb",
                           help="Knowledge snapshot: a built-in id or a file path."),
    weight: list[str] = typer.Option(
        [], "--weight", "-w", help="CRITERION=W: set one criterion's relative weight "
        "(repeatable); the others stay as derived."),
    method: str = typer.Option("topsis", "--method", help="Ranking method: topsis or wsm."),
    allow_retired: bool = typer.Option(False, "--allow-retired",
                                       help="Rank retired frameworks too, marked as retired."),
    probe: bool = typer.Option(False, "--probe/--no-probe",
                               help="Measure installed frameworks live and use the results."),
    probe_results: list[Path] = typer.Option(
        [], "--probe-results", help="Rank with measurements saved by `dlselect probe --format "
        "json` (repeatable; e.g. one file per machine)."),
    python: list[str] = typer.Option([], "--python", help="With --probe: another interpreter "
                                     "to search for frameworks (repeatable)."),
    budget: str = typer.Option("quick", "--budget", help="With --probe: quick or full."),
    fmt: str = typer.Option("table", "--format", "-f", help="Output: table or json."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Write the result to this file instead of stdout."),
) -> None:
    """Rank deep-learning frameworks for a team, and show why."""
    from selector.engine.profile import build_profile
    from selector.engine.recommend import recommend
    from selector.report.registry import formatter_for
    from selector.vocab import OutputFormat, allowed

    try:
        out_format = OutputFormat(fmt.lower())
    except ValueError:
        raise DlselectError(f"unknown format {fmt!r}; allowed: {allowed(OutputFormat)}") from None
    profile = build_profile(languages=language, task=task, hardware=hardware,
                            deployment=deployment, weights=weight, method=method, snapshot=kb)
    profile = profile.model_copy(update={"allow_retired": allow_retired})
    formatter = formatter_for(out_format)
    outcomes = None
    if probe_results:
        from selector.probing.results import load_outcomes

        outcomes = load_outcomes(list(probe_results))
    if probe:
        outcomes = (outcomes or []) + run_live_probes(python, budget)
    rec = recommend(profile, probes=outcomes)
    for warning in rec.warnings:
        typer.echo(f"dlselect: warning: {warning}", err=True)
    emit(formatter.render(rec), output=output, plain=formatter.plain)


def run_live_probes(python: list[str], budget: str) -> list[Outcome]:
    from rich.console import Console

    from selector.cli.probe import BUDGETS, ConsoleReporter
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
