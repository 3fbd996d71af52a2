"""Ranking with probe results from several machines or a cluster: the figures of one node, the
one that matches the team's hardware, count; every node is listed (selector/probing/fleet.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from selector.engine.measured import measure_multi_device
from selector.knowledge import load_snapshot
from selector.probing.fleet import select
from selector.probing.models import (
    AllreduceResult,
    AllreduceSize,
    ClusterInfo,
    Device,
    InterNode,
    NodeReport,
    NodeStatus,
    OpResult,
    Outcome,
    ProbeReport,
    ProbeStatus,
)

ROOT = Path(__file__).resolve().parents[1]
CPU = Device(kind="cpu", name="Example CPU", threads=8)
GPU = Device(kind="gpu", name="Example GPU", memory_bytes=2**34, index=0)


def _op(device: str, gflops: float) -> OpResult:
    flops = 2 * 512**3
    median = flops / gflops / 1e9
    return OpResult(device=device, dtype="float32", flops=flops, first_call_s=median,
                    median_s=median, iqr_s=median * 0.01, samples=5, inner_loops=1,
                    gflops=gflops, unstable=False)


def _outcome(framework: str, device: str, gflops: float) -> Outcome:
    devices = [CPU, GPU] if device == "gpu" else [CPU]
    return Outcome(framework=framework, version="1.0", status=ProbeStatus.OK, devices=devices,
                   ops={"gemm": _op(device, gflops), "conv2d": _op(device, gflops / 2)})


def _report(node: str, outcomes: list[Outcome]) -> ProbeReport:
    return ProbeReport(host={"id": f"id-{node}", "node": node, "cpu_count": 8}, budget="quick",
                       results=outcomes)


CPU_BOX = _report("cpu-box", [_outcome("torch", "cpu", 100), _outcome("jax", "cpu", 80),
                              _outcome("tensorflow", "cpu", 90)])
GPU_BOX = _report("gpu-box", [_outcome("torch", "gpu", 9000), _outcome("jax", "gpu", 8000)])


def test_one_machine_is_used_as_it_is() -> None:
    outcomes, nodes, warnings = select([("a.json", CPU_BOX)], True)
    assert outcomes == CPU_BOX.results and nodes == [] and warnings == []


def test_a_gpu_team_counts_the_gpu_node_a_cpu_team_the_fullest_node() -> None:
    reports = [("cpu.json", CPU_BOX), ("gpu.json", GPU_BOX)]
    outcomes, nodes, _ = select(reports, True)
    assert outcomes == GPU_BOX.results
    assert [(n.name, n.matches, n.counted) for n in nodes] == [
        ("cpu-box", False, False), ("gpu-box", True, True)]
    assert "no GPU" in nodes[0].reason
    assert "gemm 9000.0 GFLOP/s on GPU" in nodes[1].measured["torch"]
    outcomes, nodes, _ = select(reports, False)
    assert outcomes == CPU_BOX.results  # three frameworks measured there, two on the other
    assert [n.counted for n in nodes] == [True, False]


def test_an_amd_team_counts_the_rocm_node_an_nvidia_team_the_cuda_node() -> None:
    """The CUDA node measured more frameworks; an AMD team still counts the ROCm node. The
    GPU box's devices have no class (an older document): they are CUDA GPUs."""
    rocm_gpu = GPU.model_copy(update={"device_class": "rocm", "name": "MI300X"})
    rocm = [o.model_copy(update={"devices": [CPU, rocm_gpu]})
            for o in (_outcome("torch", "gpu", 7000), _outcome("jax", "gpu", 6000))]
    cuda = [*GPU_BOX.results, _outcome("tensorflow", "gpu", 5000)]
    reports = [("cuda.json", _report("cuda-box", cuda)),
               ("rocm.json", _report("rocm-box", rocm))]
    outcomes, nodes, _ = select(reports, True, gpu_class="rocm")
    assert outcomes == rocm
    assert [(n.name, n.matches, n.counted) for n in nodes] == [
        ("cuda-box", False, False), ("rocm-box", True, True)]
    assert "its GPUs are CUDA GPUs, and the team trains on ROCm GPUs" in nodes[0].reason
    outcomes, nodes, _ = select(reports, True, gpu_class="cuda")
    assert outcomes == cuda
    assert [(n.name, n.matches) for n in nodes] == [("cuda-box", True), ("rocm-box", False)]


def test_reports_of_the_same_machine_are_one_node() -> None:
    again = _report("cpu-box", [_outcome("numba", "cpu", 50)])
    outcomes, nodes, _ = select([("a.json", CPU_BOX), ("b.json", again)], [])
    assert nodes == [] and len(outcomes) == 4


