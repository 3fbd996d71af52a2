"""e. The quick probe's training steps: their cost, and their samples/s against a long
dedicated measurement of the same steps (``train_long.py``)."""

from __future__ import annotations

import json
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    ACCURACY_BAND,
    BENCH,
    QUICK,
    QUICK_SAMPLES,
    QUICK_SPAN_S,
    ROOT,
    TRAIN_LONG_MIN_S,
    TRAIN_OPS,
    TRAINING,
    Section,
    fmt_opt,
    log,
    median_or_none,
    needs_reason,
    ok_values,
)
from _proc import QUIET, run
from _stats import Figure, ratios
from probe_accuracy import Pair, Timing, accuracy_reason, python_for
from probe_suite import sampling_estimate

from selector.probing.environment import child_env


def quick_train(framework: str, tmp: Path) -> tuple[dict[str, dict[str, Any]], list[str],
                                                    dict[str, float]]:
    """The quick probe's three training ops, alone, on the CPU: their JSON by op, failure lines,
    and the probe process's ``wall_s`` and ``elapsed_s``."""
    out = tmp / f"train-{framework}.json"
    out.unlink(missing_ok=True)
    r = run([python_for(framework), ROOT / "probes" / f"probe_{framework}.py", "--budget",
             "quick", "--device", "cpu", "--ops", ",".join(TRAIN_OPS), "--output", out],
            timeout_s=300, cwd=tmp, env=child_env())
    if not r.ok:
        return {}, [r.failure()], {}
    try:
        doc = json.loads(out.read_text())
        ops = {op: dict(doc["ops"][op]) for op in TRAIN_OPS if op in doc["ops"]}
        errors = [f"probe_{framework}.py {op}: {doc['op_errors'].get(op, 'no figure')}"
                  for op in TRAIN_OPS if op not in ops]
        return ops, errors, {"wall_s": r.wall_s, "elapsed_s": float(doc["elapsed_s"])}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return {}, [f"probe_{framework}.py: no training figures ({exc})"], {}


