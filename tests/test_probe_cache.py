"""The probe cache and the measuring lock: what a figure depends on, unstable figures never
cached, and two dlselect processes never measuring at the same time.

The runner is faked only where the real thing cannot be made to misbehave on demand: a probe
that reports an unstable figure."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from selector.probing import cache, service
from selector.probing.models import OpResult, Outcome, ProbeStatus
from selector.probing.runner import Job


def _op(unstable: bool) -> OpResult:
    return OpResult(device="cpu", dtype="float32", flops=1e9, first_call_s=0.1, median_s=0.01,
                    iqr_s=0.005 if unstable else 0.0001, samples=5, inner_loops=1, gflops=100.0,
                    unstable=unstable)


def _outcome(unstable: bool) -> Outcome:
    return Outcome(framework="numba", version="1", interpreter="/py", status=ProbeStatus.OK,
                   ops={"gemm": _op(unstable)})


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "dlselect" / "probes"


def _key(program: Path, **context: object) -> str:
    return cache.cache_key(interpreter="/py", framework="numba", version="1", host_id="h",
                           budget="quick", device="auto", program=program, context=context)


def test_the_key_changes_with_everything_that_changes_a_figure(tmp_path: Path) -> None:
    probes = tmp_path / "probes"
    probes.mkdir()
    program = probes / "probe_numba.py"
    program.write_text("# probe\n", encoding="utf-8")
    base = _key(program, gpus=["H100 (driver 550)"], env={"OMP_NUM_THREADS": "2"})
    assert base == _key(program, gpus=["H100 (driver 550)"], env={"OMP_NUM_THREADS": "2"})
    assert base != _key(program, gpus=["H100 (driver 560)"], env={"OMP_NUM_THREADS": "2"})
    assert base != _key(program, gpus=["A100 (driver 550)"], env={"OMP_NUM_THREADS": "2"})
    assert base != _key(program, gpus=["H100 (driver 550)"], env={"OMP_NUM_THREADS": "1"})
    assert base != _key(program, gpus=["H100 (driver 550)"],
                        env={"OMP_NUM_THREADS": "2", "CUDA_VISIBLE_DEVICES": "1"})
    # Any probe module, not only the program and the harness.
    (probes / "_training.py").write_text("# shared\n", encoding="utf-8")
    assert base != _key(program, gpus=["H100 (driver 550)"], env={"OMP_NUM_THREADS": "2"})


def test_the_key_covers_every_module_the_harness_is_made_of(tmp_path: Path) -> None:
    """The harness is split into sibling modules (``from _timing import ...``): a change to any
    of them changes a figure, so it changes the key of the probes that import it."""
    import ast
    import shutil

    real = Path(__file__).resolve().parents[1] / "probes"
    probes = tmp_path / "probes"
    shutil.copytree(real, probes, ignore=shutil.ignore_patterns("__pycache__"))
    program = probes / "probe_numba.py"
    tree = ast.parse((real / "_harness.py").read_text(encoding="utf-8"))
    parts = sorted({node.module for node in tree.body
                    if isinstance(node, ast.ImportFrom) and node.module
                    and (real / f"{node.module}.py").is_file()})
    assert {"_timing", "_checks", "_environment", "_output"} <= set(parts)
    for part in parts:
        before = _key(program)
        with (probes / f"{part}.py").open("a", encoding="utf-8") as fh:
            fh.write("# changed\n")
        assert _key(program) != before, part


# Needs numba installed: the service measures only frameworks it discovers.
@pytest.mark.frameworks
def test_an_unstable_figure_is_never_cached_and_no_second_probe_process_is_started(
        private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe measures an unstable op again itself (``measure`` in probes/_timing.py, tested
    in test_probe_programs.py); a figure it still flags is reported with a warning and never
    cached, and the runner does not start the probe again (a second import and compile)."""
    calls: list[tuple[str, ...]] = []

    def always_unstable(jobs: list[Job], **_: object) -> list[Outcome]:
        calls.extend(job.ops for job in jobs)
        return [_outcome(unstable=True) for _ in jobs]

    monkeypatch.setattr(service, "run_jobs", always_unstable)
    report = service.probe(service.ProbeRequest(frameworks=("numba",)))
    assert calls == [()]  # one probe process, its default ops; no fresh-process retry
    assert report.results[0].ops["gemm"].unstable
    assert any("gemm still unstable after the probe's re-measurements" in w
               for w in report.warnings)
    assert not list(private_cache.glob("*.json"))
    # Measured again by the next run (nothing cached), stable now: used and cached.
    monkeypatch.setattr(service, "run_jobs", lambda jobs, **_: [_outcome(unstable=False)])
    report = service.probe(service.ProbeRequest(frameworks=("numba",)))
    assert not report.results[0].ops["gemm"].unstable
    assert not any("unstable" in w for w in report.warnings)
    assert len(list(private_cache.glob("*.json"))) == 1


