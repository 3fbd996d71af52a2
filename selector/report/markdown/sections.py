"""The record's skeleton, in MADR 4.0 order, and its sections but the consequences
(consequences.py), the pros and cons (pros_cons.py) and the long record's own tables
(detail.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from selector.engine.explain import losing_margin, winning_margin
from selector.report.markdown.consequences import consequences
from selector.report.markdown.detail import detail_sections
from selector.report.markdown.pros_cons import pros_and_cons
from selector.report.markdown.text import age_clause, and_list, method_name, public
from selector.report.stakeholders import stakeholders_markdown
from selector.report.vocab_text import reading_sentences, route_sentences
from selector.vocab import Axis, Status

if TYPE_CHECKING:
    from selector.report.markdown.record import Record

def _common(name: str) -> str:
    """A target's name inside a sentence: "Computer vision" as "computer vision", while a
    name that starts with an acronym ("LLM fine-tuning", "CNN") stays as it is."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def text(doc: Record) -> str:
    # Sections in MADR 4.0 order. An optional section (a "Stakeholders" section listing
    # each person's priorities, say) goes into this list where it belongs; every section
    # returns its lines, ending with a blank line. More Information comes last: it lists the
    # sources the sections before it cited.
    sections: list[Callable[[Record], list[str]]] = [
        front_matter, context, drivers, stakeholders, options, outcome, pros_and_cons, more,
    ]
    lines: list[str] = []
    for section in sections:
        lines += section(doc)
    return "\n".join(lines).rstrip() + "\n"


def front_matter(doc: Record) -> list[str]:
    from selector.clock import today

    return ["---", "status: proposed", f"date: {today().isoformat()}",
            "decision-makers: (fill in)", "---", "", f"# {title(doc)}", ""]


def title(doc: Record) -> str:
    rec = doc.rec
    winner = rec.ranking[0]
    if rec.verdict is None or rec.verdict.kind.value == "clear":
        return f"Use {winner.name} as the deep-learning framework"
    if rec.verdict.kind.value == "constrained":
        return f"Use {winner.name}, the only framework that meets the constraints"
    listed = [doc.fw(f) for f in rec.verdict.frameworks]
    return f"Choose between {and_list(listed)} (too close to call)"


def context(doc: Record) -> list[str]:
    rec, p = doc.rec, doc.rec.profile
    team = []
    team.append(f"works in {and_list([doc.target(Axis.LANGUAGE, str(x)) for x in p.languages])}"
                if p.languages else "named no language (any will do)")
    if p.runtime_languages:
        team.append("runs models from "
                    + and_list([doc.target(Axis.LANGUAGE, x) for x in p.runtime_languages]))
    team.append(f"builds {and_list([_common(doc.target(Axis.WORKLOAD, w)) for w in p.workloads])}"
                if p.workloads else "named no workload")
    team.append(f"trains on {and_list([doc.target(Axis.HARDWARE, str(h)) for h in p.hardware])}"
                if p.hardware else "named no hardware")
    if p.scale:
        team.append("at the scale of "
                    + and_list([_common(doc.target(Axis.SCALE, x)) for x in p.scale]))
    if p.existing:
        team.append("already has " + and_list([doc.target(Axis.EXISTING, x) for x in p.existing]))
    team.append("must run its models on "
                f"{and_list([doc.target(Axis.DEPLOYMENT, str(d)) for d in p.deployment])}"
                if p.deployment else "named no deployment target")
    read = reading_sentences(rec)
    priorities = ("Its priorities follow from these answers"
                  + (", with " + and_list([f"{doc.crit(c)} set to {w:g}"
                                           for c, w in p.weights.items()])
                     + " (relative weights)" if p.weights else "") + ".")
    overlay = (f", with the team's own corrections (overlay `{rec.snapshot.overlay}`)"
               if rec.snapshot.overlay else "")
    retired = " Retired frameworks were ranked too." if p.allow_retired else ""
    return ["## Context and Problem Statement", "",
            "Which deep-learning framework should the team build on? The team "
            + ", ".join(team[:-1]) + " and " + team[-1] + ". " + priorities
            + ("".join(f" {r[0].upper()}{r[1:]}." for r in read) if read else ""),
            "",
            f"{len(rec.ranking)} frameworks were compared on {len(rec.weights)} criteria "
            f"with {method_name(rec)}, from the knowledge base \"{rec.snapshot.title}\" "
            f"(as of {rec.snapshot.as_of.isoformat()}{age_clause(rec)}{overlay}), in which "
            f"every score names its source and date.{retired}", ""]


