"""Run dlselect's probes once on every alive node of a Ray cluster (docs/cluster.md).

Each node runs, inside one Ray task pinned to it (``NodeAffinitySchedulingStrategy``,
``soft=False``), the same discovery and runner as ``dlselect probe`` on one machine: its own
interpreters, its own frameworks, its own hardware. Ray caps ``OMP_NUM_THREADS`` to a task's
``num_cpus``; the task removes that cap before it starts any probe, so the probes measure with
all of the node's cores. Every wait on Ray has a timeout; a node that dies, hangs, lacks
dlselect or a framework is reported in its ``NodeReport``, never fatal.

``local:N`` starts a private cluster of N simulated nodes on this machine (selector/cluster/
local.py) and shuts it down once the driver has disconnected. Nothing here ever calls
``ray.init()`` without an address.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import ray
from pydantic import ValidationError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from selector.cluster import ClusterError, one_line
from selector.cluster.local import LocalCluster, local_nodes, private_cluster
from selector.probing.environment import host_facts
from selector.probing.models import (
    AllreduceResult,
    ClusterInfo,
    InterNode,
    NodeReport,
    NodeStatus,
    ProbeReport,
)
from selector.probing.service import ProbeRequest

#: How long one node may take for its whole probe run (discovery, every framework, a
#: re-measurement of unstable ones) before it is reported as timed out.
NODE_TIMEOUT_S = 1800.0
#: Small calls to Ray (the list of nodes, a free port).
CALL_TIMEOUT_S = 60.0
#: The inter-node all-reduce, all sizes.
INTER_NODE_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class ClusterRequest:
    #: a Ray address (``host:port``, ``ray://host:port``), ``auto`` or ``local:N``
    address: str
    probe: ProbeRequest
    node_timeout_s: float = NODE_TIMEOUT_S


class ClusterReporter(Protocol):
    """Progress for people (the CLI draws it) and a hook for the tests."""

    def connected(self, address: str, nodes: int) -> None: ...
    def submitted(self, node_ids: list[str], local: LocalCluster | None) -> None: ...
    def node_finished(self, node: NodeReport) -> None: ...


class SilentClusterReporter:
    def connected(self, address: str, nodes: int) -> None:
        pass

    def submitted(self, node_ids: list[str], local: LocalCluster | None) -> None:
        pass

    def node_finished(self, node: NodeReport) -> None:
        pass


def check_address(address: str) -> None:
    """``auto``, ``local:N``, ``ray://host:port`` or ``host:port``; ClusterError otherwise."""
    if address == "auto" or local_nodes(address) is not None:
        return
    rest = address.removeprefix("ray://")
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ClusterError(f"--cluster {address!r}: not a Ray address; give host:port, "
                           "ray://host:port, auto (the cluster this machine belongs to) or "
                           "local:N (a private local cluster of N nodes)")


@contextmanager
def connected(address: str) -> Iterator[LocalCluster | None]:
    """Connected to the cluster at ``address`` (a private one for ``local:N``) for the block;
    disconnected (and a private cluster shut down) after."""
    check_address(address)
    if ray.is_initialized():
        raise ClusterError("this process is already connected to a Ray cluster; dlselect "
                           "connects to the one --cluster names itself")
    n = local_nodes(address)
    if n is not None:
        with private_cluster(n) as local:
            _init(local.address)
            try:
                yield local
            finally:
                ray.shutdown()
        return
    _init(address)
    try:
        yield None
    finally:
        ray.shutdown()


def _init(address: str) -> None:
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING,
                 namespace="dlselect")
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError, ...
        tip = ("with token authentication on, give the cluster's token in RAY_AUTH_TOKEN or "
               "RAY_AUTH_TOKEN_PATH (ray get-auth-token)" if "auth" in str(exc).lower()
               else None)
        raise ClusterError(f"cannot connect to the Ray cluster at {address!r}: "
                           f"{one_line(exc)}", tip=tip) from None


