"""(knowledge + probe results) -> speed scores and hardware facts (docs/probes-in-ranking.md).

Measured speed enters the ``speed`` criterion of every framework a probe speaks for:

1. the operations that matter for the task: ``cnn`` -> conv2d and gemm, ``rnn`` -> lstm,
   ``transformer`` -> gemm (attention and feed-forward layers are matrix products), no task ->
   gemm, conv2d and lstm;
2. for each operation, each framework's GFLOP/s divided by the best framework's (so 1 is the
   fastest measured here); a framework's speed ratio is the geometric mean over the operations
   it measured;
3. the ratio maps onto the snapshot's scale, ``probe = min + (max - min) * ratio``;
4. the score used is ``(1 - PROBE_WEIGHT) * knowledge + PROBE_WEIGHT * probe``.

With fewer than two frameworks measured there is nothing to compare, and speed stays as the
knowledge base has it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from selector.models import Exclusion, Measurement, Profile, Snapshot
from selector.probing.catalog import spec_for
from selector.probing.models import Outcome, ProbeStatus
from selector.vocab import Hardware, Task

#: Share of the speed score that comes from live measurement.
PROBE_WEIGHT = 0.5
SPEED = "speed"
TASK_OPS: dict[Task | None, tuple[str, ...]] = {
    Task.CNN: ("conv2d", "gemm"),
    Task.RNN: ("lstm",),
    Task.TRANSFORMER: ("gemm",),
    None: ("gemm", "conv2d", "lstm"),
}
GPU_HARDWARE = {Hardware.GPU, Hardware.MULTI_GPU, Hardware.MULTI_NODE}


def best_by_framework(snapshot: Snapshot, outcomes: Sequence[Outcome]) -> dict[str, Outcome]:
    """For each knowledge-base framework a probe speaks for, its measurement with the most
    operations (then the fastest GEMM) when several interpreters measured it."""
    ids = {f.id for f in snapshot.frameworks}
    best: dict[str, Outcome] = {}
    for outcome in outcomes:
        spec = spec_for(outcome.framework)
        if outcome.status is not ProbeStatus.OK or spec is None:
            continue
        for kb_id in spec.kb_ids:
            if kb_id not in ids:
                continue
            current = best.get(kb_id)
            if current is None or _rank_key(outcome) > _rank_key(current):
                best[kb_id] = outcome
    return best


def _rank_key(outcome: Outcome) -> tuple[int, float]:
    gemm = outcome.ops.get("gemm")
    return len(outcome.ops), gemm.gflops if gemm else 0.0


def measure_speed(snapshot: Snapshot, profile: Profile, outcomes: Sequence[Outcome],
                  ) -> tuple[Snapshot, list[Measurement], list[str]]:
    """The snapshot with blended speed scores, what was measured, and warnings."""
    if SPEED not in {c.id for c in snapshot.criteria}:
        return snapshot, [], [f"snapshot {snapshot.id} has no speed criterion; probes unused"]
    measured = best_by_framework(snapshot, outcomes)
    if len(measured) < 2:
        names = ", ".join(measured) or "none"
        return snapshot, [], [f"probes measured fewer than two frameworks of snapshot "
                              f"{snapshot.id} ({names}); speed stays as the knowledge base has it"]
    ops = TASK_OPS[profile.task]
    best = {op: max((o.ops[op].gflops for o in measured.values() if op in o.ops), default=0.0)
            for op in ops}
    low, high = snapshot.scale.min, snapshot.scale.max
    results: list[Measurement] = []
    new_values: dict[str, float] = {}
    for kb_id, outcome in measured.items():
        used = [op for op in ops if op in outcome.ops and best[op] > 0]
        if not used:
            continue
        ratios = [outcome.ops[op].gflops / best[op] for op in used]
        ratio = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        probe_value = low + (high - low) * ratio
        knowledge = snapshot.score(kb_id, SPEED).value
        value = (1 - PROBE_WEIGHT) * knowledge + PROBE_WEIGHT * probe_value
        new_values[kb_id] = value
        results.append(Measurement(
            framework=kb_id, criterion=SPEED, probe=outcome.framework, version=outcome.version,
            interpreter=outcome.interpreter, ops={op: round(outcome.ops[op].gflops, 3)
                                                   for op in used},
            ratio=round(ratio, 6), knowledge_value=knowledge, probe_value=round(probe_value, 6),
            value=round(value, 6)))
    scores = [s.model_copy(update={"value": new_values[s.framework]})
              if s.criterion == SPEED and s.framework in new_values else s
              for s in snapshot.scores]
    return snapshot.model_copy(update={"scores": scores}), results, []


def gpu_exclusions(snapshot: Snapshot, profile: Profile, outcomes: Sequence[Outcome],
                   ) -> tuple[list[Exclusion], list[str]]:
    """Frameworks whose installed build cannot see the GPU that others see here."""
    if not GPU_HARDWARE & set(profile.hardware):
        return [], []
    measured = best_by_framework(snapshot, outcomes)
    sees = {fid: any(d.kind == "gpu" for d in o.devices) for fid, o in measured.items()}
    if not any(sees.values()):
        if measured:
            return [], ["no probed framework sees a GPU on this machine; live figures are CPU "
                        "figures, and GPU support comes from the knowledge base alone"]
        return [], []
    seeing = ", ".join(sorted(f for f, s in sees.items() if s))
    excluded = [Exclusion(framework=fid, name=snapshot.framework(fid).name,
                          reason=f"the installed {measured[fid].framework} "
                                 f"{measured[fid].version} sees no GPU on this machine "
                                 f"(a CPU-only build?), while {seeing} does")
                for fid, s in sees.items() if not s]
    return excluded, []
