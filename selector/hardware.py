"""What hardware this machine has, to pre-fill the wizard (never a constraint by itself)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from selector.probing.environment import host_facts


@dataclass(frozen=True)
class Detected:
    cpu_model: str
    cpu_count: int
    gpus: tuple[str, ...]
    source: str  # how the GPUs were found

    def suggestion(self) -> list[str]:
        if len(self.gpus) > 1:
            return ["multi-gpu"]
        if self.gpus:
            return ["gpu"]
        return ["cpu"]


def detect() -> Detected:
    facts = host_facts()
    gpus, source = _nvidia_gpus()
    return Detected(cpu_model=str(facts["cpu_model"]), cpu_count=int(str(facts["cpu_count"])),
                    gpus=gpus, source=source)


def _nvidia_gpus() -> tuple[tuple[str, ...], str]:
    try:
        import pynvml  # nvidia-ml-py, where installed
    except ImportError:
        pynvml = None
    if pynvml is not None:
        try:
            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
            names = tuple(str(pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i)))
                          for i in range(count))
            return names, "nvidia-ml-py"
        except Exception:  # noqa: BLE001 - no driver, no GPU: nothing detected
            pass
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            proc = subprocess.run([smi, "--query-gpu=name", "--format=csv,noheader"],
                                  capture_output=True, text=True, timeout=10,
                                  env={"PATH": os.environ.get("PATH", "")})
            if proc.returncode == 0:
                return tuple(n.strip() for n in proc.stdout.splitlines() if n.strip()), \
                    "nvidia-smi"
        except (OSError, subprocess.TimeoutExpired):
            pass
    return (), "none found (no nvidia-ml-py or nvidia-smi answered)"


def gpu_identity() -> list[str]:
    """The NVIDIA GPUs and their driver, as "name (driver X)"; empty where none answers.
    Part of the probe cache key: a figure measured on one GPU or driver is not reused on
    another."""
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            proc = subprocess.run([smi, "--query-gpu=name,driver_version",
                                   "--format=csv,noheader"],
                                  capture_output=True, text=True, timeout=10,
                                  env={"PATH": os.environ.get("PATH", "")})
            if proc.returncode == 0:
                return [" (driver ".join(part.strip() for part in line.split(",", 1)) + ")"
                        for line in proc.stdout.splitlines() if "," in line]
        except (OSError, subprocess.TimeoutExpired):
            pass
    return list(_nvidia_gpus()[0])
