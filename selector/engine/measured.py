"""(knowledge + probe results) -> speed scores and hardware facts (docs/probes-in-ranking.md).

Measured speed enters the ``speed`` criterion of every framework a probe speaks for, like with
like only:

1. the device class: a team that trains on NVIDIA GPUs counts figures of CUDA GPUs only, a
   team on AMD GPUs figures of ROCm GPUs only, a CPU team CPU figures only; figures measured on
   another class are shown with the reason and not blended. The class of a GPU is what the
   probe's framework tells (``device_class`` of the probe's devices; a GPU of an older document
   without one is a CUDA GPU). A team whose hardware no probe measures (TPU, Apple-silicon
   GPU) blends nothing. With no hardware given, the class most measured frameworks ran on
   counts;
2. the operations that matter for the task: the task's training step (``train_cnn``,
   ``train_lstm``, ``train_transformer``; all three without a task) where at least two
   frameworks measured it, else the kernels: ``cnn`` -> conv2d and gemm, ``rnn`` -> lstm,
   ``transformer`` -> gemm, no task -> gemm, conv2d and lstm. A framework's rate for an op is
   its best row for it (PyTorch eager or compiled);
3. for each operation, each framework's rate (GFLOP/s, or samples/s for a training step)
   divided by the best framework's; where a framework's interval (median +- half the
   interquartile range) overlaps the best's, the two are equally fast (ratio 1). A framework's
   ratio is the geometric mean over the operations it measured, with a range from the
   intervals;
4. the ratio maps onto the snapshot's scale, ``probe = min + (max - min) * ratio``;
5. the score used is ``(1 - PROBE_WEIGHT) * knowledge + PROBE_WEIGHT * probe``.

With fewer than two frameworks measured on the counted class there is nothing to compare, and
speed stays as the knowledge base has it.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from selector.models import Exclusion, Measurement, Profile, Snapshot
from selector.probing import catalog
from selector.probing.catalog import spec_for
from selector.probing.models import OpResult, Outcome, ProbeStatus
from selector.vocab import Axis

#: Share of the speed score that comes from live measurement.
PROBE_WEIGHT = 0.5
SPEED = "speed"
#: The ops that speak for speed when the team names no workload (or none that names ops).
DEFAULT_KERNELS = ("gemm", "conv2d", "lstm")
#: The device classes (a hardware target's ``device_class``) whose figures the probes here
#: report, and the probe device each is on (``OpResult.device``): the probes tell a CPU from a
#: GPU, and the framework tells whose GPU (CUDA or ROCm). In the order a team's classes count.
MEASURED_CLASSES = {"cuda": "gpu", "rocm": "gpu", "cpu": "cpu"}
#: How a class reads in reasons and warnings.
CLASS_LABELS = {"cpu": "CPU", "cuda": "CUDA GPU", "rocm": "ROCm GPU"}


def workload_ops(snapshot: Snapshot, profile: Profile) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The training-step ops and the kernels that speak for the team's workloads (each
    workload target names its own), in catalog order; all of them without a workload."""
    targets = [snapshot.target(Axis.WORKLOAD, w) for w in profile.workloads]
    training = {op for t in targets if t is not None for op in t.training}
    kernels = {op for t in targets if t is not None for op in t.kernels}
    if not training and not kernels:
        return catalog.TRAINING_OPS, DEFAULT_KERNELS
    ordered_training = tuple(op for op in catalog.TRAINING_OPS if op in training)
    ordered_kernels = tuple(op for op in DEFAULT_KERNELS if op in kernels)
    return ordered_training or catalog.TRAINING_OPS, ordered_kernels or DEFAULT_KERNELS


def device_classes(snapshot: Snapshot, profile: Profile) -> dict[str, str | None]:
    """hardware target -> its device class, for the team's hardware."""
    result: dict[str, str | None] = {}
    for hw in profile.hardware:
        target = snapshot.target(Axis.HARDWARE, hw)
        result[hw] = target.device_class if target is not None else None
    return result


def team_gpu_class(snapshot: Snapshot, profile: Profile) -> str | None:
    """The class of the GPUs the team trains on that the probes here can see (``cuda`` or
    ``rocm``; CUDA first where the team names both), or None."""
    classes = set(device_classes(snapshot, profile).values())
    return next((c for c, d in MEASURED_CLASSES.items() if d == "gpu" and c in classes), None)


