"""Live measurements in the ranking: the blending formula by hand, GPU facts, and the real
probe suite end to end through the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from selector.engine.measured import PROBE_WEIGHT, gpu_exclusions, measure_speed
from selector.engine.profile import build_profile
from selector.engine.recommend import recommend
from selector.knowledge import load_snapshot
from selector.probing.models import Device, OpResult, Outcome, ProbeStatus
from tests.conftest import REPO


def op(gflops: float, device: str = "cpu", iqr_share: float = 0.0) -> OpResult:
    median = 1 / gflops
    return OpResult(device=device, dtype="float32", flops=1e9, first_call_s=0.1,
                    median_s=median, iqr_s=iqr_share * median, samples=5, inner_loops=1,
                    gflops=gflops, unstable=iqr_share > 0.1)


def outcome(framework: str, gpu: bool = False, on: str = "cpu", iqr_share: float = 0.0,
            vendor: str | None = None, **ops: float) -> Outcome:
    """``vendor``: the GPU's ``device_class`` as a probe reports it (None: an older document
    without one)."""
    devices = [Device(kind="cpu", name="cpu", threads=2)]
    if gpu:
        devices.append(Device(kind="gpu", name="H100" if vendor != "rocm" else "MI300X",
                              memory_bytes=80 << 30, index=0, device_class=vendor))
    return Outcome(framework=framework, version="1", interpreter="/py", status=ProbeStatus.OK,
                   devices=devices, ops={k: op(v, on, iqr_share) for k, v in ops.items()})


def test_a_gpu_team_ranking_is_not_moved_by_cpu_figures() -> None:
    snap = load_snapshot("current")
    cpu_figures = [outcome("torch", gemm=10.0), outcome("jax", gemm=500.0)]
    profile = build_profile(hardware=["gpu"]).model_copy(update={"samples": 0})
    new, measured, warnings = measure_speed(snap, profile, cpu_figures)
    assert new == snap
    assert all(not m.blended and "not the team's CUDA GPU" in (m.reason or "") for m in measured)
    assert warnings and "fewer than two frameworks" in warnings[0]
    with_probes = recommend(profile, probes=cpu_figures)
    without = recommend(profile)
    assert [(r.framework, r.score) for r in with_probes.ranking] == [
        (r.framework, r.score) for r in without.ranking]
    assert {m.framework for m in with_probes.measured} == {"pytorch", "jax"}


def test_a_cpu_team_counts_cpu_figures_only() -> None:
    snap = load_snapshot("current")
    probes = [outcome("torch", gpu=True, on="gpu", gemm=900.0),
              outcome("tensorflow", gemm=100.0), outcome("jax", gemm=50.0)]
    _, measured, _ = measure_speed(snap, build_profile(hardware=["cpu"]), probes)
    by = {m.framework: m for m in measured}
    assert not by["pytorch"].blended
    assert "measured on the CUDA GPU, not the team's CPU" in by["pytorch"].reason
    assert by["tensorflow"].blended and by["tensorflow"].ratio == 1.0
    assert by["jax"].ratio == pytest.approx(0.5)


def gpu_figures() -> list[Outcome]:
    """Two frameworks measured on a ROCm GPU, two on a CUDA GPU (one from an older document
    without a device class: a CUDA GPU)."""
    return [outcome("torch", gpu=True, on="gpu", vendor="rocm", gemm=400.0),
            outcome("jax", gpu=True, on="gpu", vendor="rocm", gemm=200.0),
            outcome("tensorflow", gpu=True, on="gpu", vendor="cuda", gemm=900.0),
            outcome("mxnet", gpu=True, on="gpu", gemm=300.0)]


def test_an_amd_team_blends_rocm_figures_only() -> None:
    snap = load_snapshot("current")
    new, measured, warnings = measure_speed(snap, build_profile(hardware=["amd-gpu"]),
                                            gpu_figures())
    assert warnings == []
    by = {m.framework: m for m in measured}
    assert {f for f, m in by.items() if m.blended} == {"pytorch", "jax"}
    assert by["pytorch"].ratio == 1.0 and by["jax"].ratio == pytest.approx(0.5)
    assert by["pytorch"].device == "gpu"
    knowledge = snap.score("jax", "speed").value
    expected = (1 - PROBE_WEIGHT) * knowledge + PROBE_WEIGHT * (1 + 4 * 0.5)
    assert new.score("jax", "speed").value == pytest.approx(expected)
    # tensorflow's 900 GFLOP/s on a CUDA GPU would be the best: it is not counted.
    assert "measured on the CUDA GPU, not the team's ROCm GPU" in by["tensorflow"].reason
    assert "measured on the CUDA GPU, not the team's ROCm GPU" in by["mxnet"].reason
    assert new.score("tensorflow", "speed") == snap.score("tensorflow", "speed")


def test_an_nvidia_team_blends_cuda_figures_only_old_documents_included() -> None:
    snap = load_snapshot("current")
    new, measured, warnings = measure_speed(snap, build_profile(hardware=["nvidia-gpu"]),
                                            gpu_figures())
    assert warnings == []
    by = {m.framework: m for m in measured}
    # mxnet's GPU has no device class (a document from before it): read as CUDA.
    assert {f for f, m in by.items() if m.blended} == {"tensorflow", "mxnet"}
    assert by["tensorflow"].ratio == 1.0
    assert by["mxnet"].ratio == pytest.approx(300 / 900)
    for fid in ("pytorch", "jax"):
        assert not by[fid].blended
        assert "measured on the ROCm GPU, not the team's CUDA GPU" in by[fid].reason
        assert new.score(fid, "speed") == snap.score(fid, "speed")


def test_an_amd_team_with_cuda_figures_only_blends_nothing() -> None:
    snap = load_snapshot("current")
    cuda = [outcome("torch", gpu=True, on="gpu", vendor="cuda", gemm=400.0),
            outcome("jax", gpu=True, on="gpu", gemm=200.0)]
    new, measured, warnings = measure_speed(snap, build_profile(hardware=["amd-gpu"]), cuda)
    assert new == snap and not any(m.blended for m in measured)
    assert "fewer than two frameworks" in warnings[0] and "ROCm GPU" in warnings[0]
    # A build that sees the CUDA GPU does not see the team's ROCm GPU.
    excluded, notes = gpu_exclusions(snap, build_profile(hardware=["amd-gpu"]), cuda)
    assert excluded == [] and "no probed framework sees a ROCm GPU" in notes[0]
    mixed = [outcome("torch", gpu=True, on="gpu", vendor="rocm", gemm=400.0), cuda[1]]
    excluded, _ = gpu_exclusions(snap, build_profile(hardware=["amd-gpu"]), mixed)
    assert [e.framework for e in excluded] == ["jax"]
    assert "sees no ROCm GPU" in excluded[0].reason


def test_a_team_on_hardware_no_probe_measures_blends_nothing() -> None:
    snap = load_snapshot("current")
    probes = [outcome("torch", gemm=100.0), outcome("jax", gemm=50.0)]
    new, measured, warnings = measure_speed(snap, build_profile(hardware=["tpu"]), probes)
    assert new == snap and measured and not any(m.blended for m in measured)
    assert "nothing here speaks for tpu" in warnings[0]


def test_overlapping_intervals_count_as_equally_fast() -> None:
    snap = load_snapshot("current")
    # 100 vs 90 GFLOP/s, each +-15% (interquartile range 30% of the median): they overlap.
    noisy = [outcome("torch", iqr_share=0.3, gemm=100.0),
             outcome("jax", iqr_share=0.3, gemm=90.0)]
    _, measured, _ = measure_speed(snap, build_profile(task="transformer"), noisy)
    by = {m.framework: m for m in measured}
    assert by["jax"].ratio == 1.0 and by["jax"].unstable
    assert by["jax"].ratio_low is not None and by["jax"].ratio_low < 1.0
    # Tight intervals: the same 10% gap is a real difference.
    tight = [outcome("torch", iqr_share=0.02, gemm=100.0),
             outcome("jax", iqr_share=0.02, gemm=90.0)]
    _, measured, _ = measure_speed(snap, build_profile(task="transformer"), tight)
    assert {m.framework: m.ratio for m in measured}["jax"] == pytest.approx(0.9)


def test_earlier_runs_widen_the_interval_and_can_make_a_lead_a_tie() -> None:
    """One run each: 100 against 80 GFLOP/s with tight intervals is a real gap. With jax's
    earlier run at 100 GFLOP/s in the cache, its rate is the median over its runs and its range
    covers both: it overlaps torch's, so the two count as equally fast."""
    snap = load_snapshot("current")
    tight = [outcome("torch", iqr_share=0.02, gemm=100.0),
             outcome("jax", iqr_share=0.02, gemm=80.0)]
    _, measured, _ = measure_speed(snap, build_profile(task="transformer"), tight)
    by = {m.framework: m for m in measured}
    assert by["jax"].ratio == pytest.approx(0.8) and by["jax"].runs == 1
    jax = tight[1]
    gemm = jax.ops["gemm"].model_copy(update={"earlier_median_s": [1 / 100.0]})
    drifted = [tight[0], jax.model_copy(update={"ops": {"gemm": gemm}})]
    _, measured, _ = measure_speed(snap, build_profile(task="transformer"), drifted)
    by = {m.framework: m for m in measured}
    assert by["jax"].ratio == 1.0 and by["jax"].runs == 2
    # the median of the two runs' times (rounded to 3 places in the output)
    assert by["jax"].ops["gemm"] == pytest.approx(2 / (1 / 80 + 1 / 100), abs=1e-3)
    assert by["pytorch"].runs == 1


