"""``dlselect recommend``: rank frameworks for a team's answers."""

from __future__ import annotations

from pathlib import Path

import typer

from selector.cli.common import emit
from selector.errors import DlselectError
from selector.vocab import DEFAULT_SNAPSHOT


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
    if probe:
        raise DlselectError("live probes are not available in this version of dlselect",
                            tip="rank on the knowledge base alone with --no-probe")
    profile = build_profile(languages=language, task=task, hardware=hardware,
                            deployment=deployment, weights=weight, method=method, snapshot=kb)
    profile = profile.model_copy(update={"allow_retired": allow_retired})
    formatter = formatter_for(out_format)
    emit(formatter.render(recommend(profile)), output=output, plain=formatter.plain)
