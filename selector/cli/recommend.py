"""``dlselect recommend``: rank frameworks for a team's answers (flags, an answers file, or
both: flags over file over defaults)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from selector.cli.common import (
    Target,
    distinct,
    emit,
    is_stdout,
    print_stdout,
    render_text,
    target,
    write_files,
)
from selector.cli.vocabulary import words
from selector.errors import DlselectError, ProfileError

if TYPE_CHECKING:

    from selector.answers import Answers
    from selector.engine.methods.scikit_criteria import ExtraMethod
    from selector.engine.recommend import Decision
    from selector.models import Recommendation
    from selector.probing.models import Outcome
    from selector.probing.service import ProbeRequest
    from selector.vocab import OutputFormat


def recommend_command(
    language: list[str] = typer.Option(
        [],
        "--language",
        "-l",
        metavar="LANG",
        help="A language the team writes and trains models in (repeatable). None given: no "
        f"language constraint. Known: {words('language')}.",
    ),
    runtime_language: list[str] = typer.Option(
        [],
        "--runtime-language",
        metavar="LANG",
        help="A language that only loads and runs models trained elsewhere (repeatable), "
        "e.g. Kotlin in an Android app.",
    ),
    workload: list[str] = typer.Option(
        [],
        "--workload",
        "--task",
        metavar="WORKLOAD",
        help=f"What the team builds (repeatable; --task is the older name): {words('workload')}.",
    ),
    hardware: list[str] = typer.Option(
        [],
        "--hardware",
        metavar="HW",
        help=f"The device to train on (repeatable): {words('hardware')}. 'gpu' is read as "
        "nvidia-gpu; multi-gpu and multi-node are read as --scale.",
    ),
    scale: list[str] = typer.Option(
        [],
        "--scale",
        metavar="SCALE",
        help=f"How many devices a training run uses: {words('scale')}.",
    ),
    deployment: list[str] = typer.Option(
        [],
        "--deployment",
        metavar="TARGET",
        help=f"Where models must run (repeatable): {words('deployment')}; 'mobile' is "
        "android and ios.",
    ),
    existing: list[str] = typer.Option(
        [],
        "--existing",
        metavar="FRAMEWORK",
        help=f"A framework the team already has code in (repeatable): {words('existing')}.",
    ),
    kb: str | None = typer.Option(
        None,
        "--kb",
        metavar="SNAPSHOT",
        help="Knowledge snapshot: a built-in id (default: current) or a snapshot or overlay file.",
    ),
    weight: list[str] = typer.Option(
        [],
        "--weight",
        "-w",
        metavar="C=W",
        help="CRITERION=W: set one criterion's relative weight "
        "(repeatable); the others stay as derived.",
    ),
    method: list[str] = typer.Option(
        [],
        "--method",
        metavar="METHOD",
        help="Ranking method: topsis (default) or wsm. Repeatable, or comma-separated, with "
        "scikit-criteria's moora or multimoora, which rank too, in the robustness analysis's "
        "method comparison beside the four there (they do not explain a score, so the "
        "ranking stays topsis's or wsm's).",
    ),
    cross_check: bool = typer.Option(
        False,
        "--cross-check",
        help="Rank again with scikit-criteria, the library dlselect's methods are tested "
        "against, and say on stderr whether it ranks alike (exit 1 if not).",
    ),
    allow_retired: bool | None = typer.Option(
        None,
        "--allow-retired/--exclude-retired",
        help="Rank retired frameworks too, marked as retired (default: exclude them).",
    ),
    probe: bool | None = typer.Option(
        None,
        "--probe/--no-probe",
        help="Measure installed frameworks live and use the results (default: no).",
    ),
    probe_results: list[Path] = typer.Option(
        [],
        "--probe-results",
        metavar="FILE",
        help="Rank with measurements saved by `dlselect probe --format "
        "json` (repeatable; e.g. one file per machine: the figures of the machine that "
        "matches the team's hardware count).",
    ),
    cluster: str | None = typer.Option(
        None, "--cluster", metavar="ADDRESS",
        help="Probe every node of a Ray cluster first (as `dlselect probe --cluster`) and rank "
        "with the node that matches the team's hardware."),
    python: list[str] = typer.Option(
        [],
        "--python",
        metavar="PATH",
        help="With --probe: another interpreter to search for frameworks (repeatable).",
    ),
    budget: str | None = typer.Option(
        None, "--budget", metavar="BUDGET", help="With --probe: quick or full."
    ),
    device: str | None = typer.Option(
        None,
        "--device",
        metavar="DEVICE",
        help="With --probe: auto (default: the team's device class when it names CPUs only, "
        "else the GPU where a framework sees one), cpu or gpu.",
    ),
    samples: int | None = typer.Option(
        None,
        "--samples",
        metavar="N",
        help="Weight samples for the robustness analysis (default 20000; 0 skips it).",
    ),
    seed: int | None = typer.Option(
        None, "--seed", metavar="S", help="Random seed of the robustness analysis (default 0)."
    ),
    discover_here: bool = typer.Option(
        False, "--discover-here", help="With --probe: also search the working folder's .venv* "
        "environments (their interpreters are run; off unless you trust the folder)."),
    answers_file: list[Path] = typer.Option(
        [],
        "--answers",
        metavar="FILE",
        help="Replay answers saved by the wizard (TOML); flags override it. Repeatable: one "
        "file per stakeholder ranks once with their combined priorities and shows where they "
        "disagree.",
    ),
    from_repo: Path | None = typer.Option(
        None, "--from-repo", metavar="PATH", help="Start from the answers `dlselect scan PATH` "
        "infers from a repository (read as text; nothing in it runs); flags override them."),
    fmt: str | None = typer.Option(
        None, "--format", "-f", metavar="FORMAT",
        help="Output: table (default), json, markdown (a decision record; the default with "
        "--adr-dir) or html (an interactive page).",
    ),
    chart: Path | None = typer.Option(
        None,
        "--chart",
        metavar="FILE",
        help="Also draw the scores and the rank acceptability to this .svg or .png file.",
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        help="Write the result to this file instead of stdout.",
    ),
    detail: bool = typer.Option(
        False, "--detail", help="Markdown only: the long record (every score with its "
        "rationale and source, the decision matrix, the robustness tables, every source)."),
    adr_dir: Path | None = typer.Option(
        None, "--adr-dir", metavar="DIR", help="Write the Markdown record into the decision log "
        "DIR as NNNN-choose-a-deep-learning-framework.md, the next free number (DIR is created "
        "if missing; no file is replaced)."),
    supersedes: int | None = typer.Option(
        None, "--supersedes", metavar="N", help="With --adr-dir: mark record N of the log "
        "superseded by the new one."),
    stale_years: int = typer.Option(
        2,
        "--stale-years",
        metavar="N",
        help="List decisive scores whose evidence is older than N years, counted from today "
        "(default 2).",
    ),
) -> None:
    """Rank deep-learning frameworks for a team, and show why."""
    from selector.answers import Answers, folded, load_answers
    from selector.engine.profile import parse_weight

    ranking_method, extra = split_methods(method)
    loaded = [folded(load_answers(f)) for f in answers_file]
    base = loaded[0] if len(loaded) == 1 else Answers()
    if from_repo is not None:
        if answers_file:
            raise ProfileError("--from-repo and --answers: one source of answers at a time",
                               tip="save the scan with `dlselect scan PATH --format toml` and "
                               "edit it, or give flags on top of --from-repo")
        from selector.cli.scan import scanned_answers

        base = scanned_answers(from_repo)
    flags = {
        "snapshot": kb,
        "languages": language or None,
        "runtime_languages": runtime_language or None,
        "workloads": workload or None,
        "hardware": hardware or None,
        "scale": scale or None,
        "deployment": deployment or None,
        "existing": existing or None,
        "method": ranking_method,
        "allow_retired": allow_retired,
        "probe": probe,
        "budget": budget,
        "device": device,
        "samples": samples,
        "seed": seed,
    }
    merged = base.model_copy(update={k: v for k, v in flags.items() if v is not None})
    if weight:
        merged = merged.model_copy(
            update={"weights": {**(base.weights or {}), **dict(parse_weight(w) for w in weight)}}
        )
    people = None
    if len(loaded) > 1:
        from selector.cli.stakeholders import combine

        merged, people = combine(answers_file, loaded, flags, weight)
    if chart is not None:
        from selector.report.chart import FORMATS

        if chart.suffix not in FORMATS:
            raise DlselectError(
                f"--chart file must end in {' or '.join(FORMATS)}, not {chart.suffix!r}"
            )
    if extra and merged.samples == 0:
        raise ProfileError(f"--method {','.join(extra)}: scikit-criteria's methods rank in the "
                           "method comparison of the robustness analysis, which --samples 0 "
                           "skips", tip="leave out --samples 0, or scikit-criteria's methods")
    # Where the results go is checked before anything is computed or written.
    out_format = output_format(fmt or ("markdown" if adr_dir is not None else "table"))
    from selector.cli import adr

    adr.check_options(out_format, output=output, adr_dir=adr_dir, supersedes=supersedes,
                      detail=detail)
    log = adr.plan(adr_dir, supersedes) if adr_dir is not None else None
    to_file = None if is_stdout(output) else target(output) if output is not None else None
    chart_file = target(chart) if chart is not None else None
    if to_file is not None and chart_file is not None:
        distinct(chart_file, to_file, names=("--chart", "--output"))
    decision = decide_from_answers(merged, probe_results, stale_years=stale_years,
                                   discover_here=discover_here, people=people, cluster=cluster,
                                   pythons=python)
    if extra:
        from selector.engine.recommend import with_extra_methods

        decision = with_extra_methods(decision, extra)
        if ranking_method is None:
            verb = "rank" if len(extra) > 1 else "ranks"
            typer.echo(f"dlselect: {' and '.join(extra)} {verb} in the method comparison; "
                       f"{decision.recommendation.method} ranks and explains", err=True)
    agrees = report_cross_check(decision) if cross_check else True
    rec = decision.recommendation
    link: str | None = None
    files: list[tuple[Target, bytes]] = []
    if chart is not None and chart_file is not None:
        from selector.report.chart import chart_bytes

        files.append((chart_file, chart_bytes(rec, chart.suffix)))
        # The Markdown report links the chart relative to where the report is written.
        report_dir = (log.folder if log is not None else
                      to_file.shown.parent if to_file is not None else Path.cwd())
        link = os.path.relpath(chart.resolve(), report_dir.resolve())
    from selector.report.registry import formatter_for

    formatter = formatter_for(out_format, chart=link, detail=detail,
                              supersedes=log.supersedes if log is not None else None,
                              decision=decision)
    report = formatter.render(rec)
    if log is not None:
        written = adr.write(log, render_text(report, plain=True), files)
        typer.echo(f"dlselect: wrote {written[0]}", err=True)
        if len(written) > 1:
            typer.echo(f"dlselect: marked {written[1]} superseded by {log.record.label}",
                       err=True)
    elif to_file is not None:
        # Both files or neither (selector.cli.common.write_files).
        files.append((to_file, render_text(report, plain=formatter.plain).encode("utf-8")))
        write_files(files)
    else:
        write_files(files)
        print_stdout(report)
    if not agrees:
        raise typer.Exit(1)


def split_methods(values: list[str]) -> tuple[str | None, list[ExtraMethod]]:
    """``--method``'s values (each may list several, comma-separated): the ranking method, if
    one is named, and scikit-criteria's methods, in the order given."""
    from selector.engine.methods import RANKING_METHODS
    from selector.engine.methods.scikit_criteria import ExtraMethod

    ranking: list[str] = []
    extra: list[ExtraMethod] = []
    for name in (n.strip().lower() for v in values for n in v.split(",") if n.strip()):
        if name in {m.value for m in ExtraMethod}:
            if ExtraMethod(name) not in extra:
                extra.append(ExtraMethod(name))
        elif name in {m.value for m in RANKING_METHODS}:
            ranking.append(name)
        else:
            raise ProfileError(
                f"unknown method {name!r}; allowed: {', '.join(m.value for m in RANKING_METHODS)}"
                f" (rank and explain), {', '.join(m.value for m in ExtraMethod)} "
                "(scikit-criteria's, compared)")
    if len(set(ranking)) > 1:
        raise ProfileError(f"one ranking method at a time, not {' and '.join(ranking)}",
                           tip="scikit-criteria's methods can be added to it: "
                           f"--method {ranking[0]},moora")
    return (ranking[0] if ranking else None), extra