def _hold(cache_home: str, log: str, name: str, hold_s: float) -> None:
    os.environ["XDG_CACHE_HOME"] = cache_home
    waited: list[bool] = []
    with cache.measurement_lock(lambda: waited.append(True)):
        start = time.monotonic()
        time.sleep(hold_s)
        end = time.monotonic()
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(f"{name} {start} {end} {bool(waited)}\n")


def test_two_processes_never_measure_at_the_same_time(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hold, args=(str(tmp_path), str(log), name, 1.0))
             for name in ("a", "b")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    rows = sorted((float(s), float(e), w == "True")
                  for _, s, e, w in (line.split() for line in log.read_text().splitlines()))
    assert len(rows) == 2
    (first_start, first_end, _), (second_start, _, second_waited) = rows
    assert second_start >= first_end  # no overlap
    assert second_waited  # and the second one was told it had to wait


def test_the_lock_gives_up_with_one_line_after_its_timeout(private_cache: Path) -> None:
    with cache.measurement_lock():
        ctx = multiprocessing.get_context("spawn")
        result = ctx.Queue()
        proc = ctx.Process(target=_try_lock, args=(str(private_cache.parent.parent), result))
        proc.start()
        proc.join(timeout=60)
        message = result.get(timeout=10)
    assert message.startswith("another dlselect has been measuring for over 0.5 s")


def _try_lock(cache_home: str, result: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    os.environ["XDG_CACHE_HOME"] = cache_home
    from selector.errors import DlselectError

    try:
        with cache.measurement_lock(timeout_s=0.5):
            result.put("acquired")
    except DlselectError as err:
        result.put(str(err))


def test_the_runner_passes_every_variable_the_probes_record(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One list: a variable the harness records as changing a figure always reaches the probe
    (it used to record 39 and pass 22)."""
    import sys

    from selector.probing.environment import FIXED, child_env, recorded_env_names

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "probes"))
    import _harness

    assert recorded_env_names() == tuple(_harness.RECORDED_ENV)
    for name in _harness.RECORDED_ENV:
        monkeypatch.setenv(name, "7")
    env = child_env()
    for name in _harness.RECORDED_ENV:
        assert env[name] == FIXED.get(name, "7"), name


def _gemm(median_s: float, **fields: object) -> OpResult:
    return OpResult(device="cpu", dtype="float32", flops=1e9, first_call_s=0.1,
                    median_s=median_s, iqr_s=0.0001, samples=5, inner_loops=1,
                    gflops=1 / median_s, unstable=False, params={"n": 512}, **fields)


def _with(op: OpResult) -> Outcome:
    return Outcome(framework="numba", version="1", interpreter="/py", status=ProbeStatus.OK,
                   ops={"gemm": op})


def test_a_new_run_keeps_the_earlier_runs_medians_newest_first_and_at_most_four() -> None:
    earlier = _with(_gemm(0.02, earlier_median_s=[0.03, 0.04, 0.05, 0.06]))
    fresh = cache.with_earlier(_with(_gemm(0.01)), earlier)
    assert fresh.ops["gemm"].median_s == 0.01
    assert fresh.ops["gemm"].earlier_median_s == [0.02, 0.03, 0.04, 0.05]  # 0.06 dropped
    assert cache.with_earlier(_with(_gemm(0.01)), None).ops["gemm"].earlier_median_s == []
    # Measured differently (another size): the earlier figures are not of the same work.
    other = _with(_gemm(0.02).model_copy(update={"params": {"n": 1024}}))
    assert cache.with_earlier(_with(_gemm(0.01)), other).ops["gemm"].earlier_median_s == []


def test_measuring_again_under_the_same_key_carries_the_cached_median(
        private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = iter([0.010, 0.013])
    monkeypatch.setattr(service, "run_jobs", lambda jobs, **_: [_with(_gemm(next(runs)))])
    first = service.probe(service.ProbeRequest(frameworks=("numba",)))
    assert first.results[0].ops["gemm"].earlier_median_s == []
    second = service.probe(service.ProbeRequest(frameworks=("numba",), refresh=True))
    assert second.results[0].ops["gemm"].earlier_median_s == [0.010]
    # The cache now holds the second run with its history: a third run would carry both.
    stored = cache.load(next(private_cache.glob("*.json")).stem)
    assert stored is not None and stored.ops["gemm"].earlier_median_s == [0.010]
