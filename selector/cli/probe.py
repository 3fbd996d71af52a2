"""``dlselect probe``: measure the frameworks installed on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from selector.cli.common import announce_interpreters, emit, is_stdout, target
from selector.errors import DlselectError

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.status import Status

    from selector.probing.models import NodeReport, Outcome, ProbeReport
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
    ops: str | None = typer.Option(
        None, "--ops", metavar="OP[,OP...]",
        help="Measure only these ops (default: each probe's standard set). The multi-device "
        "ops allreduce and scaling run only when named here."),
    discover_here: bool = typer.Option(
        False, "--discover-here", help="Also search the working folder's .venv* environments "
        "(their interpreters are run; off unless you trust the folder)."),
    cluster: str | None = typer.Option(
        None, "--cluster", metavar="ADDRESS",
        help="Probe every node of a Ray cluster: host:port, ray://host:port, auto (the cluster "
        "this machine belongs to) or local:N (a private local cluster of N simulated nodes). "
        "Needs: pip install 'dlselect[cluster]'."),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="FILE",
        help="Write the result to this file instead of stdout.",
    ),
) -> None:
    """Run quick, honestly timed micro-benchmarks in every framework found."""
    from selector.probing.service import ProbeRequest, parse_ops
    from selector.vocab import ProbeFormat, allowed

    try:
        out_format = ProbeFormat(fmt)
    except ValueError:
        raise DlselectError(f"unknown format {fmt!r}; allowed: {allowed(ProbeFormat)}") from None
    if output is not None and not is_stdout(output):
        target(output)  # refused now, not after minutes of measuring
    request = ProbeRequest(
            frameworks=tuple(framework),
            pythons=tuple(python),
            budget=budget,
            device=device,
            refresh=refresh,
            discover_here=discover_here,
            ops=parse_ops(ops) if ops is not None else (),
    )
    if cluster is not None:
        report = measure_cluster(cluster, request)
    else:
        report = measure_with_progress(request)
    text, plain = probe_output(report, out_format)
    emit(text, output=output, plain=plain)


def probe_output(report: ProbeReport, out_format: ProbeFormat) -> tuple[RenderableType, bool]:
    """The report in ``out_format``, and whether it is plain text (no terminal markup)."""
    from selector.cli.probe_tables import cluster_table, probe_table
    from selector.vocab import ProbeFormat

    if out_format is ProbeFormat.JSON:
        return report.model_dump_json(indent=2) + "\n", True
    if out_format is ProbeFormat.TABLE:
        if report.cluster is not None:
            return cluster_table(report), False
        return probe_table(report), False
    raise AssertionError(out_format)  # pragma: no cover - exhaustive over ProbeFormat (tested)


def measure_cluster(address: str, request: ProbeRequest) -> ProbeReport:
    """``--cluster``: one probe run per node of a Ray cluster (selector.cluster, the only
    place that imports Ray); progress and warnings on stderr."""
    from selector.cluster import require_ray

    require_ray()
    check_request_names(request)
    from selector.cluster.ray_probe import ClusterRequest, check_address, probe_cluster

    check_address(address)
    reporter = ClusterConsoleReporter()
    report = probe_cluster(ClusterRequest(address=address, probe=request), reporter=reporter)
    for warning in report.warnings:
        typer.echo(f"dlselect: warning: {warning}", err=True)
    return report


def check_request_names(request: ProbeRequest) -> None:
    """What can be checked here before a cluster runs the request: budget, device, names."""
    from selector.probing.service import check_frameworks
    from selector.vocab import Budget, ProbeDevice, allowed

    if request.budget not in set(Budget):
        raise DlselectError(f"unknown budget {request.budget!r}; allowed: {allowed(Budget)}")
    if request.device not in set(ProbeDevice):
        raise DlselectError(f"unknown device {request.device!r}; allowed: "
                            f"{allowed(ProbeDevice)}")
    check_frameworks(request.frameworks)


class ClusterConsoleReporter:
    """One line on stderr per event: connected, each node finished."""

    def connected(self, address: str, nodes: int) -> None:
        typer.echo(f"dlselect: connected to {address}: {nodes} alive node(s); probing each",
                   err=True)

    def submitted(self, node_ids: list[str], local: object) -> None:
        pass

    def node_finished(self, node: NodeReport) -> None:
        ok = sum(1 for r in node.results if r.status == "ok")
        what = f"{ok} framework(s) measured" if node.status == "ok" else node.reason
        typer.echo(f"dlselect: node {node.hostname or node.node_id[:12]} ({node.ip}): "
                   f"{node.status}: {what}", err=True)


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
    ``--device gpu`` a GPU (with ``auto`` the probes fall back to the CPU). Once what can be
    checked without running anything holds, the interpreters about to be run are named on
    stderr (``announce_interpreters``), then each ``--python`` is run to see it is a Python."""
    from selector.probing.discovery import candidate_interpreters, inspect
    from selector.probing.service import check_frameworks

    check_frameworks(request.frameworks)
    tip = "give the path of a Python interpreter, e.g. /path/to/venv/bin/python"
    for python in request.pythons:
        if not Path(python).exists():
            raise DlselectError(f"interpreter not found: {python}", tip=tip)
    if request.device == "gpu":
        from selector.hardware import detect

        if not detect().gpus:
            raise DlselectError("--device gpu: no NVIDIA GPU is visible on this machine "
                                "(nvidia-ml-py and nvidia-smi found none)",
                                tip="use --device cpu, or --device auto (the GPU where a "
                                "framework sees one, else the CPU)")
    # Every interpreter that discovery will run (a missing one is reported, not run).
    announce_interpreters([p for p in candidate_interpreters(list(request.pythons),
                                                             here=request.discover_here)
                           if Path(p).exists()])
    for python in request.pythons:
        found = inspect(python)
        if found.error:
            raise DlselectError(found.error, tip=tip)