def _allreduce(simulated: bool) -> AllreduceResult:
    rows = [AllreduceSize(bytes=2**20, first_call_s=0.01, median_s=0.001, iqr_s=1e-5, samples=5,
                          inner_loops=10, unstable=False, algbw_gbps=1.048576,
                          bus_gbps=1.048576)]
    return AllreduceResult(devices=2, simulated=simulated, device="cpu",
                           backend="gloo, one rank per node", sizes=rows)


def _cluster(simulated: bool) -> ProbeReport:
    nodes = [
        NodeReport(node_id="a" * 56, hostname="n1", ip="10.0.0.1", status=NodeStatus.OK,
                   host={"id": "h1", "cpu_count": 8}, results=GPU_BOX.results, gpus=1),
        NodeReport(node_id="b" * 56, hostname="n2", ip="10.0.0.2", status=NodeStatus.FAILED,
                   reason="the node or its worker died (NodeDiedError)", gpus=1),
        NodeReport(node_id="c" * 56, hostname="n3", ip="10.0.0.3", status=NodeStatus.OK,
                   host={"id": "h3", "cpu_count": 8}, results=[_outcome("torch", "cpu", 100)]),
    ]
    inter = InterNode(framework="torch", version="2.13.0", nodes=["a" * 56, "c" * 56],
                      result=_allreduce(simulated))
    return ProbeReport(host={"id": "driver"}, budget="quick", results=[],
                       cluster=ClusterInfo(address="head:6379", simulated=simulated,
                                           nodes_alive=3),
                       nodes=nodes, inter_node=[inter])


def test_a_cluster_report_lists_every_node_and_counts_one() -> None:
    outcomes, nodes, _ = select([("c.json", _cluster(False))], True)
    assert [n.counted for n in nodes] == [True, False, False]
    assert nodes[1].status == "failed" and "NodeDiedError" in nodes[1].reason
    assert "no GPU" in nodes[2].reason
    inter = [o for o in outcomes if o.multi_device and o.multi_device.inter_node]
    assert len(inter) == 1 and outcomes[:2] == GPU_BOX.results


def test_inter_node_figures_feed_distributed_only_when_real() -> None:
    snapshot = load_snapshot("current")

    def outcomes(simulated: bool) -> list[Outcome]:
        found = select([("c.json", _cluster(simulated))], [])[0]
        inter = [o for o in found if o.multi_device and o.multi_device.inter_node][0]
        # A second framework's inter-node figure (half the bandwidth), so there is a ratio.
        slower = _allreduce(simulated)
        rows = [r.model_copy(update={"bus_gbps": r.bus_gbps / 2}) for r in slower.sizes]
        jax = inter.model_copy(update={"framework": "jax", "multi_device": inter.multi_device
                                       .model_copy(update={"inter_node": slower.model_copy(
                                           update={"sizes": rows})})})
        return [inter, jax]

    same, shown, _ = measure_multi_device(snapshot, outcomes(True))
    assert same.scores == snapshot.scores
    assert shown and all(not m.blended for m in shown)
    changed, used, _ = measure_multi_device(snapshot, outcomes(False))
    blended = {m.framework: m for m in used if m.blended}
    assert set(blended) == {"pytorch", "jax"} and blended["jax"].criterion == "distributed"
    assert blended["jax"].ratio == pytest.approx(0.5)
    assert changed.score("jax", "distributed").value != snapshot.score("jax", "distributed").value


def test_recommend_with_two_files_names_the_node_that_counted(tmp_path: Path) -> None:
    paths = []
    for name, report in (("cpu.json", CPU_BOX), ("gpu.json", GPU_BOX)):
        paths += ["--probe-results", str(tmp_path / name)]
        (tmp_path / name).write_text(report.model_dump_json())
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "selector", "recommend", "--hardware", "gpu",
                           "--task", "cnn", "--samples", "0", *paths, "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    assert [(n["name"], n["counted"]) for n in rec["nodes"]] == [("cpu-box", False),
                                                                 ("gpu-box", True)]
    speed = [m for m in rec["measured"] if m["criterion"] == "speed" and m["blended"]]
    assert speed and all(m["device"] == "gpu" for m in speed)
    table = subprocess.run([sys.executable, "-m", "selector", "recommend", "--hardware", "gpu",
                            "--samples", "0", *paths], capture_output=True, text=True, env=env,
                           timeout=120, cwd=ROOT)
    assert "Machines probed" in table.stdout and "* gpu-box" in table.stdout


def test_the_cluster_table_shows_every_node_and_the_inter_node_figure() -> None:
    import io

    from rich.console import Console

    from selector.cli.probe_tables import cluster_table

    console = Console(width=200, file=io.StringIO())
    console.print(cluster_table(_cluster(False)))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Cluster head:6379: 3 alive node(s), real" in text
    assert "Node n2 (10.0.0.2" in text and "failed: the node or its worker died" in text
    assert text.count("Probes on") == 2  # the two nodes that measured
    assert "Between nodes: all-reduce peak bus 1.05 GB/s over 2 nodes" in text
