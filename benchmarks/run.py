"""dlselect's benchmark suite: measure, then write docs/benchmarks.md.

    .venv/bin/python benchmarks/run.py            # the committed figures (>= 5 runs each)
    .venv/bin/python benchmarks/run.py --quick    # fewer repeats, for a quick look

Every figure is measured side by side with what it is compared to, the commands interleaved
(A, B, A, B, ..., the order rotated each round) after waiting for a quiet CPU, and reported as
the median with its spread. Six parts:

a. CLI latency and memory (``dlselect --help``, ``recommend --no-probe``): cli_latency.py;
b. the cost of ``dlselect probe --budget quick`` (training steps included) against importing
   the frameworks: probe_suite.py (with suite_phases.py, where its time goes);
c. the accuracy of the quick probe's GEMM against a long dedicated measurement:
   probe_accuracy.py (with gemm_long.py);
d. the vectorised robustness analysis against a per-sample scikit-criteria loop:
   robustness_speed.py (with robustness_worker.py);
e. the quick probe's training steps: their cost, and their samples/s against a long dedicated
   measurement of the same steps: training_steps.py (with train_long.py);
f. the overhead of probing through Ray (``--cluster local:1``) against the same probes run
   locally: cluster_bench.py.

Each part's module has one ``measure(runs)`` returning a ``Section`` (figures and Markdown);
_common.py holds what they share (paths, targets, the interleaved runner), _proc.py and
_stats.py the process and statistics helpers, _machine.py the machine and versions, and
_report.py writes docs/benchmarks.md. This file only parses the arguments and runs the parts.

Every subprocess has a timeout; a missing or failing framework becomes a line in the report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Sequence
from pathlib import Path

import cli_latency
import cluster_bench
import probe_accuracy
import probe_suite
import robustness_speed
import training_steps
from _common import DLSELECT, DOC, MXNET_PY, PARTS, PY, Section, log
from _machine import ENGINE_DISTS, MXNET_DISTS, cpuinfo, source_state, versions
from _report import write_report
from suite_phases import explain_exits


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure dlselect and write "
                                     "docs/benchmarks.md.")
    parser.add_argument("--quick", action="store_true",
                        help="3 runs per figure instead of 5 (below the documented minimum)")
    parser.add_argument("--runs", type=int, help="runs per figure (default 5, --quick 3)")
    parser.add_argument("--only", default=PARTS,
                        help="parts to run, e.g. 'ab' (the others are marked not run)")
    parser.add_argument("--output", type=Path, default=DOC, help="report path")
    args = parser.parse_args(argv)
    args.runs = args.runs or (3 if args.quick else 5)
    args.only = set(args.only) & set(PARTS)
    if args.runs < 1 or not args.only:
        parser.error("--runs must be >= 1 and --only must name at least one of "
                     + ", ".join(PARTS))
    if not DLSELECT.exists():
        parser.error(f"{DLSELECT} not found: run `make setup` first")
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    load0 = os.getloadavg()
    source0 = source_state()
    cpu = cpuinfo()
    engine = versions(PY, ENGINE_DISTS)
    mxnet = versions(MXNET_PY, MXNET_DISTS)
    parts: dict[str, Section] = {}
    for key in PARTS:
        if key not in args.only:
            parts[key] = Section(ran=False)
            continue
        if key == "a":
            parts[key] = cli_latency.measure(args.runs)
        elif key == "b":
            parts[key] = probe_suite.measure(args.runs)
        elif key == "c":
            parts[key] = probe_accuracy.measure(args.runs, cpu)
        elif key == "d":
            parts[key] = robustness_speed.measure(args.runs, 150 if args.quick else 300)
        elif key == "e":
            parts[key] = training_steps.measure(args.runs)
        else:
            parts[key] = Section(*cluster_bench.part_cluster(args.runs, log=log))
    if parts["b"].ran and parts["c"].ran:
        explain_exits(parts["b"], parts["c"].extra.get("overhead", {}))
    runtime = time.perf_counter() - t0
    write_report(args.output, args=args, started=started, runtime_s=runtime, cpu=cpu,
                 engine=engine, mxnet=mxnet, parts=parts, load=(load0, os.getloadavg()),
                 source=(source0, source_state()))
    log(f"wrote {args.output} after {runtime / 60:.1f} min")
    missed = [f.label for sec in parts.values() for f in sec.figures
              if f.verdict in ("MISSED", "NOT MEASURED")]
    for label in missed:
        log(f"missed: {label}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
