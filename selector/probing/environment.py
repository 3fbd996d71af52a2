"""The environment and the host facts a probe runs with."""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import platform
import threading

from selector.paths import probes_dir

#: Passed through from the user's environment when set, besides the variables the probes
#: record (``recorded_env_names``): what a process needs to run at all.
BASICS = (
    "PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "LD_LIBRARY_PATH",
    "CUDA_HOME", "HIP_VISIBLE_DEVICES",
)


#: ast.parse from several threads at once (discovery inspects interpreters in a pool) can fail
#: in CPython 3.11 with "AST constructor recursion depth mismatch"
#: (https://github.com/python/cpython/issues/106905): one parse at a time.
_PARSE_LOCK = threading.Lock()


@functools.cache
def recorded_env_names() -> tuple[str, ...]:
    """The variables that change how a framework runs (threads, kernels, devices, precision,
    memory): one list, the probe harness's ``RECORDED_ENV``, which the runner passes through and
    every probe records. Read as a literal from the harness's file that defines it,
    ``probes/_environment.py`` (nothing of it runs here)."""
    path = probes_dir() / "_environment.py"
    with _PARSE_LOCK:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "RECORDED_ENV"):
            return tuple(ast.literal_eval(node.value))
    raise RuntimeError(f"{path}: no RECORDED_ENV")  # pragma: no cover - ships with dlselect


def passed_through() -> tuple[str, ...]:
    return (*BASICS, *recorded_env_names())


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
    env = {k: os.environ[k] for k in passed_through() if k in os.environ}
    env.update(FIXED)
    return env


def _cpu_model() -> str:
    from selector.probing.machine import cpuinfo

    models = cpuinfo("model name")
    return models[0] if models else platform.processor() or platform.machine()


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
