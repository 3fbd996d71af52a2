"""b. Where the probe suite's time goes: its phases (start-up, side-by-side imports, measuring,
the probes' turns) from the sampled runs, and the sentence that explains a missed target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from _common import QUICK, SUITE_RATIO_TARGET, Section, fmt_opt, median_or_none
from _stats import fmt

if TYPE_CHECKING:  # probe_suite imports this module
    from probe_suite import SuiteRun

@dataclass
class Phases:
    """Medians over the successful runs of one suite."""

    wall: float | None
    base: float | None
    pre: float | None
    imports: float | None
    measuring: float | None
    idle: float | None
    tail: float | None
    first_calls: float | None
    sampling: float | None
    train_first: float | None
    train_sampling: float | None
    inspected: float | None
    retries: float | None
    retry_s: float | None
    turns: float | None


def phases(runs_: Sequence[SuiteRun], base: Sequence[float | None],
           wanted: Sequence[str]) -> Phases:
    ok = [s for s in runs_ if s.run.ok]

    def med(values: Sequence[float | None]) -> float | None:
        return median_or_none(values)

    def diff(a: float | None, b: float | None) -> float | None:
        return a - b if a is not None and b is not None else None

    return Phases(
        wall=med([s.wall for s in runs_]), base=med(base),
        pre=med([s.first_probe_s for s in ok]),
        imports=med([diff(s.all_ready_s, s.first_probe_s) for s in ok]),
        measuring=med([diff(s.last_probe_s, s.all_ready_s) for s in ok]),
        idle=med([s.run.watched_idle_s for s in ok]),
        tail=med([diff(s.run.wall_s, s.last_probe_s) for s in ok]),
        first_calls=med([sum(v for f, v in s.first_calls.items() if f in wanted) for s in ok
                         if s.first_calls]),
        sampling=med([sum(v for f, v in s.sampling.items() if f in wanted) for s in ok
                       if s.sampling]),
        train_first=med([sum(v for f, v in s.train_first.items() if f in wanted) for s in ok
                         if s.train_first]),
        train_sampling=med([sum(v for f, v in s.train_sampling.items() if f in wanted)
                            for s in ok if s.train_sampling]),
        inspected=med([float(s.discovery) for s in ok]),
        retries=med([float(s.retries) for s in ok]),
        retry_s=med([s.retry_s for s in ok]),
        turns=med([s.turns_s for s in ok]))


def suite_reason(p: Phases, label: str) -> str | None:
    if None in (p.wall, p.base, p.pre, p.imports, p.measuring):
        return None
    assert p.wall and p.base and p.pre is not None and p.imports and p.measuring
    allowed = SUITE_RATIO_TARGET * p.base
    left = allowed - p.pre - p.imports
    known = p.first_calls is not None and p.sampling is not None
    rest = (p.measuring - p.first_calls - p.sampling - (p.idle or 0.0) - (p.retry_s or 0.0)
            if known and p.turns is None else None)
    in_turns = (p.turns - p.first_calls - p.sampling
                if known and p.turns is not None else None)
    between = (p.measuring - p.turns - (p.retry_s or 0.0) if p.turns is not None else None)
    return (
        f"the {label} took {fmt(p.wall, 's')} against {fmt(p.base, 's')} for the imports one "
        f"after another; the target allows {SUITE_RATIO_TARGET:g} x {fmt(p.base, 's')} = "
        f"{fmt(allowed, 's')}. dlselect's own start and discovery (one Python per "
        f"interpreter found, {p.inspected or 0:.0f} here) took {fmt(p.pre, 's')}; the "
        f"probes' imports and input preparation, side by side on the 2 cores, "
        f"{fmt(p.imports, 's')} "
        f"({p.imports / p.base:.2f}x the sequential imports); then the measuring, one probe "
        f"at a time, {fmt(p.measuring, 's')} ({p.measuring / p.base:.2f}x the imports on its "
        "own), work the baseline does not do. Within the measuring, the first calls (JIT and "
        "graph compilation: numba, jax.jit, tf.function, pytensor, and each training step's "
        "tracing and compiling) took about "
        f"{fmt_opt(p.first_calls, 's')} and calibration plus the {QUICK.samples} timed samples "
        f"of each op about {fmt_opt(p.sampling, 's')}"
        + (f"; of these, the training-step ops (train_cnn, train_lstm, train_transformer in "
           f"torch, tensorflow, jax and mxnet) took {fmt(p.train_first, 's')} of first steps "
           f"and {fmt(p.train_sampling, 's')} of calibration and samples, "
           f"{fmt(p.train_first + p.train_sampling, 's')} in all "
           f"({(p.train_first + p.train_sampling) / p.base:.2f}x the imports)"
           if p.train_first is not None and p.train_sampling is not None else "")
        + (f". The probes' turns, each from its `go` to its exit, one at a time, took "
           f"{fmt(p.turns, 's')} in all; beyond the first calls and samples that leaves "
           f"{fmt(in_turns, 's')} in the turns (writing and checking results, ops re-measured "
           "inside their probe: the samples estimate counts one set per op, and the exits). "
           f"Between the turns, {fmt(between, 's')} (the runner's `wait_for_quiet` before each "
           "probe, up to 3 s until the CPU is under 15 % busy, and its reading of each "
           f"result); no probe used CPU for {fmt_opt(p.idle, 's')} of the probe phase. "
           if p.turns is not None and in_turns is not None and between is not None else
           f"; for {fmt_opt(p.idle, 's')} no probe used CPU "
           "at all (the runner's `wait_for_quiet` before each probe, up to 3 s until the CPU "
           "is under 15 % busy, and gaps between one probe's exit and the next one's start). ")
        + (f"{fmt(p.retry_s, 's')} went to probes started again in a fresh process "
           f"({p.retries:g} process(es) in the median run) to re-measure ops still unstable, "
           "each importing its framework, preparing and compiling once more. "
           if p.retries and p.retry_s else
           "No probe was started again in a fresh process (an unstable op is re-measured "
           "inside its probe). ")
        + (f"That leaves about {fmt(rest, 's')} of the measuring phase that none of these "
           "account for: the probes' exits, the runner's reading of each result, and ops "
           "re-measured inside their probe (the samples estimate counts one set of samples "
           "per op). "
           if rest is not None and rest > 0 else "")
        + (f"After start-up and the side-by-side imports the target leaves {fmt(left, 's')} "
           f"for the measuring, which takes {fmt(p.measuring, 's')}."
           if p.measuring > left else
           f"The measuring ({fmt(p.measuring, 's')}) fits in the {fmt(left, 's')} the target "
           "leaves after start-up and imports in the median run; single runs do not."))


def explain_exits(b: Section, overhead: dict[str, float]) -> None:
    """Add to part b's reasons what part c measured: each probe's time outside its own
    ``elapsed_s`` (mostly its exit), which the runner waits for before the next measures."""
    if not overhead:
        return
    worst = sorted(overhead.items(), key=lambda kv: -kv[1])
    text = (" Part c measured each probe's wall time outside its own `elapsed_s` (interpreter "
            "start before the harness, and the exit after the document is written; only the "
            "exit falls in the measuring phase): "
            + ", ".join(f"{fw} {fmt(v, 's')}" for fw, v in worst)
            + f" (medians), {fmt(sum(overhead.values()), 's')} in all for these "
              f"{len(overhead)}, an upper bound on what the exits add to the measuring phase.")
    for fig in b.figures:
        if fig.reason and fig.key in ("b.all", "b.five"):
            fig.reason += text
