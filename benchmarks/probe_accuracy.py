"""c. The accuracy of the quick probe's GEMM against a long dedicated measurement (and the
pairing, outlier and reason texts part e shares)."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    ACCURACY,
    ACCURACY_BAND,
    BENCH,
    MXNET_PY,
    PY,
    QUICK,
    QUICK_SAMPLES,
    QUICK_SPAN_S,
    ROOT,
    Section,
    fmt_opt,
    log,
    median_or_none,
    needs_reason,
    ok_values,
)
from _proc import QUIET, QUIET_BUSY_SHARE, run
from _stats import Figure, fmt, ratios

from selector.probing.environment import child_env


def python_for(framework: str) -> Path:
    return MXNET_PY if framework == "mxnet" else PY


def quick_gemm(framework: str, tmp: Path) -> tuple[float | None, str | None, dict[str, Any]]:
    """The quick probe's gemm figure; the op's JSON gets ``overhead_s``, the probe's wall time
    outside its own ``elapsed_s`` (interpreter start before the harness, and exit)."""
    out = tmp / f"{framework}.json"
    out.unlink(missing_ok=True)
    r = run([python_for(framework), ROOT / "probes" / f"probe_{framework}.py", "--budget",
             "quick", "--ops", "gemm", "--output", out], timeout_s=240, cwd=tmp,
            env=child_env())
    if not r.ok:
        return None, r.failure(), {}
    try:
        doc = json.loads(out.read_text())
        gemm = dict(doc["ops"]["gemm"])
        gemm["overhead_s"] = r.wall_s - float(doc["elapsed_s"])
        return float(gemm["gflops"]), None, gemm
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"probe_{framework}.py: no gemm figure ({exc})", {}


def long_gemm(framework: str, tmp: Path) -> tuple[float | None, str | None, dict[str, Any]]:
    r = run([python_for(framework), BENCH / "gemm_long.py", framework], timeout_s=240,
            cwd=tmp, env=child_env())
    if not r.ok:
        return None, r.failure(), {}
    try:
        data: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
        return float(data["gflops"]), None, data
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        return None, f"gemm_long.py {framework}: unreadable result ({exc})", {}


def peak_gflops(cpu: dict[str, Any]) -> tuple[float | None, list[str]]:
    flags, mhz = cpu["flags"], cpu["mhz"]
    cores = os.cpu_count() or 1
    if "avx512f" in flags:
        lanes, isa = 16, "AVX-512 (`avx512f`): 512-bit vectors, 16 float32 lanes"
    elif "avx2" in flags and "fma" in flags:
        lanes, isa = 8, "AVX2 + FMA (`avx2`, `fma`): 256-bit vectors, 8 float32 lanes"
    else:
        return None, ["No AVX2+FMA or AVX-512 flag: no peak computed."]
    if not mhz:
        return None, ["`/proc/cpuinfo` gives no `cpu MHz`: no peak computed."]
    pipes, per_fma = 2, 2
    per_cycle = lanes * pipes * per_fma
    peak = cores * mhz * 1e6 * per_cycle / 1e9
    return peak, [
        f"- vector width: {isa};",
        f"- FMA units per core: {pipes} (an **assumption**: two FMA pipes per core, as on "
        "modern AMD EPYC and Intel server cores; not readable from `/proc/cpuinfo`);",
        f"- {per_fma} FLOP per FMA (a multiply and an add);",
        f"- clock: {mhz:g} MHz, `cpu MHz` of `/proc/cpuinfo`; on this VM most likely the "
        "nominal clock (see Machine), so the real peak may be higher under boost;",
        f"- cores: {cores} (logical CPUs; the VM reports one thread per core; if the host "
        "placed them on the two SMT threads of one physical core, the peak would be half).",
        "",
        f"Peak = {cores} cores x {mhz / 1000:.4g} GHz x {lanes} lanes x {pipes} FMA pipes x "
        f"{per_fma} FLOP = {cores} x {mhz / 1000:.4g} x {per_cycle} = **{peak:.0f} GFLOP/s** "
        "float32.",
    ]


@dataclass
class Pair:
    quick: float
    long: float
    unstable: bool
    busy: float | None  # others' CPU share before the quick run

    @property
    def ratio(self) -> float:
        return self.quick / self.long


#: How part c's quick GEMM is timed, in words (part e passes its own).
GEMM_SPAN = f"all {QUICK.samples} quick samples (about {QUICK_SPAN_S:.2g} s)"


def outliers_text(pairs: Sequence[Pair], unit: str = "GFLOP/s", span: str = GEMM_SPAN) -> str:
    lo, hi = ACCURACY_BAND
    odd = [p for p in pairs if not lo <= p.ratio <= hi]
    if not odd:
        return ""
    long_median = statistics.median(p.long for p in pairs)
    items = [f"{p.ratio:.3f}x (quick {fmt(p.quick, unit)}, long {fmt(p.long, unit)}, "
             f"quick {'flagged' if p.unstable else 'not flagged'} unstable"
             + (f", others' CPU use before {100 * p.busy:.0f} %" if p.busy is not None else "")
             + ")" for p in odd]
    text = f" Pairs outside the band: {'; '.join(items)}."
    silent_low = sum(p.ratio < lo and not p.unstable for p in odd)
    high = [p for p in odd if p.ratio > hi and p.long < long_median]
    if silent_low:
        text += (f" {silent_low} low pair(s) not flagged: when a slow spell of the host covers "
                 f"{span}, their spread stays small, so `unstable` cannot catch it; only a "
                 "repeat, or a longer budget, can.")
    if high:
        text += (f" In {len(high)} high pair(s) the long run was the slow one (below the long "
                 f"runs' median of {fmt(long_median, unit)}): the host slowed down during "
                 "it, which its median over blocks absorbs only in part.")
    return text


@dataclass(frozen=True)
class Timing:
    """How the quick and the long figures of an accuracy part are taken, for its reasons."""

    unit: str = "GFLOP/s"
    #: what the quick probe times, e.g. "5 samples of >= 20 ms (about 0.1 s) after a single
    #: warm-up call"
    quick: str = (f"{QUICK_SAMPLES} (about {QUICK_SPAN_S:.2g} s after a single warm-up "
                  "call)")
    span: str = GEMM_SPAN  # for outliers_text
    quick_s: str = f"{QUICK_SPAN_S:.2g} s"  # the quick measurement's length, in words
    long_s: str = ">= 2 s"
    warming: str = "thread pool spin-up, buffer allocation, lazy kernel selection"


GEMM_TIMING = Timing()


def accuracy_reason(fig: Figure, mq: float, ml: float, n_quick: int, unstable: int,
                    iqr_med: float | None, busy: list[float], pairs: Sequence[Pair],
                    how: Timing = GEMM_TIMING) -> str:
    s = fig.stats
    assert s is not None
    unit = how.unit
    if fig.verdict == "MET":
        return (f"the median pair is inside the band (quick {fmt(mq, unit)}, long "
                f"{fmt(ml, unit)}), but not every pair is."
                + outliers_text(pairs, unit, how.span))
    lo, hi = ACCURACY_BAND
    below = sum(v < lo for v in fig.values)
    above = sum(v > hi for v in fig.values)
    inside = len(fig.values) - below - above
    busy_text = (f"before these runs other work kept the CPU {100 * statistics.median(busy):.0f} "
                 f"% busy (median; up to {100 * max(busy):.0f} %)" if busy else "")
    head = (f"the quick probe measured {fmt(mq, unit)} (median of {n_quick} runs) against "
            f"{fmt(ml, unit)} for the long run; of {len(fig.values)} pairs {below} were "
            f"below {lo}, {above} above {hi} and {inside} inside (single pairs "
            f"{s.low:.2f}x – {s.high:.2f}x). The quick probe's own spread (IQR/median) was "
            f"{100 * (iqr_med or 0):.0f} % in the median run; it flagged itself unstable in "
            f"{unstable} of {n_quick} runs.")
    # With fewer than 3 pairs, agreement between them says nothing about a bias. Every pair on
    # the same side of 1 points to a bias however widely the pairs spread, but does not prove
    # one: without a bias, all of n pairs fall on one side 2 times in 2**n (a sign test; 2 in
    # 32 for 5 pairs), and over the 17 figures of parts c and e about one such figure is
    # expected by chance alone. The host's drift over seconds (docs/probes.md) is such a chance.
    n = len(fig.values)
    one_sided = n >= 3 and (all(v > 1 for v in fig.values) or all(v < 1 for v in fig.values))
    systematic = one_sided or (n >= 3 and max(below, above) >= 0.8 * n
                               and s.high - s.low < 0.25)
    agree = ("Every pair has the quick probe " + ("slower" if s.median < 1 else "faster")
             + f" than the long run, which points to a bias without proving one (with no bias "
             f"all {n} pairs fall on one side 2 times in {2 ** n}, a sign test)"
             if one_sided else "The pairs agree with each other, which points to a bias")
    if busy and statistics.median(busy) > QUIET_BUSY_SHARE:
        head += (f" {busy_text[0].upper()}{busy_text[1:]}, above the "
                 f"{100 * QUIET_BUSY_SHARE:.0f} % this script waits for: both figures were "
                 "taken on a shared CPU.")
    if systematic and s.median < lo:
        return head + (f" {agree}. If it is one, the likely cause: the quick probe's "
                       f"{how.quick} are taken before the framework reaches its steady speed "
                       f"({how.warming}), which the long run's seconds of calls amortise.")
    if systematic:
        return head + (f" {agree}. If it is one, the two measured under different conditions: "
                       "the long run's seconds of calls are more exposed than a "
                       f"{how.quick_s} quick measurement to other processes' bursts and to any "
                       "loss of speed over the run (allocator growth, clock or cache effects).")
    return head + (" The pairs scatter on both sides or widely, so the gap is noise rather than "
                   f"bias: the quick budget times only {how.quick}, so "
                   "one of the shared host's slow spells either misses it entirely or covers "
                   f"all of it, while the long run's median over {how.long_s} rides it out"
                   + (f"; {busy_text}." if busy_text else ".")
                   + outliers_text(pairs, unit, how.span))


def measure(runs: int, cpu: dict[str, Any]) -> Section:
    sec = Section()
    quick: dict[str, list[float | None]] = {fw: [] for fw in ACCURACY}
    long: dict[str, list[float | None]] = {fw: [] for fw in ACCURACY}
    errors: dict[str, list[str]] = {fw: [] for fw in ACCURACY}
    unstable: dict[str, int] = dict.fromkeys(ACCURACY, 0)
    rel_iqr: dict[str, list[float]] = {fw: [] for fw in ACCURACY}
    busy: dict[str, list[float]] = {fw: [] for fw in ACCURACY}
    overhead: dict[str, list[float]] = {fw: [] for fw in ACCURACY}
    pairs: dict[str, list[Pair]] = {fw: [] for fw in ACCURACY}
    long_info: dict[str, dict[str, Any]] = {}
    missing = {fw: f"interpreter not found: {python_for(fw).relative_to(ROOT)}"
               for fw in ACCURACY if not python_for(fw).exists()}
    with tempfile.TemporaryDirectory(prefix="dlselect-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for r in range(runs):
            for fw in ACCURACY:
                if fw in missing:
                    continue
                order = ("quick", "long") if r % 2 == 0 else ("long", "quick")
                flagged, before = False, None
                for kind in order:
                    QUIET.wait()
                    if QUIET.busy:
                        busy[fw].append(QUIET.busy[-1])
                    if kind == "quick":
                        before = QUIET.busy[-1] if QUIET.busy else None
                        value, err, gemm = quick_gemm(fw, tmp)
                        quick[fw].append(value)
                        if gemm:
                            flagged = bool(gemm.get("unstable"))
                            unstable[fw] += bool(gemm.get("unstable"))
                            rel_iqr[fw].append(gemm["iqr_s"] / gemm["median_s"])
                            overhead[fw].append(gemm["overhead_s"])
                    else:
                        value, err, info = long_gemm(fw, tmp)
                        long[fw].append(value)
                        if info:
                            long_info[fw] = info
                    if err:
                        errors[fw].append(err)
                q, lg = quick[fw][-1], long[fw][-1]
                if q is not None and lg is not None:
                    pairs[fw].append(Pair(q, lg, flagged, before))
            log(f"c: round {r + 1}/{runs}")
    lo, hi = ACCURACY_BAND
    rows = []
    for fw in ACCURACY:
        fig = Figure(f"c.{fw}", f"c. {fw}: quick probe GEMM / long measurement", "x",
                     ratios(quick[fw], long[fw]), f"{lo} – {hi}x",
                     lambda m: lo <= m <= hi, 5,
                     [missing[fw]] if fw in missing else sorted(set(errors[fw])))
        mq, ml = median_or_none(quick[fw]), median_or_none(long[fw])
        n_quick = len(ok_values(quick[fw]))
        iqr_med = statistics.median(rel_iqr[fw]) if rel_iqr[fw] else None
        if needs_reason(fig) and mq and ml:
            fig.reason = accuracy_reason(fig, mq, ml, n_quick, unstable[fw], iqr_med,
                                         busy[fw], pairs[fw])
        sec.figures.append(fig)
        info = long_info.get(fw, {})
        rows.append(f"| {fw} | {fmt_opt(mq, 'GFLOP/s')} | {fmt_opt(ml, 'GFLOP/s')} | "
                    f"{fig.median_text()} | {fig.spread_text()} | "
                    f"{unstable[fw]}/{n_quick} | "
                    + (f"{100 * statistics.median(busy[fw]):.0f} %" if busy[fw] else "—")
                    + f" | {info.get('method', '—')} |")
    sec.extra["overhead"] = {fw: statistics.median(v) for fw, v in overhead.items() if v}
    best_long = max(((median_or_none(long[fw]), fw) for fw in ACCURACY
                     if median_or_none(long[fw]) is not None), default=None)
    best_quick = max(((median_or_none(quick[fw]), fw) for fw in ACCURACY
                      if median_or_none(quick[fw]) is not None), default=None)
    peak, peak_lines = peak_gflops(cpu)
    peak_fig = Figure("c.peak", "c. best GEMM (long, median) / theoretical float32 peak", "%",
                      required_runs=5)
    if peak and best_long and best_long[0]:
        peak_fig.values = [100 * v / peak for v in ok_values(long[best_long[1]])]
        peak_fig.label += f" ({best_long[1]})"
    sec.figures.append(peak_fig)
    sec.lines = [
        f"For each framework, {runs} pairs, alternated within each pair (quick first, then "
        "long first) and across frameworks: the probe program itself, `<python> "
        "probes/probe_<fw>.py --budget quick --ops gemm --output F` (n=512 float32, "
        f"{QUICK_SAMPLES}), and `benchmarks/gemm_long.py <fw>`, a separate process "
        "timing the same call the probe times (same function, execution mode and sync) for "
        ">= 2 s: torch with `torch.utils.benchmark.Timer(...).blocked_autorange("
        "min_run_time=2)` at the framework's thread count (Timer's default is one thread, "
        "which would halve the figure), the others with a calibrated loop of >= 10 blocks "
        "of >= 0.1 s, median per-call time. Both run with the environment dlselect gives its "
        "probes. The ratio is quick/long GFLOP/s within each pair.",
        "",
        "| framework | quick (median) | long (median) | quick/long (median) | spread of the "
        "pairs | quick flagged unstable | others' CPU use before (median) | long method |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "**Theoretical float32 peak of this CPU.**",
        "",
        *peak_lines,
    ]
    if peak and best_long and best_long[0]:
        value, fw = best_long
        sec.lines += [
            "",
            f"Best GEMM: {fw}, {fmt(value, 'GFLOP/s')} (median of the long runs) = "
            f"**{100 * value / peak:.0f} %** of that peak"
            + (f"; best quick-probe median: {best_quick[1]}, {fmt(best_quick[0], 'GFLOP/s')} "
               f"= {100 * best_quick[0] / peak:.0f} %" if best_quick and best_quick[0] else "")
            + ". A square n=512 product is small (0.27 GFLOP, about a millisecond here), so "
              "packing and threading overheads keep any library below its peak, and a library "
              "that runs AVX2 kernels (8 lanes) has half the per-cycle peak of AVX-512: the "
              "OpenBLAS builds behind mxnet and numba run their `Haswell` (AVX2) core here "
              "because `OPENBLAS_CORETYPE` says so (docs/probes.md).",
        ]
        if value > peak:
            per_cycle = peak * 1e9 / (cpu["mhz"] * 1e6 * (os.cpu_count() or 1))
            implied = value / ((os.cpu_count() or 1) * per_cycle)
            sec.lines += ["", "The measured figure exceeds the computed peak, so the cores run "
                          f"above the reported {cpu['mhz'] / 1000:.2f} GHz: with the same "
                          f"{per_cycle:.0f} FLOP per cycle and core it needs at least "
                          f"{implied:.2f} GHz, a boost clock. `cpu MHz` here is nominal, and "
                          "the peak above is a floor, not a ceiling."]
    return sec


