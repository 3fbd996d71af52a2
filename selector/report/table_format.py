"""A table for people: the ranking, the top contributions, what was excluded and why."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from selector.clock import age_text, years_text
from selector.engine.explain import grouped
from selector.models import Recommendation
from selector.report.margin_text import margin_sentence
from selector.report.robust_text import ONE_RUN, robustness_sentences
from selector.report.stakeholders import stakeholder_lines
from selector.report.vocab_text import reading_sentences, route_sentences, run_only_sentences

TOP_CONTRIBUTIONS = 3


class TableFormatter:
    plain = False

    def render(self, rec: Recommendation) -> RenderableType:
        overlay = f" + overlay {rec.snapshot.overlay}" if rec.snapshot.overlay else ""
        title = (f"Snapshot {rec.snapshot.id}{overlay} (as of {rec.snapshot.as_of.isoformat()}), "
                 f"method {rec.method.value.upper()}")
        table = Table(title=title, title_justify="left")
        table.add_column("Rank", justify="right")
        table.add_column("Framework")
        table.add_column("Score", justify="right")
        unit = "share of the score" if rec.method.value == "topsis" else "weight x score"
        table.add_column(f"Strongest criteria ({unit})")
        for entry in rec.ranking:
            top = grouped((entry.decomposition or entry.contributions).items(),
                          TOP_CONTRIBUTIONS)
            shown = "; ".join(f"{_short(names)} {v:+.3f}" for names, v in top)
            style = "bold green" if entry.rank == 1 else ""
            name = entry.name + (" (retired)" if entry.status.value == "retired" else "")
            table.add_row(str(entry.rank), name, f"{entry.score:.3f}", shown, style=style)
        parts: list[RenderableType] = []
        read = reading_sentences(rec)
        if read:
            parts.append(Text("Read: " + "; ".join(read) + ".", style="dim"))
        if rec.verdict is not None:
            parts.append(Text(rec.verdict.headline + ".", style="bold"))
            for reason in rec.verdict.reasons:
                parts.append(Text(f"  because {reason}"))
            if rec.verdict.question:
                parts.append(Text(f"  Deciding question: {rec.verdict.question}"))
        parts.append(table)
        why = margin_sentence(rec)
        if why:
            parts.append(Text(f"Why: {why} ({unit}, winner minus runner-up; criteria on "
                              "which they score the same are left out)"))
        for line in run_only_sentences(rec):
            parts.append(Text(line + ".", style="yellow"))
        routes = route_sentences(rec)
        if routes:
            parts.append(Text("Routes and evidence: " + "; ".join(routes) + "."))
        parts += _age_lines(rec)
        for gap in rec.unserved:
            advice = f" {gap.advice}" if gap.advice else ""
            parts.append(Text(f"No framework here serves {gap.name}.{advice}", style="yellow"))
        robust = robustness_sentences(rec)
        if robust:
            parts.append(Text("Robustness: " + " ".join(robust)))
        weights = ", ".join(f"{c} {w:.3f}" for c, w in rec.weights.items() if w > 0)
        parts.append(Text(f"Weights: {weights}"))
        group = stakeholder_lines(rec)
        if group:
            parts.append(Text("Stakeholders:", style="bold"))
            parts += [Text(f"  {line}") for line in group]
        if rec.excluded:
            parts.append(Text("Excluded:", style="bold"))
            for ex in rec.excluded:
                parts.append(Text(f"  {ex.name}: {ex.reason}"))
        blended = [m for m in rec.measured if m.blended]
        if blended:
            parts.append(Text("Scores from live probes (blended with the knowledge base):",
                              style="bold"))
            parts.append(Text(f"  {ONE_RUN}", style="dim"))
            for m in blended:
                spread = (f", {m.ratio_low:.0%}-{m.ratio_high:.0%}"
                          if m.ratio_low is not None and m.ratio_high is not None else "")
                noisy = ("; unstable" if m.unstable else "") + (
                    f"; over {m.runs} runs" if m.runs > 1 else "")
                parts.append(Text(f"  {m.framework}/{m.criterion}: {m.knowledge_value:g} -> "
                                  f"{m.value:.2f} (probe {m.probe} {m.version} on the "
                                  f"{(m.device or '?').upper()}: {_rates(m.ops)}; "
                                  f"{m.ratio:.0%} of the fastest{spread}{noisy})"))
        for m in rec.measured:
            if not m.blended:
                parts.append(Text(f"  {m.framework}/{m.criterion}: measured ({_rates(m.ops)}), "
                                  f"not blended: {m.reason}"))
        if rec.overrides:
            parts.append(Text(f"Scores from overlay {rec.snapshot.overlay}:", style="bold"))
            for o in rec.overrides:
                parts.append(Text(f"  {o.framework}/{o.criterion}: {o.base_value:g} -> "
                                  f"{o.value:g} ({o.source})"))
        if rec.nodes:
            parts.append(Text("Machines probed (the figures of one count):", style="bold"))
            for node in rec.nodes:
                where = ", ".join(x for x in (node.ip, f"{node.gpus} GPUs", node.source) if x)
                what = "; ".join(f"{fw}: {text}" for fw, text in node.measured.items())
                parts.append(Text(f"  {'*' if node.counted else '-'} {node.name} ({where}): "
                                  f"{what or node.status}; {node.reason}"))
        for warning in rec.warnings:
            parts.append(Text(f"Warning: {warning}", style="yellow"))
        return Group(*parts)


def _rates(ops: dict[str, float]) -> str:
    return ", ".join(_rate(op, v) for op, v in ops.items())


def _rate(op: str, value: float) -> str:
    if op == "scaling_efficiency":
        return f"{op} {value:.2f}"
    if op.endswith("_bus_gbps"):
        return f"{op} {value:.3g} GB/s"
    return f"{op} {value:.1f} {'samples/s' if op.startswith('train_') else 'GFLOP/s'}"


def _short(names: list[str]) -> str:
    """Criteria with one share: all of them when few, else the first two and a count."""
    if len(names) <= 3:
        return " = ".join(names)
    return f"{names[0]} = {names[1]} = {len(names) - 2} more"


def _age_lines(rec: Recommendation) -> list[RenderableType]:
    """How old the snapshot is, and the decisive scores that rest on old evidence."""
    info = rec.age
    if info is None:
        return []
    lines: list[RenderableType] = [Text(
        f"Facts: snapshot {rec.snapshot.id} as of {info.snapshot_as_of.isoformat()}, "
        f"{age_text(info.age_days)} on {info.today.isoformat()}.",
        style="yellow" if info.old else "")]
    if info.stale_decisive:
        names = {r.framework: r.name for r in rec.ranking}
        old = "; ".join(f"{names.get(s.framework, s.framework)} {s.criterion} ({s.source}, "
                        f"{s.evidence_date.isoformat()}, {age_text(s.age_days)})"
                        for s in info.stale_decisive)
        lines.append(Text(f"Decisive scores resting on evidence older than "
                          f"{years_text(info.stale_years)}: {old}", style="yellow"))
    return lines
