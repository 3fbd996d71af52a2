"""The machine's state around a measurement: CPU frequency where the OS exposes it, and with
nvidia-ml-py where installed, each GPU's clocks, temperature (and the temperature at which it
slows down), throttle reasons and NVML's counters of time spent throttled. A run whose state
changed between before and after in a way that slows the machine (time throttled by power or
thermal limits during the run, a new slowdown reason, a GPU at its slowdown temperature, a clock
that moved while the GPU was not idle) is flagged: its figures may not describe the machine at
its usual speed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: A clock that moved by more than this share between before and after is a change (for a GPU,
#: only when neither reading was taken while it idled: an idle GPU lowers its clocks, and one
#: just out of a heavy run still holds its boost clock, so those readings say nothing of its
#: speed under load).
CLOCK_CHANGE = 0.10
#: A GPU that NVML's violation counters show held below its clocks by power or thermal limits
#: for longer than this during the run is flagged. The counters add up from the driver's start,
#: so before and after bracket the run, even though "after" is read once the GPU is idle again.
THROTTLED_MIN_S = 0.01
#: NVML's perf policies read, by name (nvmlPerfPolicyType_t: 0 power, 1 thermal).
_VIOLATION_POLICIES = {"power": "NVML_PERF_POLICY_POWER", "thermal": "NVML_PERF_POLICY_THERMAL"}
#: A GPU that ends a run within this many degrees of its slowdown temperature is flagged. A rise
#: in temperature alone is not: a GPU warms by tens of degrees under any heavy run, and a thermal
#: slowdown shows as a throttle reason.
SLOWDOWN_MARGIN_C = 5

#: nvidia-ml-py's clocks-event (throttle) reason bits, by name.
_THROTTLE_BITS = {
    0x1: "gpu_idle", 0x2: "applications_clocks_setting", 0x4: "sw_power_cap",
    0x8: "hw_slowdown", 0x10: "sync_boost", 0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown", 0x80: "hw_power_brake_slowdown",
}
#: Reasons that mean the GPU was slowed down (idle and sync boost are not slowdowns).
SLOWDOWNS = {"sw_power_cap", "hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown",
             "hw_power_brake_slowdown"}


def cpu_mhz(root: Path = Path("/")) -> float | None:
    """The mean current frequency of the CPUs in MHz: cpufreq where the kernel exposes it,
    else /proc/cpuinfo's "cpu MHz"; None where neither says."""
    freqs = []
    cpus = root / "sys/devices/system/cpu"
    for path in sorted(cpus.glob("cpu[0-9]*/cpufreq/scaling_cur_freq")):
        try:
            freqs.append(int(path.read_text().strip()) / 1000)
        except (OSError, ValueError):
            continue
    if not freqs:
        for value in cpuinfo("cpu MHz", root):
            try:
                freqs.append(float(value))
            except ValueError:
                break
    return round(sum(freqs) / len(freqs), 1) if freqs else None


