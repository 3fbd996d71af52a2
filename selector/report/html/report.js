// dlselect interactive report: re-ranks the engine's decision matrix when a weight changes.
// The arithmetic follows selector/engine/weights.py (normalise with an exact sum),
// selector/engine/ranking.py (skcriteria_scores: TOPSIS with vector normalisation or the
// weighted sum, on scores already on [0, 1]; order: ties within TIE_TOLERANCE broken by the
// weighted sum, the mean scaled score, then the id), so that the page's scores equal the
// engine's to rounding (tests/test_html_report.py checks 1e-9).
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("dlselect-data").textContent);
  const M = DATA.matrix;
  const REC = DATA.recommendation;

  // --- arithmetic --------------------------------------------------------------------------

  // Python's math.fsum (Shewchuk's exact partials, correctly rounded), as derive_weights sums.
  function fsum(values) {
    const partials = [];
    for (let x of values) {
      let i = 0;
      for (let j = 0; j < partials.length; j++) {
        let y = partials[j];
        if (Math.abs(x) < Math.abs(y)) { const t = x; x = y; y = t; }
        const hi = x + y;
        const lo = y - (hi - x);
        if (lo !== 0) partials[i++] = lo;
        x = hi;
      }
      partials.length = i;
      partials.push(x);
    }
    let n = partials.length;
    if (n === 0) return 0;
    let hi = partials[--n];
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = partials[--n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }

  // Relative weights -> shares of 1 (weights.py derive_weights).
  function normalise(raw) {
    const total = fsum(raw);
    if (!(total > 0)) return null;
    return raw.map((w) => w / total);
  }

  // numpy's round to an integer: half to even.
  function rint(x) {
    const r = Math.round(x);
    return (Math.abs(x % 1) === 0.5 && r % 2 !== 0) ? r - 1 : r;
  }

  // Python's round(x, digits): the decimal nearest to x's exact value, ties to even.
  function pyRound(x, digits) {
    if (!isFinite(x) || x === 0) return x;
    const text = Math.abs(x).toFixed(100);  // exact for |x| < 1e21 and 100 digits
    const point = text.indexOf(".");
    const cut = point + 1 + digits;
    const rest = text.slice(cut);
    let rounded = Number((x < 0 ? "-" : "") + text.slice(0, cut));
    const step = Math.pow(10, -digits);
    const half = /^50*$/.test(rest);
    const above = rest[0] > "5" || (rest[0] === "5" && !half);
    const lastDigit = Number(text[cut - 1] === "." ? text[cut - 2] : text[cut - 1]);
    if (above || (half && lastDigit % 2 === 1)) {
      rounded = Number((Math.abs(Number(text.slice(0, cut))) + step).toFixed(digits));
      if (x < 0) rounded = -rounded;
    }
    return rounded;
  }

  // Scores on [0, 1] with 1 always best (matrix.py scaled).
  function scaled(unit, maximise) {
    return unit.map((row) => row.map((v, j) => (maximise[j] ? v : 1.0 - v)));
  }

  // TOPSIS closeness as skcriteria computes it in ranking.skcriteria_scores: criteria that do
  // not differ or weigh nothing are left out, each kept column divided by its Euclidean norm,
  // weighted, and each alternative's distance to the ideal and anti-ideal taken.
  function topsis(unit, maximise, weights) {
    const n = unit.length;
    const keep = [];
    for (let j = 0; j < weights.length; j++) {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < n; i++) { lo = Math.min(lo, unit[i][j]); hi = Math.max(hi, unit[i][j]); }
      if (hi > lo && weights[j] > 0) keep.push(j);
    }
    if (keep.length === 0) return new Array(n).fill(0.5);
    const cols = keep.map((j) => {
      let sq = 0;
      for (let i = 0; i < n; i++) sq += unit[i][j] * unit[i][j];
      const norm = Math.sqrt(sq);
      const v = unit.map((row) => (norm > 0 ? row[j] / norm : 0) * weights[j]);
      const best = maximise[j] ? Math.max(...v) : Math.min(...v);
      const worst = maximise[j] ? Math.min(...v) : Math.max(...v);
      return { v, best, worst };
    });
    const result = [];
    for (let i = 0; i < n; i++) {
      let dBest = 0, dWorst = 0;
      for (const c of cols) {
        dBest += (c.v[i] - c.best) ** 2;
        dWorst += (c.v[i] - c.worst) ** 2;
      }
      dBest = Math.sqrt(dBest);
      dWorst = Math.sqrt(dWorst);
      const total = dBest + dWorst;
      result.push(total > 0 ? dWorst / total : 0.5);
    }
    return result;
  }

  // Weighted sum of scaled scores (ranking.wsm).
  function wsm(unit, maximise, weights) {
    return scaled(unit, maximise).map((row) => row.reduce((s, v, j) => s + weights[j] * v, 0));
  }

  function scores(unit, maximise, weights, method) {
    if (unit.length === 1) return [1];
    if (method === "wsm") return wsm(unit, maximise, weights);
    return topsis(unit, maximise, weights);
  }

  // Best first (ranking.order).
  function order(values, unit, maximise, weights, alternatives, tolerance) {
    const s = scaled(unit, maximise);
    const weighted = s.map((row) => row.reduce((t, v, j) => t + weights[j] * v, 0));
    const mean = s.map((row) => row.reduce((t, v) => t + v, 0) / row.length);
    const bucket = values.map((v) => rint(v / tolerance) * tolerance);
    const key = values.map((_, i) => [-bucket[i], -pyRound(weighted[i], 12),
      -pyRound(mean[i], 12)]);
    const idx = values.map((_, i) => i);
    idx.sort((a, b) => {
      for (let k = 0; k < 3; k++) {
        if (key[a][k] !== key[b][k]) return key[a][k] < key[b][k] ? -1 : 1;
      }
      return alternatives[a] < alternatives[b] ? -1 : alternatives[a] > alternatives[b] ? 1 : 0;
    });
    return idx;
  }

  // Relative weights (criteria order) -> {weights, scores, order}; what the sliders show.
  function rerank(raw) {
    const weights = normalise(raw);
    if (weights === null) return null;
    const s = scores(M.unit, M.maximise, weights, M.method);
    return { weights, scores: s,
             order: order(s, M.unit, M.maximise, weights, M.alternatives, M.tie_tolerance) };
  }

  // --- page --------------------------------------------------------------------------------

  const SVG = "http://www.w3.org/2000/svg";
  const names = Object.fromEntries(REC.ranking.map((r) => [r.framework, r.name]));
  const criterionNames = Object.fromEntries(DATA.criteria.map((c) => [c.id, c.name]));
  const described = Object.fromEntries(DATA.criteria.map((c) => [c.id, c.description]));
  const initialOrder = REC.ranking.map((r) => r.framework);
  const raw = M.raw_weights.slice();

  function el(tag, attrs, text) {
    const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4))
      : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function pct(x) { return (100 * x).toFixed(1) + "%"; }

  function buildSliders() {
    const form = document.getElementById("sliders");
    M.criteria.forEach((cid, j) => {
      const row = el("div", { class: "slider", id: "slider-" + cid });
      const label = el("label", { for: "weight-" + cid, title: described[cid] || "" },
        criterionNames[cid] || cid);
      const out = el("output", { for: "weight-" + cid, id: "share-" + cid });
      const input = el("input", { type: "range", id: "weight-" + cid, name: cid, min: "0",
        max: String(DATA.slider.max), step: String(DATA.slider.step),
        "data-criterion": cid });
      input.value = String(raw[j]);
      input.addEventListener("input", () => {
        raw[j] = Number(input.value);
        row.classList.add("changed");
        update();
      });
      row.append(label, out, input);
      form.append(row);
    });
    document.getElementById("reset").addEventListener("click", () => {
      M.raw_weights.forEach((w, j) => {
        raw[j] = w;
        document.getElementById("weight-" + M.criteria[j]).value = String(w);
        document.getElementById("slider-" + M.criteria[j]).classList.remove("changed");
      });
      update();
    });
  }

  function drawChart(result) {
    const box = document.getElementById("chart");
    const row = 22, left = 150, width = 380;
    const n = result.order.length;
    const svg = el("svg:svg", { class: "chart", role: "img", viewBox:
      `0 0 ${left + width + 60} ${row * n + 10}`, width: left + width + 60,
      height: row * n + 10, "aria-label": "Scores at the weights chosen" });
    result.order.forEach((i, pos) => {
      const y = 5 + pos * row;
      const id = M.alternatives[i];
      svg.append(el("svg:text", { x: left - 6, y: y + 14, "text-anchor": "end" }, names[id]));
      svg.append(el("svg:rect", { x: left, y, height: row - 5, class: pos === 0 ? "bar first"
        : "bar", width: Math.max(0, result.scores[i]) * width }));
      svg.append(el("svg:text", { x: left + Math.max(0, result.scores[i]) * width + 4,
        y: y + 14 }, result.scores[i].toFixed(3)));
    });
    box.replaceChildren(svg);
  }

  function drawHeatmap(result) {
    const box = document.getElementById("heatmap");
    const cell = 34, left = 150, top = 150;
    const crit = M.criteria;
    const s = scaled(M.unit, M.maximise);
    const svg = el("svg:svg", { class: "chart", role: "img", viewBox:
      `0 0 ${left + cell * crit.length + 110} ${top + cell * result.order.length + 10}`,
      width: left + cell * crit.length + 110, height: top + cell * result.order.length + 10,
      "aria-label": "Each framework's score on each criterion" });
    crit.forEach((cid, j) => {
      const x = left + j * cell + cell / 2;
      svg.append(el("svg:text", { x, y: top - 6, transform: `rotate(-55 ${x} ${top - 6})` },
        `${criterionNames[cid] || cid} ${pct(result.weights[j])}`));
    });
    result.order.forEach((i, pos) => {
      const id = M.alternatives[i];
      const y = top + pos * cell;
      const name = el("svg:text", { x: left - 6, y: y + cell / 2 + 4, "text-anchor": "end",
        class: "name" }, names[id]);
      name.addEventListener("click", () => {
        const details = document.getElementById("evidence-" + id);
        if (details) { details.open = true; details.scrollIntoView(); }
      });
      svg.append(name);
      crit.forEach((cid, j) => {
        const v = s[i][j];
        const ev = (REC.ranking.find((r) => r.framework === id) || {}).evidence || {};
        const shown = ev[cid] ? ev[cid].value.toFixed(2) : "";
        const rect = el("svg:rect", { x: left + j * cell, y, width: cell - 2, height: cell - 2,
          fill: `rgba(47, 111, 179, ${(0.08 + 0.85 * v).toFixed(3)})` });
        rect.append(el("svg:title", {}, `${names[id]}, ${criterionNames[cid] || cid}: ${shown}` +
          (ev[cid] ? ` (${ev[cid].source}, ${ev[cid].as_of})` : "")));
        svg.append(rect);
        svg.append(el("svg:text", { x: left + j * cell + cell / 2 - 1, y: y + cell / 2 + 3,
          "text-anchor": "middle", "font-size": "10", fill: v > 0.55 ? "#fff" : "#1d2430" },
          shown));
      });
    });
    box.replaceChildren(svg);
  }

  function update() {
    const result = rerank(raw);
    const body = document.querySelector("#ranking tbody");
    const command = document.getElementById("command");
    if (result === null) {
      body.replaceChildren(el("tr", {}, ""));
      body.firstChild.append(el("td", { colspan: "4" },
        "All weights are zero: give at least one criterion a weight."));
      command.textContent = "";
      return;
    }
    M.criteria.forEach((cid, j) => {
      document.getElementById("share-" + cid).textContent =
        `${Number(raw[j].toFixed(6))} · ${pct(result.weights[j])}`;
    });
    body.replaceChildren();
    result.order.forEach((i, pos) => {
      const id = M.alternatives[i];
      const was = initialOrder.indexOf(id);
      const move = was - pos;
      const tr = el("tr", { class: pos === 0 ? "first" : "", "data-framework": id });
      tr.append(el("td", { class: "num" }, String(pos + 1)), el("td", {}, names[id]),
        el("td", { class: "num" }, result.scores[i].toFixed(3)),
        el("td", { class: move > 0 ? "up" : move < 0 ? "down" : "" },
          move > 0 ? `▲ ${move}` : move < 0 ? `▼ ${-move}` : "–"));
      body.append(tr);
    });
    const changed = M.criteria.filter((cid, j) => raw[j] !== M.raw_weights[j])
      .map((cid) => `--weight ${cid}=${Number(raw[M.criteria.indexOf(cid)].toFixed(6))}`);
    command.textContent = changed.length
      ? "Same as adding to the command that made this report: " + changed.join(" ")
      : "The team's priorities, as dlselect ranked them.";
    drawChart(result);
    drawHeatmap(result);
    window.dlselect.current = result;
  }

  window.dlselect = { fsum, normalise, pyRound, rint, topsis, wsm, scores, order, rerank,
                      data: DATA, raw, current: null };
  buildSliders();
  update();
  document.documentElement.setAttribute("data-ready", "true");
})();