def gpu_class(outcome: Outcome) -> str:
    """The class of the GPU the probe measured on: its first GPU's (the probes run on GPU 0);
    ``cuda`` where the document does not say (what the probes always meant)."""
    gpus = sorted((d for d in outcome.devices if d.kind == "gpu"),
                  key=lambda d: d.index if d.index is not None else 0)
    return gpus[0].vendor_class if gpus else "cuda"


def figure_class(outcome: Outcome, result: OpResult) -> str:
    """The device class one figure was measured on."""
    return gpu_class(outcome) if result.device == "gpu" else result.device


def measured_classes(outcome: Outcome) -> set[str]:
    return {figure_class(outcome, r) for r in outcome.ops.values()}


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
    return len(outcome.ops), (gemm.gflops or 0.0) if gemm else 0.0


@dataclass(frozen=True)
class Rate:
    """An op's rate and its interval from the interquartile range."""

    value: float
    low: float
    high: float
    unstable: bool
    #: probe runs behind the figure: this one and the earlier ones kept in the cache
    runs: int = 1


def rate(result: OpResult) -> Rate | None:
    """GFLOP/s for a kernel, samples/s for a training step; None when neither is known.

    The interval is the run's median +- half its interquartile range; where earlier runs of the
    same op are known (``earlier_median_s``), the rate is the median over the runs' medians and
    the interval stretches to cover every run's median too: the drift between runs, which one
    run's spread does not show."""
    per_s = result.samples_per_s  # training steps: examples per second
    work = result.flops / 1e9 if result.flops else (per_s * result.median_s if per_s else None)
    if not work:
        return None
    half = result.iqr_s / 2
    runs = [result.median_s, *result.earlier_median_s]
    slowest = max(result.median_s + half, *runs)
    fastest = min(max(result.median_s - half, result.median_s / 1e3), *runs)
    return Rate(value=work / statistics.median(runs), low=work / slowest, high=work / fastest,
                unstable=result.unstable, runs=len(runs))


def op_rate(outcome: Outcome, op: str, device_class: str) -> Rate | None:
    """The framework's best row for ``op`` on a device of ``device_class`` (e.g. train_cnn and
    train_cnn_compiled), or None."""
    rows = [rate(r) for name, r in outcome.ops.items()
            if (name == op or name.startswith(f"{op}_"))
            and figure_class(outcome, r) == device_class
            and not name.startswith(("gemm_fp16", "gemm_bf16", "gemm_tf32"))]
    found = [r for r in rows if r is not None]
    return max(found, key=lambda r: r.value) if found else None


def target_device(profile: Profile, measured: dict[str, Outcome],
                  snapshot: Snapshot | None = None) -> tuple[str | None, str]:
    """The device class whose figures count (``cuda``, ``rocm``, ``cpu``), and why."""
    classes = device_classes(snapshot, profile) if snapshot is not None else {}
    why = {"cuda": "the team trains on NVIDIA GPUs", "rocm": "the team trains on AMD GPUs",
           "cpu": "the team trains on CPUs"}
    for cls in MEASURED_CLASSES:
        if cls in classes.values():
            return cls, why[cls]
    if profile.hardware:
        names = ", ".join(sorted(h for h, c in classes.items() if c not in MEASURED_CLASSES))
        return None, (f"the probes measure CPUs, NVIDIA and AMD GPUs; nothing here speaks for "
                      f"{names}")
    ran = Counter(c for o in measured.values() for c in measured_classes(o))
    if not ran:
        return None, "no operation was measured"
    top = max(ran.items(), key=lambda kv: (kv[1], kv[0] != "cpu", kv[0] == "cuda"))[0]
    return top, f"most measured frameworks ran on the {_label(top)}"


