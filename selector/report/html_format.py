"""HTML: one self-contained interactive page (docs/html-report.md).

The page carries the recommendation and the decision matrix the engine ranked as JSON, and
re-ranks in the browser, with the engine's method, normalisation and tie-breaking, when a
criterion's weight slider moves. Everything it needs is inlined (template, CSS, JavaScript from
``selector/report/html/``); a Content-Security-Policy forbids it to load anything.

The evidence, the exclusions and the robustness chart are written here as HTML, so they read
without JavaScript; the sliders, the live ranking and the score chart are drawn by the script.
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from typing import TYPE_CHECKING, Any

from selector.engine.ranking import TIE_TOLERANCE
from selector.errors import DlselectError
from selector.report.json_format import document as json_document
from selector.report.robust_text import robustness_sentences

if TYPE_CHECKING:
    from selector.engine.recommend import Decision
    from selector.models import Evidence, Ranked, Recommendation

#: Version of the JSON the page embeds (``<script id="dlselect-data">``).
PAGE_DATA_VERSION = 1
#: The largest relative weight a slider offers, at least (the team's own may be higher).
SLIDER_MAX = 5.0
SLIDER_STEP = 0.1


class HtmlFormatter:
    plain = True

    def __init__(self, decision: Decision | None = None) -> None:
        self.decision = decision

    def render(self, rec: Recommendation) -> str:
        if self.decision is None or self.decision.recommendation is not rec:
            # A recommendation read back from JSON has lost the unrounded matrix the page must
            # re-rank from; re-deriving it would not be the engine's.
            raise DlselectError("the HTML report needs the decision matrix the engine ranked",
                                tip="make it with `dlselect recommend --format html`")
        return page(self.decision)


def page_data(decision: Decision) -> dict[str, Any]:
    """What the page embeds: the recommendation (as ``--format json`` writes it) and the
    decision matrix it was ranked from, on [0, 1] by the snapshot's scale, with the weights
    before (``raw_weights``, what a slider sets) and after normalisation."""
    rec, matrix, snapshot = decision.recommendation, decision.matrix, decision.snapshot
    return {
        "schema_version": PAGE_DATA_VERSION,
        "recommendation": json_document(rec),
        "matrix": {
            "method": rec.method.value,
            "alternatives": list(matrix.alternatives),
            "criteria": list(matrix.criteria),
            # Python's float repr round-trips: the page reads back the very same doubles.
            "unit": matrix.unit().tolist(),
            "maximise": [bool(m) for m in matrix.maximise],
            "weights": matrix.weights.tolist(),
            "raw_weights": [decision.raw_weights[c] for c in matrix.criteria],
            "tie_tolerance": TIE_TOLERANCE,
        },
        "criteria": [{"id": c.id, "name": c.name, "description": c.description,
                      "objective": c.objective.value} for c in snapshot.criteria],
        "slider": {"max": max(SLIDER_MAX, *decision.raw_weights.values()),
                   "step": SLIDER_STEP},
    }


def page(decision: Decision) -> str:
    rec = decision.recommendation
    asset = resources.files("selector.report").joinpath("html")
    template = asset.joinpath("report.html").read_text(encoding="utf-8")
    names = {c.id: c.name for c in decision.snapshot.criteria}
    parts = {
        "title": html.escape(f"dlselect: {_title(rec)}"),
        "style": asset.joinpath("report.css").read_text(encoding="utf-8"),
        "script": asset.joinpath("report.js").read_text(encoding="utf-8"),
        "data": _script_json(page_data(decision)),
        "heading": html.escape(_title(rec)),
        "summary": _summary(rec),
        "verdict": _verdict(rec),
        "evidence": _evidence(rec, names),
        "robustness": _robustness(rec),
        "excluded": _excluded(rec),
        "sources": _sources(rec),
    }
    # One pass: text put in is never scanned for placeholders again.
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], template)


def _script_json(data: dict[str, Any]) -> str:
    """JSON safe inside <script>: no "</script>" or "<!--" can appear (``<``, ``>`` and ``&``
    only occur in strings, where the escapes mean the same)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _title(rec: Recommendation) -> str:
    return f"Choosing a deep-learning framework: {rec.ranking[0].name} ranks first"


