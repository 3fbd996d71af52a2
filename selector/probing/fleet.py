"""Probe results from several machines (``--probe-results`` files, the nodes of a
``--cluster`` run): which node's figures count for the team (docs/cluster.md).

Speed compares frameworks measured on ONE machine: a torch figure from one node against a JAX
figure from another would compare the machines, not the frameworks. So with several nodes the
ranking uses the figures of one node: among the nodes whose hardware matches the team's (a
GPU for a team that trains on GPUs, of the team's class where the probes tell it: a ROCm GPU
for a team on AMD GPUs; any node for a CPU team or a team that names no hardware),
the one that measured the most frameworks (then the most operations; then the first given).
Every node is listed with what it measured and whether it counted. Inter-node all-reduce
figures belong to the whole cluster: they are always passed on (they feed ``distributed`` only
when real).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from selector.models import NodeUse
from selector.probing.models import MultiDevice, NodeStatus, Outcome, ProbeReport, ProbeStatus


@dataclass
class Node:
    name: str
    source: str
    node_id: str | None = None
    ip: str | None = None
    host_id: str | None = None
    gpus: int = 0
    status: str = "ok"
    reason: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)

    def has_gpu(self) -> bool:
        return self.gpus > 0 or any(d.kind == "gpu" for o in self.outcomes for d in o.devices)

    def gpu_classes(self) -> set[str]:
        """The classes of the GPUs its probes saw (``cuda``, ``rocm``); empty where they saw
        none (a cluster node may still count GPUs)."""
        return {d.vendor_class for o in self.outcomes for d in o.devices if d.kind == "gpu"}

    def measured(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is ProbeStatus.OK]


def nodes_of(reports: Sequence[tuple[str, ProbeReport]]) -> tuple[list[Node], list[Outcome]]:
    """Every node of the reports (a one-machine report is one node; reports of the same
    machine, by host id, are merged), and the inter-node results as outcomes."""
    nodes: list[Node] = []
    by_host: dict[str, Node] = {}
    inter: list[Outcome] = []
    for source, report in reports:
        if report.cluster is None:
            host_id = str(report.host.get("id") or source)
            node = by_host.get(host_id)
            if node is None:
                node = Node(name=str(report.host.get("node") or host_id), source=source,
                            host_id=host_id)
                by_host[host_id] = node
                nodes.append(node)
            node.outcomes += report.results
            continue
        for n in report.nodes:
            nodes.append(Node(
                name=n.hostname or n.node_id[:12], source=f"{source} ({report.cluster.address})",
                node_id=n.node_id, ip=n.ip, host_id=str(n.host.get("id") or "") or None,
                gpus=n.gpus or 0, status=str(n.status), reason=n.reason,
                outcomes=list(n.results) if n.status is NodeStatus.OK else []))
        inter += [Outcome(framework=i.framework, version=i.version, status=ProbeStatus.OK,
                          multi_device=MultiDevice(inter_node=i.result))
                  for i in report.inter_node]
    return nodes, inter


#: How a GPU class reads in a node's reason.
_VENDOR = {"cuda": "CUDA", "rocm": "ROCm"}


def matches(node: Node, gpu: bool, gpu_class: str | None = None) -> tuple[bool, str]:
    if node.status != "ok":
        return False, f"{node.status}: {node.reason}"
    if not node.measured():
        return False, "measured no framework"
    if gpu and not node.has_gpu():
        return False, "no GPU, and the team trains on GPUs"
    seen = node.gpu_classes()
    if gpu and gpu_class is not None and seen and gpu_class not in seen:
        found = ", ".join(sorted(_VENDOR.get(c, c.upper()) for c in seen))
        return False, (f"its GPUs are {found} GPUs, and the team trains on "
                       f"{_VENDOR.get(gpu_class, gpu_class.upper())} GPUs")
    return True, "matches the team's hardware"


def select(reports: Sequence[tuple[str, ProbeReport]], gpu: bool,
           gpu_class: str | None = None,
           ) -> tuple[list[Outcome], list[NodeUse], list[str]]:
    """The outcomes to rank with, every node with its use, and warnings. With one node (or
    none) nothing is chosen: its figures are used as they are and no node is listed.
    ``gpu_class`` (``cuda``, ``rocm``) is the class of the team's GPUs: a node whose probes saw
    GPUs of another class only does not match."""
    nodes, inter = nodes_of(reports)
    if len(nodes) <= 1:
        return [o for n in nodes for o in n.outcomes] + inter, [], []
    fits = {id(n): matches(n, gpu, gpu_class) for n in nodes}
    candidates = [n for n in nodes if fits[id(n)][0]]
    chosen = max(candidates, default=None,
                 key=lambda n: (len({o.framework for o in n.measured()}),
                                sum(len(o.ops) for o in n.measured()), -nodes.index(n)))
    warnings = []
    if chosen is None:
        warnings.append("no node of the probe results matches the team's hardware; no node's "
                        "figures are used")
    uses = []
    for n in nodes:
        ok, why = fits[id(n)]
        if n is chosen:
            why = (f"counted: {why}, and measured the most frameworks "
                   f"({len({o.framework for o in n.measured()})})")
        elif ok:
            why = "not counted: another matching node measured more (figures of one node only)"
        else:
            why = f"not counted: {why}"
        uses.append(NodeUse(name=n.name, source=n.source, node_id=n.node_id, ip=n.ip,
                            host_id=n.host_id, gpus=n.gpus, status=n.status, matches=ok,
                            counted=n is chosen, measured=_summary(n), reason=why))
    outcomes = (chosen.outcomes if chosen is not None else []) + inter
    return outcomes, uses, warnings


def _summary(node: Node) -> dict[str, str]:
    """framework -> what it measured there, in a few words."""
    out: dict[str, str] = {}
    for o in node.outcomes:
        if o.status is not ProbeStatus.OK:
            text = f"{o.status}"
        else:
            gemm = o.ops.get("gemm")
            parts = [f"{len(o.ops)} ops"]
            if gemm is not None and gemm.gflops:
                parts.append(f"gemm {gemm.gflops:.1f} GFLOP/s on {gemm.device.upper()}")
            if o.multi_device and o.multi_device.scaling:
                parts.append(f"scaling {o.multi_device.scaling.efficiency:.2f}")
            text = ", ".join(parts)
        out.setdefault(o.framework, text)
    return out
