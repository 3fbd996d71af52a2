"""Markdown: an Architecture Decision Record in the MADR 4.0 layout, for architecture reviews.

It must read well to a reviewer who never ran dlselect: every number says what it is, every
score names its source and date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from selector.clock import age_text, years_before, years_text
from selector.engine.explain import losing_margin, winning_margin
from selector.models import Evidence, Ranked, Recommendation
from selector.report.margin_text import names_text
from selector.report.robust_text import robustness_sentences

if TYPE_CHECKING:
    from datetime import date

#: A score at or above this share of the scale is a pro, at or below the other a con.
GOOD_SHARE = 0.75
BAD_SHARE = 0.25


class MarkdownFormatter:
    plain = True

    def __init__(self, chart: str | None = None) -> None:
        self.chart = chart
        self.scale = (1.0, 5.0)
        self.old_before: date | None = None
        self.stale_years = 2

    def render(self, rec: Recommendation) -> str:
        self.scale = (rec.snapshot.scale.min, rec.snapshot.scale.max)
        if rec.age is not None:
            self.old_before = years_before(rec.age.today, rec.age.stale_years)
            self.stale_years = rec.age.stale_years
        lines: list[str] = []
        lines += ["---", "status: proposed", f"date: {_today()}",
                  "decision-makers: (fill in)", "---", "",
                  f"# {_title(rec)}", ""]
        lines += self._context(rec)
        lines += self._drivers(rec)
        lines += ["## Considered Options", ""]
        lines += [f"* {r.name}" for r in rec.ranking]
        lines += [f"* {e.name} (excluded: {e.reason.split(':')[0].split(' (')[0]}; "
                  "see More Information)" for e in rec.excluded]
        lines += [""]
        lines += self._outcome(rec)
        lines += self._pros_and_cons(rec)
        lines += self._more(rec)
        return "\n".join(lines).rstrip() + "\n"

    def _context(self, rec: Recommendation) -> list[str]:
        p = rec.profile
        answers = [
            ("Team languages", ", ".join(p.languages) or "any (no constraint)"),
            ("Main task", p.task or "not specified"),
            ("Hardware", ", ".join(p.hardware) or "not specified"),
            ("Deployment targets", ", ".join(p.deployment) or "not specified"),
            ("Explicit priorities", ", ".join(f"{c} = {w:g}" for c, w in p.weights.items())
             or "none (defaults derived from the answers)"),
            ("Retired frameworks", "ranked" if p.allow_retired else "excluded"),
        ]
        lines = ["## Context and Problem Statement", "",
                 "The team must choose the deep-learning framework to build on. "
                 f"dlselect ranked {len(rec.ranking)} frameworks with "
                 f"{_method(rec)} against the knowledge snapshot `{rec.snapshot.id}` "
                 f"(as of {rec.snapshot.as_of.isoformat()}{_age(rec)})"
                 + (f" with the team's overlay `{rec.snapshot.overlay}`"
                    if rec.snapshot.overlay else "")
                 + ". The team's answers:", "",
                 "| Question | Answer |", "|---|---|"]
        lines += [f"| {q} | {a} |" for q, a in answers]
        return lines + [""]

    def _drivers(self, rec: Recommendation) -> list[str]:
        lines = ["## Decision Drivers", "",
                 "The criteria, with the share of the decision each carries "
                 "(weights add up to 100%; docs/weights.md explains how they were derived):", ""]
        for criterion, weight in sorted(rec.weights.items(), key=lambda kv: (-kv[1], kv[0])):
            if weight > 0:
                lines.append(f"* {criterion}: {weight:.0%}")
        ignored = [c for c, w in rec.weights.items() if w == 0]
        if ignored:
            lines.append(f"* not considered (weight 0): {', '.join(ignored)}")
        return lines + [""]

    def _outcome(self, rec: Recommendation) -> list[str]:
        winner = rec.ranking[0]
        lines = ["## Decision Outcome", ""]
        because = [f"it ranks first with a score of {winner.score:.3f} ({_method(rec)})"]
        if len(rec.ranking) > 1:
            runner = rec.ranking[1]
            ahead = ", ".join(names_text(n, g) for n, g in winning_margin(rec))
            behind = ", ".join(names_text(n, g) for n, g in losing_margin(rec))
            because.append(f"ahead of {runner.name} ({runner.score:.3f})"
                           + (f" mostly on {ahead}" if ahead else "")
                           + (f", while {runner.name} is ahead on {behind}" if behind else ""))
        lines += [f'Chosen option: "{winner.name}", because ' + "; ".join(because) + ".", ""]
        if rec.verdict is not None and rec.verdict.kind.value != "clear":
            lines += [f"**{rec.verdict.headline}.**"
                      + "".join(f" Because {r}." for r in rec.verdict.reasons), ""]
            if rec.verdict.question:
                lines += [f"Deciding question: {rec.verdict.question}", ""]
        for gap in rec.unserved:
            lines += [f"No framework of the snapshot serves {gap.name}."
                      + (f" {gap.advice}" if gap.advice else ""), ""]
        robust = robustness_sentences(rec)
        if robust:
            lines += ["How sure this is: " + " ".join(robust), ""]
        lines += ["### Consequences", ""]
        good, neutral, bad = self._judge(winner)
        lines += [f"* Good, because {t}" for t in good[:4]]
        lines += [f"* Bad, because {t}" for t in bad[:4]]
        rb = rec.robustness
        if rb is not None and rb.winner_confidence < 0.8:
            lines.append(f"* Bad, because the choice is close: {winner.name} stays first in "
                         f"only {rb.winner_confidence:.0%} of weight samples around these "
                         "priorities")
        if rb is not None and rb.methods.winners_differ:
            lines.append("* Bad, because other MCDA methods pick another winner (see More "
                         "Information)")
        if not bad and (rb is None or rb.winner_confidence >= 0.8):
            lines.append("* Neutral, because no criterion scores low for it")
        del neutral
        lines += ["", "### Confirmation", "",
                  "Re-run `dlselect recommend --answers <saved answers> --format markdown` when "
                  "the knowledge snapshot or the team's answers change, and check that the "
                  "winner and the robustness figures still hold.", ""]
        return lines

    def _pros_and_cons(self, rec: Recommendation) -> list[str]:
        lines = ["## Pros and Cons of the Options", ""]
        for entry in rec.ranking:
            lines += [f"### {entry.name}", "",
                      f"Rank {entry.rank}, score {entry.score:.3f}"
                      + (f", status {entry.status}" if entry.status != "active" else "") + ".", ""]
            good, neutral, bad = self._judge(entry)
            lines += [f"* Good, because {t}" for t in good]
            lines += [f"* Neutral, because {t}" for t in neutral]
            lines += [f"* Bad, because {t}" for t in bad]
            lines.append("")
        return lines

    def _judge(self, entry: Ranked) -> tuple[list[str], list[str], list[str]]:
        low, high = self.scale
        good: list[str] = []
        neutral: list[str] = []
        bad: list[str] = []
        shares = entry.decomposition or entry.contributions
        weighted = sorted(entry.evidence.items(), key=lambda kv: -shares.get(kv[0], 0.0))
        for criterion, ev in weighted:
            share = (ev.value - low) / (high - low) if high > low else 0.5
            old = self.old_before is not None and ev.origin != "probe" and \
                ev.as_of < self.old_before
            text = _claim(criterion, ev, low, high, self.stale_years if old else None)
            (good if share >= GOOD_SHARE else bad if share <= BAD_SHARE else neutral).append(text)
        return good, neutral, bad

    def _robustness(self, rec: Recommendation) -> list[str]:
        rb = rec.robustness
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
        names = {r.framework: r.name for r in rec.ranking}
        for method, order in rb.methods.orders.items():
            lines.append(f"| {method.upper()} | {', '.join(names.get(f, f) for f in order)} |")
        lines += [""] + [f"* tau {pair.upper()}: {tau:.2f}"
                         for pair, tau in rb.methods.kendall_tau.items()]
        return lines

    def _more(self, rec: Recommendation) -> list[str]:
        lines = ["## More Information", "",
                 f"* Knowledge snapshot: `{rec.snapshot.id}`, {rec.snapshot.title}, as of "
                 f"{rec.snapshot.as_of.isoformat()}.",
                 f"* Ranking method: {_method(rec)} (scikit-criteria) on scores mapped onto [0, 1] "
                 "by the snapshot's scale; the reasons given are each criterion's share of the "
                 "score under that method (docs/ranking.md)."]
        if self.chart:
            lines += ["", f"![Scores and rank acceptability]({self.chart})"]
        lines += self._robustness(rec)
        lines += _age_section(rec)
        if rec.measured:
            lines += ["", "### Live measurements", "",
                      "Speed scores blend the knowledge base with quick probes run on the "
                      "deciding machine (docs/probes-in-ranking.md):", "",
                      "| Framework | Probe | Version | Device | Rate (GFLOP/s; training: "
                      "samples/s) | Share of fastest | Knowledge | Used |",
                      "|---|---|---|---|---|---|---|---|"]
            for m in rec.measured:
                ops = ", ".join(f"{op} {g:.1f}" for op, g in m.ops.items())
                share = f"{m.ratio:.0%}" if m.blended else f"not blended: {m.reason}"
                lines.append(f"| {m.framework} | {m.probe} | {m.version} | {m.device or ''} | "
                             f"{ops} | {share} | {m.knowledge_value:g} | {m.value:.2f} |")
        if rec.overrides:
            lines += ["", f"### Scores from the team's overlay `{rec.snapshot.overlay}`", ""]
            lines += [f"* {o.framework} / {o.criterion}: {o.base_value:g} -> {o.value:g} "
                      f"(source: {o.source})" for o in rec.overrides]
        if rec.excluded:
            lines += ["", "### Excluded frameworks", ""]
            lines += [f"* {e.name}: {e.reason}" for e in rec.excluded]
        if rec.warnings:
            lines += ["", "### Warnings", ""]
            lines += [f"* {w}" for w in rec.warnings]
        lines += ["", "### Sources", ""]
        for sid, src in sorted(rec.sources.items()):
            by = ", ".join(x for x in (src.author, src.publisher) if x)
            when = f", {src.published.isoformat()}" if src.published else ""
            url = f" <{src.url}>" if src.url else ""
            lines.append(f"* `{sid}`: {src.title}" + (f" ({by}{when})" if by or when else "")
                         + url)
        return lines + [""]


def _age(rec: Recommendation) -> str:
    if rec.age is None:
        return ""
    return f", {age_text(rec.age.age_days)} on {rec.age.today.isoformat()}"


def _age_section(rec: Recommendation) -> list[str]:
    info = rec.age
    if info is None:
        return []
    lines = ["", "### Age of the facts", "",
             f"The knowledge snapshot `{rec.snapshot.id}` is as of "
             f"{info.snapshot_as_of.isoformat()}, {age_text(info.age_days)} on "
             f"{info.today.isoformat()}"
             + (" (more than six months: facts may have changed since)" if info.old else "")
             + "."]
    if not info.stale_decisive:
        lines += ["", "No score that decided the ranking rests on evidence older than "
                  f"{years_text(info.stale_years)}."]
        return lines
    names = {r.framework: r.name for r in rec.ranking}
    lines += ["", f"Scores that decided the ranking and rest on evidence older than "
              f"{years_text(info.stale_years)}:", ""]
    lines += [f"* {names.get(s.framework, s.framework)} / {s.criterion}: evidence of "
              f"{s.evidence_date.isoformat()} ({age_text(s.age_days)}; `{s.source}`)"
              for s in info.stale_decisive]
    return lines


def _claim(criterion: str, ev: Evidence, low: float, high: float,
           old_years: int | None = None) -> str:
    origin = {"knowledge": "", "overlay": ", from the team's overlay",
              "probe": ", blended with a live measurement",
              "support": ", from support entries"}[ev.origin]
    if old_years is not None:
        origin += f", evidence older than {years_text(old_years)}"
    rationale = ev.rationale.rstrip(".")
    return (f"{criterion} scores {ev.value:g} of {high:g}: {rationale} "
            f"(`{ev.source}`, {ev.as_of.isoformat()}{origin})")


def _title(rec: Recommendation) -> str:
    winner = rec.ranking[0]
    if rec.verdict is None or rec.verdict.kind.value == "clear":
        return f"Use {winner.name} as the deep-learning framework"
    if rec.verdict.kind.value == "constrained":
        return f"Use {winner.name}, the only framework that meets the constraints"
    names = {r.framework: r.name for r in rec.ranking}
    listed = [names[f] for f in rec.verdict.frameworks]
    return f"Choose between {', '.join(listed[:-1])} and {listed[-1]} (too close to call)"


def _method(rec: Recommendation) -> str:
    return {"topsis": "TOPSIS", "wsm": "the weighted sum"}[rec.method.value]


def _today() -> str:
    from selector.clock import today

    return today().isoformat()