def long_train(framework: str, tmp: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    r = run([python_for(framework), BENCH / "train_long.py", framework, "--min-time",
             f"{TRAIN_LONG_MIN_S:g}"], timeout_s=300, cwd=tmp, env=child_env())
    if not r.ok:
        return {}, [r.failure()]
    try:
        data: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
        return {op: dict(v) for op, v in data["ops"].items()}, []
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        return {}, [f"train_long.py {framework}: unreadable result ({exc})"]


@dataclass
class TrainSeries:
    """One framework's op across part e's runs."""

    quick: list[float | None] = field(default_factory=list)  # samples/s
    long: list[float | None] = field(default_factory=list)
    long_all: list[float | None] = field(default_factory=list)  # over all blocks, quiet or not
    quiet_blocks: list[str] = field(default_factory=list)  # "quiet/all" per long run
    first_step: list[float] = field(default_factory=list)  # quick probe's first_step_s
    measuring: list[float] = field(default_factory=list)  # calibration + samples (estimate)
    span: list[float] = field(default_factory=list)  # the timed samples alone
    loops: list[int] = field(default_factory=list)  # steps per sample
    rel_iqr: list[float] = field(default_factory=list)
    unstable: int = 0
    long_first: list[float] = field(default_factory=list)
    long_method: str = "—"
    loss0_gap: list[float] = field(default_factory=list)  # |quick - long| / long, per pair
    pairs: list[Pair] = field(default_factory=list)


def train_timing(series: TrainSeries) -> Timing:
    span = statistics.median(series.span) if series.span else QUICK_SPAN_S
    loops = statistics.median(series.loops) if series.loops else 1
    return Timing(
        unit="samples/s",
        quick=(f"{QUICK_SAMPLES} (here {loops:g} step(s) per sample, about {span:.2g} s of "
               "timed steps) right after the first step and the calibration"),
        span=f"all {QUICK.samples} quick samples (about {span:.2g} s)",
        quick_s=f"{span:.2g} s",
        long_s=f">= {TRAIN_LONG_MIN_S:g} s",
        warming="memory allocators, thread pools and kernel caches warming up over the first "
                "steps")


def measure(runs: int) -> Section:
    sec = Section()
    series = {fw: {op: TrainSeries() for op in TRAIN_OPS} for fw in TRAINING}
    errors: dict[str, list[str]] = {fw: [] for fw in TRAINING}
    busy: dict[str, list[float]] = {fw: [] for fw in TRAINING}
    walls_: dict[str, list[float]] = {fw: [] for fw in TRAINING}
    elapsed: dict[str, list[float]] = {fw: [] for fw in TRAINING}
    cost: dict[str, list[float]] = {fw: [] for fw in TRAINING}
    missing = {fw: f"interpreter not found: {python_for(fw).relative_to(ROOT)}"
               for fw in TRAINING if not python_for(fw).exists()}
    with tempfile.TemporaryDirectory(prefix="dlselect-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for r in range(runs):
            for fw in TRAINING:
                if fw in missing:
                    continue
                order = ("quick", "long") if r % 2 == 0 else ("long", "quick")
                quick_ops: dict[str, dict[str, Any]] = {}
                long_ops: dict[str, dict[str, Any]] = {}
                before = None
                for kind in order:
                    QUIET.wait()
                    if QUIET.busy:
                        busy[fw].append(QUIET.busy[-1])
                    if kind == "quick":
                        before = QUIET.busy[-1] if QUIET.busy else None
                        quick_ops, errs, meta = quick_train(fw, tmp)
                        if meta:
                            walls_[fw].append(meta["wall_s"])
                            elapsed[fw].append(meta["elapsed_s"])
                    else:
                        long_ops, errs = long_train(fw, tmp)
                    errors[fw] += errs
                total = 0.0
                for op in TRAIN_OPS:
                    s, q, lg = series[fw][op], quick_ops.get(op), long_ops.get(op)
                    s.quick.append(float(q["samples_per_s"]) if q else None)
                    s.long.append(float(lg["samples_per_s"]) if lg else None)
                    s.long_all.append(lg["examples"] / lg["median_all_s"]
                                      if lg and lg.get("median_all_s") else None)
                    if lg and "quiet_blocks" in lg:
                        s.quiet_blocks.append(f"{lg['quiet_blocks']}/{lg['blocks']}")
                    if q:
                        s.first_step.append(float(q["first_step_s"]))
                        s.measuring.append(sampling_estimate(q))
                        s.span.append(q["samples"] * q["inner_loops"] * q["median_s"])
                        s.loops.append(int(q["inner_loops"]))
                        s.rel_iqr.append(q["iqr_s"] / q["median_s"])
                        s.unstable += bool(q.get("unstable"))
                        total += s.first_step[-1] + s.measuring[-1]
                    if lg:
                        s.long_first.append(float(lg["first_step_s"]))
                        s.long_method = str(lg.get("method", "—"))
                    if q and lg:
                        s.pairs.append(Pair(float(q["samples_per_s"]),
                                            float(lg["samples_per_s"]),
                                            bool(q.get("unstable")), before))
                        if q.get("loss0") is not None and lg.get("loss0") is not None:
                            s.loss0_gap.append(abs(q["loss0"] - lg["loss0"]) / abs(lg["loss0"]))
                if all(op in quick_ops for op in TRAIN_OPS):
                    cost[fw].append(total)
            log(f"e: round {r + 1}/{runs}")
    lo, hi = ACCURACY_BAND
    rows, cost_rows, odd_loss = [], [], []
    for fw in TRAINING:
        fails = [missing[fw]] if fw in missing else sorted(set(errors[fw]))
        for op in TRAIN_OPS:
            s = series[fw][op]
            fig = Figure(f"e.{fw}.{op}", f"e. {fw} `{op}`: quick probe samples/s / long "
                         "measurement", "x", ratios(s.quick, s.long), f"{lo} – {hi}x",
                         lambda m: lo <= m <= hi, 5, fails)
            mq, ml = median_or_none(s.quick), median_or_none(s.long)
            all_blocks = median_or_none(ratios(s.quick, s.long_all))
            n_quick = len(ok_values(s.quick))
            if needs_reason(fig) and mq and ml:
                iqr_med = statistics.median(s.rel_iqr) if s.rel_iqr else None
                fig.reason = accuracy_reason(fig, mq, ml, n_quick, s.unstable, iqr_med,
                                             busy[fw], s.pairs, train_timing(s))
            sec.figures.append(fig)
            gap = max(s.loss0_gap) if s.loss0_gap else None
            if gap is not None and gap > 1e-5:
                odd_loss.append(f"{fw} {op} ({gap:.1e})")
            rows.append(
                f"| {fw} | `{op}` | {fmt_opt(mq, 'samples/s')} | {fmt_opt(ml, 'samples/s')} | "
                f"{fig.median_text()} | {fig.spread_text()} | "
                + ("—" if all_blocks is None else f"{all_blocks:.2f}x") + " | "
                + (", ".join(s.quiet_blocks) or "—") + f" | {s.unstable}/{n_quick} | "
                + (f"{100 * statistics.median(busy[fw]):.0f} %" if busy[fw] else "—") + " | "
                + ("—" if gap is None else "same" if gap == 0 else f"{gap:.1e}") + " |")
            cost_rows.append(
                f"| {fw} | `{op}` | {fmt_opt(median_or_none(s.first_step), 's')} | "
                f"{fmt_opt(median_or_none(s.measuring), 's')} | "
                f"{fmt_opt(median_or_none(s.span), 's')} | "
                + (f"{statistics.median(s.loops):g}" if s.loops else "—") + " | "
                f"{fmt_opt(median_or_none(s.long_first), 's')} |")
        cost_fig = Figure(f"e.{fw}.cost", f"e. {fw}: the three training ops' cost in the quick "
                          "probe (first steps + calibration and samples)", "s", cost[fw],
                          required_runs=5, failures=fails)
        sec.figures.append(cost_fig)
    methods = sorted({series[fw][op].long_method for fw in TRAINING for op in TRAIN_OPS
                      if series[fw][op].long_method != "—"})
    sec.lines = [
        f"For each of torch, tensorflow, jax and mxnet, {runs} pairs, alternated within each "
        "pair (quick first, then long first) and across frameworks, each command after waiting "
        "for a quiet CPU:",
        "",
        f"- **quick**: the probe program, `<python> probes/probe_<fw>.py --budget quick "
        f"--device cpu --ops {','.join(TRAIN_OPS)} --output F`, i.e. the three training-step "
        "ops as every default probe run measures them (docs/training-probes.md): the first "
        f"step timed alone (`first_step_s`), calibration, then {QUICK_SAMPLES}; "
        "`samples_per_s` = examples per step / median step time;",
        f"- **long**: `benchmarks/train_long.py <fw> --min-time {TRAIN_LONG_MIN_S:g}`, a "
        "separate process in the framework's own interpreter that builds the same ops with "
        "the probe's own builders (`probes/_train_<fw>.py`, after the setup the probe's `main` "
        "does: TF32 off, the same sync), times the first step, warms up 3 steps, then times "
        f"each op for >= {TRAIN_LONG_MIN_S:g} s: "
        + "; ".join(f"`{m}`" for m in methods) + ". Its `samples_per_s` is examples / "
        "median step time over the blocks (for tensorflow, jax and mxnet over the quiet "
        "blocks: the column *quick/long, all blocks* gives the ratio against the median of "
        "every block, quiet or not, and the next column each long run's quiet/all blocks).",
        "",
        "Both run with the environment dlselect gives its probes. The ratio is quick/long "
        "samples/s within each pair. The loss of the first step (`loss0`) of the two must "
        "agree (same weights, same batch, same step): the last column gives the largest "
        "relative difference seen.",
        "",
        "| framework | op | quick (median) | long (median) | quick/long (median) | spread of "
        "the pairs | quick/long, all blocks (median) | long run's quiet blocks | quick flagged "
        "unstable | others' CPU use before (median) | loss0 quick vs long |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "**Cost of each training op in the quick probe** (medians over the quick runs): "
        "`first_step_s` (tracing, compiling and one step, timed by the probe), then "
        "calibration plus the timed samples, estimated as in part b ((samples + 2) x steps "
        "per sample x median step), of which the timed samples alone; for comparison the "
        "long run's own first step.",
        "",
        "| framework | op | first step (`first_step_s`) | calibration + samples (estimate) | "
        "timed samples | steps per sample | long run's first step |",
        "|---|---|---|---|---|---|---|",
        *cost_rows,
        "",
        "The probe process with only these three ops (`--ops` as above), medians: "
        + "; ".join(f"{fw} {fmt_opt(median_or_none(walls_[fw]), 's')} wall, `elapsed_s` "
                    f"{fmt_opt(median_or_none(elapsed[fw]), 's')}" for fw in TRAINING)
        + " (`elapsed_s` includes the framework's import and building the ops).",
    ]
    if odd_loss:
        sec.lines += ["", "**loss0 differed between the quick and the long run** (relative, "
                      "largest): " + ", ".join(odd_loss) + ". The two do not build the same "
                      "work, and their ratio compares unlike things."]
    return sec



