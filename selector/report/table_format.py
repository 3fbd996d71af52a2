"""A table for people: the ranking, the top contributions, what was excluded and why."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from selector.engine.explain import margin_sentence
from selector.engine.robust_text import robustness_sentences
from selector.models import Recommendation

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
        table.add_column(f"Top {TOP_CONTRIBUTIONS} contributions (weight x score)")
        for entry in rec.ranking:
            top = sorted(entry.contributions.items(), key=lambda kv: (-kv[1], kv[0]))
            shown = ", ".join(f"{c} {v:.3f}" for c, v in top[:TOP_CONTRIBUTIONS])
            style = "bold green" if entry.rank == 1 else ""
            table.add_row(str(entry.rank), entry.name, f"{entry.score:.3f}", shown, style=style)
        parts: list[RenderableType] = [table]
        why = margin_sentence(rec)
        if why:
            parts.append(Text(f"Why: {why} (weight x score, winner minus runner-up)"))
        robust = robustness_sentences(rec)
        if robust:
            parts.append(Text("Robustness: " + " ".join(robust)))
        weights = ", ".join(f"{c} {w:.3f}" for c, w in rec.weights.items() if w > 0)
        parts.append(Text(f"Weights: {weights}"))
        if rec.excluded:
            parts.append(Text("Excluded:", style="bold"))
            for ex in rec.excluded:
                parts.append(Text(f"  {ex.name}: {ex.reason}"))
        if rec.measured:
            parts.append(Text("Scores from live probes (blended with the knowledge base):",
                              style="bold"))
            for m in rec.measured:
                ops = ", ".join(f"{op} {g:.1f} GFLOP/s" for op, g in m.ops.items())
                parts.append(Text(f"  {m.framework}/{m.criterion}: {m.knowledge_value:g} -> "
                                  f"{m.value:.2f} (probe {m.probe} {m.version}: {ops}; "
                                  f"{m.ratio:.0%} of the fastest)"))
        if rec.overrides:
            parts.append(Text(f"Scores from overlay {rec.snapshot.overlay}:", style="bold"))
            for o in rec.overrides:
                parts.append(Text(f"  {o.framework}/{o.criterion}: {o.base_value:g} -> "
                                  f"{o.value:g} ({o.source})"))
        for warning in rec.warnings:
            parts.append(Text(f"Warning: {warning}", style="yellow"))
        return Group(*parts)