def test_speed_blend_equals_hand_computation() -> None:
    snap = load_snapshot("current")
    probes = [outcome("torch", gemm=100.0, conv2d=50.0), outcome("jax", gemm=200.0, conv2d=25.0)]
    new, measured, warnings = measure_speed(snap, build_profile(task="cnn"), probes)
    assert warnings == []
    by = {m.framework: m for m in measured}
    # cnn uses conv2d and gemm: pytorch ratios (1, 0.5) -> sqrt(0.5); jax (0.5, 1) -> sqrt(0.5).
    for fid in ("pytorch", "jax"):
        assert by[fid].ratio == pytest.approx(0.5 ** 0.5, abs=1e-6)
        probe_value = 1 + 4 * 0.5 ** 0.5
        knowledge = snap.score(fid, "speed").value
        expected = (1 - PROBE_WEIGHT) * knowledge + PROBE_WEIGHT * probe_value
        assert by[fid].value == pytest.approx(expected, abs=1e-6)
        assert new.score(fid, "speed").value == pytest.approx(expected)
    # transformer uses gemm only: jax is the fastest.
    _, measured, _ = measure_speed(snap, build_profile(task="transformer"), probes)
    assert {m.framework: m.ratio for m in measured} == {"pytorch": 0.5, "jax": 1.0}
    # Only speed changed.
    changed = {(a.framework, a.criterion) for a, b in zip(new.scores, snap.scores, strict=True)
               if a != b}
    assert changed <= {("pytorch", "speed"), ("jax", "speed")}