def drivers(doc: Record) -> list[str]:
    rec = doc.rec
    lines = ["## Decision Drivers", ""]
    weighed = sorted(((c, w) for c, w in rec.weights.items() if w > 0),
                     key=lambda kv: (-kv[1], kv[0]))
    if doc.detail:
        lines += ["Each criterion's share of the decision (the shares add up to 100%):", ""]
        for cid, weight in weighed:
            meaning = next((c.description for c in doc.snap.criteria if c.id == cid), "")
            lines.append(f"* {doc.crit(cid)}: {weight:.1%}"
                         + (f" ({meaning.rstrip('.')})" if meaning else ""))
    else:
        lines += ["Each criterion's share of the decision (rounded; the shares add up to "
                  "100%):", ""]
        by_share: dict[str, list[str]] = {}
        for cid, weight in weighed:
            by_share.setdefault(f"{weight:.0%}", []).append(doc.crit(cid))
        for share, names in by_share.items():
            lines.append(f"* {names[0]}: {share}" if len(names) == 1
                         else f"* {share} each: {', '.join(sorted(names))}")
    ignored = sorted(doc.crit(c) for c, w in rec.weights.items() if w == 0)
    if ignored:
        lines.append(f"* Not weighed (0%): {', '.join(ignored)}")
    return lines + [""]


def stakeholders(doc: Record) -> list[str]:
    """Several people's priorities: each one's winner and where they disagree."""
    return stakeholders_markdown(doc.rec, doc.crit)


def options(doc: Record) -> list[str]:
    rec = doc.rec
    lines = ["## Considered Options", ""]
    for entry in rec.ranking:
        status = f", {entry.status.value}" if entry.status is not Status.ACTIVE else ""
        lines.append(f"* {entry.name} (score {entry.score:.3f}{status})")
    for ex in rec.excluded:
        if not doc.retired(ex.framework):
            lines.append(f"* {ex.name}, ruled out: {exclusion(doc, ex.framework)}")
    lines.append("")
    retired = [ex.name for ex in rec.excluded if doc.retired(ex.framework)]
    if retired:
        lines += [f"Not considered: {', '.join(retired)} (retired; see More Information).",
                  ""]
    return lines


def exclusion(doc: Record, fid: str) -> str:
    ex = next(e for e in doc.rec.excluded if e.framework == fid)
    if ex.axis is None or not ex.targets:
        return public(ex.reason)
    names = and_list([doc.target(ex.axis, t) for t in ex.targets], "or")
    return f"no route from {names}" if ex.axis is Axis.LANGUAGE else f"no route to {names}"


def outcome(doc: Record) -> list[str]:
    rec = doc.rec
    winner = rec.ranking[0]
    because = f"it ranks first ({method_name(rec)} score {winner.score:.3f}"
    if len(rec.ranking) > 1:
        runner = rec.ranking[1]
        because += f", against {runner.score:.3f} for {runner.name}, the runner-up)"
        ahead = margin_text(doc, winning_margin(rec))
        behind = margin_text(doc, losing_margin(rec))
        if ahead:
            because += f", mostly on {ahead}"
        if behind:
            because += f", while {runner.name} is ahead on {behind}"
    else:
        because += ")"
    lines = ["## Decision Outcome", "", f'Chosen option: "{winner.name}", because '
             f"{because}.", ""]
    verdict = rec.verdict
    if verdict is not None and verdict.kind.value != "clear":
        lines += [f"**{public(verdict.headline)}.**"
                  + "".join(f" Because {public(r)}." for r in verdict.reasons), ""]
        if verdict.question:
            lines += [f"Deciding question: {verdict.question}", ""]
    sure = how_sure(doc)
    if sure:
        lines += [f"How sure this is: {sure}", ""]
    routes = route_sentences(rec, {c.id: c.name for c in doc.snap.criteria})
    if routes:
        lines += ["Routes and evidence it rests on: " + "; ".join(routes) + ".", ""]
    lines += ["### Consequences", ""]
    good, neutral, bad = consequences(doc)
    lines += [f"* Good, because {t}" for t in good]
    lines += [f"* Neutral, because {t}" for t in neutral]
    lines += [f"* Bad, because {t}" for t in bad]
    lines += ["", "### Confirmation", "", confirmation(doc, has_bad=bool(bad)), ""]
    return lines


def margin_text(doc: Record, groups: list[tuple[list[str], float]]) -> str:
    """Criteria of the lead by name; in the long record with their part of the lead."""
    if not doc.detail:
        return doc.crits([n for names, _ in groups for n in names])
    return and_list([f"{doc.crits(names)} (+{value:.3f}{' each' if len(names) > 1 else ''})"
                     for names, value in groups])