def measure_speed(snapshot: Snapshot, profile: Profile, outcomes: Sequence[Outcome],
                  ) -> tuple[Snapshot, list[Measurement], list[str]]:
    """The snapshot with blended speed scores, what was measured, and warnings."""
    if SPEED not in {c.id for c in snapshot.criteria}:
        return snapshot, [], [f"snapshot {snapshot.id} has no speed criterion; probes unused"]
    measured = best_by_framework(snapshot, outcomes)
    cls, why = target_device(profile, measured, snapshot)
    team = "the team's " if profile.hardware else "the "
    shown = [_not_blended(snapshot, fid, o, why if cls is None else
                          f"measured on the {_classes(o)}, not {team}{_label(cls)}: {why}")
             for fid, o in measured.items()
             if cls is None or cls not in measured_classes(o)]
    if cls is None:
        return snapshot, shown, [f"live speed figures are shown, not blended: {why}"]
    comparable = {fid: o for fid, o in measured.items() if cls in measured_classes(o)}
    if len(comparable) < 2:
        names = ", ".join(comparable) or "none"
        return snapshot, shown, [f"probes measured fewer than two frameworks of snapshot "
                                 f"{snapshot.id} on the {_label(cls)} ({names}); speed stays "
                                 "as the knowledge base has it"]
    device = MEASURED_CLASSES.get(cls, cls)
    ops = _ops_for(workload_ops(snapshot, profile), comparable, cls)
    rates = {fid: {op: r for op in ops if (r := op_rate(o, op, cls)) is not None}
             for fid, o in comparable.items()}
    best = {op: max((r[op] for r in rates.values() if op in r), key=lambda x: x.value)
            for op in ops if any(op in r for r in rates.values())}
    low, high = snapshot.scale.min, snapshot.scale.max
    results: list[Measurement] = list(shown)
    new_values: dict[str, float] = {}
    for kb_id, outcome in comparable.items():
        used = [op for op in ops if op in rates[kb_id] and op in best]
        if not used:
            continue
        ratios = [_ratio(rates[kb_id][op], best[op]) for op in used]
        ratio, ratio_low, ratio_high = (_geomean([r[i] for r in ratios]) for i in range(3))
        probe_value = low + (high - low) * ratio
        knowledge = snapshot.score(kb_id, SPEED).value
        value = (1 - PROBE_WEIGHT) * knowledge + PROBE_WEIGHT * probe_value
        new_values[kb_id] = value
        results.append(Measurement(
            framework=kb_id, criterion=SPEED, probe=outcome.framework, version=outcome.version,
            interpreter=outcome.interpreter,
            ops={op: round(rates[kb_id][op].value, 3) for op in used},
            ratio=round(ratio, 6), knowledge_value=knowledge, probe_value=round(probe_value, 6),
            value=round(value, 6), device=device, ratio_low=round(ratio_low, 6),
            ratio_high=round(ratio_high, 6),
            unstable=any(rates[kb_id][op].unstable for op in used),
            runs=min(rates[kb_id][op].runs for op in used)))
    scores = [s.model_copy(update={"value": new_values[s.framework]})
              if s.criterion == SPEED and s.framework in new_values else s
              for s in snapshot.scores]
    return snapshot.model_copy(update={"scores": scores}), results, []


def _ops_for(ops: tuple[tuple[str, ...], tuple[str, ...]], comparable: dict[str, Outcome],
            device_class: str) -> tuple[str, ...]:
    """The workload's training steps where at least two frameworks measured each, else its
    kernels."""
    training, kernels = ops
    if all(sum(op_rate(o, op, device_class) is not None for o in comparable.values()) >= 2
           for op in training):
        return training
    return kernels


def _ratio(mine: Rate, best: Rate) -> tuple[float, float, float]:
    """(ratio, low, high) against the best; 1 where the intervals overlap."""
    high = min(1.0, mine.high / best.low)
    low = min(1.0, mine.low / best.high)
    ratio = 1.0 if mine.high >= best.low else mine.value / best.value
    return ratio, low, high


def _geomean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(max(v, 1e-12)) for v in values) / len(values))


def _devices(outcome: Outcome) -> str:
    return "/".join(sorted({r.device.upper() for r in outcome.ops.values()})) or "nothing"


def _label(device_class: str) -> str:
    return CLASS_LABELS.get(device_class, device_class.upper())


def _classes(outcome: Outcome) -> str:
    return "/".join(sorted(_label(c) for c in measured_classes(outcome))) or "nothing"


