"""The long record's own sections (``--detail``), under More Information: the decision
matrix, the robustness tables, the age of the facts, the live measurements, the overlay's
scores and the excluded frameworks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selector.clock import age_text, years_text
from selector.report.markdown.text import public
from selector.report.robust_text import ONE_RUN

if TYPE_CHECKING:
    from selector.report.markdown.record import Record


def detail_sections(doc: Record) -> list[str]:
    lines = matrix(doc)
    lines += robustness_tables(doc)
    lines += age_section(doc)
    lines += live(doc)
    lines += overlay_scores(doc)
    if doc.rec.excluded:
        lines += ["", "### Excluded frameworks", ""]
        lines += [f"* {e.name}: {public(e.reason)}" for e in doc.rec.excluded]
    return lines


def matrix(doc: Record) -> list[str]:
    rec = doc.rec
    criteria = sorted(rec.weights, key=lambda c: (-rec.weights[c], c))
    lines = ["", "### Decision matrix", "",
             f"Every score used, on the snapshot's {doc.low:g}-{doc.high:g} scale (a fit "
             "criterion is computed for the team's own targets), with each criterion's "
             "weight:", "",
             "| Criterion | Weight | " + " | ".join(r.name for r in rec.ranking) + " |",
             "|---|---|" + "---|" * len(rec.ranking)]
    for cid in criteria:
        cells = []
        for entry in rec.ranking:
            ev = entry.evidence.get(cid)
            cells.append("" if ev is None else f"{ev.value:g}")
        lines.append(f"| {doc.crit(cid)} | {rec.weights[cid]:.1%} | "
                     + " | ".join(cells) + " |")
    lines.append("| **Score** | | " + " | ".join(f"**{r.score:.3f}**"
                                                 for r in rec.ranking) + " |")
    return lines


def robustness_tables(doc: Record) -> list[str]:
    rec, rb = doc.rec, doc.rec.robustness
    if rb is None:
        return []
    ranks = len(rec.ranking)
    lines = ["", "### Robustness", "",
             f"Rank acceptability (SMAA-2, {rb.samples:,} weight samples, seed {rb.seed}): "
             "the share of samples in which each option takes each rank, with weights drawn "
             f"around the team's priorities (Dirichlet, concentration {rb.concentration:g}) "
             "and, in brackets, uniformly over all possible weights.", "",
             "| Option | " + " | ".join(f"Rank {i}" for i in range(1, ranks + 1)) + " |",
             "|---|" + "---|" * ranks]
    for entry in rec.ranking:
        around = rb.acceptability_around[entry.framework]
        uniform = rb.acceptability_uniform[entry.framework]
        cells = " | ".join(f"{a:.0%} ({u:.0%})" for a, u in zip(around, uniform,
                                                                  strict=True))
        lines.append(f"| {entry.name} | {cells} |")
    lines += ["", "Method agreement (rankings by four MCDA methods on the same scores and "
                  "weights; Kendall's tau 1 = same order, -1 = reversed):", "",
              "| Method | Order |", "|---|---|"]
    for method, order in rb.methods.orders.items():
        lines.append(f"| {method.upper()} | {', '.join(doc.fw(f) for f in order)} |")
    lines += [""] + [f"* tau {pair.upper()}: {tau:.2f}"
                     for pair, tau in rb.methods.kendall_tau.items()]
    return lines


def age_section(doc: Record) -> list[str]:
    rec, info = doc.rec, doc.rec.age
    if info is None:
        return []
    lines = ["", "### Age of the facts", "",
             f"The knowledge snapshot `{rec.snapshot.id}` is as of "
             f"{info.snapshot_as_of.isoformat()}, {age_text(info.age_days)} on "
             f"{info.today.isoformat()}"
             + (" (more than six months: facts may have changed since)" if info.old else "")
             + "."]
    if not info.stale_decisive:
        return lines + ["", "No score that decided the ranking rests on evidence older "
                        f"than {years_text(info.stale_years)}."]
    lines += ["", f"Scores that decided the ranking and rest on evidence older than "
              f"{years_text(info.stale_years)}:", ""]
    lines += [f"* {doc.fw(s.framework)} / {doc.crit(s.criterion)}: evidence of "
              f"{s.evidence_date.isoformat()} ({age_text(s.age_days)}; `{s.source}`)"
              for s in info.stale_decisive]
    return lines


def live(doc: Record) -> list[str]:
    rec = doc.rec
    if not rec.measured:
        return []
    lines = ["", "### Live measurements", "",
             "Speed scores blend the knowledge base with quick probes run on the deciding "
             f"machine ({ONE_RUN}):", "",
             "| Framework | Probe | Version | Device | Rate (GFLOP/s; training: samples/s) "
             "| Share of fastest | Knowledge | Used |",
             "|---|---|---|---|---|---|---|---|"]
    for m in rec.measured:
        ops = ", ".join(f"{op} {g:.1f}" for op, g in m.ops.items())
        runs = f" (over {m.runs} runs)" if m.runs > 1 else ""
        share = f"{m.ratio:.0%}{runs}" if m.blended else f"not blended: {m.reason}"
        lines.append(f"| {doc.fw(m.framework)} | {m.probe} | {m.version} | "
                     f"{m.device or ''} | {ops} | {share} | {m.knowledge_value:g} | "
                     f"{m.value:.2f} |")
    return lines


def overlay_scores(doc: Record) -> list[str]:
    rec = doc.rec
    if not rec.overrides:
        return []
    return ["", f"### Scores from the team's overlay `{rec.snapshot.overlay}`", ""] + [
        f"* {doc.fw(o.framework)} / {doc.crit(o.criterion)}: {o.base_value:g} -> "
        f"{o.value:g} (source: `{o.source}`)" for o in rec.overrides]