def cpuinfo(key: str, root: Path = Path("/")) -> list[str]:
    """Every value of ``key`` in /proc/cpuinfo (one per CPU for most keys), in order; empty
    where the file is missing or unreadable. The one reader of that file."""
    try:
        text = (root / "proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return []
    values = []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            values.append(value.strip())
    return values


def gpu_state() -> list[dict[str, Any]]:
    """Per NVIDIA GPU: SM clock, memory clock (MHz), temperature (C) and active throttle
    reasons; empty without nvidia-ml-py or a driver."""
    try:
        import pynvml
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
        states = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            bits = pynvml.nvmlDeviceGetCurrentClocksThrottleReasons(handle)
            states.append({
                "index": index,
                "slowdown_temperature_c": _slowdown_temperature(pynvml, handle),
                "throttled_s": _throttled_s(pynvml, handle),
                "sm_clock_mhz": pynvml.nvmlDeviceGetClockInfo(handle, pynvml.NVML_CLOCK_SM),
                "memory_clock_mhz": pynvml.nvmlDeviceGetClockInfo(handle,
                                                                  pynvml.NVML_CLOCK_MEM),
                "temperature_c": pynvml.nvmlDeviceGetTemperature(
                    handle, pynvml.NVML_TEMPERATURE_GPU),
                "throttle": sorted(name for bit, name in _THROTTLE_BITS.items() if bits & bit),
            })
        return states
    except Exception:  # noqa: BLE001 - no driver, no GPU, an old library: nothing to say
        return []


def _slowdown_temperature(pynvml: Any, handle: Any) -> int | None:
    """The temperature (C) at which the GPU begins to slow down, where NVML says."""
    try:
        return int(pynvml.nvmlDeviceGetTemperatureThreshold(
            handle, pynvml.NVML_TEMPERATURE_THRESHOLD_SLOWDOWN))
    except Exception:  # noqa: BLE001 - not supported on this GPU or library: unknown
        return None


def _throttled_s(pynvml: Any, handle: Any) -> dict[str, float | None]:
    """Seconds, since the driver started, that power and thermal limits held the GPU below its
    clocks (nvmlDeviceGetViolationStatus); None for a policy NVML does not report here."""
    out: dict[str, float | None] = {}
    for name, constant in _VIOLATION_POLICIES.items():
        try:
            status = pynvml.nvmlDeviceGetViolationStatus(handle, getattr(pynvml, constant))
            out[name] = int(status.violationTime) / 1e9
        except Exception:  # noqa: BLE001 - not supported on this GPU or library: unknown
            out[name] = None
    return out


def state() -> dict[str, Any]:
    return {"cpu_mhz": cpu_mhz(), "gpus": gpu_state()}


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed between two states that may have moved the figures, one line each."""
    found = []
    a, b = before.get("cpu_mhz"), after.get("cpu_mhz")
    if a and b and abs(b - a) / a > CLOCK_CHANGE:
        found.append(f"CPU frequency moved from {a:.0f} to {b:.0f} MHz")
    old = {g["index"]: g for g in before.get("gpus", [])}
    for gpu in after.get("gpus", []):
        prev = old.get(gpu["index"])
        if prev is None:
            continue
        label = f"GPU {gpu['index']}"
        idle = "gpu_idle" in prev.get("throttle", []) or "gpu_idle" in gpu.get("throttle", [])
        for key, what in (("sm_clock_mhz", "SM clock"), ("memory_clock_mhz", "memory clock")):
            x, y = prev.get(key), gpu.get(key)
            if not idle and x and y and abs(y - x) / x > CLOCK_CHANGE:
                found.append(f"{label} {what} moved from {x} to {y} MHz")
        before_s, after_s = prev.get("throttled_s") or {}, gpu.get("throttled_s") or {}
        for policy in _VIOLATION_POLICIES:
            x, y = before_s.get(policy), after_s.get(policy)
            if x is not None and y is not None and y - x > THROTTLED_MIN_S:
                found.append(f"{label} was held below its clocks by {policy} limits for "
                             f"{y - x:.2f} s during the run")
        hot, limit = gpu.get("temperature_c"), gpu.get("slowdown_temperature_c")
        if hot is not None and limit and hot >= limit - SLOWDOWN_MARGIN_C:
            found.append(f"{label} reached {hot} C, within {SLOWDOWN_MARGIN_C} C of the "
                         f"{limit} C at which it slows down")
        new = sorted(set(gpu.get("throttle", [])) & SLOWDOWNS - set(prev.get("throttle", [])))
        if new:
            found.append(f"{label} began to throttle ({', '.join(new)})")
    return found


def cpu_busy(interval_s: float) -> float | None:
    """Share of all CPUs' time not idle over ``interval_s`` (0..1; psutil, system-wide); None
    where the platform does not say. The one CPU-busy sampler (the runner and the benchmarks)."""
    import psutil

    try:
        busy = float(psutil.cpu_percent(interval=interval_s))
    except (OSError, RuntimeError, NotImplementedError):
        return None
    return busy / 100.0
