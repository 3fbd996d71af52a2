"""``dlselect probe``: measure the frameworks installed on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from selector.cli.common import emit, is_stdout, target
from selector.errors import DlselectError

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.status import Status

    from selector.probing.models import Outcome, ProbeReport
    from selector.probing.runner import Job
    from selector.probing.service import ProbeRequest
    from selector.vocab import ProbeFormat



class ConsoleReporter:
    """Progress on stderr, so stdout stays the result: a live status line on a terminal, and
    one line per finished framework everywhere."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.status: Status | None = None
        self.importing: list[str] = []

    def _show(self, text: str) -> None:
        if not self.console.is_terminal:
            return
        if self.status is None:
            self.status = self.console.status(text)
            self.status.start()
        else:
            self.status.update(text)

    def started(self, job: Job) -> None:
        self.importing.append(job.framework)
        self._show(f"importing {', '.join(self.importing)} side by side ...")

    def measuring(self, job: Job) -> None:
        self._show(f"measuring {job.framework} alone ({job.interpreter}) ...")

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    def finished(self, job: Job, outcome: Outcome) -> None:
        if outcome.status == "ok":
            gemm = outcome.ops.get("gemm")
            figure = f"gemm {gemm.gflops:.1f} GFLOP/s" if gemm and gemm.gflops else "ok"
            self.console.print(f"[green]{job.framework}: {figure}[/green]")
        else:
            self.console.print(
                f"[yellow]{job.framework}: {outcome.status}: {outcome.reason}[/yellow]"
            )


def probe_command(
    framework: list[str] = typer.Option(
        [],
        "--framework",
        metavar="NAME",
        help="Probe only this framework "
        "(repeatable): torch, tensorflow, jax, numba, mxnet, "
        "pytensor, caffe, cntk, neon.",
    ),
    python: list[str] = typer.Option(
        [], "--python", metavar="PATH", help="Another interpreter to search (repeatable)."
    ),
    budget: str = typer.Option(
        "quick", "--budget", metavar="BUDGET", help="quick (seconds) or full."
    ),
    device: str = typer.Option("auto", "--device", metavar="DEVICE", help="auto, cpu or gpu."),
    fmt: str = typer.Option(
        "table", "--format", "-f", metavar="FORMAT", help="Output: table or json."
    ),
    refresh: bool = typer.Option(False, "--refresh", help="Measure again, ignoring the cache."),
    discover_here: bool = typer.Option(
        False, "--discover-here", help="Also search the working folder's .venv* environments "
        "(their interpreters are run; off unless you trust the folder)."),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        help="Write the result to this file instead of stdout.",
    ),
) -> None:
    """Run quick, honestly timed micro-benchmarks in every framework found."""
    from selector.probing.service import ProbeRequest
    from selector.vocab import ProbeFormat, allowed

    try:
        out_format = ProbeFormat(fmt)
    except ValueError:
        raise DlselectError(f"unknown format {fmt!r}; allowed: {allowed(ProbeFormat)}") from None
    if output is not None and not is_stdout(output):
        target(output)  # refused now, not after minutes of measuring
    report = measure_with_progress(
        ProbeRequest(
            frameworks=tuple(framework),
            pythons=tuple(python),
            budget=budget,
            device=device,
            refresh=refresh,
            discover_here=discover_here,
        )
    )
    text, plain = probe_output(report, out_format)
    emit(text, output=output, plain=plain)


def probe_output(report: ProbeReport, out_format: ProbeFormat) -> tuple[RenderableType, bool]:
    """The report in ``out_format``, and whether it is plain text (no terminal markup)."""
    from selector.vocab import ProbeFormat

    if out_format is ProbeFormat.JSON:
        return report.model_dump_json(indent=2) + "\n", True
    if out_format is ProbeFormat.TABLE:
        return probe_table(report), False
    raise AssertionError(out_format)  # pragma: no cover - exhaustive over ProbeFormat (tested)


def measure_with_progress(request: ProbeRequest) -> ProbeReport:
    """Run the probes with progress and warnings on stderr: ``dlselect probe`` and
    ``recommend --probe`` both measure through here."""
    from rich.console import Console

    from selector.probing.service import probe
    from selector.vocab import Budget, ProbeDevice, allowed

    if request.budget not in set(Budget):
        raise DlselectError(f"unknown budget {request.budget!r}; allowed: {allowed(Budget)}")
    if request.device not in set(ProbeDevice):
        raise DlselectError(f"unknown device {request.device!r}; allowed: {allowed(ProbeDevice)}")
    check_request(request)
    reporter = ConsoleReporter(Console(stderr=True))
    try:
        report = probe(request, reporter=reporter,
                       notice=lambda text: typer.echo(f"dlselect: {text}", err=True))
    finally:
        reporter.close()
    for warning in report.warnings:
        typer.echo(f"dlselect: warning: {warning}", err=True)
    return report


def check_request(request: ProbeRequest) -> None:
    """What the user asked for by name must exist: an interpreter given with ``--python``
    (one found by discovery may be missing: it is reported and skipped), and with
    ``--device gpu`` a GPU (with ``auto`` the probes fall back to the CPU)."""
    from selector.probing.discovery import inspect
    from selector.probing.service import check_frameworks

    check_frameworks(request.frameworks)
    for python in request.pythons:
        found = inspect(python)
        if found.error:
            raise DlselectError(found.error, tip="give the path of a Python interpreter, "
                                "e.g. /path/to/venv/bin/python")
    if request.device == "gpu":
        from selector.hardware import detect

        if not detect().gpus:
            raise DlselectError("--device gpu: no NVIDIA GPU is visible on this machine "
                                "(nvidia-ml-py and nvidia-smi found none)",
                                tip="use --device cpu, or --device auto (the GPU where a "
                                "framework sees one, else the CPU)")


def probe_table(report: ProbeReport) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    host = report.host
    table = Table(
        title=f"Probes on {host.get('cpu_model')} ({host.get('cpu_count')} threads), "
        f"budget {report.budget}; GFLOP/s",
        title_justify="left",
    )
    table.add_column("Framework", no_wrap=True)
    table.add_column("Version", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for op in ("GEMM", "conv2d", "LSTM"):
        table.add_column(op, justify="right", no_wrap=True)
    table.add_column("Notes")
    reasons: list[Text] = []
    for res in report.results:

        def figure(op: str, res: Outcome = res) -> str:
            o = res.ops.get(op)
            if o is None or o.gflops is None:
                return "-"
            return f"{o.gflops:.1f}" + (" ~" if o.unstable else "")

        notes = []
        if res.stands_for:
            notes.append(f"for {res.stands_for}")
        if res.cached:
            notes.append("cached")
        if res.reason:
            reasons.append(Text(f"  {res.framework}: {res.reason}"))
            notes.append(f"note {len(reasons)}")
        table.add_row(
            res.framework,
            res.version or "-",
            str(res.status),
            figure("gemm"),
            figure("conv2d"),
            figure("lstm"),
            ", ".join(notes),
        )
    parts: list[RenderableType] = [
        table,
        Text("~ unstable: interquartile range above 10% of the median", style="dim"),
    ]
    if reasons:
        parts.append(Text("Notes:", style="bold"))
        parts.extend(Text(f"  {i}.{r.plain[1:]}") for i, r in enumerate(reasons, start=1))
    return Group(*parts)
