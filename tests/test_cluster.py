"""Cluster probing on Ray (``dlselect probe --cluster``, selector/cluster/).

The Ray tests start PRIVATE local clusters (``local:N``: their own temporary folder, ports and
token); they never join a cluster that may run on this machine. They probe Numba (the quickest
probe) with ``--ops gemm`` and ``--refresh`` so that each node really measures.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from selector.probing.models import NodeStatus, ProbeReport, ProbeStatus
from selector.probing.service import ProbeRequest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 300


def test_nothing_outside_selector_cluster_imports_ray() -> None:
    pattern = re.compile(r"^\s*(import ray\b|from ray\b)", re.MULTILINE)
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "selector").rglob("*.py")
                 if "cluster" not in p.relative_to(ROOT / "selector").parts
                 and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


# Blocks ``ray`` for the child: find_spec("ray") raises ModuleNotFoundError, as when absent.
_HIDE_RAY = """
import sys
class HideRay:
    def find_spec(self, name, path=None, target=None):
        if name == "ray" or name.startswith("ray."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, HideRay())
from selector.cli.app import main
sys.argv = ["dlselect", "probe", "--cluster", "local:2"]
main()
"""


def test_without_ray_cluster_says_how_to_install_in_one_line() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", _HIDE_RAY], capture_output=True, text=True,
                          env=env, timeout=120, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'dlselect[cluster]'" in lines[0], proc.stderr


def test_a_bad_address_is_refused_before_anything_starts() -> None:
    pytest.importorskip("ray")
    from selector.cluster import ClusterError
    from selector.cluster.ray_probe import check_address

    for bad in ("local:0", "local:x", "nohost", "host:99999", "ray://:1"):
        with pytest.raises(ClusterError):
            check_address(bad)
    for good in ("auto", "local:3", "10.0.0.1:6379", "ray://head:10001"):
        check_address(good)


def _cli(*args: str) -> tuple[ProbeReport, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "selector", "probe", *args, "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=TIMEOUT_S, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return ProbeReport.model_validate(json.loads(proc.stdout)), proc.stderr


NUMBA = ("--framework", "numba", "--ops", "gemm", "--refresh")


@pytest.mark.slow
def test_a_local_ray_instance_probes_one_framework() -> None:
    pytest.importorskip("ray")
    pytest.importorskip("numba")
    report, stderr = _cli("--cluster", "local:1", *NUMBA)
    assert report.cluster is not None and report.cluster.simulated
    assert report.results == [] and len(report.nodes) == 1
    node = report.nodes[0]
    assert node.status is NodeStatus.OK and node.ip and node.hostname and node.node_id
    assert node.host.get("cpu_count")
    numba = [r for r in node.results if r.framework == "numba"]
    assert numba and all(r.status is ProbeStatus.OK and "gemm" in r.ops for r in numba)
    # Ray caps OMP_NUM_THREADS at the task's 1 CPU; the probes must not inherit that cap.
    assert node.probe_env.get("OMP_NUM_THREADS") == os.environ.get("OMP_NUM_THREADS")
    assert "connected to local:1" in stderr


def _run(address: str, request: ProbeRequest, reporter: object = None) -> ProbeReport:
    from selector.cluster.ray_probe import ClusterRequest, probe_cluster

    return probe_cluster(ClusterRequest(address=address, probe=request,
                                        node_timeout_s=TIMEOUT_S), reporter)  # type: ignore[arg-type]


def _descendants() -> set[int]:
    """The processes below this one that are not zombies (from /proc)."""
    children: dict[int, list[int]] = {}
    states: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            states[int(entry.name)] = fields[0]
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [os.getpid()]
    while todo:
        for pid in children.get(todo.pop(), []):
            if states.get(pid) != "Z":
                found.add(pid)
                todo.append(pid)
    return found


class Processes:
    """Records the private cluster's processes (GCS, raylets, agents, workers) while it runs."""

    def __init__(self, before: frozenset[int] = frozenset()) -> None:
        self.before = before  # processes that are not the cluster's
        self.seen: set[int] = set()
        #: RAY_USAGE_STATS_ENABLED as the cluster's processes saw it ("" where unset)
        self.usage_stats: set[str] = set()

    def connected(self, address: str, nodes: int) -> None:
        self.seen |= _descendants()
        for pid in self.seen - self.before:
            # The cluster's own binaries (GCS server, raylets); Ray's Python agents rename their
            # process (setproctitle), which clobbers what /proc/PID/environ shows of them.
            try:
                program = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
                env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if program.endswith((b"gcs_server", b"raylet")):
                value = [e[len(b"RAY_USAGE_STATS_ENABLED="):] for e in env
                         if e.startswith(b"RAY_USAGE_STATS_ENABLED=")]
                self.usage_stats.add(value[0].decode() if value else "")

    def submitted(self, node_ids: list[str], local: object) -> None:
        self.seen |= _descendants()

    def node_finished(self, node: object) -> None:
        self.seen |= _descendants()