def _e(value: object) -> str:
    return html.escape(str(value))


def _summary(rec: Recommendation) -> str:
    overlay = f" with the overlay {_e(rec.snapshot.overlay)}" if rec.snapshot.overlay else ""
    made = f", made on {rec.age.today.isoformat()}" if rec.age is not None else ""
    return (f"<p>{len(rec.ranking)} frameworks ranked with {rec.method.value.upper()} against "
            f"the knowledge snapshot <code>{_e(rec.snapshot.id)}</code> ({_e(rec.snapshot.title)},"
            f" as of {rec.snapshot.as_of.isoformat()}){overlay}{made}.</p>")


def _verdict(rec: Recommendation) -> str:
    from selector.report.vocab_text import reading_sentences, route_sentences, run_only_sentences

    out = []
    read = reading_sentences(rec)
    if read:
        out.append('<p class="reading">Read: ' + _e("; ".join(read)) + ".</p>")
    if rec.verdict is not None:
        out.append(f'<p class="headline">{_e(rec.verdict.headline)}.</p>')
        if rec.verdict.reasons:
            out.append("<ul>" + "".join(f"<li>Because {_e(r)}.</li>" for r in rec.verdict.reasons)
                       + "</ul>")
        if rec.verdict.question:
            out.append(f"<p>Deciding question: {_e(rec.verdict.question)}</p>")
    routes = route_sentences(rec)
    if routes:
        out.append("<p>Routes and evidence: " + _e("; ".join(routes)) + ".</p>")
    for line in run_only_sentences(rec):
        out.append(f'<p class="warning">{_e(line)}.</p>')
    for gap in rec.unserved:
        advice = f" {_e(gap.advice)}" if gap.advice else ""
        out.append(f'<p class="warning">No framework of the snapshot serves {_e(gap.name)}.'
                   f"{advice}</p>")
    for warning in rec.warnings:
        out.append(f'<p class="warning">Warning: {_e(warning)}</p>')
    return "\n".join(out)


def _link(rec: Recommendation, source: str) -> str:
    ref = rec.sources.get(source)
    if ref is None:
        return _e(source) if source else "(none)"
    label = _e(ref.title)
    if ref.url and ref.url.startswith(("https://", "http://")):
        return f'<a href="{_e(ref.url)}" rel="noreferrer">{label}</a>'
    return label


def _cell(rec: Recommendation, criterion: str, name: str, ev: Evidence) -> str:
    low, high = rec.snapshot.scale.min, rec.snapshot.scale.max
    value = f"{ev.value:.2f}"
    if ev.capped_from is not None:
        value += f" <small>(capped from {ev.capped_from:g})</small>"
    dates = ev.as_of.isoformat() + (' <span class="stale">old</span>' if ev.stale else "")
    if ev.read_on is not None and ev.read_on != ev.as_of:
        dates += f"<br><small>read {ev.read_on.isoformat()}</small>"
    support = ""
    if ev.support:
        items = "".join(
            f"<li>{_e(s.target)}: {_e(s.level.value)}"
            + (f" via {_e(s.via)}" if s.via else "")
            + f" ({_link(rec, s.source)}, {s.evidence_date.isoformat()})"
            + (f": {_e(s.note)}" if s.note else "") + "</li>" for s in ev.support)
        support = f"<ul>{items}</ul>"
    return (f'<tr data-criterion="{_e(criterion)}"><th scope="row">{_e(name)}</th>'
            f'<td class="num">{value}<br><small>of {low:g} to {high:g}</small></td>'
            f"<td>{_e(ev.origin)}</td><td>{_link(rec, ev.source)}</td><td>{dates}</td>"
            f"<td>{_e(ev.rationale)}{support}</td></tr>")


