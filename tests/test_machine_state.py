"""The machine's state around a measurement (selector/probing/machine.py). The CPU frequency is
read from files laid out as the kernel lays them out; the GPU side is a fake nvidia-ml-py,
since no GPU is here."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from selector.probing import machine


def test_cpu_frequency_from_cpufreq_then_cpuinfo(tmp_path: Path) -> None:
    for cpu, khz in ((0, 2_000_000), (1, 3_000_000)):
        d = tmp_path / f"sys/devices/system/cpu/cpu{cpu}/cpufreq"
        d.mkdir(parents=True)
        (d / "scaling_cur_freq").write_text(f"{khz}\n")
    assert machine.cpu_mhz(tmp_path) == 2500.0
    other = tmp_path / "other"
    (other / "proc").mkdir(parents=True)
    (other / "proc/cpuinfo").write_text("processor\t: 0\ncpu MHz\t\t: 2100.5\n"
                                        "processor\t: 1\ncpu MHz\t\t: 2099.5\n")
    assert machine.cpu_mhz(other) == 2100.0
    assert machine.cpu_mhz(tmp_path / "nothing") is None


def test_changes_name_what_moved() -> None:
    gpu = {"index": 0, "sm_clock_mhz": 1980, "memory_clock_mhz": 2619, "temperature_c": 40,
           "slowdown_temperature_c": 87, "throttle": []}
    before = {"cpu_mhz": 3000.0, "gpus": [gpu]}
    # 45 C higher after a heavy run is the usual warming, not a change
    same = {"cpu_mhz": 2950.0, "gpus": [{**gpu, "temperature_c": 80}]}
    assert machine.changes(before, same) == []
    after = {"cpu_mhz": 2000.0, "gpus": [{**gpu, "sm_clock_mhz": 1400, "temperature_c": 83,
                                         "throttle": ["sw_thermal_slowdown"]}]}
    assert machine.changes(before, after) == [
        "CPU frequency moved from 3000 to 2000 MHz",
        "GPU 0 SM clock moved from 1980 to 1400 MHz",
        "GPU 0 reached 83 C, within 5 C of the 87 C at which it slows down",
        "GPU 0 began to throttle (sw_thermal_slowdown)",
    ]


def test_an_idle_gpu_clock_or_an_unknown_slowdown_temperature_is_no_change() -> None:
    """A GPU idles at low clocks before a run and holds its boost clock just after one: clocks
    read while it idled say nothing of its speed under load. Without NVML's slowdown
    temperature, heat alone is not flagged (a thermal slowdown shows as a throttle reason)."""
    idle = {"index": 0, "sm_clock_mhz": 345, "memory_clock_mhz": 405, "temperature_c": 30,
            "slowdown_temperature_c": None, "throttle": ["gpu_idle"]}
    busy = {**idle, "sm_clock_mhz": 1980, "memory_clock_mhz": 2619, "temperature_c": 86,
            "throttle": []}
    assert machine.changes({"gpus": [idle]}, {"gpus": [busy]}) == []
    assert machine.changes({"gpus": [busy]}, {"gpus": [idle]}) == []
    assert machine.changes({"gpus": [busy]}, {"gpus": [{**busy, "sm_clock_mhz": 1500}]}) == [
        "GPU 0 SM clock moved from 1980 to 1500 MHz"]


def test_time_throttled_during_the_run_is_flagged_though_the_gpu_idles_after_it() -> None:
    """The after reading is taken once the probe has exited, with the GPU idle again: NVML's
    cumulative violation counters still say how long limits held it back during the run."""
    def reading(power: float | None, thermal: float | None) -> dict[str, object]:
        return {"gpus": [{"index": 0, "sm_clock_mhz": 345, "temperature_c": 40,
                          "throttle": ["gpu_idle"],
                          "throttled_s": {"power": power, "thermal": thermal}}]}

    assert machine.changes(reading(100.0, 5.0), reading(101.5, 5.0)) == [
        "GPU 0 was held below its clocks by power limits for 1.50 s during the run"]
    assert machine.changes(reading(100.0, 5.0), reading(100.005, 5.0)) == []  # counter jitter
    assert machine.changes(reading(None, None), reading(None, None)) == []  # not reported


def test_gpu_state_through_nvidia_ml_py(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("pynvml")
    fake.NVML_CLOCK_SM, fake.NVML_CLOCK_MEM, fake.NVML_TEMPERATURE_GPU = 1, 2, 0  # type: ignore[attr-defined]
    fake.nvmlInit = lambda: None  # type: ignore[attr-defined]
    fake.nvmlDeviceGetCount = lambda: 1  # type: ignore[attr-defined]
    fake.nvmlDeviceGetHandleByIndex = lambda i: f"h{i}"  # type: ignore[attr-defined]
    fake.nvmlDeviceGetCurrentClocksThrottleReasons = lambda h: 0x1 | 0x40  # type: ignore[attr-defined]
    fake.nvmlDeviceGetClockInfo = lambda h, kind: {1: 1755, 2: 2619}[kind]  # type: ignore[attr-defined]
    fake.nvmlDeviceGetTemperature = lambda h, kind: 61  # type: ignore[attr-defined]
    fake.NVML_TEMPERATURE_THRESHOLD_SLOWDOWN = 1  # type: ignore[attr-defined]
    fake.nvmlDeviceGetTemperatureThreshold = lambda h, kind: {1: 87}[kind]  # type: ignore[attr-defined]
    fake.NVML_PERF_POLICY_POWER, fake.NVML_PERF_POLICY_THERMAL = 0, 1  # type: ignore[attr-defined]
    fake.nvmlDeviceGetViolationStatus = lambda h, policy: types.SimpleNamespace(  # type: ignore[attr-defined]
        referenceTime=0, violationTime={0: 2_500_000_000, 1: 0}[policy])
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    assert machine.gpu_state() == [{"index": 0, "slowdown_temperature_c": 87,
                                    "throttled_s": {"power": 2.5, "thermal": 0.0},
                                    "sm_clock_mhz": 1755, "memory_clock_mhz": 2619,
                                    "temperature_c": 61,
                                    "throttle": ["gpu_idle", "hw_thermal_slowdown"]}]

    def unsupported(handle: str, kind: int) -> int:
        raise RuntimeError("NVML_ERROR_NOT_SUPPORTED")

    fake.nvmlDeviceGetTemperatureThreshold = unsupported  # type: ignore[attr-defined]
    fake.nvmlDeviceGetViolationStatus = unsupported  # type: ignore[attr-defined]
    state = machine.gpu_state()[0]
    assert state["slowdown_temperature_c"] is None
    assert state["throttled_s"] == {"power": None, "thermal": None}
    monkeypatch.setitem(sys.modules, "pynvml", None)
    assert machine.gpu_state() == []


def test_one_cpuinfo_reader_serves_the_frequency_and_the_model(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/cpuinfo").write_text(
        "processor\t: 0\nmodel name\t: Example CPU 9000\ncpu MHz\t\t: 1800.0\n\n"
        "processor\t: 1\nmodel name\t: Example CPU 9000\ncpu MHz\t\t: 2200.0\n")
    assert machine.cpuinfo("model name", tmp_path) == ["Example CPU 9000"] * 2
    assert machine.cpuinfo("cpu MHz", tmp_path) == ["1800.0", "2200.0"]
    assert machine.cpu_mhz(tmp_path) == 2000.0
    assert machine.cpuinfo("model name", tmp_path / "nothing") == []


def test_the_cpu_busy_share_is_a_share() -> None:
    from selector.probing.machine import cpu_busy

    busy = cpu_busy(0.02)
    assert busy is not None and 0.0 <= busy <= 1.0
