"""The environment and the host facts a probe runs with."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path

#: Passed through from the user's environment when set; nothing else is.
PASSED_THROUGH = (
    "PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "LD_LIBRARY_PATH",
    "CUDA_VISIBLE_DEVICES", "CUDA_HOME", "HIP_VISIBLE_DEVICES",
    "OMP_NUM_THREADS", "OMP_PROC_BIND", "OMP_PLACES", "MKL_NUM_THREADS", "KMP_AFFINITY",
    # Set on some CPUs because older OpenBLAS builds compute wrong results there otherwise.
    "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
    "NUMBA_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
    "TF_ENABLE_ONEDNN_OPTS", "XLA_FLAGS", "JAX_PLATFORMS",
)
#: Always set for a probe: no user site-packages, no bytecode litter, quieter TensorFlow, and
#: GPU memory taken as needed: by default JAX reserves 75 % of the GPU at its first use and
#: TensorFlow nearly all of it, which would starve whatever runs next on the same GPU.
FIXED = {
    "PYTHONNOUSERSITE": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
    "TF_FORCE_GPU_ALLOW_GROWTH": "true",
}


def child_env() -> dict[str, str]:
    env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    env.update(FIXED)
    return env


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def host_facts() -> dict[str, object]:
    """What identifies the hardware a measurement was made on; ``id`` hashes the rest."""
    facts: dict[str, object] = {
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "machine": platform.machine(),
        "system": platform.system(),
        "node": platform.node(),
    }
    stable = {k: v for k, v in facts.items() if k != "node"}
    facts["id"] = hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:16]
    return facts