def probe_cluster(request: ClusterRequest,
                  reporter: ClusterReporter | None = None) -> ProbeReport:
    """One probe run per alive node, and between nodes the all-reduce when ``allreduce`` is
    among the requested ops. Never raises for a node's failure; ClusterError when the cluster
    itself cannot be reached or started."""
    reporter = reporter or SilentClusterReporter()
    started = time.monotonic()
    with connected(request.address) as local:
        startup_s = time.monotonic() - started
        alive = [n for n in ray.nodes() if n.get("Alive")]
        reporter.connected(request.address, len(alive))
        nodes = _probe_nodes(alive, request, reporter, local)
        ok = [n for n in nodes if n.status is NodeStatus.OK]
        ips = {n.ip for n in ok}
        simulated = local is not None or len(ips) < 2
        inter: list[InterNode] = []
        warnings: list[str] = []
        if len(ok) >= 2 and "allreduce" in request.probe.ops:
            found, warning = _inter_node(ok, request.probe.budget, simulated)
            inter += [found] if found is not None else []
            warnings += [warning] if warning else []
        elif "allreduce" in request.probe.ops:
            warnings.append("the inter-node all-reduce needs two or more nodes that ran their "
                            f"probes; {len(ok)} did")
    info = ClusterInfo(address=request.address, simulated=simulated, nodes_alive=len(alive),
                       ray_version=ray.__version__, startup_s=round(startup_s, 3))
    for node in nodes:
        if node.status is not NodeStatus.OK:
            warnings.append(f"node {node.hostname or node.node_id[:12]} ({node.ip}): "
                            f"{node.status}: {node.reason}")
    return ProbeReport(host=host_facts(), budget=request.probe.budget, results=[],
                       warnings=warnings, cluster=info, nodes=nodes, inter_node=inter)


def _probe_nodes(alive: list[dict[str, Any]], request: ClusterRequest,
                 reporter: ClusterReporter, local: LocalCluster | None) -> list[NodeReport]:
    remote = ray.remote(num_cpus=1, max_retries=0)(_node_probe)
    keep_omp = os.environ.get("OMP_NUM_THREADS")
    refs: dict[Any, dict[str, Any]] = {}
    for node in alive:
        strategy = NodeAffinitySchedulingStrategy(node_id=node["NodeID"], soft=False)
        refs[remote.options(scheduling_strategy=strategy).remote(request.probe, keep_omp)] = node
    reporter.submitted([n["NodeID"] for n in alive], local)
    reports: dict[str, NodeReport] = {}
    deadline = time.monotonic() + request.node_timeout_s
    pending = list(refs)
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        done, pending = ray.wait(pending, num_returns=1, timeout=left)
        for ref in done:
            node = refs[ref]
            reports[node["NodeID"]] = _collect(ref, node)
            reporter.node_finished(reports[node["NodeID"]])
    for ref in pending:
        node = refs[ref]
        ray.cancel(ref, force=True)
        reports[node["NodeID"]] = _failed(node, NodeStatus.TIMEOUT,
                                          f"did not finish within {request.node_timeout_s:g} s; "
                                          "cancelled")
        reporter.node_finished(reports[node["NodeID"]])
    return [reports[n["NodeID"]] for n in alive]


def _collect(ref: Any, node: dict[str, Any]) -> NodeReport:
    try:
        got = ray.get(ref, timeout=CALL_TIMEOUT_S)
    except ray.exceptions.GetTimeoutError:
        return _failed(node, NodeStatus.TIMEOUT, "its result did not arrive")
    except ray.exceptions.RayError as exc:
        return _failed(node, NodeStatus.FAILED, _ray_reason(exc))
    try:
        report = ProbeReport.model_validate(got["report"])
    except (ValidationError, KeyError, TypeError) as exc:
        # Another dlselect version on the node, or a result mangled on the way.
        return _failed(node, NodeStatus.FAILED, f"invalid result from the node: "
                                                f"{one_line(exc)}")
    return NodeReport(node_id=node["NodeID"], hostname=got["hostname"], ip=got["ip"],
                      status=NodeStatus.OK, host=report.host, results=report.results,
                      warnings=report.warnings, gpus=_gpus(node), probe_env=got["env"],
                      elapsed_s=round(got["elapsed_s"], 3))


def _failed(node: dict[str, Any], status: NodeStatus, reason: str) -> NodeReport:
    return NodeReport(node_id=node["NodeID"], hostname=node.get("NodeManagerHostname"),
                      ip=node.get("NodeManagerAddress"), status=status, reason=reason,
                      gpus=_gpus(node))


def _gpus(node: dict[str, Any]) -> int:
    return int(node.get("Resources", {}).get("GPU", 0))


def _ray_reason(exc: BaseException) -> str:
    if isinstance(exc, ray.exceptions.RayTaskError):
        cause = exc.cause if getattr(exc, "cause", None) is not None else exc
        return f"the probe task failed: {one_line(cause)}"
    name = type(exc).__name__
    if "NodeDied" in name or "WorkerCrashed" in name or "ObjectLost" in name:
        return f"the node or its worker died ({name})"
    return one_line(exc)


# --------------------------------------------------------------------------- on the nodes