def how_sure(doc: Record) -> str:
    rb = doc.rec.robustness
    if rb is None:
        return ""
    winner = doc.fw(rb.winner)
    parts = [f"{winner} stays first in {rb.winner_confidence:.0%} of {rb.samples:,} weight "
             "samples drawn around these priorities (SMAA-2)"]
    cw = rb.critical_weight
    if cw is None:
        parts.append("no change to one criterion's weight alone makes another framework "
                     "first")
    else:
        direction = "raising" if cw.new_weight > cw.old_weight else "lowering"
        by = f" by {cw.relative:.0%}" if cw.relative is not None else ""
        parts.append(f"{direction} the weight of {doc.crit(cw.criterion)}{by} "
                     f"(from {cw.old_weight:.0%} to {cw.new_weight:.0%}) would make "
                     f"{doc.fw(cw.new_winner)} first")
    methods = rb.methods
    if methods.winners_differ:
        picks = ", ".join(f"{m.upper()} {doc.fw(w)}" for m, w in methods.winners.items())
        parts.append(f"the ranking methods disagree on the winner ({picks})")
    else:
        parts.append(f"the {len(methods.winners)} ranking methods "
                     f"({', '.join(m.upper() for m in methods.winners)}) agree on it")
    return "; ".join(parts) + "."


def confirmation(doc: Record, *, has_bad: bool) -> str:
    rec = doc.rec
    first = ("A first project on the chosen framework confirms that the Bad consequences "
             "above are as small as the data says." if has_bad else
             "A first project on the chosen framework confirms the choice in practice.")
    return (f"{first} Revisit the decision when the team's languages, hardware, deployment "
            "targets or priorities change, or when the evidence (as of "
            f"{rec.snapshot.as_of.isoformat()}) is refreshed.")


# --- more information ------------------------------------------------------------------------

def more(doc: Record) -> list[str]:
    rec = doc.rec
    lines = ["## More Information", ""]
    if doc.supersedes is not None:
        old = doc.supersedes
        lines += [f"* Supersedes {old.record.link}"
                  + (f" ({old.title})" if old.title else "") + "."]
    lines += [f"* Evidence: the knowledge base \"{rec.snapshot.title}\" (`{rec.snapshot.id}`"
              + (f" with the overlay `{rec.snapshot.overlay}`" if rec.snapshot.overlay
                 else "")
              + f"), as of {rec.snapshot.as_of.isoformat()}.",
              f"* Method: {method_name(rec)} on the scores mapped from {doc.low:g}-{doc.high:g} "
              "onto [0, 1]; the reasons given are each criterion's share of the score under "
              "that method."
              + (f" Robustness: SMAA-2 rank acceptability ({rec.robustness.samples:,} weight "
                 f"samples, seed {rec.robustness.seed}), the smallest weight change that "
                 "changes the winner, and the agreement of four MCDA methods."
                 if rec.robustness is not None else "")]
    retired = [ex for ex in rec.excluded if doc.retired(ex.framework)]
    if retired and not doc.detail:
        lines.append("* Retired, so not considered: " + "; ".join(
            f"{ex.name} ({doc.retired_since(ex.framework)})" for ex in retired) + ".")
    if doc.chart:
        lines += ["", f"![Scores and rank acceptability]({doc.chart})"]
    if doc.detail:
        lines += detail_sections(doc)
    said = warnings(doc)
    if said:
        lines += ["", "### Warnings", ""]
        lines += [f"* {public(w)}" for w in said]
    sources = sorted(rec.sources) if doc.detail else doc.cited
    if sources:
        lines += ["", "### Sources" if doc.detail else "### Sources cited above", ""]
        lines += [source_line(doc, sid) for sid in sources]
    return lines + [""]


def warnings(doc: Record) -> list[str]:
    """The run's warnings; in the short record without the one on the snapshot's age,
    which the consequences state."""
    if doc.detail or doc.rec.age is None:
        return list(doc.rec.warnings)
    from selector.engine.age import age_warning

    said = age_warning(doc.rec, doc.rec.age)
    return [w for w in doc.rec.warnings if w != said]


def source_line(doc: Record, sid: str) -> str:
    src = doc.rec.sources.get(sid)
    if src is None:
        known = next((s for s in doc.snap.sources if s.id == sid), None)
        if known is None:
            return f"* `{sid}`"
        author, publisher, published, url, title = (known.author, known.publisher,
                                                    known.published, known.url, known.title)
    else:
        author, publisher, published, url, title = (src.author, src.publisher,
                                                    src.published, src.url, src.title)
    by = ", ".join(x for x in (author, publisher) if x)
    when = f", {published.isoformat()}" if published else ""
    return (f"* `{sid}`: {title}" + (f" ({by}{when})" if by or when else "")
            + (f" <{url}>" if url else ""))