def test_torch_probe_speaks_for_pytorch_not_lua_torch() -> None:
    snap = load_snapshot("2017")
    _, measured, warnings = measure_speed(snap, build_profile(snapshot="2017"),
                                          [outcome("torch", gemm=1.0),
                                           outcome("tensorflow", gemm=2.0)])
    assert measured == []
    assert "fewer than two frameworks" in warnings[0]


def test_failed_probes_are_not_used() -> None:
    snap = load_snapshot("current")
    bad = Outcome(framework="jax", status=ProbeStatus.FAILED, reason="crashed (SIGSEGV)")
    _, measured, warnings = measure_speed(snap, build_profile(), [outcome("torch", gemm=1.0), bad])
    assert measured == [] and warnings


def test_a_framework_blind_to_the_gpu_others_see_is_excluded() -> None:
    snap = load_snapshot("current")
    probes = [outcome("torch", gpu=True, gemm=900.0), outcome("tensorflow", gemm=100.0)]
    excluded, warnings = gpu_exclusions(snap, build_profile(hardware=["gpu"]), probes)
    assert [e.framework for e in excluded] == ["tensorflow"]
    assert "sees no CUDA GPU on this machine" in excluded[0].reason
    assert "pytorch" in excluded[0].reason
    rec = recommend(build_profile(hardware=["gpu"]), probes=probes)
    assert "tensorflow" not in {r.framework for r in rec.ranking}
    assert excluded[0] in rec.excluded
    # Nobody sees a GPU: a warning, no exclusion.
    cpu_only = [outcome("torch", gemm=1.0), outcome("tensorflow", gemm=1.0)]
    excluded, warnings = gpu_exclusions(snap, build_profile(hardware=["gpu"]), cpu_only)
    assert excluded == [] and "no probed framework sees a CUDA GPU" in warnings[0]
    assert "shown, not blended" in warnings[0]
    # A CPU team does not care.
    assert gpu_exclusions(snap, build_profile(hardware=["cpu"]), probes) == ([], [])


