"""The machine and the versions the figures were measured on."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import ROOT
from _proc import run

VERSIONS_CODE = r"""
import importlib.metadata as md, json, platform, sys
out = {"python": platform.python_version()}
for name in json.loads(sys.argv[1]):
    try:
        out[name] = md.version(name)
    except md.PackageNotFoundError:
        out[name] = None
print(json.dumps(out))
"""
ENGINE_DISTS = ("dlselect", "numpy", "scikit-criteria", "pandas", "pydantic", "typer", "scipy",
                "torch", "tensorflow-cpu", "tensorflow", "keras", "jax", "jaxlib", "numba",
                "llvmlite", "pytensor")
MXNET_DISTS = ("mxnet", "numpy")


def versions(python: Path, names: Sequence[str]) -> dict[str, str | None] | str:
    if not python.exists():
        return f"interpreter not found: {python.relative_to(ROOT)}"
    r = run([python, "-c", VERSIONS_CODE, json.dumps(list(names))], timeout_s=60, cwd=ROOT)
    if not r.ok:
        return r.failure()
    try:
        data: dict[str, str | None] = json.loads(r.stdout)
    except ValueError:
        return f"unreadable answer from {python}"
    return data


def cpuinfo() -> dict[str, Any]:
    """The CPU as the report names it, from the engine's one reader of /proc/cpuinfo."""
    from selector.probing.machine import cpuinfo as read

    mhz: list[float] = []
    for value in read("cpu MHz"):
        try:
            mhz.append(float(value))
        except ValueError:
            continue
    flags = read("flags")
    return {"model": next(iter(read("model name")), "unknown"),
            "mhz": max(mhz) if mhz else None, "mhz_all": sorted(set(mhz)),
            "flags": set(flags[0].split()) if flags else set(),
            "family": next(iter(read("cpu family")), None),
            "model_id": next(iter(read("model")), None)}


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine_lines(cpu: dict[str, Any]) -> list[str]:
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                      "OMP_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ}
    flags = cpu["flags"]
    vector = [f for f in ("avx512f", "avx2", "fma", "avx512_bf16", "avx512_vnni") if f in flags]
    mem = memory_gib()
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    mhz_note = ""
    if not Path("/sys/devices/system/cpu/cpu0/cpufreq").exists():
        mhz_note = (" (no cpufreq in /sys: the value is the one the hypervisor reports, most "
                    "likely the nominal clock, not the actual or boost clock)")
    lines = [
        "| | |",
        "|---|---|",
        f"| CPU | {cpu['model']} (`/proc/cpuinfo` model name), family {cpu['family']}, "
        f"model {cpu['model_id']} |",
        f"| cores | {os.cpu_count()} logical CPUs, {usable} usable by this process |",
        f"| `cpu MHz` | {', '.join(f'{m:g}' for m in cpu.get('mhz_all', [])) or 'not reported'}"
        f"{mhz_note} |",
        f"| vector flags | {', '.join(vector) or 'none of avx2/avx512f/fma'} |",
        f"| memory | {mem:.1f} GiB |" if mem else "| memory | unknown |",
        f"| kernel | {platform.system()} {platform.release()} |",
        "| OPENBLAS_CORETYPE | " + (f"`{env['OPENBLAS_CORETYPE']}`" if "OPENBLAS_CORETYPE" in env
                                   else "not set") + " |",
    ]
    others = {k: v for k, v in env.items() if k != "OPENBLAS_CORETYPE"}
    if others:
        lines.append("| other variables set | "
                     + ", ".join(f"`{k}={v}`" for k, v in others.items()) + " |")
    return lines


def source_state() -> str:
    """The commit measured, and how many tracked files differ from it (outside benchmarks/
    and docs/benchmarks.md, which do not change what is measured)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, timeout=30).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=ROOT, text=True, capture_output=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    if not head:
        return "unknown (not a git checkout)"
    changed = [ln[3:] for ln in status.splitlines()
               if not ln[3:].startswith(("benchmarks/", "docs/benchmarks.md"))]
    if not changed:
        return f"commit `{head}`, no local changes"
    code = [c for c in changed if c.startswith(("selector/", "probes/", "knowledge/"))]
    return (f"commit `{head}` plus uncommitted changes to {len(changed)} tracked file(s)"
            + (f", {len(code)} of them code or data: " + ", ".join(f"`{c}`" for c in code)
               if code else ", none of them code or data"))


def version_lines(engine: dict[str, str | None] | str,
                  mxnet: dict[str, str | None] | str, source: tuple[str, str]) -> list[str]:
    def show(data: dict[str, str | None] | str, name: str) -> str:
        if isinstance(data, str):
            return f"unknown ({data})"
        return data.get(name) or "not installed"

    tf = (show(engine, "tensorflow-cpu") if isinstance(engine, dict)
          and engine.get("tensorflow-cpu") else show(engine, "tensorflow"))
    rows = [
        ("python (`.venv`)", show(engine, "python")),
        ("dlselect", show(engine, "dlselect")),
        ("dlselect source measured", source[0] if source[0] == source[1] else
         f"at the start: {source[0]}; at the end: {source[1]} (the code changed while the "
         "benchmark ran)"),
        ("numpy", show(engine, "numpy")),
        ("scikit-criteria", show(engine, "scikit-criteria")),
        ("pandas / pydantic / typer", " / ".join(show(engine, n)
                                                 for n in ("pandas", "pydantic", "typer"))),
        ("torch", show(engine, "torch")),
        ("tensorflow (tensorflow-cpu) / keras", f"{tf} / {show(engine, 'keras')}"),
        ("jax / jaxlib", f"{show(engine, 'jax')} / {show(engine, 'jaxlib')}"),
        ("numba / llvmlite / scipy", " / ".join(show(engine, n)
                                                for n in ("numba", "llvmlite", "scipy"))),
        ("pytensor", show(engine, "pytensor")),
        ("python (`.venv-mxnet`)", show(mxnet, "python")),
        ("mxnet / its numpy", f"{show(mxnet, 'mxnet')} / {show(mxnet, 'numpy')}"),
    ]
    return ["| package | version |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]

