"""Benchmark: the overhead of probing through Ray (``dlselect probe --cluster local:1``) against
the same probes run locally (``dlselect probe``), both measured here, interleaved.

    .venv/bin/python benchmarks/cluster_bench.py --runs 1      # a quick look, one round

The two commands measure the same frameworks with the same ops and ``--refresh`` (no cache):
the only difference is that the cluster run starts a private one-node Ray cluster, runs the
probe suite inside a Ray task pinned to that node, and shuts the cluster down. Ray's start-up
(``cluster.startup_s`` of the report: from the start of the private cluster until its node has
registered and the driver is connected) is reported as its own figure and taken out of the
ratio; the target (docs/cluster.md) is

    (cluster wall - Ray start-up) / local wall  <=  1.3

``part_cluster(runs)`` returns the figures and the Markdown lines for benchmarks/run.py, which
wraps them in its Section. Every command has a timeout; a failing one becomes a failure line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

from _proc import QUIET, run
from _stats import Figure, fmt

ROOT = Path(__file__).resolve().parents[1]
DLSELECT = ROOT / ".venv" / "bin" / "dlselect"
#: The probes both commands run: one framework with a heavy import and one light one.
FRAMEWORKS = ("torch", "numba")
OPS = "gemm,conv2d,lstm"
OVERHEAD_TARGET = 1.3
TIMEOUT_S = 900.0


def _argv(cluster: bool, frameworks: Sequence[str]) -> list[str]:
    argv = [str(DLSELECT), "probe", "--ops", OPS, "--budget", "quick", "--refresh",
            "--format", "json"]
    for fw in frameworks:
        argv += ["--framework", fw]
    return argv + (["--cluster", "local:1"] if cluster else [])


def part_cluster(runs: int, frameworks: Sequence[str] = FRAMEWORKS,
                 log: object = None) -> tuple[list[Figure], list[str]]:
    """``runs`` rounds of (local, cluster), the order alternating; figures and report lines."""
    ratio = Figure("f.cluster_overhead", "f. `probe --cluster local:1` less Ray's start-up, "
                   "over the same `probe` run locally", "x",
                   target=f"<= {OVERHEAD_TARGET:g}x", check=lambda m: m <= OVERHEAD_TARGET)
    local_fig = Figure("f.local", "f. `dlselect probe` (local), wall", "s")
    cluster_fig = Figure("f.cluster", "f. `dlselect probe --cluster local:1`, wall", "s")
    startup = Figure("f.ray_startup", "f. Ray start-up of a private one-node cluster "
                     "(`cluster.startup_s`)", "s")
    in_task = Figure("f.node_probe", "f. the probe run inside the Ray task "
                     "(`nodes[0].elapsed_s`)", "s")
    figures = [ratio, local_fig, cluster_fig, startup, in_task]
    rests: list[float] = []  # per round: cluster wall - start-up - the probe run in the task
    for r in range(runs):
        pair: dict[str, float] = {}
        for name in (("local", "cluster") if r % 2 == 0 else ("cluster", "local")):
            QUIET.wait()
            got = run(_argv(name == "cluster", frameworks), timeout_s=TIMEOUT_S, cwd=ROOT)
            if not got.ok:
                for f in figures:
                    f.failures.append(got.failure())
                continue
            pair[name] = got.wall_s
            if name == "cluster":
                doc = json.loads(got.stdout)
                info = doc.get("cluster") or {}
                if info.get("startup_s") is not None:
                    pair["startup"] = float(info["startup_s"])
                nodes = doc.get("nodes") or [{}]
                if nodes[0].get("elapsed_s") is not None:
                    pair["in_task"] = float(nodes[0]["elapsed_s"])
        if callable(log):
            log(f"f: round {r + 1}/{runs}")
        if "local" in pair:
            local_fig.values.append(pair["local"])
        if "cluster" in pair:
            cluster_fig.values.append(pair["cluster"])
        if "startup" in pair:
            startup.values.append(pair["startup"])
        if "in_task" in pair:
            in_task.values.append(pair["in_task"])
        if {"cluster", "startup", "in_task"} <= pair.keys():
            rests.append(pair["cluster"] - pair["startup"] - pair["in_task"])
        if {"local", "cluster", "startup"} <= pair.keys():
            ratio.values.append((pair["cluster"] - pair["startup"]) / pair["local"])
    rest = _median(rests)
    lines = [
        f"The same probes ({', '.join(frameworks)}; ops {OPS}; `--budget quick --refresh`), run "
        "by `dlselect probe` and by `dlselect probe --cluster local:1`, which starts a private "
        "one-node Ray cluster on this machine, runs the probe suite in a Ray task pinned to that "
        "node (Ray's OMP_NUM_THREADS cap removed) and shuts the cluster down. "
        f"{runs} round(s), the order alternating. Ray's start-up is the report's "
        f"`cluster.startup_s` (median {startup.median_text()}): from the start of the private "
        "cluster until its node has registered and this process is connected to it (Ray's "
        "import before it and the worker's start after it are not in it); the "
        "ratio takes it out of the cluster run's wall time, so Ray's import, its task "
        f"scheduling and its shut-down count against the {OVERHEAD_TARGET:g}x target. Inside "
        f"the Ray task the probe run (discovery and probes) took {in_task.median_text()} "
        f"(median); the cluster run's wall time less Ray's start-up and that, {rest} "
        "(median), is the import of Ray, dispatching the task, returning its result and "
        "shutting the cluster down, besides dlselect's own start.",
    ]
    if ratio.verdict == "MISSED":
        ratio.reason = (f"the cluster run took {cluster_fig.median_text()} against "
                        f"{local_fig.median_text()} locally, of which Ray's start-up "
                        f"{startup.median_text()} and the probe run inside the Ray task "
                        f"{in_task.median_text()}; the rest, {rest}, is dlselect's "
                        "start, Ray's import, the task's dispatch and the cluster's shut-down.")
    return figures, lines


def _median(values: list[float]) -> str:
    return fmt(statistics.median(values), "s") if values else "—"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cluster-probe overhead against local probes.")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--framework", action="append", default=None)
    args = parser.parse_args(argv)
    figures, lines = part_cluster(args.runs, tuple(args.framework or FRAMEWORKS),
                                  log=lambda m: print(m, file=sys.stderr))
    for f in figures:
        print(f"{f.label}: median {f.median_text()} ({f.runs_text()} runs) {f.verdict}"
              + (f"; {f.reason}" if f.reason else "")
              + ("".join(f"\n  failed: {x}" for x in f.failures)))
    print("\n".join(lines))
    print(f"(target {fmt(OVERHEAD_TARGET, 'x')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
