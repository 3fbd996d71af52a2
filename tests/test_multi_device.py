"""Multi-device probe ops (``allreduce``, ``scaling``) and how their figures enter the ranking.

The framework tests run the real probes on this CPU with 2 simulated devices (gloo processes for
torch, XLA host devices for JAX); no figure is asserted, only that the document is valid, says
``simulated``, and that its numbers agree with each other (bus bandwidth by nccl-tests' rule,
efficiency from the two throughputs). The ranking tests use a recorded-format file of real
(``simulated: false``) multi-GPU figures, written for these tests because no multi-GPU machine
is available here (its ``warnings`` say so).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from selector.engine.measured import measure_multi_device
from selector.engine.profile import build_profile
from selector.engine.recommend import recommend
from selector.errors import DlselectError
from selector.probing.models import Outcome, ProbeDocument, ProbeReport
from selector.probing.results import load_outcomes
from selector.probing.service import KNOWN_OPS, parse_ops

ROOT = Path(__file__).resolve().parents[1]
PROBES = ROOT / "probes"
RECORDED = ROOT / "tests" / "data" / "multi_gpu_synthetic.json"

sys.path.insert(0, str(PROBES))
import _harness as h  # noqa: E402
import _multidevice as md  # noqa: E402


def test_bus_bandwidth_follows_nccl_tests_rule() -> None:
    # nccl-tests doc/PERFORMANCE.md: busbw = algbw * 2(n-1)/n for all-reduce.
    assert md.bus_gbps(1_000_000_000, 1.0, 2) == pytest.approx(1.0)
    assert md.bus_gbps(1_000_000_000, 1.0, 8) == pytest.approx(1.75)
    assert md.bus_gbps(2_000_000_000, 0.5, 4) == pytest.approx(4 * 1.5)


def test_sizes_span_1_kib_to_64_mib() -> None:
    full = md.sizes(h.BUDGETS["full"])
    assert full[0] == 1024 and full[-1] == 64 * 2**20 and len(full) == 9
    assert md.sizes(h.BUDGETS["quick"]) == (1024, 2**20, 64 * 2**20)


def test_engine_knows_the_probe_ops() -> None:
    assert set(KNOWN_OPS) == set(h.KNOWN_OPS)
    assert parse_ops("allreduce, scaling,allreduce") == ("allreduce", "scaling")
    with pytest.raises(DlselectError, match="unknown op"):
        parse_ops("allreduce,broadcast")


def test_asking_for_multi_device_ops_allows_a_longer_measurement() -> None:
    from selector.probing.service import MULTI_DEVICE_MEASURE_S, ProbeRequest, timeouts_for

    plain = ProbeRequest(ops=("gemm",))
    assert timeouts_for(plain) == plain.timeouts
    assert timeouts_for(ProbeRequest(ops=("gemm", "scaling"))).measure_s == MULTI_DEVICE_MEASURE_S


def test_probes_on_a_gpu_may_measure_longer() -> None:
    """Growing the GPU kernels and compiling the training steps (torch.compile rows too) takes
    longer than the CPU's quick budget allows."""
    from selector.probing.service import GPU_MEASURE_S, ProbeRequest, timeouts_for

    plain = ProbeRequest()
    assert timeouts_for(plain, gpu=True).measure_s == GPU_MEASURE_S > plain.timeouts.measure_s
    assert timeouts_for(plain, gpu=False) == plain.timeouts


def test_multi_device_ops_never_run_by_default() -> None:
    args = h.ProbeArgs(budget=h.BUDGETS["quick"], device="cpu", output=None, ops=None,
                       ready_fd=None, stdout=sys.stdout)
    results = h.run_ops(args, {}, lambda _out: None)
    assert not set(results.unsupported_ops) & set(h.MULTI_DEVICE_OPS)
    called: list[str] = []
    section = md.run(args, results, {"allreduce": lambda: called.append("x") or {}})
    assert section == {} and called == []


def test_a_probe_without_the_op_says_why() -> None:
    args = h.ProbeArgs(budget=h.BUDGETS["quick"], device="cpu", output=None,
                       ops=("gemm", "allreduce"), ready_fd=None, stdout=sys.stdout)
    results = h.OpResults(ops={}, op_errors={}, unsupported_ops=[])
    assert md.run(args, results, {}, md.unsupported("numba")) == {}
    assert results.unsupported_ops == ["allreduce"]
    assert "no collective" in results.unsupported_reasons["allreduce"]


def _probe(name: str, ops: str = "allreduce,scaling") -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(PROBES / f"probe_{name}.py"), "--ops", ops,
                           "--device", "cpu"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data: dict[str, Any] = json.loads(proc.stdout)
    ProbeDocument.model_validate(data)
    return data


def _check_section(data: dict[str, Any]) -> None:
    assert data["op_errors"] == {}, data["op_errors"]
    assert data["ops"] == {}
    multi = data["multi_device"]
    ar, sc = multi["allreduce"], multi["scaling"]
    for result in (ar, sc):
        assert result["simulated"] is True and result["devices"] == 2
        assert result["device"] == "cpu" and result["check"]["ok"] is True
        assert "simulated" in result["note"]
    assert [row["bytes"] for row in ar["sizes"]] == [1024, 2**20, 64 * 2**20]
    for row in ar["sizes"]:
        assert row["algbw_gbps"] == pytest.approx(row["bytes"] / row["median_s"] / 1e9)
        assert row["bus_gbps"] == pytest.approx(row["algbw_gbps"] * 2 * (2 - 1) / 2)
    one, many = sc["single"]["samples_per_s"], sc["multi"]["samples_per_s"]
    assert sc["efficiency"] == pytest.approx(many / (2 * one))
    assert math.isfinite(sc["efficiency"]) and sc["efficiency"] > 0


