"""answers -> profile -> recommendation: the library's one path from a team's answers (flags, an
answers file, the wizard) to a recommendation. The CLI and the wizard go through it, so a saved
session replays to the same result; so can a script:

    >>> from selector import recommend_from_answers
    >>> from selector.answers import load_answers
    >>> rec = recommend_from_answers(load_answers(path))

Nothing here prints: warnings are in ``Recommendation.warnings``, live-probe progress goes
through the ``measure`` the caller passes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from selector.errors import DlselectError
from selector.vocab import Budget, ProbeDevice, allowed

if TYPE_CHECKING:
    from selector.answers import Answers
    from selector.engine.recommend import Decision
    from selector.models import NodeUse, Recommendation
    from selector.probing.models import Outcome, ProbeReport
    from selector.probing.service import ProbeRequest

#: Weight samples of the robustness analysis: a share estimated from 20,000 samples has a
#: standard error of at most 0.35 percentage points (sqrt(0.25 / 20000)).
DEFAULT_SAMPLES = 20_000
MAX_SAMPLES = 10_000_000
#: numpy seeds with a non-negative integer; an answers file stores it as a TOML integer
#: (64-bit signed).
MAX_SEED = 2**63 - 1

#: Runs the live probes of a request and returns their outcomes.
Measure = Callable[["ProbeRequest"], Sequence["Outcome"]]
#: Runs a request's probes on every node of the Ray cluster at an address.
MeasureCluster = Callable[[str, "ProbeRequest"], "ProbeReport"]


def recommend_from_answers(
    answers: Answers,
    probe_results: Sequence[Path] | None = None,
    *,
    stale_years: int = 2,
    discover_here: bool = False,
    measure: Measure | None = None,
    people: Sequence[tuple[str, Mapping[str, float]]] | None = None,
    cluster: str | None = None,
    measure_cluster: MeasureCluster | None = None,
    pythons: Sequence[str] = (),
) -> Recommendation:
    """The recommendation for ``answers``, with the measurements in ``probe_results`` (files
    written by ``dlselect probe --output``, one machine's or several: the figures of the one
    that matches the team's hardware count, docs/cluster.md), the nodes of a Ray ``cluster``
    probed by ``measure_cluster``, and, when ``answers.probe`` is set, live probes run by
    ``measure`` (default: ``selector.probing.service.probe``, without progress). ``people``:
    several stakeholders' (name, weights), ranked together with ``answers`` as what they share
    (``selector.engine.group``). ``pythons``: interpreters to search besides the usual ones
    (``--python``); never taken from an answers file, which may come from someone else."""
    return decide_from_answers(answers, probe_results, stale_years=stale_years,
                               discover_here=discover_here, measure=measure, people=people,
                               cluster=cluster, measure_cluster=measure_cluster,
                               pythons=pythons).recommendation


def decide_from_answers(
    answers: Answers,
    probe_results: Sequence[Path] | None = None,
    *,
    stale_years: int = 2,
    discover_here: bool = False,
    measure: Measure | None = None,
    people: Sequence[tuple[str, Mapping[str, float]]] | None = None,
    cluster: str | None = None,
    measure_cluster: MeasureCluster | None = None,
    pythons: Sequence[str] = (),
) -> Decision:
    """``recommend_from_answers``, with the decision matrix and weights behind it (what the
    HTML page re-ranks from)."""
    from selector.engine.profile import build_profile
    from selector.engine.recommend import decide
    from selector.knowledge import load_snapshot
    from selector.vocab import DEFAULT_SNAPSHOT

    kb = load_snapshot(answers.snapshot or DEFAULT_SNAPSHOT)
    profile = build_profile(
        languages=answers.languages or [],
        runtime_languages=answers.runtime_languages or [],
        task=answers.task,
        workloads=answers.workloads or [],
        hardware=answers.hardware or [],
        scale=answers.scale or [],
        deployment=answers.deployment or [],
        existing=answers.existing or [],
        weights=answers.weights or {},
        method=answers.method or "topsis",
        snapshot=answers.snapshot or DEFAULT_SNAPSHOT,
        kb=kb,
    )
    if answers.samples is not None and not 0 <= answers.samples <= MAX_SAMPLES:
        raise DlselectError(f"--samples must be between 0 and {MAX_SAMPLES}, "
                            f"got {answers.samples}")
    if answers.seed is not None and not 0 <= answers.seed <= MAX_SEED:
        raise DlselectError(f"--seed must be between 0 and {MAX_SEED}, got {answers.seed}")
    profile = profile.model_copy(
        update={
            "allow_retired": bool(answers.allow_retired),
            "samples": DEFAULT_SAMPLES if answers.samples is None else answers.samples,
            "seed": answers.seed or 0,
        }
    )
    if not 0 <= stale_years <= 100:
        raise DlselectError(f"--stale-years must be between 0 and 100, got {stale_years}")
    device = probe_device(answers)
    budget = probe_budget(answers)
    outcomes: list[Outcome] | None = None
    nodes: list[NodeUse] = []
    notes: list[str] = []
    if probe_results or cluster is not None:
        from selector.probing.fleet import select
        from selector.probing.results import load_reports
        from selector.probing.service import ProbeRequest

        reports = load_reports(list(probe_results or []))
        if cluster is not None:
            request = ProbeRequest(pythons=tuple(pythons), budget=budget,
                                   device=device)
            reports.append(("--cluster", (measure_cluster or _measure_cluster)(cluster, request)))
        from selector.engine.measured import team_gpu_class

        team_gpu = team_gpu_class(kb, profile)
        outcomes, nodes, notes = select(reports, team_gpu is not None, gpu_class=team_gpu)
    if answers.probe:
        from selector.probing.service import ProbeRequest

        request = ProbeRequest(pythons=tuple(pythons), budget=budget, device=device,
                               discover_here=discover_here)
        outcomes = (outcomes or []) + list((measure or _measure)(request))
    if people:
        from selector.engine.group import decide_group

        decision = decide_group(profile, people, probes=outcomes, stale_years=stale_years,
                                snapshot=kb)
    else:
        decision = decide(profile, kb, probes=outcomes, stale_years=stale_years)
    if not nodes and not notes:
        return decision
    rec = decision.recommendation
    return replace(decision, recommendation=rec.model_copy(
        update={"nodes": nodes, "warnings": [*notes, *rec.warnings]}))


def probe_budget(answers: Answers) -> Budget:
    try:
        return Budget(answers.budget or Budget.QUICK)
    except ValueError:
        raise DlselectError(f"unknown budget {answers.budget!r}; "
                            f"allowed: {allowed(Budget)}") from None


def probe_device(answers: Answers) -> ProbeDevice:
    """The device the probes run on: like with like with the team's hardware (only figures
    on the team's device class are blended, docs/probes-in-ranking.md)."""
    device = (answers.device or ProbeDevice.AUTO).strip().lower()
    if device not in set(ProbeDevice):
        raise DlselectError(f"unknown device {answers.device!r} for --device; "
                            f"allowed: {allowed(ProbeDevice)}")
    if (device == ProbeDevice.AUTO and answers.hardware
            and {h.strip().lower() for h in answers.hardware} == {"cpu"}):
        return ProbeDevice.CPU
    return ProbeDevice(device)


def _measure(request: ProbeRequest) -> list[Outcome]:
    from selector.probing.service import probe

    return probe(request).results


def _measure_cluster(address: str, request: ProbeRequest) -> ProbeReport:
    from selector.cluster import require_ray

    require_ray()
    from selector.cluster.ray_probe import ClusterRequest, check_address, probe_cluster

    check_address(address)
    return probe_cluster(ClusterRequest(address=address, probe=request))
