"""b. The cost of ``dlselect probe --budget quick`` (training steps included) against
importing the frameworks, and where its time goes."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    DLSELECT,
    FRAMEWORKS,
    NAMED_FRAMEWORKS,
    ROOT,
    SUITE_RATIO_BEFORE_TRAINING,
    SUITE_RATIO_TARGET,
    TRAIN_OPS,
    TRAINING,
    Section,
    fmt_opt,
    interleaved,
    median_or_none,
    needs_reason,
)
from _proc import SAMPLE_PERIOD_S, Run, Seen, run
from _stats import Figure, fmt, ratios
from suite_phases import phases, suite_reason

from selector.probing.environment import child_env


@dataclass
class SuiteRun:
    run: Run
    statuses: dict[str, str]  # framework -> "ok" or "<status>: <reason>"
    elapsed: dict[str, float]  # probe elapsed_s (import + measure, not the wait for go)
    first_calls: dict[str, float]  # sum of the ops' first_call_s
    sampling: dict[str, float]  # estimated calibration + timed samples, (samples + 2) x loop
    train_first: dict[str, float]  # the same two for the training-step ops alone
    train_sampling: dict[str, float]
    first_probe_s: float | None  # first probe process seen
    #: all probes imported and prepared, none measuring: the last probe seen blocked on its
    #: stdin for the first time (waiting for ``go``); where the kernel does not show that, the
    #: first moment no probe used CPU
    all_ready_s: float | None
    last_probe_s: float | None  # last probe process seen
    discovery: int  # interpreters inspected
    #: probe processes started again for a probe already run (a fresh-process re-measurement:
    #: a second import and compile); dlselect used to re-run probes whose ops were still
    #: unstable, and now re-measures them inside the probe: counted to show it stays 0
    retries: int = 0
    retry_s: float = 0.0  # first such process started to the last one gone
    #: the probes' turns (their go to their exit, one at a time), summed over the probes of
    #: the first start; None where their wait for ``go`` was not seen
    turns_s: float | None = None

    @property
    def wall(self) -> float | None:
        return self.run.wall_s if self.run.ok else None


def sampling_estimate(op: dict[str, Any]) -> float:
    """Calibration plus the timed samples of one op, from its probe JSON: (samples + 2) x inner
    loops x median per call (calibration is about two samples' worth). An estimate: the probe
    does not report it."""
    return float((op["samples"] + 2) * op["inner_loops"] * op["median_s"])


def suite(frameworks: Sequence[str]) -> SuiteRun:
    argv: list[str | Path] = [DLSELECT, "probe", "--budget", "quick", "--refresh", "--format",
                              "json"]
    for name in frameworks:
        argv += ["--framework", name]
    with tempfile.TemporaryDirectory(prefix="dlselect-bench-cache-") as cache:
        r = run(argv, timeout_s=600, cwd=ROOT, env={**os.environ, "XDG_CACHE_HOME": cache},
                sample_tree=True, watch="probes/probe_")
    statuses: dict[str, str] = {}
    elapsed: dict[str, float] = {}
    first_calls: dict[str, float] = {}
    sampling: dict[str, float] = {}
    train_first: dict[str, float] = {}
    train_sampling: dict[str, float] = {}
    if r.ok:
        try:
            for res in json.loads(r.stdout)["results"]:
                fw = res["framework"]
                statuses[fw] = ("ok" if res["status"] == "ok"
                                else f"{res['status']}: {res.get('reason')}")
                if res.get("elapsed_s") is not None:
                    elapsed[fw] = float(res["elapsed_s"])
                ops = res.get("ops") or {}
                if ops:
                    first_calls[fw] = sum(float(op["first_call_s"]) for op in ops.values())
                    sampling[fw] = sum(sampling_estimate(op) for op in ops.values())
                train = [op for name, op in ops.items() if name in TRAIN_OPS]
                if train:
                    train_first[fw] = sum(float(op["first_call_s"]) for op in train)
                    train_sampling[fw] = sum(sampling_estimate(op) for op in train)
        except (ValueError, KeyError, TypeError) as exc:
            statuses["?"] = f"unreadable report: {exc}"
    probes = [s for s in r.seen.values() if "probes/probe_" in s.cmdline]
    inspects = [s for s in r.seen.values() if "importlib.util" in s.cmdline]
    again = retried(probes)
    firsts = [s for s in probes if s not in again]
    waited = [s for s in firsts if s.stdin_first_s is not None and s.stdin_last_s is not None]
    seen_all = bool(firsts) and len(waited) == len(firsts)
    return SuiteRun(r, statuses, elapsed, first_calls, sampling, train_first, train_sampling,
                    min((s.first_s for s in probes), default=None),
                    max(s.stdin_first_s for s in waited if s.stdin_first_s is not None)
                    if seen_all else r.watched_first_idle_s,
                    max((s.last_s for s in probes), default=None), len(inspects),
                    len(again), (max(s.last_s for s in again) - min(s.first_s for s in again))
                    if again else 0.0,
                    sum(s.last_s - s.stdin_last_s for s in waited if s.stdin_last_s is not None)
                    if seen_all else None)


def retried(probes: Sequence[Seen]) -> list[Seen]:
    """The probe processes that ran a probe (one interpreter, one program) already run in this
    suite: every one but the first, by start."""
    firsts: set[str] = set()
    out = []
    for seen in sorted(probes, key=lambda s: s.first_s):
        program = seen.cmdline.split(" --", 1)[0]  # interpreter and probe program
        if program in firsts:
            out.append(seen)
        firsts.add(program)
    return out


def import_sequence() -> dict[str, Run]:
    """Each framework imported in a fresh process, one after another, as the probes see them."""
    out: dict[str, Run] = {}
    with tempfile.TemporaryDirectory(prefix="dlselect-bench-") as tmp:
        for name, module, python in FRAMEWORKS:
            if not python.exists():
                out[name] = Run([str(python)], None, 0.0, 0.0, "", "",
                                error=f"interpreter not found: {python.relative_to(ROOT)}")
                continue
            out[name] = run([python, "-c", f"import {module}"], timeout_s=180, cwd=tmp,
                            env=child_env(), sample_tree=True)
    return out


def measure(runs: int) -> Section:
    sec = Section()
    got = interleaved(runs, {
        "all": lambda: suite(()),
        "imports": import_sequence,
        "five": lambda: suite(NAMED_FRAMEWORKS),
    }, "b: probe suite")
    names_all = [f for f, _, _ in FRAMEWORKS]

    def baseline(names: Sequence[str]) -> list[float | None]:
        out: list[float | None] = []
        for seq in got["imports"]:
            parts = [seq[n] for n in names]
            out.append(sum(p.wall_s for p in parts if p.ok) if any(p.ok for p in parts)
                       else None)
        return out

    base_all, base_five = baseline(names_all), baseline(NAMED_FRAMEWORKS)
    import_failures = sorted({f"import of {n}: {seq[n].failure()}" for seq in got["imports"]
                              for n in names_all if not seq[n].ok})
    figs: list[Figure] = []
    details: list[str] = []
    earlier: list[str] = []
    per_fw: dict[str, list[str]] = {}
    for key, label, wanted, base in (
            ("all", "default suite (six frameworks, incl. pytensor; training steps included)",
             names_all, base_all),
            ("five", "`--framework` torch, tensorflow, numba, jax, mxnet", list(NAMED_FRAMEWORKS),
             base_five)):
        runs_ = got[key]
        suite_walls = [s.wall for s in runs_]
        fails = [s.run.failure() for s in runs_ if not s.run.ok]
        probe_fails = sorted({f"{fw}: {st}" for s in runs_ for fw, st in s.statuses.items()
                              if fw in wanted and st != "ok"})
        fig = Figure(f"b.{key}", f"b. probe suite / imports: {label}", "x",
                     ratios(suite_walls, base), f"<= {SUITE_RATIO_TARGET:g}x",
                     lambda m: m <= SUITE_RATIO_TARGET, 5,
                     fails + [f"probe {p}" for p in probe_fails] + import_failures)
        peaks = [s.run.tree_peak_mb for s in runs_ if s.run.ok and s.run.tree_peak_mb]
        mem = Figure(f"b.{key}.mem", f"b. peak memory of the process tree: {label}", "MB",
                     [p for p in peaks if p is not None], failures=fails)
        figs += [fig, mem]
        p = phases(runs_, base, wanted)
        details.append(
            f"| {label} | {fmt_opt(p.wall, 's')} | {fmt_opt(p.base, 's')} | "
            f"{fmt_opt(p.pre, 's')} | {fmt_opt(p.imports, 's')} | "
            f"{fmt_opt(p.measuring, 's')} | {fmt_opt(p.turns, 's')} | "
            f"{fmt_opt(p.first_calls, 's')} | "
            f"{fmt_opt(p.sampling, 's')} | {fmt_opt(p.train_first, 's')} | "
            f"{fmt_opt(p.train_sampling, 's')} | {fmt_opt(p.idle, 's')} | "
            + (f"{p.retries:g}, {fmt_opt(p.retry_s, 's')}" if p.retries is not None else "—")
            + f" | {fmt_opt(p.tail, 's')} |")
        before = fig.stats
        if before is not None:
            within_before = sum(v <= SUITE_RATIO_BEFORE_TRAINING for v in fig.values)
            earlier.append(
                f"{label}: median {fmt(before.median, 'x')}, "
                + ("within" if before.median <= SUITE_RATIO_BEFORE_TRAINING else "above")
                + f" it ({within_before}/{len(fig.values)} runs within)")
        if needs_reason(fig):
            fig.reason = suite_reason(p, "suite" if key == "all" else "five-framework suite")
            ok = [s for s in runs_ if s.run.ok]
            by_fw = {fw: (median_or_none([s.train_first.get(fw) for s in ok]),
                          median_or_none([s.train_sampling.get(fw) for s in ok]))
                     for fw in TRAINING if fw in wanted}
            shown = sorted(((fw, a, b) for fw, (a, b) in by_fw.items()
                            if a is not None and b is not None), key=lambda t: -(t[1] + t[2]))
            if fig.reason and shown:
                fig.reason += (" The training steps by framework (first steps + calibration "
                               "and samples, medians): "
                               + ", ".join(f"{fw} {fmt(a, 's')} + {fmt(b, 's')}"
                                           for fw, a, b in shown) + ".")
        if key == "all":
            ok = [s for s in runs_ if s.run.ok]
            for fw in names_all:
                per_fw[fw] = [
                    fmt_opt(median_or_none([s.elapsed.get(fw) for s in ok]), "s"),
                    fmt_opt(median_or_none([s.first_calls.get(fw) for s in ok]), "s"),
                    fmt_opt(median_or_none([s.sampling.get(fw) for s in ok]), "s"),
                    fmt_opt(median_or_none([s.train_first.get(fw) for s in ok]), "s"),
                    fmt_opt(median_or_none([s.train_sampling.get(fw) for s in ok]), "s")]
    sample_cpu = sum(s.run.sampler_cpu_s for k in ("all", "five") for s in got[k])
    sample_wall = sum(s.run.wall_s for k in ("all", "five") for s in got[k])
    sec.figures = figs
    per_import = {n: median_or_none([seq[n].wall_s if seq[n].ok else None
                                     for seq in got["imports"]]) for n in names_all}
    import_peak = {n: median_or_none([seq[n].maxrss_mb if seq[n].ok else None
                                      for seq in got["imports"]]) for n in names_all}
    sec.lines = [
        "`dlselect probe --budget quick --refresh --format json` (each run with a fresh "
        "temporary `XDG_CACHE_HOME`, so nothing comes from the cache), the same with "
        "`--framework torch --framework tensorflow --framework numba --framework jax "
        "--framework mxnet`, and the import baseline, rotated, "
        f"{runs} runs each. The import baseline runs `python -c \"import <framework>\"` for "
        "each framework in a fresh process, one after another (mxnet in `.venv-mxnet`, the "
        "others in `.venv`), with the environment dlselect gives its probes; its time is "
        "the sum of the six (or five) wall times. Each ratio is taken within one round. "
        "PyTensor's compiled C modules live in its own compile directory (under `$HOME`), "
        "not in dlselect's cache, so they stay warm between runs.",
        "",
        "The suites run every op each probe has by default, the training steps included "
        "(`train_cnn`, `train_lstm`, `train_transformer` in torch, tensorflow, jax and mxnet; "
        "docs/training-probes.md). The target, the suite within "
        f"{SUITE_RATIO_TARGET:g}x of the imports, is that of the issue \"Probes that compare "
        "like with like\" for the suite with the training steps; before they joined the "
        f"default ops the target was {SUITE_RATIO_BEFORE_TRAINING:g}x. Against that earlier "
        "target: " + ("; ".join(earlier) or "not measured") + ".",
        "",
        f"Memory: every {SAMPLE_PERIOD_S * 1000:.0f} ms, the VmRSS of the `dlselect` process "
        "and all its descendants (found through the ppid field of `/proc/*/stat`) is summed; "
        "the peak of that sum is reported. RSS counts shared pages (the Python runtime, "
        "common libraries) once per process, so the sum overstates the physical memory "
        f"used. The sampler itself used {100 * sample_cpu / max(sample_wall, 1e-9):.1f} % of "
        "one core while the suites ran.",
        "",
        "Where the time goes (medians over the runs). From the same samples: *before "
        "probes*, `dlselect` start to the first probe process (start-up, discovery); "
        "*imports*, first probe started to the moment every probe is imported and prepared, "
        "waiting for `go` (the last one seen blocked reading its stdin, from "
        "`/proc/PID/syscall`; where that cannot be read, the first moment no probe uses CPU); "
        "*measuring*, from then to the last probe gone; *turns*, within it, the sum over the "
        "probes of the time from each one's `go` (the last sample that saw it waiting) to its "
        "exit. "
        "From the probes' JSON: *first calls*, the sum of the ops' `first_call_s` (JIT and "
        "graph compilation); *samples*, an estimate of calibration plus timed samples, "
        "(samples + 2) x inner loops x median per op. *No probe busy*: the time, anywhere in "
        "the probe phase, in which no probe process used CPU (the runner waiting). *After*: "
        "last probe gone to exit. *Training: first steps* and *training: samples*: the part of "
        "*first calls* and *samples* that the three training-step ops account for. "
        "*Fresh-process re-runs*: probe processes started again for a probe already run in "
        "the suite (to re-measure unstable ops; each imports its framework again), and the "
        "time from the first of them starting to the last one gone, part of *measuring*.",
        "",
        "| suite | wall | import baseline | before probes | imports | measuring | turns | "
        "first calls | samples | training: first steps | training: samples | no probe busy "
        "| fresh-process re-runs | after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *details,
        "",
        "Per framework, default suite (medians):",
        "",
        "| framework | import alone (baseline) | max RSS of the import | probe `elapsed_s` "
        "| first calls | samples | training: first steps | training: samples |",
        "|---|---|---|---|---|---|---|---|",
        *(f"| {n} | {fmt_opt(per_import[n], 's')} | {fmt_opt(import_peak[n], 'MB')} | "
          + " | ".join(per_fw.get(n, ["—"] * 5)) + " |" for n in names_all),
    ]
    return sec


