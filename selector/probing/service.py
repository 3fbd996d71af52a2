"""Discover, run (or take from the cache), and report: one call for the CLI and the engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from selector.errors import DlselectError
from selector.paths import probes_dir
from selector.probing import cache
from selector.probing.catalog import (
    COMPILED_SUFFIX,
    NOT_INSTALLABLE,
    TRAINING_OPS,
    all_names,
    spec_for,
)
from selector.probing.discovery import discover
from selector.probing.environment import child_env, host_facts
from selector.probing.models import Outcome, ProbeReport, ProbeStatus
from selector.probing.runner import Job, Reporter, Timeouts, run_jobs


@dataclass(frozen=True)
class ProbeRequest:
    frameworks: tuple[str, ...] = ()  # empty: all
    pythons: tuple[str, ...] = ()
    budget: str = "quick"
    device: str = "auto"
    refresh: bool = False
    timeouts: Timeouts = field(default_factory=Timeouts)
    #: Search the working folder's ``.venv*`` too (the user opted in: --discover-here).
    discover_here: bool = False
    #: ``--ops``: the ops each probe measures; empty: its default set. The multi-device ops
    #: (allreduce, scaling) run only when named here.
    ops: tuple[str, ...] = ()


#: Ops a probe may be asked for by name (KNOWN_OPS in probes/_ops.py, part of the harness).
KNOWN_OPS = ("gemm", "gemm_tf32", "gemm_fp16", "gemm_bf16", "gemm_naive", "conv2d", "lstm",
             *TRAINING_OPS, *(op + COMPILED_SUFFIX for op in TRAINING_OPS),
             "allreduce", "scaling")
MULTI_DEVICE_OPS = ("allreduce", "scaling")
#: The multi-device ops start worker processes (each importing the framework) and time up to
#: nine buffer sizes: a probe asked for them may measure this long before it is killed.
MULTI_DEVICE_MEASURE_S = 600.0
#: On a GPU the probes grow GEMM and conv2d through up to four sizes each and compile the
#: training steps (torch.compile rows included), which can take minutes before the first sample.
GPU_MEASURE_S = 420.0


def timeouts_for(request: ProbeRequest, gpu: bool = False) -> Timeouts:
    """The request's timeouts, lengthened for the multi-device ops and for probes that measure
    on a GPU (``gpu``: ``on_gpu``)."""
    measure_s = request.timeouts.measure_s
    if set(request.ops) & set(MULTI_DEVICE_OPS):
        measure_s = max(measure_s, MULTI_DEVICE_MEASURE_S)
    if gpu:
        measure_s = max(measure_s, GPU_MEASURE_S)
    if measure_s == request.timeouts.measure_s:
        return request.timeouts
    return replace(request.timeouts, measure_s=measure_s)


def parse_ops(text: str) -> tuple[str, ...]:
    """``--ops a,b``: names checked against the probes' ops (DlselectError otherwise)."""
    names = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    unknown = [n for n in names if n not in KNOWN_OPS]
    if not names or unknown:
        raise DlselectError(f"unknown op(s) for --ops: {', '.join(unknown) or '(none given)'}; "
                            f"allowed: {', '.join(KNOWN_OPS)}")
    return names


def check_frameworks(names: tuple[str, ...]) -> None:
    for name in names:
        if name not in all_names():
            # The probes are named after the Python package they import; the knowledge base
            # after the project, where "torch" is Lua's Torch7.
            tip = ("the probes name PyTorch 'torch' (its Python package); the knowledge base "
                   "calls it 'pytorch' and Torch7 'torch'"
                   if name.strip().lower() in ("pytorch", "torch7") else None)
            raise DlselectError(f"unknown framework {name!r} for --framework; "
                                f"allowed: {', '.join(all_names())}", tip=tip)


def measurement_context() -> dict[str, object]:
    """What changes a figure beyond the interpreter and the host: the GPUs and their driver,
    and the variables the probe runs with (threads, visible devices, precision)."""
    from selector.hardware import gpu_identity

    return {"gpus": gpu_identity(), "env": child_env()}