def report_cross_check(decision: Decision) -> bool:
    """Rank the decision matrix again with scikit-criteria, print on stderr whether every
    method ranks alike, and return that."""
    from selector.engine.methods.scikit_criteria import TOLERANCE, cross_check, version

    matrix = decision.matrix
    checks = cross_check(matrix)
    library = f"scikit-criteria {version()}"
    methods = [c.method.upper() for c in checks]
    names = ", ".join(methods[:-1]) + " and " + methods[-1] if len(methods) > 1 else methods[0]
    if all(c.agrees for c in checks):
        apart = max(c.difference for c in checks)
        typer.echo(f"dlselect: cross-check: {library} ranks as dlselect does by {names} "
                   f"(scores at most {apart:.1e} apart)", err=True)
        return True
    for c in checks:
        if c.agrees:
            continue
        shown = ", ".join(matrix.alternatives[i] for i in c.theirs)
        ours = ", ".join(matrix.alternatives[i] for i in c.ours)
        typer.echo(f"dlselect: cross-check: {library} differs by {c.method.upper()}: {shown} "
                   f"(dlselect: {ours}); scores up to {c.difference:.1e} apart "
                   f"(tolerance {TOLERANCE:.0e})", err=True)
    return False


def decide_from_answers(
    answers: Answers,
    probe_results: list[Path] | None = None,
    *,
    stale_years: int = 2,
    discover_here: bool = False,
    people: list[tuple[str, dict[str, float]]] | None = None,
    cluster: str | None = None,
    pythons: list[str] | None = None,
) -> Decision:
    """``selector.api.decide_from_answers`` with live probes and cluster runs measured with
    progress on stderr and the recommendation's warnings printed there: ``recommend`` and the
    wizard both go through here (so a saved session replays to the same result)."""
    from selector.api import decide_from_answers as from_answers
    from selector.cli.probe import measure_cluster

    decision = from_answers(answers, probe_results, stale_years=stale_years,
                            discover_here=discover_here, measure=measure_live, people=people,
                            cluster=cluster, measure_cluster=measure_cluster,
                            pythons=pythons or ())
    for warning in decision.recommendation.warnings:
        typer.echo(f"dlselect: warning: {warning}", err=True)
    return decision


def output_format(fmt: str) -> OutputFormat:
    from selector.vocab import OutputFormat, allowed

    try:
        return OutputFormat(fmt.lower())
    except ValueError:
        raise DlselectError(f"unknown format {fmt!r}; allowed: {allowed(OutputFormat)}") from None


def render(rec: Recommendation, fmt: str, output: Path | None, *, chart: str | None = None) -> None:
    from selector.report.registry import formatter_for

    formatter = formatter_for(output_format(fmt), chart=chart)
    emit(formatter.render(rec), output=output, plain=formatter.plain)


def measure_live(request: ProbeRequest) -> list[Outcome]:
    from selector.cli.probe import measure_with_progress

    return measure_with_progress(request).results