@pytest.mark.slow
@pytest.mark.frameworks
def test_torch_allreduce_and_scaling_on_two_simulated_ranks() -> None:
    pytest.importorskip("torch")
    if md.physical_cores() < 2:
        pytest.skip("two simulated ranks need two physical cores")
    data = _probe("torch")
    _check_section(data)
    assert data["multi_device"]["allreduce"]["backend"] == "gloo"


@pytest.mark.slow
@pytest.mark.frameworks
def test_jax_allreduce_and_scaling_on_two_host_devices() -> None:
    pytest.importorskip("jax")
    if md.physical_cores() < 2:
        pytest.skip("two simulated devices need two physical cores")
    data = _probe("jax")
    _check_section(data)
    assert "shard_map" in data["multi_device"]["allreduce"]["kernel"]


@pytest.mark.slow
@pytest.mark.frameworks
def test_tensorflow_allreduce_on_two_logical_devices_scaling_unsupported() -> None:
    pytest.importorskip("tensorflow")
    if md.physical_cores() < 2:
        pytest.skip("two simulated devices need two physical cores")
    data = _probe("tensorflow")
    assert data["op_errors"] == {} and data["unsupported_ops"] == ["scaling"]
    assert "not implemented" in data["unsupported_reasons"]["scaling"]
    ar = data["multi_device"]["allreduce"]
    assert ar["simulated"] is True and ar["devices"] == 2 and ar["check"]["ok"] is True
    assert "MirroredStrategy" in ar["backend"]
    for row in ar["sizes"]:
        assert row["bus_gbps"] == pytest.approx(row["bytes"] / row["median_s"] / 1e9)


@pytest.mark.slow
@pytest.mark.frameworks
def test_mxnet_allreduce_through_a_kvstore_on_two_cpu_contexts_scaling_unsupported() -> None:
    from tests.conftest import mxnet_unavailable

    why = mxnet_unavailable()
    if why:
        pytest.skip(why)
    if md.physical_cores() < 2:
        pytest.skip("two simulated devices need two physical cores")
    python = Path(__file__).resolve().parents[1] / ".venv-mxnet" / "bin" / "python"
    proc = subprocess.run([str(python), str(PROBES / "probe_mxnet.py"), "--ops",
                           "allreduce,scaling", "--device", "cpu"], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    ProbeDocument.model_validate(data)
    assert data["op_errors"] == {} and data["unsupported_ops"] == ["scaling"]
    assert "not implemented" in data["unsupported_reasons"]["scaling"]
    ar = data["multi_device"]["allreduce"]
    assert ar["simulated"] is True and ar["devices"] == 2 and ar["check"]["ok"] is True
    assert ar["backend"] == "kvstore 'local'" and "simulated" in ar["note"]
    assert [row["bytes"] for row in ar["sizes"]] == [1024, 2**20, 64 * 2**20]
    for row in ar["sizes"]:
        assert row["bus_gbps"] == pytest.approx(row["bytes"] / row["median_s"] / 1e9)


# --------------------------------------------------------------------------- ranking


def _simulated(outcomes: list[Outcome]) -> list[Outcome]:
    """The same figures, marked simulated (as every CPU run here is)."""
    out = []
    for o in outcomes:
        assert o.multi_device is not None
        update = {name: getattr(o.multi_device, name).model_copy(update={"simulated": True})
                  for name in ("allreduce", "scaling")}
        out.append(o.model_copy(update={"multi_device": o.multi_device.model_copy(
            update=update)}))
    return out


def test_recorded_file_is_the_report_format() -> None:
    report = ProbeReport.model_validate_json(RECORDED.read_text())
    assert any("synthetic" in w for w in report.warnings)


def test_real_multi_gpu_figures_feed_multi_gpu() -> None:
    from selector.knowledge import load_snapshot

    snapshot = load_snapshot("current")
    outcomes = load_outcomes([RECORDED])
    new, measured, warnings = measure_multi_device(snapshot, outcomes)
    assert warnings == []
    blended = {m.framework: m for m in measured if m.blended}
    assert set(blended) == {"pytorch", "jax"}
    torch_m = blended["pytorch"]
    assert torch_m.criterion == "multi_gpu" and "scaling_efficiency" in torch_m.ops
    assert torch_m.ratio == 1.0  # the better scaling of the two
    assert new.score("pytorch", "multi_gpu").value == pytest.approx(torch_m.value)
    # Real inter-node figures would feed distributed; none here, so it is untouched.
    assert new.score("jax", "distributed") == snapshot.score("jax", "distributed")


def test_simulated_figures_change_nothing_real_ones_do() -> None:
    profile = build_profile(task="cnn", hardware=["multi-gpu"], snapshot="current")
    profile = profile.model_copy(update={"samples": 0})
    outcomes = load_outcomes([RECORDED])
    plain = recommend(profile)
    simulated = recommend(profile, probes=_simulated(outcomes))
    real = recommend(profile, probes=outcomes)

    def scores(rec: Any) -> dict[str, float]:
        return {r.framework: r.score for r in rec.ranking}

    assert scores(simulated) == scores(plain)
    assert all(not m.blended and "simulated" in (m.reason or "")
               for m in simulated.measured if m.criterion == "multi_gpu")
    assert scores(real) != scores(plain)
    used = {m.framework: m for m in real.measured if m.criterion == "multi_gpu" and m.blended}
    assert {"pytorch", "jax"} <= set(used)
    assert used["pytorch"].value > used["pytorch"].knowledge_value or \
        used["pytorch"].probe_value == 5.0
    assert used["jax"].ratio == pytest.approx(0.62 / 0.93, rel=1e-3)
