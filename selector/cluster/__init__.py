"""Probing every node of a Ray cluster (``dlselect probe --cluster``; docs/cluster.md).

Ray is an optional extra (``pip install 'dlselect[cluster]'``). Every use of Ray in dlselect is
in this subpackage, and nothing is imported from Ray until a cluster is asked for: this module
only says whether Ray is there.
"""

from __future__ import annotations

import importlib.util

from selector.errors import DlselectError

INSTALL_HINT = "pip install 'dlselect[cluster]'"


class ClusterError(DlselectError):
    """A cluster cannot be reached or started, or its address is malformed."""


def ray_available() -> bool:
    try:
        return importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):
        return False


def require_ray() -> None:
    """ClusterError (one line, exit 2) when Ray is not installed."""
    if not ray_available():
        raise ClusterError(f"--cluster needs Ray, which is not installed: {INSTALL_HINT}")


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception as one line of at most ``limit`` characters, its type first."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    line = f"{type(exc).__name__}: {text}"
    return line if len(line) <= limit else line[: limit - 3] + "..."
