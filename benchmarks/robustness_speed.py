"""d. The vectorised robustness analysis against a per-sample scikit-criteria loop."""

from __future__ import annotations

import json

from _common import BENCH, PY, ROOT, SMAA_SPEEDUP_TARGET, Section, log, needs_reason
from _proc import run
from _stats import Figure


def measure(runs: int, loop_samples: int) -> Section:
    sec = Section()
    log("d: robustness (one process, interleaved inside)")
    r = run([PY, BENCH / "robustness_worker.py", "--runs", str(runs), "--loop-samples",
             str(loop_samples)], timeout_s=900, cwd=ROOT)
    fig = Figure("d.speedup", "d. per-sample scikit-criteria loop (extrapolated to 200,000 "
                 "rankings) / `robustness.smaa` (100,000 samples)", "x",
                 target=f">= {SMAA_SPEEDUP_TARGET:.0f}x",
                 check=lambda m: m >= SMAA_SPEEDUP_TARGET, required_runs=5)
    half = Figure("d.speedup100k", "d. the same against 100,000 loop samples (for information)",
                  "x", required_runs=5)
    smaa_fig = Figure("d.smaa", "d. `robustness.smaa`, 100,000 samples, 12 x 16, TOPSIS", "s",
                      required_runs=5)
    per_sample = Figure("d.loop", "d. scikit-criteria loop, per sample", "ms", required_runs=5)
    sec.figures = [fig, half, smaa_fig, per_sample]
    if not r.ok:
        for f in sec.figures:
            f.failures.append(r.failure())
        sec.lines = [f"The robustness worker failed: {r.failure()}"]
        return sec
    data = json.loads(r.stdout)
    rankings = data["smaa_rankings"]
    per = [t / data["loop_samples"] for t in data["loop_s"]]
    fig.values = [p * rankings / s for p, s in zip(per, data["smaa_s"], strict=True)]
    half.values = [p * data["smaa_samples"] / s for p, s in zip(per, data["smaa_s"], strict=True)]
    smaa_fig.values = list(data["smaa_s"])
    per_sample.values = [1000 * p for p in per]
    if needs_reason(fig):
        fig.reason = (f"smaa took {smaa_fig.median_text()} and a scikit-criteria ranking "
                      f"{per_sample.median_text()}; the vectorised path is not far enough ahead "
                      "of the per-sample loop on this machine.")
    sec.lines = [
        "A synthetic decision matrix, 12 frameworks x 16 criteria (values uniform on the "
        "1-to-5 scale, 12 criteria maximised and 4 minimised, weights one Dirichlet draw; "
        "fixed seed), ranked by TOPSIS, dlselect's default method, in one process after a "
        "warm-up of both paths:",
        "",
        "- **vectorised**: `selector.engine.robustness.smaa(matrix, TOPSIS, samples=100_000)`. "
        "It draws two samplings of 100,000 weight vectors each (uniform over the simplex, and "
        "around the matrix's weights) and ranks the matrix under every one: "
        f"{rankings:,} rankings, with tie-breaking and rank counting;",
        f"- **per-sample loop**: for each of {data['loop_samples']} weight vectors (half "
        "uniform, half around, the same distributions), scikit-criteria's TOPSIS "
        "(`scikit_criteria.oracle_scores`) on the "
        "matrix with those weights, `ranking.order` (the same tie-breaking) and the rank "
        "count. Its time per sample is **extrapolated** (multiplied) to "
        f"{rankings:,} samples, the number of rankings `smaa` does: like is compared with "
        "like, one ranking against one ranking.",
        "",
        f"The two alternate (smaa, loop, loop, smaa, ...), {runs} runs each; each ratio pairs "
        "one loop run with the `smaa` run next to it. The loop ranked "
        f"{data['winner_agreement']} of its {data['loop_samples']} samples with the same winner "
        "as the vectorised code on the same weights.",
    ]
    return sec


