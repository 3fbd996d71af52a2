"""The private local Ray cluster of ``--cluster local:N`` (docs/cluster.md).

N simulated nodes on this machine (``ray.cluster_utils.Cluster``): its own temporary folder
(``RAY_TMPDIR``, so that it never writes the machine's ``/tmp/ray/ray_current_cluster`` that
``ray.init("auto")`` reads), its own ports, token authentication with a fresh random token held
only in this process's environment, Ray's usage statistics off (nothing leaves the machine).
It runs only what probing needs: no autoscaler monitor and no log monitor (the driver does not
stream the workers' logs). Besides the start, these two cost about half a second of CPU each to
start, on the CPUs the probes measure with, and about a second together to stop (Ray gives
each process up to 1 s to exit after SIGTERM, and they took it); without them the graceful
shut-down takes tens of milliseconds, every process of every node reaped.
"""

from __future__ import annotations

import importlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from selector.cluster import ClusterError, one_line

MAX_LOCAL_NODES = 16
LOCAL_PREFIX = "local:"
#: How long the nodes may take to register with the cluster.
START_TIMEOUT_S = 60.0
#: Variables a private cluster sets for its lifetime (and restores after).
_PRIVATE_ENV = ("RAY_TMPDIR", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH",
                "RAY_USAGE_STATS_ENABLED")
#: Every node: one CPU (a node runs one probe task at a time); nothing the probes do not use.
#: The dashboard's API server and the per-node agents are part of Ray's core and always start.
_NODE_ARGS: dict[str, Any] = {"num_cpus": 1, "include_log_monitor": False}
_HEAD_ARGS: dict[str, Any] = {**_NODE_ARGS, "include_dashboard": False, "no_monitor": True}


def local_nodes(address: str) -> int | None:
    """N of ``local:N``; None for any other address; ClusterError for a malformed one."""
    if not address.startswith(LOCAL_PREFIX):
        return None
    text = address[len(LOCAL_PREFIX):]
    if not text.isdigit() or not 1 <= int(text) <= MAX_LOCAL_NODES:
        raise ClusterError(f"--cluster {address!r}: local:N takes N from 1 to {MAX_LOCAL_NODES}")
    return int(text)


class LocalCluster:
    """A private ``ray.cluster_utils.Cluster`` (``local:N``); ``kill`` ends one node as if its
    machine died (for trying out, and the tests)."""

    def __init__(self, cluster: Any) -> None:
        self._cluster = cluster

    @property
    def address(self) -> str:
        return str(self._cluster.address)

    def worker_node_ids(self) -> list[str]:
        """The nodes other than the head (killing the head ends the cluster)."""
        return [n.node_id for n in self._cluster.worker_nodes]

    def kill(self, node_id: str) -> bool:
        for node in self._cluster.list_all_nodes():
            if node.node_id == node_id:
                self._cluster.remove_node(node, allow_graceful=False)
                return True
        return False


@contextmanager
def private_cluster(nodes: int) -> Iterator[LocalCluster]:
    """A Ray cluster of ``nodes`` simulated nodes on this machine, only for this process."""
    from ray.cluster_utils import Cluster

    saved = {name: os.environ.get(name) for name in _PRIVATE_ENV}
    # Short: Ray's Unix sockets live under it, and a socket path is limited to ~107 bytes.
    tmp = tempfile.mkdtemp(prefix="dlsr-", dir="/tmp" if os.path.isdir("/tmp") else None)
    os.environ["RAY_TMPDIR"] = tmp
    os.environ["RAY_AUTH_MODE"] = "token"
    os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    os.environ.pop("RAY_AUTH_TOKEN_PATH", None)
    # Ray reports usage statistics to its makers by default; a private cluster on this machine
    # sends nothing off it (Ray's documented switch, "Usage Stats Collection").
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    _reload_auth_config()
    cluster: Any = None
    try:
        try:
            cluster = Cluster(initialize_head=True,
                              head_node_args={**_HEAD_ARGS, "temp_dir": os.path.join(tmp, "ray")})
            for _ in range(nodes - 1):
                cluster.add_node(**_NODE_ARGS)
            cluster.wait_for_nodes(timeout=START_TIMEOUT_S)
        except Exception as exc:
            raise ClusterError(f"cannot start a local Ray cluster of {nodes} nodes: "
                               f"{one_line(exc)}") from None
        yield LocalCluster(cluster)
    finally:
        if cluster is not None:
            cluster.shutdown()  # graceful; each process reaped, agents and workers too
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _reload_auth_config()
        shutil.rmtree(tmp, ignore_errors=True)


def _reload_auth_config() -> None:
    """Ray reads ``RAY_AUTH_MODE`` and the token once, when it is imported; a private
    cluster sets them afterwards, so make Ray read them again (what Ray itself does when it
    turns token authentication on, ray/_private/authentication/authentication_token_setup.py).
    Ray 2.60 has no public call for it."""
    raylet: Any = importlib.import_module("ray._raylet")  # compiled; no type information
    raylet.Config.initialize("")
    raylet.AuthenticationTokenLoader.instance().reset_cache()