@pytest.mark.slow
def test_three_simulated_nodes_return_one_result_each() -> None:
    pytest.importorskip("ray")
    pytest.importorskip("numba")
    before = _descendants()
    before_stats = os.environ.get("RAY_USAGE_STATS_ENABLED")
    processes = Processes(frozenset(before))
    report = _run("local:3", ProbeRequest(frameworks=("numba",), ops=("gemm",), refresh=True),
                  processes)
    # The private cluster is gone when probe_cluster returns: none of its processes is left.
    assert len(processes.seen - before) >= 3 * 2  # at least a raylet and a worker per node
    assert _descendants() & (processes.seen - before) == set()
    # Nothing leaves the machine: the cluster ran with Ray's usage statistics off.
    assert processes.usage_stats == {"0"}
    assert os.environ.get("RAY_USAGE_STATS_ENABLED") == before_stats  # restored
    assert report.cluster is not None and report.cluster.nodes_alive == 3
    assert len({n.node_id for n in report.nodes}) == 3
    for node in report.nodes:
        assert node.status is NodeStatus.OK, node.reason
        assert any(r.framework == "numba" and r.status is ProbeStatus.OK for r in node.results)


class KillOne:
    """Kills one worker node a few seconds after the probes were submitted."""

    def __init__(self, delay_s: float = 2.0) -> None:
        self.delay_s = delay_s
        self.killed: str | None = None

    def connected(self, address: str, nodes: int) -> None:
        pass

    def submitted(self, node_ids: list[str], local: object) -> None:
        assert local is not None
        victim = local.worker_node_ids()[0]  # type: ignore[attr-defined]

        def kill() -> None:
            if local.kill(victim):  # type: ignore[attr-defined]
                self.killed = victim

        threading.Timer(self.delay_s, kill).start()

    def node_finished(self, node: object) -> None:
        pass


@pytest.mark.slow
def test_a_node_killed_mid_probe_is_reported_and_the_others_come_back() -> None:
    pytest.importorskip("ray")
    pytest.importorskip("numba")
    killer = KillOne()
    report = _run("local:3", ProbeRequest(frameworks=("numba",), ops=("gemm",), refresh=True),
                  killer)
    assert killer.killed is not None
    by_id = {n.node_id: n for n in report.nodes}
    dead = by_id[killer.killed]
    assert dead.status in (NodeStatus.FAILED, NodeStatus.TIMEOUT) and dead.reason
    others = [n for n in report.nodes if n.node_id != killer.killed]
    assert len(others) == 2 and all(n.status is NodeStatus.OK for n in others)
    assert any(killer.killed[:12] in w or (dead.ip or "") in w for w in report.warnings)


@pytest.mark.slow
def test_inter_node_allreduce_on_two_simulated_nodes() -> None:
    pytest.importorskip("ray")
    pytest.importorskip("torch")
    pytest.importorskip("numba")
    report = _run("local:2", ProbeRequest(frameworks=("numba",), ops=("gemm", "allreduce"),
                                          refresh=True))
    assert [n.status for n in report.nodes] == [NodeStatus.OK, NodeStatus.OK]
    assert len(report.inter_node) == 1, report.warnings
    inter = report.inter_node[0]
    assert inter.framework == "torch" and inter.nodes == [n.node_id for n in report.nodes]
    result = inter.result
    assert result.simulated and result.devices == 2 and result.check and result.check.ok
    assert [s.bytes for s in result.sizes] == [1024, 2**20, 64 * 2**20]


_THREADS = ("import os, torch; print(os.environ.get('OMP_NUM_THREADS'), torch.get_num_threads())")


@pytest.mark.slow
def test_the_probes_in_a_ray_task_use_as_many_threads_as_locally() -> None:
    ray = pytest.importorskip("ray")
    pytest.importorskip("torch")
    from selector.cluster.ray_probe import connected

    def threads_in_a_task(undo: bool) -> str:
        """A child interpreter started as the runner starts probes (child_env), with Ray's cap
        on OMP_NUM_THREADS left or removed as the probe task removes it. (A closure: Ray ships
        it by value, the workers need not import this module.)"""
        from selector.cluster.ray_probe import _undo_thread_cap
        from selector.probing.environment import child_env

        if undo:
            _undo_thread_cap(None)
        return subprocess.run([sys.executable, "-c", _THREADS], env=child_env(),
                              capture_output=True, text=True, timeout=TIMEOUT_S,
                              check=True).stdout.strip()

    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    local = subprocess.run([sys.executable, "-c", _THREADS], env=env, capture_output=True,
                           text=True, timeout=TIMEOUT_S, check=True).stdout.strip()
    with connected("local:1"):
        task = ray.remote(num_cpus=1, max_retries=0)(threads_in_a_task)
        capped, undone = ray.get([task.remote(False), task.remote(True)], timeout=TIMEOUT_S)
    assert capped.split()[0] == "1"  # Ray's cap, which the test must see to mean anything
    if (os.cpu_count() or 1) > 1:
        assert capped.split()[1] == "1"
    assert undone == local