def probe(request: ProbeRequest, reporter: Reporter | None = None,
          notice: Callable[[str], None] | None = None) -> ProbeReport:
    """Measure (or take from the cache) every requested framework. Measuring holds the
    machine-wide lock (``cache.measurement_lock``): a second dlselect waits, says so through
    ``notice``, then uses the results the first one cached where they fit."""
    check_frameworks(request.frameworks)
    wanted = request.frameworks or tuple(all_names())
    host = host_facts()
    context = measurement_context()
    warnings: list[str] = []
    interpreters = discover(list(request.pythons), here=request.discover_here)
    results: dict[int, Outcome] = {}
    jobs: list[tuple[int, Job, str]] = []
    slot = 0
    for interp in interpreters:
        if interp.error and interp.path in request.pythons:
            warnings.append(interp.error)
    for name in wanted:
        spec = spec_for(name)
        if spec is None:
            results[slot] = Outcome(framework=name, status=ProbeStatus.UNAVAILABLE,
                                    reason=NOT_INSTALLABLE[name])
            slot += 1
            continue
        having = [i for i in interpreters if spec.module in i.found]
        if not having:
            searched = ", ".join(i.path for i in interpreters if not i.error)
            broken = "".join(f"; {i.error}" for i in interpreters if i.error)
            results[slot] = Outcome(framework=name, status=ProbeStatus.UNAVAILABLE,
                                    reason=f"not installed in any interpreter searched "
                                           f"({searched}){broken}")
            slot += 1
            continue
        for interp in having:
            job = Job(framework=name, interpreter=interp.path,
                      program=probes_dir() / spec.program, version=interp.found[spec.module],
                      budget=request.budget, device=request.device, ops=request.ops)
            key = cache.cache_key(interpreter=job.interpreter, framework=name,
                                  version=job.version, host_id=str(host["id"]),
                                  budget=job.budget, device=job.device, program=job.program,
                                  context={**context, "ops": list(request.ops)}
                                  if request.ops else context)
            cached = None if request.refresh else _cached(key, warnings)
            if cached is not None:
                results[slot] = cached
            else:
                jobs.append((slot, job, key))
            slot += 1
    if jobs:
        waited: list[str] = []

        def wait() -> None:
            waited.append("yes")
            if notice is not None:
                notice("another dlselect is measuring on this machine; waiting for it to "
                       "finish, then using its fresh results where they fit")

        with cache.measurement_lock(wait):
            if waited:  # the other run may have just measured what this one needs
                fresh = [(i, j, k, _cached(k, warnings)) for i, j, k in jobs]
                results.update({i: c for i, _, _, c in fresh if c is not None})
                jobs = [(i, j, k) for i, j, k, c in fresh if c is None]
            _measure(jobs, request, reporter, results, warnings, on_gpu(request, context))
    ordered = [results[i] for i in sorted(results)]
    return ProbeReport(host=host, budget=request.budget, results=ordered, warnings=warnings)


def on_gpu(request: ProbeRequest, context: dict[str, object]) -> bool:
    """Whether the probes will measure a GPU (asked for, or ``auto`` with one present, from
    ``measurement_context``): then they prepare one at a time too."""
    if request.device != "auto":
        return request.device == "gpu"
    return bool(context.get("gpus"))


def _cached(key: str, warnings: list[str]) -> Outcome | None:
    try:
        return cache.load(key)
    except cache.CorruptEntry as exc:
        warnings.append(f"ignored a corrupt cache entry and measured again: {exc}")
        return None


def _previous(key: str) -> Outcome | None:
    """The entry a new measurement replaces, for its earlier medians; a corrupt one (already
    reported when it was looked up) has none to give."""
    try:
        return cache.load(key)
    except cache.CorruptEntry:
        return None


def unstable_ops(outcome: Outcome) -> list[str]:
    return [name for name, op in outcome.ops.items() if op.unstable]


def _measure(jobs: list[tuple[int, Job, str]], request: ProbeRequest, reporter: Reporter | None,
             results: dict[int, Outcome], warnings: list[str], serial: bool) -> None:
    """Run the jobs and cache only stable results. Each probe measures an unstable op again
    itself, in the same process, before it reports (probes/_timing.py ``measure``: up to three
    more sets of samples, the steadiest kept), so a second probe process, which would import the
    framework and compile the op again, is never needed. A figure still unstable is kept (with
    its interquartile range, which the ranking carries as its uncertainty) and reported, never
    cached."""
    outcomes = run_jobs([j for _, j, _ in jobs], timeouts=timeouts_for(request, serial),
                        reporter=reporter, one_at_a_time=serial)
    for (index, job, key), fresh in zip(jobs, outcomes, strict=True):
        outcome = cache.with_earlier(fresh, _previous(key)) if fresh.ops else fresh
        results[index] = outcome
        if outcome.machine_changes:
            warnings.append(f"{job.framework}: the machine changed while measuring: "
                            f"{'; '.join(outcome.machine_changes)}; its figures may not "
                            "describe the machine at its usual speed")
        noisy = unstable_ops(outcome)
        if outcome.status is ProbeStatus.OK and not noisy:
            cache.store(key, outcome)
        elif noisy:
            warnings.append(f"{job.framework}: {', '.join(noisy)} still unstable after the "
                            "probe's re-measurements (interquartile range above 10% of the "
                            "median); not cached, and ranked with its uncertainty")