def _not_blended(snapshot: Snapshot, kb_id: str, outcome: Outcome, reason: str) -> Measurement:
    knowledge = snapshot.score(kb_id, SPEED).value
    ops = {name: round(r.value, 3) for name, result in outcome.ops.items()
           if (r := rate(result)) is not None}
    return Measurement(framework=kb_id, criterion=SPEED, probe=outcome.framework,
                       version=outcome.version, interpreter=outcome.interpreter, ops=ops,
                       ratio=1.0, knowledge_value=knowledge, probe_value=knowledge,
                       value=knowledge, device=_devices(outcome).lower(), blended=False,
                       reason=reason)


def gpu_exclusions(snapshot: Snapshot, profile: Profile, outcomes: Sequence[Outcome],
                   ) -> tuple[list[Exclusion], list[str]]:
    """Frameworks whose installed build cannot see the GPU of the team's class (CUDA, ROCm)
    that others see here."""
    cls = team_gpu_class(snapshot, profile)
    if cls is None:
        return [], []
    measured = best_by_framework(snapshot, outcomes)
    sees = {fid: any(d.kind == "gpu" and d.vendor_class == cls for d in o.devices)
            for fid, o in measured.items()}
    if not any(sees.values()):
        if measured:
            return [], [f"no probed framework sees a {_label(cls)} on this machine; the live "
                        f"figures of other devices are shown, not blended, for a team on "
                        f"{_label(cls)}s"]
        return [], []
    seeing = ", ".join(sorted(f for f, s in sees.items() if s))
    excluded = [Exclusion(framework=fid, name=snapshot.framework(fid).name,
                          reason=f"the installed {measured[fid].framework} "
                                 f"{measured[fid].version} sees no {_label(cls)} on this "
                                 f"machine (a CPU-only build, or one for another vendor?), "
                                 f"while {seeing} does")
                for fid, s in sees.items() if not s]
    return excluded, []


# --------------------------------------------------------------------------- multi-device

#: Criteria fed by multi-device probes, and from which result (docs/probes-in-ranking.md).
MULTI_GPU = "multi_gpu"
DISTRIBUTED = "distributed"


def _interval(value: float, low: float, high: float, unstable: bool) -> Rate:
    return Rate(value=value, low=max(low, 0.0), high=max(high, value), unstable=unstable)


def scaling_rate(outcome: Outcome) -> Rate | None:
    """Scaling efficiency, t_1 / t_n per device-batch, with its interval from both runs'
    interquartile ranges."""
    s = outcome.multi_device.scaling if outcome.multi_device else None
    if s is None:
        return None
    one, many = s.single, s.multi
    # efficiency = thr_n / (n thr_1); thr = examples / median: the interval moves both medians.
    low = s.efficiency * (one.median_s - one.iqr_s / 2) / one.median_s \
        * many.median_s / (many.median_s + many.iqr_s / 2)
    high = s.efficiency * (one.median_s + one.iqr_s / 2) / one.median_s \
        * many.median_s / max(many.median_s - many.iqr_s / 2, many.median_s / 1e3)
    return _interval(s.efficiency, low, high, one.unstable or many.unstable)


def bus_rate(outcome: Outcome, inter_node: bool = False) -> Rate | None:
    """The all-reduce's peak bus bandwidth (GB/s), with its interval from that size's IQR."""
    multi = outcome.multi_device
    result = (multi.inter_node if inter_node else multi.allreduce) if multi else None
    if result is None:
        return None
    row = max(result.sizes, key=lambda r: r.bus_gbps)
    half = row.iqr_s / 2
    return _interval(row.bus_gbps, row.bus_gbps * row.median_s / (row.median_s + half),
                     row.bus_gbps * row.median_s / max(row.median_s - half, row.median_s / 1e3),
                     row.unstable)


