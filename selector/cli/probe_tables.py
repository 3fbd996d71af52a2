"""The tables of ``dlselect probe``: the kernels (GFLOP/s), the training steps (samples/s and
time to first step), the multi-device figures, and a cluster's nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selector.probing.catalog import COMPILED_SUFFIX, TRAINING_OPS

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

    from selector.probing.models import Outcome, ProbeReport


def cluster_table(report: ProbeReport) -> RenderableType:
    """Per node: who it is and its probe table; then the inter-node all-reduce."""
    from rich.console import Group
    from rich.text import Text

    info = report.cluster
    assert info is not None
    kind = "simulated (one machine)" if info.simulated else "real"
    ready = f", ready in {info.startup_s:.1f} s" if info.startup_s is not None else ""
    parts: list[RenderableType] = [Text(
        f"Cluster {info.address}: {info.nodes_alive} alive node(s), {kind}; Ray "
        f"{info.ray_version or '?'}{ready}", style="bold")]
    for node in report.nodes:
        head = (f"Node {node.hostname or '?'} ({node.ip}, id {node.node_id[:12]}, "
                f"{node.host.get('cpu_count', '?')} CPUs, {node.gpus or 0} GPUs): {node.status}")
        parts.append(Text(head + (f": {node.reason}" if node.reason else ""), style="bold"))
        if node.results:
            parts.append(probe_table(report.model_copy(update={
                "host": node.host, "results": node.results, "cluster": None, "nodes": []})))
    for inter in report.inter_node:
        r = inter.result
        parts.append(Text(f"Between nodes: all-reduce peak bus {r.peak_bus_gbps():.3g} GB/s "
                          f"over {r.devices} nodes ({r.backend})"
                          + ("; simulated: shown, not ranked" if r.simulated else "")))
    return Group(*parts)


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
    parts: list[RenderableType] = [table]
    training = training_table(report.results)
    if training is not None:
        parts.append(training)
    parts.append(Text("~ unstable: interquartile range above 10% of the median", style="dim"))
    parts.extend(Text(line) for line in multi_device_lines(report.results))
    if reasons:
        parts.append(Text("Notes:", style="bold"))
        parts.extend(Text(f"  {i}.{r.plain[1:]}") for i, r in enumerate(reasons, start=1))
    return Group(*parts)


def multi_device_lines(results: list[Outcome]) -> list[str]:
    """One line per multi-device result: peak all-reduce bus bandwidth, scaling efficiency;
    simulated ones say so (they are shown, never ranked)."""
    lines = []
    for res in results:
        multi = res.multi_device
        if multi is None:
            continue
        for result, figure in (
            (multi.allreduce, multi.allreduce and
             f"all-reduce peak bus {multi.allreduce.peak_bus_gbps():.3g} GB/s "
             f"({', '.join(_size(s.bytes) for s in multi.allreduce.sizes)})"),
            (multi.scaling, multi.scaling and
             f"train_cnn scaling efficiency {multi.scaling.efficiency:.2f}"),
        ):
            if result is None or not figure:
                continue
            kind = "simulated " if result.simulated else ""
            lines.append(f"{res.framework}: {figure} on {result.devices} {kind}"
                         f"{result.device.upper()} devices ({result.backend})"
                         + ("; simulated: shown, not ranked" if result.simulated else ""))
    return (["Multi-device:", *(f"  {line}" for line in lines)]) if lines else []


def _size(nbytes: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale and nbytes % scale == 0:
            return f"{nbytes // scale} {unit}"
    return f"{nbytes} B"


def training_table(results: list[Outcome]) -> Table | None:
    """One row per framework that measured a training step (a second row for its compiled
    steps, e.g. torch.compile): examples per second, and in brackets the time to the first
    step (tracing, compiling and one step: ``first_step_s``). None when no result has one."""
    from rich.table import Table

    rows = []
    for res in results:
        for suffix, how in (("", ""), (COMPILED_SUFFIX, " (compiled)")):
            cells = [_step(res, op + suffix) for op in TRAINING_OPS]
            if any(cell != "-" for cell in cells):
                rows.append((res.framework + how, cells))
    if not rows:
        return None
    table = Table(title="Training steps: samples/s (time to first step)", title_justify="left")
    table.add_column("Framework", no_wrap=True)
    for op in TRAINING_OPS:
        table.add_column(op, justify="right", no_wrap=True)
    for name, cells in rows:
        table.add_row(name, *cells)
    return table


def _step(res: Outcome, op: str) -> str:
    o = res.ops.get(op)
    if o is None or o.samples_per_s is None:
        return "-"
    first = o.first_step_s if o.first_step_s is not None else o.first_call_s
    return f"{o.samples_per_s:,.0f} ({_seconds(first)})" + (" ~" if o.unstable else "")


def _seconds(value: float) -> str:
    """A time to first step: milliseconds below 0.1 s (an eager step of a few ms would read
    "0.00 s"), two decimals below 10 s, whole seconds above."""
    if value < 0.1:
        return f"{value * 1e3:.0f} ms" if value >= 0.001 else "<1 ms"
    return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"