def _undo_thread_cap(keep: str | None) -> None:
    """Ray sets ``OMP_NUM_THREADS`` to the task's ``num_cpus`` (1) unless the driver had set
    it; the probes must see every core of the node, so take the driver's value or none."""
    if keep is None:
        os.environ.pop("OMP_NUM_THREADS", None)
    else:
        os.environ["OMP_NUM_THREADS"] = keep


def _node_probe(request: ProbeRequest, keep_omp: str | None) -> dict[str, Any]:
    """Runs inside the Ray task on one node: the ordinary probe run of that node."""
    from selector.probing.service import probe

    started = time.monotonic()
    _undo_thread_cap(keep_omp)
    # The runner installs signal handlers only on the main thread; a Ray task may run on
    # another one, where the runner leaves the signals alone.
    report = probe(request)
    from selector.probing.environment import recorded_env_names

    env = {name: os.environ[name] for name in recorded_env_names() if name in os.environ}
    return {"hostname": socket.gethostname(), "ip": ray.util.get_node_ip_address(),
            "report": report.model_dump(mode="json"), "elapsed_s": time.monotonic() - started,
            "env": env}


def _free_port() -> tuple[str, int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("", 0))
        return ray.util.get_node_ip_address(), int(sock.getsockname()[1])


def _inter_node_rank(rank: int, world: int, master: str, port: int, budget: str,
                     timeout_s: float) -> dict[str, Any] | None:
    """One rank of the inter-node all-reduce: the torch probe's gloo worker, in this node's
    interpreter that has torch."""
    import json
    import subprocess

    from selector.paths import probes_dir
    from selector.probing.discovery import discover
    from selector.probing.environment import child_env

    _undo_thread_cap(None)
    having = [i for i in discover([]) if "torch" in i.found]
    if not having:
        raise RuntimeError("torch is not installed in any interpreter on this node")
    with tempfile.TemporaryDirectory(prefix="dlselect-inter-") as tmp:
        output = os.path.join(tmp, "allreduce.json")
        argv = [having[0].path, str(probes_dir() / "_multi_torch.py"), "--worker", "allreduce",
                "--rank", str(rank), "--world", str(world), "--port", str(port), "--master",
                master, "--backend", "gloo", "--device", "cpu", "--budget", budget,
                "--output", output]
        proc = subprocess.run(argv, env=child_env(), capture_output=True, text=True,
                              timeout=timeout_s, stdin=subprocess.DEVNULL, check=False)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no message"])[-1][:300]
            raise RuntimeError(f"rank {rank} exited with code {proc.returncode}: {tail}")
        if rank != 0:
            return None
        with open(output, encoding="utf-8") as fh:
            result: dict[str, Any] = json.load(fh)
        return {"version": having[0].found["torch"], **result}


def _inter_node(nodes: list[NodeReport], budget: str,
                simulated: bool) -> tuple[InterNode | None, str | None]:
    """The all-reduce between ``nodes``, one torch gloo rank on each."""
    def pinned(fn: Callable[..., Any], node: NodeReport) -> Any:
        strategy = NodeAffinitySchedulingStrategy(node_id=node.node_id, soft=False)
        return ray.remote(num_cpus=1, max_retries=0)(fn).options(scheduling_strategy=strategy)

    try:
        master, port = ray.get(pinned(_free_port, nodes[0]).remote(), timeout=CALL_TIMEOUT_S)
        refs = [pinned(_inter_node_rank, node).remote(rank, len(nodes), master, port, budget,
                                                      INTER_NODE_TIMEOUT_S)
                for rank, node in enumerate(nodes)]
        got = ray.get(refs, timeout=INTER_NODE_TIMEOUT_S + CALL_TIMEOUT_S)[0]
    except ray.exceptions.GetTimeoutError:
        return None, f"the inter-node all-reduce did not finish within {INTER_NODE_TIMEOUT_S:g} s"
    except ray.exceptions.RayError as exc:
        return None, f"the inter-node all-reduce failed: {_ray_reason(exc)}"
    note = ("simulated: the nodes share one machine (local:N, or one IP address); not a "
            "measurement of a network") if simulated else None
    result = AllreduceResult(devices=len(nodes), simulated=simulated, device="cpu",
                             backend="gloo, one rank per node", sizes=got["rows"],
                             check=got["check"],
                             kernel="torch.distributed.all_reduce (SUM, gloo) between nodes",
                             note=note)
    return InterNode(framework="torch", version=got["version"],
                     nodes=[n.node_id for n in nodes], result=result), None