# --- the real probe suite, once for the module --------------------------------------------


def dlselect(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run([str(Path(sys.executable).parent / "dlselect"), *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def probe_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    cache = tmp_path_factory.mktemp("cache")
    out = tmp_path_factory.mktemp("out") / "host.json"
    proc = dlselect("probe", "--format", "json", "--output", str(out), cache=cache)
    assert proc.returncode == 0, proc.stderr
    return cache, json.loads(out.read_text())


@pytest.mark.slow
def test_probe_reports_every_framework_ok(probe_run: tuple[Path, dict[str, Any]]) -> None:
    _, doc = probe_run
    assert doc["schema_version"] == 1 and doc["tool"] == "dlselect" and doc["host"]["id"]
    by = {r["framework"]: r for r in doc["results"]}
    for name in ("torch", "tensorflow", "numba", "jax", "mxnet"):
        result = by[name]
        assert result["status"] == "ok", result
        assert result["ops"]["gemm"]["gflops"] > 0
        assert result["interpreter"] and result["version"]
    assert ".venv-mxnet" in by["mxnet"]["interpreter"]
    assert by["pytensor"]["stands_for"] == "theano"
    for name in ("caffe", "cntk", "neon"):
        assert by[name]["status"] == "unavailable"
        assert "no release installable on this Python" in by[name]["reason"]


@pytest.mark.slow
def test_the_probe_table_shows_each_training_step_and_its_time_to_first_step(
        probe_run: tuple[Path, dict[str, Any]]) -> None:
    """The table of a real run: samples/s and, in brackets, the first step's time, for each
    framework that trains; none for numba and pytensor, which have no training steps."""
    import io

    from rich.console import Console

    from selector.cli.probe_tables import probe_table
    from selector.probing.models import ProbeReport

    _, doc = probe_run
    console = Console(width=240, file=io.StringIO())
    console.print(probe_table(ProbeReport.model_validate(doc)))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Training steps: samples/s (time to first step)" in text
    training = text.split("Training steps")[1]
    rows = {line.split()[1]: line for line in training.splitlines() if line.startswith("│")}
    by = {r["framework"]: r for r in doc["results"]}
    for name in ("torch", "tensorflow", "jax", "mxnet"):
        for op_name in ("train_cnn", "train_lstm", "train_transformer"):
            o = by[name]["ops"][op_name]
            shown = re.search(re.escape(f"{o['samples_per_s']:,.0f}") + r" \((<?[\d.]+) (ms|s)\)",
                              rows[name])
            assert shown is not None, rows[name]
            value, unit = shown.groups()
            # the time to first step as shown: ms below 0.1 s, else seconds (2 decimals)
            if value.startswith("<"):
                assert o["first_step_s"] < 1e-3
            else:
                seconds = float(value) * (1e-3 if unit == "ms" else 1.0)
                assert abs(seconds - o["first_step_s"]) <= (5e-4 if unit == "ms" else 5e-3) + 1e-9
    assert "numba" not in rows and "pytensor" not in rows


@pytest.mark.slow
def test_recommend_probe_shows_which_scores_came_from_probes(
        probe_run: tuple[Path, dict[str, Any]]) -> None:
    cache, _ = probe_run
    proc = dlselect("recommend", "--probe", "--task", "cnn", "--format", "json", cache=cache)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    measured = {m["framework"]: m for m in doc["measured"]}
    assert {"pytorch", "tensorflow", "jax"} <= set(measured)
    for m in measured.values():
        # The cnn training step, measured by every framework, decides (not the kernels).
        assert m["criterion"] == "speed" and set(m["ops"]) == {"train_cnn"}
        assert m["device"] == "cpu" and m["blended"]
        assert 0 < m["ratio_low"] <= m["ratio"] <= 1
    table = dlselect("recommend", "--probe", "--task", "cnn", cache=cache)
    assert "Scores from live probes" in table.stdout
    # What the ranges cover is said with them: one run's spread, not the drift between runs.
    assert "not the drift between runs" in " ".join(table.stdout.split())
    record = dlselect("recommend", "--probe", "--task", "cnn", "--format", "markdown",
                      "--detail", cache=cache)
    assert "### Live measurements" in record.stdout and "drift between runs" in record.stdout


@pytest.mark.slow
def test_probe_results_from_another_machine(probe_run: tuple[Path, dict[str, Any]],
                                            tmp_path: Path) -> None:
    cache, doc = probe_run
    host = tmp_path / "host.json"
    host.write_text(json.dumps(doc), encoding="utf-8")
    proc = dlselect("recommend", "--probe-results", str(host), "--format", "json", cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["measured"]


@pytest.mark.parametrize(("content", "message"), [
    ('{"schema_version": 1, "tool": "other"}', "not a dlselect probe-results file"),
    ('{"schema_version": 9, "tool": "dlselect"}', "schema_version: unsupported 9"),
    ("not json", "not JSON"),
    ('{"schema_version": 1, "tool": "dlselect", "host": {}, "budget": "quick", '
     '"results": [{"framework": "x", "status": "sleeping"}]}', "results[0].status:"),
])
def test_bad_probe_results_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    from typer.testing import CliRunner

    from selector.cli.app import app

    path = tmp_path / "host.json"
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["recommend", "--probe-results", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"dlselect: error: {path}: {message}")
    assert result.stdout == ""


def test_sampled_values_score_like_the_fixed_matrix_when_exact() -> None:
    import numpy as np

    from selector.engine.robustness import scores_for, scores_for_values
    from selector.vocab import Method
    from tests.test_ranking import matrix

    m = matrix([[1, 9, 3], [4, 2, 8], [7, 5, 0]], [1, 2, 3])
    weights = np.random.default_rng(0).dirichlet(np.ones(3), 50)
    values = np.broadcast_to(m.values, (50, *m.values.shape))
    for method in Method:
        assert np.allclose(scores_for_values(m, method, values, weights),
                           scores_for(m, method, weights), atol=1e-12)


def test_a_noisy_measured_lead_is_less_sure_than_a_firm_one() -> None:
    """The robustness analysis samples measured speed from its interquartile range."""
    profile = build_profile(languages=["python"], task="transformer", hardware=["cpu"],
                            weights={"speed": 20}).model_copy(update={"samples": 4000})
    firm = [outcome("torch", iqr_share=0.0, gemm=100.0), outcome("jax", iqr_share=0.0, gemm=70.0)]
    noisy = [outcome("torch", iqr_share=0.8, gemm=100.0),
             outcome("jax", iqr_share=0.8, gemm=70.0)]
    sure = recommend(profile, probes=firm)
    unsure = recommend(profile, probes=noisy)
    assert sure.robustness is not None and unsure.robustness is not None
    assert sure.robustness.winner == unsure.robustness.winner == "pytorch"
    assert sure.robustness.winner_confidence == 1.0
    # Intervals of +-40% overlap: equally fast at the point, and sampled from the ranges.
    assert unsure.robustness.winner_confidence < 0.9
    assert unsure.robustness.acceptability_around["jax"][0] > 0.1