def measure_multi_device(snapshot: Snapshot, outcomes: Sequence[Outcome],
                         ) -> tuple[Snapshot, list[Measurement], list[str]]:
    """Real multi-GPU figures into ``multi_gpu`` (scaling efficiency where at least two
    frameworks measured it, else the all-reduce's peak bus bandwidth) and real inter-node
    all-reduce figures into ``distributed``, the way GEMM feeds ``speed``: ratio to the best,
    mapped onto the scale, blended half and half. Simulated figures (devices simulated on CPU
    cores, or nodes of one machine) are listed, never blended."""
    results: list[Measurement] = []
    warnings: list[str] = []
    criteria = {c.id for c in snapshot.criteria}
    ids = {f.id for f in snapshot.frameworks}
    for criterion, metrics in (
        (MULTI_GPU, (("scaling_efficiency", scaling_rate, "scaling"),
                     ("allreduce_bus_gbps", bus_rate, "allreduce"))),
        (DISTRIBUTED, (("inter_node_bus_gbps", lambda o: bus_rate(o, True), "inter_node"),)),
    ):
        if criterion not in criteria:
            continue
        real: dict[str, dict[str, tuple[Outcome, Rate]]] = {}
        for outcome in outcomes:
            spec = spec_for(outcome.framework)
            if outcome.status is not ProbeStatus.OK or spec is None or not outcome.multi_device:
                continue
            for metric, measure, field in metrics:
                result = getattr(outcome.multi_device, field)
                found = measure(outcome)
                if result is None or found is None:
                    continue
                for kb_id in (k for k in spec.kb_ids if k in ids):
                    if result.simulated or result.device != "gpu" and field != "inter_node":
                        results.append(_multi_not_blended(
                            snapshot, kb_id, criterion, outcome, metric, found, result.device,
                            "simulated devices (CPU cores standing in for devices, or nodes "
                            "of one machine): shown, never ranked" if result.simulated else
                            f"measured on {result.device.upper()} devices, not GPUs"))
                        continue
                    current = real.setdefault(metric, {}).get(kb_id)
                    if current is None or found.value > current[1].value:
                        real[metric][kb_id] = (outcome, found)
        chosen = next((m for m, _, _ in metrics if len(real.get(m, {})) >= 2), None)
        if chosen is None:
            if any(real.values()):
                names = ", ".join(sorted({k for r in real.values() for k in r}))
                warnings.append(f"real {criterion} figures from fewer than two frameworks "
                                f"({names}); {criterion} stays as the knowledge base has it")
            continue
        snapshot, blended = _blend(snapshot, criterion, chosen, real[chosen])
        results += blended
    return snapshot, results, warnings


def _blend(snapshot: Snapshot, criterion: str, metric: str,
           rates: dict[str, tuple[Outcome, Rate]]) -> tuple[Snapshot, list[Measurement]]:
    best = max((r for _, r in rates.values()), key=lambda r: r.value)
    low, high = snapshot.scale.min, snapshot.scale.max
    results = []
    new_values: dict[str, float] = {}
    for kb_id, (outcome, found) in rates.items():
        ratio, ratio_low, ratio_high = _ratio(found, best)
        probe_value = low + (high - low) * ratio
        knowledge = snapshot.score(kb_id, criterion).value
        value = (1 - PROBE_WEIGHT) * knowledge + PROBE_WEIGHT * probe_value
        new_values[kb_id] = value
        results.append(Measurement(
            framework=kb_id, criterion=criterion, probe=outcome.framework,
            version=outcome.version, interpreter=outcome.interpreter,
            ops={metric: round(found.value, 6)}, ratio=round(ratio, 6),
            knowledge_value=knowledge, probe_value=round(probe_value, 6), value=round(value, 6),
            device="gpu", ratio_low=round(ratio_low, 6), ratio_high=round(ratio_high, 6),
            unstable=found.unstable))
    scores = [s.model_copy(update={"value": new_values[s.framework]})
              if s.criterion == criterion and s.framework in new_values else s
              for s in snapshot.scores]
    return snapshot.model_copy(update={"scores": scores}), results


def _multi_not_blended(snapshot: Snapshot, kb_id: str, criterion: str, outcome: Outcome,
                       metric: str, found: Rate, device: str, reason: str) -> Measurement:
    knowledge = snapshot.score(kb_id, criterion).value
    return Measurement(framework=kb_id, criterion=criterion, probe=outcome.framework,
                       version=outcome.version, interpreter=outcome.interpreter,
                       ops={metric: round(found.value, 6)}, ratio=1.0,
                       knowledge_value=knowledge, probe_value=knowledge, value=knowledge,
                       device=device, blended=False, reason=reason)
