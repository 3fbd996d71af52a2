"""Discover, run (or take from the cache), and report: one call for the CLI and the engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from selector.errors import DlselectError
from selector.paths import probes_dir
from selector.probing import cache
from selector.probing.catalog import NOT_INSTALLABLE, all_names, spec_for
from selector.probing.discovery import discover
from selector.probing.environment import host_facts
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


def check_frameworks(names: tuple[str, ...]) -> None:
    for name in names:
        if name not in all_names():
            raise DlselectError(f"unknown framework {name!r} for --framework; "
                                f"allowed: {', '.join(all_names())}")


def probe(request: ProbeRequest, reporter: Reporter | None = None) -> ProbeReport:
    check_frameworks(request.frameworks)
    wanted = request.frameworks or tuple(all_names())
    host = host_facts()
    warnings: list[str] = []
    interpreters = discover(list(request.pythons))
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
                      budget=request.budget, device=request.device)
            key = cache.cache_key(interpreter=job.interpreter, framework=name,
                                  version=job.version, host_id=str(host["id"]),
                                  budget=job.budget, device=job.device, program=job.program)
            cached = None
            if not request.refresh:
                try:
                    cached = cache.load(key)
                except cache.CorruptEntry as exc:
                    warnings.append(f"ignored a corrupt cache entry and measured again: {exc}")
            if cached is not None:
                results[slot] = cached
            else:
                jobs.append((slot, job, key))
            slot += 1
    outcomes = run_jobs([j for _, j, _ in jobs], timeouts=request.timeouts, reporter=reporter)
    for (index, _, key), outcome in zip(jobs, outcomes, strict=True):
        results[index] = outcome
        if outcome.status is ProbeStatus.OK:
            cache.store(key, outcome)
    ordered = [results[i] for i in sorted(results)]
    return ProbeReport(host=host, budget=request.budget, results=ordered, warnings=warnings)

