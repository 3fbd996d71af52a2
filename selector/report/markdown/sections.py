"""Markdown: an Architecture Decision Record in the MADR 4.0 layout, to paste into a review.

The record stands on its own: a reviewer who never ran dlselect reads criteria by their names,
no command lines and no links into this repository (the public URLs of the evidence stay), the
frameworks really considered (retired ones in one line), and consequences derived from the data
(language routes that are bindings, bridges or stale, hardware reached only in part, deployment
targets served only by a bridge, a verdict too close to call, old evidence), not the winner's
pros again. The short record fits in about 80 lines; ``detail=True`` adds everything: every
score with its rationale and source, the decision matrix, the robustness tables, every source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from selector.clock import age_text, years_before, years_text
from selector.engine.explain import losing_margin, winning_margin
from selector.models import Evidence, Ranked, Recommendation, Snapshot
from selector.report.stakeholders import stakeholders_markdown
from selector.vocab import DEFAULT_SNAPSHOT, Axis, Status, SupportLevel

if TYPE_CHECKING:
    from datetime import date

    from selector.report.adr_log import RecordRef

#: A score at or above this share of the scale is a pro, at or below the other a con.
GOOD_SHARE = 0.75
BAD_SHARE = 0.25
#: Criteria named per option in the short record's pros and cons, and weak criteria of the
#: winner named as consequences.
SHORT_CLAIMS = 4
WEAK_CONSEQUENCES = 2

#: A parenthesis that speaks to a user of the command line (an option, a command, a file of
#: this repository's docs): a reader of the record has none of them.
_HINT = re.compile(r"\s*\([^()]*(?:`?dlselect [^()]*|--[a-z][^()]*|docs/[\w./-]+\.md[^()]*)\)")

_TASKS = {"cnn": "convolutional networks (CNN)", "rnn": "recurrent networks (RNN)",
          "transformer": "transformer models"}
_ROUTE = {SupportLevel.LIMITED: "first-party support that is limited (experimental or "
                                 "inference only)",
          SupportLevel.BINDING: "a third-party binding",
          SupportLevel.BRIDGE: "a bridge to another runtime",
          SupportLevel.STALE: "a stale route nobody maintains",
          SupportLevel.NONE: "no route"}


#: A criterion and the score a framework has on it.
Claim = tuple[str, Evidence]


def public(text: str) -> str:
    """``text`` without the hints meant for a user of the command line."""
    return _HINT.sub("", text)


@dataclass(frozen=True)
class Superseded:
    """The earlier record this one supersedes, with its title where it has one."""

    record: RecordRef
    title: str | None = None


class MarkdownFormatter:
    plain = True

    def __init__(self, chart: str | None = None, *, detail: bool = False,
                 supersedes: Superseded | None = None,
                 snapshot: Snapshot | None = None) -> None:
        """``snapshot``: the snapshot the recommendation was made from, for the names of
        criteria and targets and the support entries (default: loaded again from the
        recommendation's profile)."""
        self.chart = chart
        self.detail = detail
        self.supersedes = supersedes
        self.snapshot = snapshot

    def render(self, rec: Recommendation) -> str:
        snapshot = self.snapshot
        if snapshot is None:
            from selector.knowledge import load_snapshot

            snapshot = load_snapshot(rec.profile.snapshot)
        doc = _Record(rec, snapshot, chart=self.chart, detail=self.detail,
                      supersedes=self.supersedes)
        return doc.text()


class _Record:
    """One record being written: the recommendation, the snapshot's names, the options."""

    def __init__(self, rec: Recommendation, snapshot: Snapshot, *, chart: str | None,
                 detail: bool, supersedes: Superseded | None) -> None:
        self.rec = rec
        self.snap = snapshot
        self.chart = chart
        self.detail = detail
        self.supersedes = supersedes
        self.low, self.high = rec.snapshot.scale.min, rec.snapshot.scale.max
        self.old_before: date | None = None
        self.stale_years = 2
        if rec.age is not None:
            self.old_before = years_before(rec.age.today, rec.age.stale_years)
            self.stale_years = rec.age.stale_years
        self.frameworks = {f.id: f.name for f in snapshot.frameworks}
        self.frameworks.update({r.framework: r.name for r in rec.ranking})
        #: Cited in the short record: listed under More Information.
        self.cited: list[str] = []
        self.has_bad = False

    # --- names -------------------------------------------------------------------------------

    def crit(self, cid: str) -> str:
        return next((c.name for c in self.snap.criteria if c.id == cid), cid)

    def crits(self, ids: Iterable[str]) -> str:
        return _and([self.crit(c) for c in ids])

    def target(self, axis: Axis, tid: str) -> str:
        info = self.snap.target(axis, tid)
        if info is None and self.snap.id != DEFAULT_SNAPSHOT:
            # An older snapshot may not name its targets; the vocabulary is the same.
            from selector.knowledge import load_snapshot

            info = load_snapshot(DEFAULT_SNAPSHOT).target(axis, tid)
        return info.name if info is not None else tid

    def fw(self, fid: str) -> str:
        return self.frameworks.get(fid, fid)

    def cite(self, source: str) -> str:
        if source and source not in self.cited:
            self.cited.append(source)
        return f"`{source}`"

    # --- the record --------------------------------------------------------------------------

    def text(self) -> str:
        # Sections in MADR 4.0 order. An optional section (a "Stakeholders" section listing
        # each person's priorities, say) goes into this list where it belongs; every section
        # returns its lines, ending with a blank line.
        sections: list[Callable[[], list[str]]] = [
            self.front_matter, self.context, self.drivers, self.stakeholders, self.options,
            self.outcome, self.pros_and_cons, self.more,
        ]
        lines: list[str] = []
        for section in sections:
            lines += section()
        return "\n".join(lines).rstrip() + "\n"

    def front_matter(self) -> list[str]:
        from selector.clock import today

        return ["---", "status: proposed", f"date: {today().isoformat()}",
                "decision-makers: (fill in)", "---", "", f"# {self.title()}", ""]

    def title(self) -> str:
        rec = self.rec
        winner = rec.ranking[0]
        if rec.verdict is None or rec.verdict.kind.value == "clear":
            return f"Use {winner.name} as the deep-learning framework"
        if rec.verdict.kind.value == "constrained":
            return f"Use {winner.name}, the only framework that meets the constraints"
        listed = [self.fw(f) for f in rec.verdict.frameworks]
        return f"Choose between {_and(listed)} (too close to call)"

    def context(self) -> list[str]:
        rec, p = self.rec, self.rec.profile
        team = []
        team.append(f"works in {_and([self.target(Axis.LANGUAGE, str(x)) for x in p.languages])}"
                    if p.languages else "named no language (any will do)")
        team.append(f"mainly builds {_TASKS.get(str(p.task), str(p.task))}" if p.task
                    else "named no main task")
        team.append(f"trains on {_and([self.target(Axis.HARDWARE, str(h)) for h in p.hardware])}"
                    if p.hardware else "named no hardware")
        team.append("must run its models on "
                    f"{_and([self.target(Axis.DEPLOYMENT, str(d)) for d in p.deployment])}"
                    if p.deployment else "named no deployment target")
        priorities = ("Its priorities follow from these answers"
                      + (", with " + _and([f"{self.crit(c)} set to {w:g}"
                                           for c, w in p.weights.items()])
                         + " (relative weights)" if p.weights else "") + ".")
        overlay = (f", with the team's own corrections (overlay `{rec.snapshot.overlay}`)"
                   if rec.snapshot.overlay else "")
        retired = " Retired frameworks were ranked too." if p.allow_retired else ""
        return ["## Context and Problem Statement", "",
                "Which deep-learning framework should the team build on? The team "
                + ", ".join(team[:-1]) + " and " + team[-1] + ". " + priorities,
                "",
                f"{len(rec.ranking)} frameworks were compared on {len(rec.weights)} criteria "
                f"with {_method(rec)}, from the knowledge base \"{rec.snapshot.title}\" "
                f"(as of {rec.snapshot.as_of.isoformat()}{_age(rec)}{overlay}), in which "
                f"every score names its source and date.{retired}", ""]

    def drivers(self) -> list[str]:
        rec = self.rec
        lines = ["## Decision Drivers", ""]
        weighed = sorted(((c, w) for c, w in rec.weights.items() if w > 0),
                         key=lambda kv: (-kv[1], kv[0]))
        if self.detail:
            lines += ["Each criterion's share of the decision (the shares add up to 100%):", ""]
            for cid, weight in weighed:
                meaning = next((c.description for c in self.snap.criteria if c.id == cid), "")
                lines.append(f"* {self.crit(cid)}: {weight:.1%}"
                             + (f" ({meaning.rstrip('.')})" if meaning else ""))
        else:
            lines += ["Each criterion's share of the decision (rounded; the shares add up to "
                      "100%):", ""]
            by_share: dict[str, list[str]] = {}
            for cid, weight in weighed:
                by_share.setdefault(f"{weight:.0%}", []).append(self.crit(cid))
            for share, names in by_share.items():
                lines.append(f"* {names[0]}: {share}" if len(names) == 1
                             else f"* {share} each: {', '.join(sorted(names))}")
        ignored = sorted(self.crit(c) for c, w in rec.weights.items() if w == 0)
        if ignored:
            lines.append(f"* Not weighed (0%): {', '.join(ignored)}")
        return lines + [""]

    def stakeholders(self) -> list[str]:
        """Several people's priorities: each one's winner and where they disagree."""
        return stakeholders_markdown(self.rec, self.crit)

    def options(self) -> list[str]:
        rec = self.rec
        lines = ["## Considered Options", ""]
        for entry in rec.ranking:
            status = f", {entry.status.value}" if entry.status is not Status.ACTIVE else ""
            lines.append(f"* {entry.name} (score {entry.score:.3f}{status})")
        for ex in rec.excluded:
            if not self.retired(ex.framework):
                lines.append(f"* {ex.name}, ruled out: {self.exclusion(ex.framework)}")
        lines.append("")
        retired = [ex.name for ex in rec.excluded if self.retired(ex.framework)]
        if retired:
            lines += [f"Not considered: {', '.join(retired)} (retired; see More Information).",
                      ""]
        return lines

    def retired(self, fid: str) -> bool:
        ex = next((e for e in self.rec.excluded if e.framework == fid), None)
        fw = next((f for f in self.snap.frameworks if f.id == fid), None)
        return (ex is not None and ex.axis is None and fw is not None
                and fw.status is Status.RETIRED)

    def exclusion(self, fid: str) -> str:
        ex = next(e for e in self.rec.excluded if e.framework == fid)
        if ex.axis is None or not ex.targets:
            return public(ex.reason)
        names = _and([self.target(ex.axis, t) for t in ex.targets], "or")
        return f"no route from {names}" if ex.axis is Axis.LANGUAGE else f"no route to {names}"

    def outcome(self) -> list[str]:
        rec = self.rec
        winner = rec.ranking[0]
        because = f"it ranks first ({_method(rec)} score {winner.score:.3f}"
        if len(rec.ranking) > 1:
            runner = rec.ranking[1]
            because += f", against {runner.score:.3f} for {runner.name}, the runner-up)"
            ahead = self.margin_text(winning_margin(rec))
            behind = self.margin_text(losing_margin(rec))
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
        sure = self.how_sure()
        if sure:
            lines += [f"How sure this is: {sure}", ""]
        lines += ["### Consequences", ""]
        good, neutral, bad = self.consequences()
        self.has_bad = bool(bad)
        lines += [f"* Good, because {t}" for t in good]
        lines += [f"* Neutral, because {t}" for t in neutral]
        lines += [f"* Bad, because {t}" for t in bad]
        lines += ["", "### Confirmation", "", self.confirmation(), ""]
        return lines

    def margin_text(self, groups: list[tuple[list[str], float]]) -> str:
        """Criteria of the lead by name; in the long record with their part of the lead."""
        if not self.detail:
            return self.crits([n for names, _ in groups for n in names])
        return _and([f"{self.crits(names)} (+{value:.3f}{' each' if len(names) > 1 else ''})"
                     for names, value in groups])

    def how_sure(self) -> str:
        rb = self.rec.robustness
        if rb is None:
            return ""
        winner = self.fw(rb.winner)
        parts = [f"{winner} stays first in {rb.winner_confidence:.0%} of {rb.samples:,} weight "
                 "samples drawn around these priorities (SMAA-2)"]
        cw = rb.critical_weight
        if cw is None:
            parts.append("no change to one criterion's weight alone makes another framework "
                         "first")
        else:
            direction = "raising" if cw.new_weight > cw.old_weight else "lowering"
            by = f" by {cw.relative:.0%}" if cw.relative is not None else ""
            parts.append(f"{direction} the weight of {self.crit(cw.criterion)}{by} "
                         f"(from {cw.old_weight:.0%} to {cw.new_weight:.0%}) would make "
                         f"{self.fw(cw.new_winner)} first")
        methods = rb.methods
        if methods.winners_differ:
            picks = ", ".join(f"{m.upper()} {self.fw(w)}" for m, w in methods.winners.items())
            parts.append(f"the ranking methods disagree on the winner ({picks})")
        else:
            parts.append(f"the {len(methods.winners)} ranking methods "
                         f"({', '.join(m.upper() for m in methods.winners)}) agree on it")
        return "; ".join(parts) + "."

    # --- consequences ------------------------------------------------------------------------

    def consequences(self) -> tuple[list[str], list[str], list[str]]:
        """What choosing the winner means for this team, from the data: its routes to the
        team's languages, hardware and deployment targets, the closeness of the call, what the
        runner-up does better, the winner's weak criteria and the age of the evidence."""
        rec = self.rec
        winner = rec.ranking[0]
        good: list[str] = []
        neutral: list[str] = []
        bad: list[str] = []
        open_axes = []
        for axis in (Axis.LANGUAGE, Axis.HARDWARE, Axis.DEPLOYMENT):
            chosen = _team(rec, axis)
            if not chosen:
                if self.snap.covers(axis):
                    open_axes.append(axis)
                continue
            g, b = self.routes(winner, axis, chosen)
            good += g
            bad += b
        bad += self.capped(winner)
        if open_axes:
            neutral.append("the team named no "
                           + _and([{Axis.LANGUAGE: "language", Axis.HARDWARE: "hardware",
                                    Axis.DEPLOYMENT: "deployment target"}[a] for a in open_axes],
                                  "or")
                           + f", so {winner.name} was judged on breadth there, not on the "
                           "team's own needs; check them before accepting")
        for gap in rec.unserved:
            bad.append(f"no framework considered serves {gap.name}"
                       + (f": {public(gap.advice)}" if gap.advice else ""))
        verdict = rec.verdict
        rb = rec.robustness
        if verdict is not None and verdict.kind.value == "too-close":
            others = [self.fw(f) for f in verdict.frameworks if f != winner.framework]
            bad.append(f"the call is too close: priorities only a little different would pick "
                       f"{_and(others, 'or')}, so the team's priorities, not the data, decide")
        elif verdict is not None and verdict.kind.value == "constrained":
            bad.append("there is no alternative within the team's constraints: a problem with "
                       f"{winner.name} means relaxing them")
        elif rb is not None:
            good.append(f"the choice is robust: {winner.name} stays first under most "
                        "plausible priorities and every ranking method agrees")
        if len(rec.ranking) > 1:
            behind = [n for names, _ in losing_margin(rec) for n in names]
            if behind:
                bad.append(f"it gives up {rec.ranking[1].name}'s lead on {self.crits(behind)}")
        weak = sorted(((c, ev) for c, ev in winner.evidence.items()
                       if rec.weights.get(c, 0) > 0 and self.share(ev) <= BAD_SHARE
                       and ev.capped_from is None and ev.origin != "support"),
                      key=lambda kv: -rec.weights.get(kv[0], 0))
        for cid, ev in weak[:WEAK_CONSEQUENCES]:
            bad.append(f"it is weak on {self.crit(cid)} ({_num(ev.value)} of {self.high:g}, "
                       f"{self.cite(ev.source)}, {ev.as_of.isoformat()})")
        if winner.status is not Status.ACTIVE:
            bad.append(f"{winner.name} is {winner.status.value}: plan for moving off it")
        bad += self.old_evidence()
        if not bad:
            neutral.append("the data shows no cost particular to this choice (no language "
                           "bridge, hardware gap, close call or old decisive evidence)")
        return good, neutral, bad

    def routes(self, winner: Ranked, axis: Axis, chosen: list[str]
               ) -> tuple[list[str], list[str]]:
        """Good and bad consequences of the winner's routes to the team's targets on ``axis``."""
        entries = self.snap.support_of(winner.framework, axis)
        native = [t for t in chosen
                  if t in entries and entries[t].level is SupportLevel.NATIVE]
        good: list[str] = []
        bad: list[str] = []
        if native:
            names = _and([self.target(axis, t) for t in native])
            good.append({Axis.LANGUAGE: f"the team works in {names} natively",
                         Axis.HARDWARE: f"it trains natively on {names}",
                         Axis.DEPLOYMENT: f"it deploys natively to {names}"}[axis])
        for t in chosen:
            entry = entries.get(t)
            level = SupportLevel.NONE if entry is None else entry.level
            if level is SupportLevel.NATIVE:
                continue
            name = self.target(axis, t)
            route = _ROUTE[level] + (f": {entry.via}" if entry is not None and entry.via
                                     else "")
            source = (f" ({self.cite(entry.source)}, {entry.evidence_date.isoformat()})"
                      if entry is not None else "")
            if axis is Axis.LANGUAGE:
                text = (f"its {name} code reaches {winner.name} only through {route}{source}"
                        if level is not SupportLevel.NONE else
                        f"{name} has no route to {winner.name}: that code would move to "
                        f"{_and([self.target(axis, x) for x in native]) or 'another language'}"
                        " or call a served model")
            elif axis is Axis.HARDWARE:
                text = f"training on {name} goes through {route}{source}"
            else:
                text = f"reaching {name} takes {route}{source}"
            bad.append(text)
        return good, bad

    def capped(self, winner: Ranked) -> list[str]:
        """Scores worth less to this team because it reaches the winner only in part: one line
        per axis that capped them (docs/weights.md explains the cap)."""
        by_axis: dict[tuple[str, float], list[str]] = {}
        for cid, ev in winner.evidence.items():
            if ev.capped_from is None:
                continue
            axis = next((c.capped_by for c in self.snap.criteria if c.id == cid), None)
            where = {Axis.LANGUAGE: "its languages", Axis.HARDWARE: "its hardware",
                     Axis.DEPLOYMENT: "its deployment targets", None: "its targets"}[axis]
            by_axis.setdefault((where, ev.value), []).append(self.crit(cid))
        return [f"its strengths in {_and(crits)} count only {_num(value)} of {self.high:g} for "
                f"this team: that is how well the team reaches {winner.name} from {where}"
                for (where, value), crits in by_axis.items()]

    def old_evidence(self) -> list[str]:
        info = self.rec.age
        if info is None:
            return []
        bad = []
        if info.old:
            bad.append(f"the knowledge is {age_text(info.age_days)}: facts may have changed "
                       "since; refresh them before accepting")
        if info.stale_decisive:
            by_framework: dict[str, list[str]] = {}
            for s in info.stale_decisive:
                by_framework.setdefault(self.fw(s.framework), []).append(self.crit(s.criterion))
            dates = sorted({s.evidence_date for s in info.stale_decisive})
            when = dates[0].isoformat() + (f" to {dates[-1].isoformat()}" if len(dates) > 1
                                           else "")
            sources = ", ".join(self.cite(s) for s in dict.fromkeys(
                s.source for s in info.stale_decisive))
            cells = "; ".join(f"{name}'s {_and(crits)}" for name, crits in by_framework.items())
            bad.append(f"the lead rests partly on evidence older than "
                       f"{years_text(info.stale_years)}: {cells} (evidence of {when}; "
                       f"{sources})")
        return bad

    def confirmation(self) -> str:
        rec = self.rec
        first = ("A first project on the chosen framework confirms that the Bad consequences "
                 "above are as small as the data says." if self.has_bad else
                 "A first project on the chosen framework confirms the choice in practice.")
        return (f"{first} Revisit the decision when the team's languages, hardware, deployment "
                "targets or priorities change, or when the evidence (as of "
                f"{rec.snapshot.as_of.isoformat()}) is refreshed.")

    # --- pros and cons -----------------------------------------------------------------------

    def share(self, ev: Evidence) -> float:
        return (ev.value - self.low) / (self.high - self.low) if self.high > self.low else 0.5

    def judged(self, entry: Ranked) -> tuple[list[Claim], list[Claim], list[Claim]]:
        """The framework's scores as pros, neutral and cons, by their weight in its score."""
        shares = entry.decomposition or entry.contributions
        weighted = sorted(entry.evidence.items(),
                          key=lambda kv: (-shares.get(kv[0], 0.0), kv[0]))
        good: list[Claim] = []
        neutral: list[Claim] = []
        bad: list[Claim] = []
        for cid, ev in weighted:
            share = self.share(ev)
            (good if share >= GOOD_SHARE else bad if share <= BAD_SHARE else neutral).append(
                (cid, ev))
        return good, neutral, bad

    def pros_and_cons(self) -> list[str]:
        lines = ["## Pros and Cons of the Options", ""]
        count = len(self.rec.ranking)
        for entry in self.rec.ranking:
            lines += [f"### {entry.name}", ""]
            good, neutral, bad = self.judged(entry)
            if self.detail:
                status = f", {entry.status.value}" if entry.status is not Status.ACTIVE else ""
                lines += [f"Rank {entry.rank} of {count}, score {entry.score:.3f}{status}.", ""]
                lines += [f"* Good, because {self.claim(c, ev)}" for c, ev in good]
                lines += [f"* Neutral, because {self.claim(c, ev)}" for c, ev in neutral]
                lines += [f"* Bad, because {self.claim(c, ev)}" for c, ev in bad]
            elif entry.rank == 1:
                if good:
                    lines.append(f"* Good, because it scores high on {self.briefly(good)}")
                if bad:
                    lines.append(f"* Bad, because it scores low on {self.briefly(bad)}")
                if not good and not bad:
                    lines.append("* Neutral, because no criterion scores high or low")
            else:
                lines += self.against(entry, self.rec.ranking[0])
            lines.append("")
        return lines

    def against(self, entry: Ranked, winner: Ranked) -> list[str]:
        """An alternative in two lines: where it is ahead of the chosen option and where it
        trails, the criteria that weigh most first."""
        weights = self.rec.weights
        ahead: list[tuple[float, str]] = []
        behind: list[tuple[float, str]] = []
        for cid, ev in entry.evidence.items():
            other = winner.evidence.get(cid)
            if other is None or weights.get(cid, 0) <= 0 or ev.value == other.value:
                continue
            text = f"{self.crit(cid)} ({_num(ev.value)} against {_num(other.value)})"
            gap = weights[cid] * (ev.value - other.value)
            (ahead if gap > 0 else behind).append((abs(gap), text))
        lines = []
        for word, items in (("is ahead of", ahead), ("trails", behind)):
            if not items:
                continue
            listed = [t for _, t in sorted(items, key=lambda x: -x[0])]
            shown = listed[:SHORT_CLAIMS]
            more = len(listed) - len(shown)
            lines.append(f"* {'Good' if word == 'is ahead of' else 'Bad'}, because it {word} "
                         f"{winner.name} on " + (_and(shown) if more <= 0 else
                                                 ", ".join(shown) + f" and {more} more"))
        if not ahead:
            lines.insert(0, f"* Neutral, because it is ahead of {winner.name} on no criterion")
        return lines

    def briefly(self, items: list[Claim]) -> str:
        shown = [f"{self.crit(c)} ({_num(ev.value)}/{self.high:g})"
                 for c, ev in items[:SHORT_CLAIMS]]
        more = len(items) - SHORT_CLAIMS
        return _and(shown) if more <= 0 else ", ".join(shown) + f" and {more} more"

    def claim(self, cid: str, ev: Evidence) -> str:
        origin = {"knowledge": "", "overlay": ", from the team's overlay",
                  "probe": ", blended with a live measurement",
                  "support": ", from support entries"}[ev.origin]
        if self.old_before is not None and ev.origin != "probe" and ev.as_of < self.old_before:
            origin += f", evidence older than {years_text(self.stale_years)}"
        rationale = public(ev.rationale).rstrip(".")
        return (f"{self.crit(cid)} scores {ev.value:g} of {self.high:g}: {rationale} "
                f"(`{ev.source}`, {ev.as_of.isoformat()}{origin})")

    # --- more information --------------------------------------------------------------------

    def more(self) -> list[str]:
        rec = self.rec
        lines = ["## More Information", ""]
        if self.supersedes is not None:
            old = self.supersedes
            lines += [f"* Supersedes {old.record.link}"
                      + (f" ({old.title})" if old.title else "") + "."]
        lines += [f"* Evidence: the knowledge base \"{rec.snapshot.title}\" (`{rec.snapshot.id}`"
                  + (f" with the overlay `{rec.snapshot.overlay}`" if rec.snapshot.overlay
                     else "")
                  + f"), as of {rec.snapshot.as_of.isoformat()}.",
                  f"* Method: {_method(rec)} on the scores mapped from {self.low:g}-{self.high:g} "
                  "onto [0, 1]; the reasons given are each criterion's share of the score under "
                  "that method."
                  + (f" Robustness: SMAA-2 rank acceptability ({rec.robustness.samples:,} weight "
                     f"samples, seed {rec.robustness.seed}), the smallest weight change that "
                     "changes the winner, and the agreement of four MCDA methods."
                     if rec.robustness is not None else "")]
        retired = [ex for ex in rec.excluded if self.retired(ex.framework)]
        if retired and not self.detail:
            lines.append("* Retired, so not considered: " + "; ".join(
                f"{ex.name} ({self.retired_since(ex.framework)})" for ex in retired) + ".")
        if self.chart:
            lines += ["", f"![Scores and rank acceptability]({self.chart})"]
        if self.detail:
            lines += self.matrix()
            lines += self.robustness_tables()
            lines += self.age_section()
            lines += self.live()
            lines += self.overlay_scores()
            if rec.excluded:
                lines += ["", "### Excluded frameworks", ""]
                lines += [f"* {e.name}: {public(e.reason)}" for e in rec.excluded]
        warnings = self.warnings()
        if warnings:
            lines += ["", "### Warnings", ""]
            lines += [f"* {public(w)}" for w in warnings]
        sources = sorted(rec.sources) if self.detail else self.cited
        if sources:
            lines += ["", "### Sources" if self.detail else "### Sources cited above", ""]
            lines += [self.source_line(sid) for sid in sources]
        return lines + [""]

    def warnings(self) -> list[str]:
        """The run's warnings; in the short record without the one on the snapshot's age,
        which the consequences state."""
        if self.detail or self.rec.age is None:
            return list(self.rec.warnings)
        from selector.engine.age import age_warning

        said = age_warning(self.rec, self.rec.age)
        return [w for w in self.rec.warnings if w != said]

    def retired_since(self, fid: str) -> str:
        fw = next(f for f in self.snap.frameworks if f.id == fid)
        return f"since {fw.status_as_of.isoformat()}" if fw.status_as_of else "retired"

    def source_line(self, sid: str) -> str:
        src = self.rec.sources.get(sid)
        if src is None:
            known = next((s for s in self.snap.sources if s.id == sid), None)
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

    def matrix(self) -> list[str]:
        rec = self.rec
        criteria = sorted(rec.weights, key=lambda c: (-rec.weights[c], c))
        lines = ["", "### Decision matrix", "",
                 f"Every score used, on the snapshot's {self.low:g}-{self.high:g} scale (a fit "
                 "criterion is computed for the team's own targets), with each criterion's "
                 "weight:", "",
                 "| Criterion | Weight | " + " | ".join(r.name for r in rec.ranking) + " |",
                 "|---|---|" + "---|" * len(rec.ranking)]
        for cid in criteria:
            cells = []
            for entry in rec.ranking:
                ev = entry.evidence.get(cid)
                cells.append("" if ev is None else f"{ev.value:g}")
            lines.append(f"| {self.crit(cid)} | {rec.weights[cid]:.1%} | "
                         + " | ".join(cells) + " |")
        lines.append("| **Score** | | " + " | ".join(f"**{r.score:.3f}**"
                                                     for r in rec.ranking) + " |")
        return lines

    def robustness_tables(self) -> list[str]:
        rec, rb = self.rec, self.rec.robustness
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
            lines.append(f"| {method.upper()} | {', '.join(self.fw(f) for f in order)} |")
        lines += [""] + [f"* tau {pair.upper()}: {tau:.2f}"
                         for pair, tau in rb.methods.kendall_tau.items()]
        return lines

    def age_section(self) -> list[str]:
        rec, info = self.rec, self.rec.age
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
        lines += [f"* {self.fw(s.framework)} / {self.crit(s.criterion)}: evidence of "
                  f"{s.evidence_date.isoformat()} ({age_text(s.age_days)}; `{s.source}`)"
                  for s in info.stale_decisive]
        return lines

    def live(self) -> list[str]:
        rec = self.rec
        if not rec.measured:
            return []
        lines = ["", "### Live measurements", "",
                 "Speed scores blend the knowledge base with quick probes run on the deciding "
                 "machine:", "",
                 "| Framework | Probe | Version | Device | Rate (GFLOP/s; training: samples/s) "
                 "| Share of fastest | Knowledge | Used |",
                 "|---|---|---|---|---|---|---|---|"]
        for m in rec.measured:
            ops = ", ".join(f"{op} {g:.1f}" for op, g in m.ops.items())
            share = f"{m.ratio:.0%}" if m.blended else f"not blended: {m.reason}"
            lines.append(f"| {self.fw(m.framework)} | {m.probe} | {m.version} | "
                         f"{m.device or ''} | {ops} | {share} | {m.knowledge_value:g} | "
                         f"{m.value:.2f} |")
        return lines

    def overlay_scores(self) -> list[str]:
        rec = self.rec
        if not rec.overrides:
            return []
        return ["", f"### Scores from the team's overlay `{rec.snapshot.overlay}`", ""] + [
            f"* {self.fw(o.framework)} / {self.crit(o.criterion)}: {o.base_value:g} -> "
            f"{o.value:g} (source: `{o.source}`)" for o in rec.overrides]


def _team(rec: Recommendation, axis: Axis) -> list[str]:
    chosen = {Axis.LANGUAGE: rec.profile.languages, Axis.HARDWARE: rec.profile.hardware,
              Axis.DEPLOYMENT: rec.profile.deployment}[axis]
    return [str(t.value) for t in chosen]


def _num(value: float) -> str:
    """A score as a reviewer reads it: at most two decimals."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _and(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _age(rec: Recommendation) -> str:
    if rec.age is None:
        return ""
    return f", {age_text(rec.age.age_days)} on {rec.age.today.isoformat()}"


def _method(rec: Recommendation) -> str:
    return {"topsis": "TOPSIS", "wsm": "the weighted sum"}[rec.method.value]

