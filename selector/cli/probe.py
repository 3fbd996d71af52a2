"""``dlselect probe``: measure the frameworks installed on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from selector.cli.common import emit
from selector.errors import DlselectError

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from selector.probing.models import Outcome, ProbeReport
    from selector.probing.runner import Job

BUDGETS = ("quick", "full")
DEVICES = ("auto", "cpu", "gpu")


class ConsoleReporter:
    """One line per event on stderr, so stdout stays the result."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def started(self, job: Job) -> None:
        self.console.print(f"[dim]importing {job.framework} ({job.interpreter})[/dim]")

    def measuring(self, job: Job) -> None:
        self.console.print(f"measuring {job.framework} ...")

    def finished(self, job: Job, outcome: Outcome) -> None:
        if outcome.status == "ok":
            gemm = outcome.ops.get("gemm")
            figure = f"gemm {gemm.gflops:.1f} GFLOP/s" if gemm else "ok"
            self.console.print(f"[green]{job.framework}: {figure}[/green]")
        else:
            self.console.print(f"[yellow]{job.framework}: {outcome.status}: "
                               f"{outcome.reason}[/yellow]")


def probe_command(
    framework: list[str] = typer.Option([], "--framework", help="Probe only this framework "
                                        "(repeatable): torch, tensorflow, jax, numba, mxnet, "
                                        "pytensor, caffe, cntk, neon."),
    python: list[str] = typer.Option([], "--python", help="Another interpreter to search "
                                     "(repeatable)."),
    budget: str = typer.Option("quick", "--budget", help="quick (seconds) or full."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or gpu."),
    fmt: str = typer.Option("table", "--format", "-f", help="Output: table or json."),
    refresh: bool = typer.Option(False, "--refresh", help="Measure again, ignoring the cache."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Write the result to this file instead of stdout."),
) -> None:
    """Run quick, honestly timed micro-benchmarks in every framework found."""
    from rich.console import Console

    from selector.probing.service import ProbeRequest, probe

    if budget not in BUDGETS:
        raise DlselectError(f"unknown budget {budget!r}; allowed: {', '.join(BUDGETS)}")
    if device not in DEVICES:
        raise DlselectError(f"unknown device {device!r}; allowed: {', '.join(DEVICES)}")
    if fmt not in ("table", "json"):
        raise DlselectError(f"unknown format {fmt!r}; allowed: table, json")
    stderr = Console(stderr=True)
    report = probe(ProbeRequest(frameworks=tuple(framework), pythons=tuple(python),
                                budget=budget, device=device, refresh=refresh),
                   reporter=ConsoleReporter(stderr))
    for warning in report.warnings:
        stderr.print(f"[yellow]Warning: {warning}[/yellow]")
    if fmt == "json":
        emit(report.model_dump_json(indent=2) + "\n", output=output, plain=True)
    else:
        emit(probe_table(report), output=output, plain=False)


def probe_table(report: ProbeReport) -> RenderableType:
    from rich.table import Table

    host = report.host
    table = Table(title=f"Probes on {host.get('cpu_model')} ({host.get('cpu_count')} threads), "
                        f"budget {report.budget}", title_justify="left")
    for column in ("Framework", "Version", "Status", "GEMM GFLOP/s", "conv2d GFLOP/s",
                   "LSTM GFLOP/s", "Notes"):
        table.add_column(column, justify="right" if "GFLOP" in column else "left")
    for res in report.results:
        def figure(op: str, res: Outcome = res) -> str:
            o = res.ops.get(op)
            if o is None:
                return "-"
            return f"{o.gflops:.1f}" + (" ~" if o.unstable else "")
        notes = res.reason or ("cached" if res.cached else "")
        if res.stands_for:
            notes = f"stands for {res.stands_for}" + (f"; {notes}" if notes else "")
        table.add_row(res.framework, res.version or "-", str(res.status), figure("gemm"),
                      figure("conv2d"), figure("lstm"), notes)
    table.caption = "~ unstable: interquartile range above 10% of the median"
    return table