def _framework(rec: Recommendation, entry: Ranked, names: dict[str, str]) -> str:
    rows = "".join(_cell(rec, c, names.get(c, c), ev) for c, ev in entry.evidence.items())
    status = f", {_e(entry.status.value)}" if entry.status.value != "active" else ""
    return (f'<details class="framework" id="evidence-{_e(entry.framework)}"'
            f'{" open" if entry.rank == 1 else ""}>'
            f"<summary>{entry.rank}. {_e(entry.name)} (score {entry.score:.3f}{status})"
            "</summary><table><thead><tr><th>Criterion</th><th>Score</th><th>Origin</th>"
            "<th>Source</th><th>Evidence date</th><th>Rationale</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></details>")


def _evidence(rec: Recommendation, names: dict[str, str]) -> str:
    return "\n".join(_framework(rec, entry, names) for entry in rec.ranking)


def _robustness(rec: Recommendation) -> str:
    rb = rec.robustness
    if rb is None:
        return "<p>No robustness analysis was run (<code>--samples 0</code>).</p>"
    sentences = "".join(f"<li>{_e(s)}</li>" for s in robustness_sentences(rec))
    return (f"<ul>{sentences}</ul>"
            f"<figure>{_acceptability_svg(rec)}<figcaption>Rank acceptability (SMAA-2): the "
            f"share of {rb.samples:,} weight samples around the team's priorities in which each "
            "framework takes each rank. Computed by dlselect at the team's weights; the "
            "sliders above do not change it.</figcaption></figure>")


def _acceptability_svg(rec: Recommendation) -> str:
    rb = rec.robustness
    assert rb is not None
    ranks = len(rec.ranking)
    row, left, width = 22, 150, 420
    height = row * ranks + 40
    out = [f'<svg class="chart" role="img" viewBox="0 0 {left + width + 10} {height}" '
           f'width="{left + width + 10}" height="{height}" '
           'aria-label="Rank acceptability of each framework">']
    for i, entry in enumerate(rec.ranking):
        y = 10 + i * row
        out.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{_e(entry.name)}</text>')
        x = float(left)
        for r, share in enumerate(rb.acceptability_around[entry.framework]):
            if share <= 0:
                continue
            w = share * width
            out.append(f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" height="{row - 4}" '
                       f'class="rank-{min(r, 5)}"><title>{_e(entry.name)}: rank {r + 1} in '
                       f"{share:.1%} of samples</title></rect>")
            x += w
    legend_y = 10 + ranks * row + 14
    for r in range(min(ranks, 6)):
        label = f"rank {r + 1}" if r < 5 or ranks == 6 else "rank 6+"
        out.append(f'<rect x="{left + r * 70}" y="{legend_y - 10}" width="12" height="12" '
                   f'class="rank-{r}"></rect><text x="{left + r * 70 + 16}" y="{legend_y}">'
                   f"{label}</text>")
    out.append("</svg>")
    return "".join(out)


def _excluded(rec: Recommendation) -> str:
    if not rec.excluded:
        return "<p>No framework was excluded.</p>"
    return "<ul>" + "".join(f"<li><strong>{_e(e.name)}</strong>: {_e(e.reason)}</li>"
                            for e in rec.excluded) + "</ul>"


def _sources(rec: Recommendation) -> str:
    items = []
    for sid, ref in sorted(rec.sources.items()):
        who = ", ".join(_e(x) for x in (ref.author, ref.publisher) if x)
        when = ref.published.isoformat() if ref.published else ""
        meta = "; ".join(x for x in (who, when) if x)
        items.append(f'<li id="source-{_e(sid)}">{_link(rec, sid)}'
                     + (f" ({meta})" if meta else "") + "</li>")
    return "<ul>" + "".join(items) + "</ul>"
