"""The live-probe programs in probes/: their command line, their JSON document, their exit codes.

The real probes run as subprocesses in the interpreter that has the framework: torch,
tensorflow, jax, numba and pytensor in the interpreter running these tests, mxnet in
``<repo>/.venv-mxnet/bin/python``. A framework that is genuinely absent skips its test; one
that is installed must produce a valid document. Speeds are never asserted: only that the
numbers are finite, positive and consistent with each other.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import mxnet_unavailable

ROOT = Path(__file__).resolve().parents[1]
PROBES = ROOT / "probes"
MXNET_PYTHON = ROOT / ".venv-mxnet" / "bin" / "python"
# Generous: a cold PyTensor compile cache alone takes ~15 s on a 2-core machine.
TIMEOUT_S = 300
WAIT_S = 1.0  # how long the handshake test holds a prepared probe before saying go

sys.path.insert(0, str(PROBES))
import _harness as h  # noqa: E402 - the probes' own stdlib-only module, found beside them

TOP_KEYS = {
    "schema_version", "probe", "framework", "stands_for", "version", "build", "python",
    "budget", "device_requested", "devices", "threads", "env", "ops", "unsupported_ops",
    "op_errors", "elapsed_s", "unsupported_reasons",
}  # fmt: skip
OP_KEYS = {
    "device", "dtype", "precision", "params", "flops", "first_call_s", "median_s", "iqr_s",
    "samples", "inner_loops", "gflops", "unstable", "kernel", "note", "check",
}  # fmt: skip
# Only ops that declare ``examples`` (training steps) or ``loss0`` have these.
TRAINING_KEYS = {"samples_per_s", "first_step_s", "loss0"}
# FLOPs of the quick budget, written out independently of the harness's formulas.
QUICK_FLOPS = {
    "gemm": 2 * 512**3,
    "gemm_naive": 2 * 512**3,
    "conv2d": 2 * 8 * 64 * 64 * 3 * 3 * 56 * 56,
    "lstm": 32 * 2 * 16 * 4 * 256 * (128 + 256),
}


@dataclass(frozen=True)
class Framework:
    name: str
    module: str
    distributions: tuple[str, ...]
    python: str
    ops: tuple[str, ...]  # ops measured on a CPU-only machine
    unsupported: tuple[str, ...] = ()
    stands_for: str | None = None

    @property
    def program(self) -> Path:
        return PROBES / f"probe_{self.name}.py"


KERNELS = ("gemm", "conv2d", "lstm")
TRAINING = h.TRAINING_OPS
STANDARD = (*KERNELS, *TRAINING)
FRAMEWORKS = (
    Framework("torch", "torch", ("torch",), sys.executable, STANDARD),
    Framework(
        "tensorflow",
        "tensorflow",
        ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel"),
        sys.executable,
        STANDARD,
    ),
    Framework("jax", "jax", ("jax",), sys.executable, STANDARD),
    Framework(
        "numba",
        "numba",
        ("numba",),
        sys.executable,
        ("gemm", "gemm_naive"),
        ("conv2d", "lstm", *TRAINING),
    ),
    Framework(
        "pytensor", "pytensor", ("pytensor",), sys.executable, KERNELS, TRAINING,
        stands_for="theano",
    ),
    Framework("mxnet", "mxnet", ("mxnet", "mxnet-mkl"), str(MXNET_PYTHON), STANDARD),
)
BY_NAME = {fw.name: fw for fw in FRAMEWORKS}

# Runs in the framework's interpreter: is the module there, and which version is installed?
_INSPECT = """
import importlib.metadata as md, importlib.util, json, sys
module, dists = sys.argv[1], sys.argv[2:]
version = None
for dist in dists:
    try:
        version = md.version(dist)
        break
    except md.PackageNotFoundError:
        pass
print(json.dumps({"present": importlib.util.find_spec(module) is not None, "version": version}))
"""


def installed_version(fw: Framework) -> str:
    """The framework's installed version, or a pytest skip when it is genuinely absent."""
    if not Path(fw.python).exists():
        pytest.skip((mxnet_unavailable() if fw.name == "mxnet" else None)
                    or f"{fw.name}: no interpreter at {fw.python}")
    done = subprocess.run(
        [fw.python, "-c", _INSPECT, fw.module, *fw.distributions],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(done.stdout)
    if not found["present"]:
        pytest.skip(f"{fw.name}: not installed in {fw.python}")
    assert found["version"], f"{fw.module} importable but none of {fw.distributions} installed"
    return str(found["version"])


def run_probe(
    fw: Framework, *args: str, python: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python or fw.python, str(fw.program), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=env,
        cwd=ROOT,
    )


def walk_numbers(value: Any) -> Iterator[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from walk_numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk_numbers(item)


def check_training_op(name: str, op: dict[str, Any]) -> None:
    """A training step: samples/s instead of GFLOP/s, time to first step, the first loss, and a
    check of that loss against the float64 reference (docs/training-probes.md)."""
    assert op["device"] == "cpu" and op["precision"] == "fp32"
    assert op["flops"] is None and op["gflops"] is None
    assert op["samples_per_s"] == pytest.approx(op["params"]["batch"] / op["median_s"], rel=1e-9)
    assert op["first_step_s"] == op["first_call_s"] > 0
    assert math.isfinite(op["loss0"]) and op["loss0"] > 0
    assert op["check"]["ok"] is True, (name, op["check"])


def check_op(name: str, op: dict[str, Any]) -> None:
    if name in TRAINING:
        check_training_op(name, op)
        return
    assert set(op) == OP_KEYS, name
    assert op["device"] == "cpu"
    assert op["dtype"] == "float32"
    assert op["flops"] == QUICK_FLOPS[name]
    for key in ("median_s", "gflops"):
        assert math.isfinite(op[key]) and op[key] > 0, (name, key, op[key])
    assert math.isfinite(op["first_call_s"]) and op["first_call_s"] >= 0
    assert math.isfinite(op["iqr_s"]) and op["iqr_s"] >= 0
    assert op["samples"] >= 5
    assert op["inner_loops"] >= 1
    assert isinstance(op["unstable"], bool)
    assert op["unstable"] == (op["iqr_s"] / op["median_s"] > 0.10)
    assert op["gflops"] == pytest.approx(op["flops"] / op["median_s"] / 1e9, rel=1e-9)
    assert isinstance(op["kernel"], str) and op["kernel"]
    # Every measured op ran in the precision it names and passed its check against float64.
    assert op["precision"] == "fp32"
    assert op["check"]["ok"] is True
    assert 0 <= op["check"]["max_rel_error"] <= h.CHECK_TOLERANCE["fp32"], (name, op["check"])


def check_document(fw: Framework, doc: dict[str, Any], version: str) -> None:
    assert set(doc) == TOP_KEYS
    assert doc["schema_version"] == 1
    assert doc["probe"] == doc["framework"] == fw.name
    assert doc["stands_for"] == fw.stands_for
    assert doc["version"] == version
    assert doc["budget"] == "quick"
    assert doc["device_requested"] == "cpu"
    assert set(doc["build"]) == {"cuda", "cudnn", "blas", "other"}
    assert doc["python"]["executable"] and doc["python"]["version"].count(".") == 2
    cpus = [d for d in doc["devices"] if d["kind"] == "cpu"]
    assert len(cpus) == 1 and isinstance(cpus[0]["name"], str) and cpus[0]["threads"] >= 1
    assert doc["threads"]["cpu_count"] >= 1
    assert all(isinstance(v, str) for v in doc["env"].values())
    assert doc["op_errors"] == {}
    assert sorted(doc["ops"]) == sorted(fw.ops)
    assert doc["unsupported_ops"] == list(fw.unsupported)
    # Training steps a framework cannot run say why.
    assert set(doc["unsupported_reasons"]) == set(fw.unsupported) & set(TRAINING)
    for name, op in doc["ops"].items():
        check_op(name, op)
    assert all(math.isfinite(x) for x in walk_numbers(doc))
    assert doc["elapsed_s"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("fw", FRAMEWORKS, ids=lambda fw: fw.name)
def test_probe_quick_document(fw: Framework, tmp_path: Path) -> None:
    version = installed_version(fw)
    output = tmp_path / "out.json"
    # --device cpu: the same ops and assertions on a machine with a GPU.
    done = run_probe(fw, "--budget", "quick", "--device", "cpu", "--output", str(output))
    assert done.returncode == 0, done.stderr[-3000:]
    check_document(fw, json.loads(output.read_text(encoding="utf-8")), version)
    assert not Path(str(output) + ".tmp").exists()


@pytest.mark.slow
def test_numba_kernels_are_labelled(tmp_path: Path) -> None:
    fw = BY_NAME["numba"]
    installed_version(fw)
    output = tmp_path / "out.json"
    done = run_probe(fw, "--output", str(output), "--ops", "gemm,gemm_naive,conv2d")
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(output.read_text(encoding="utf-8"))
    assert doc["ops"]["gemm"]["kernel"] == "np.dot in @njit (calls BLAS)"
    assert doc["ops"]["gemm_naive"]["kernel"] == "hand-written loop"
    assert doc["unsupported_ops"] == ["conv2d"]


def first_available(*names: str) -> Framework:
    for name in names:
        fw = BY_NAME[name]
        try:
            installed_version(fw)
        except pytest.skip.Exception:
            continue
        return fw
    pytest.skip(f"none of {names} installed")


@pytest.mark.slow
def test_ops_subset_runs_only_gemm_and_stdout_is_pure_json() -> None:
    fw = first_available("torch", "numba", "jax", "pytensor", "tensorflow")
    done = run_probe(fw, "--device", "cpu", "--ops", "gemm")
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)  # framework chatter must have gone to stderr
    assert list(doc["ops"]) == ["gemm"]
    assert doc["unsupported_ops"] == [] and doc["op_errors"] == {}


def test_gpu_only_op_on_cpu_is_unsupported() -> None:
    fw = first_available("torch", "jax")
    done = run_probe(fw, "--device", "cpu", "--ops", "gemm_fp16")
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    assert doc["ops"] == {} and doc["unsupported_ops"] == ["gemm_fp16"]


@pytest.mark.parametrize("fw", FRAMEWORKS, ids=lambda fw: fw.name)
@pytest.mark.parametrize(
    "args",
    [("--budget", "huge"), ("--ops", "gemm,fft"), ("--device", "tpu"), ("--ready-fd", "x")],
    ids=["budget", "op", "device", "ready-fd"],
)
def test_usage_errors_exit_2(fw: Framework, args: tuple[str, ...]) -> None:
    # Arguments are checked before the framework is imported: any interpreter will do.
    done = run_probe(fw, *args, python=sys.executable)
    assert done.returncode == 2, done.stderr
    assert "usage:" in done.stderr


@pytest.mark.parametrize("fw", FRAMEWORKS, ids=lambda fw: fw.name)
def test_import_failure_exits_3_with_one_line(fw: Framework, tmp_path: Path) -> None:
    fake = tmp_path / fw.module
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('simulated broken install')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = run_probe(fw, "--output", str(tmp_path / "out.json"), python=sys.executable, env=env)
    assert done.returncode == 3
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"import failed: {fw.module}: ImportError: simulated broken install"
    assert not (tmp_path / "out.json").exists()


def test_gpu_request_without_gpu_exits_4() -> None:
    fw = BY_NAME["numba"]  # measures the CPU only, so this holds on any machine
    installed_version(fw)
    done = run_probe(fw, "--device", "gpu")
    assert done.returncode == 4
    assert done.stderr.strip().splitlines()[-1] == "device unavailable: numba sees no GPU"


@pytest.mark.slow
def test_ready_fd_handshake(tmp_path: Path) -> None:
    """Prepare, say ready, wait for go; the wait is left out of elapsed_s."""
    fw = first_available("torch", "numba", "jax")
    output = tmp_path / "out.json"
    ready_r, ready_w = os.pipe()
    cmd = [fw.python, str(fw.program), "--device", "cpu", "--ops", "gemm", "--output", str(output)]
    started = time.monotonic()
    with subprocess.Popen(
        [*cmd, "--ready-fd", str(ready_w)],
        stdin=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        pass_fds=(ready_w,),
    ) as proc:
        os.close(ready_w)
        with os.fdopen(ready_r, "rb") as ready:
            assert ready.readline() == b"ready\n"
        time.sleep(WAIT_S)
        assert not output.exists()  # prepared, but waits for the go
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        proc.stdin.close()
        assert proc.wait(timeout=TIMEOUT_S) == 0
    wall_s = time.monotonic() - started
    doc = json.loads(output.read_text(encoding="utf-8"))
    assert list(doc["ops"]) == ["gemm"]
    assert doc["elapsed_s"] < wall_s - WAIT_S + 0.1


@pytest.mark.slow
def test_ready_fd_without_go_measures_nothing(tmp_path: Path) -> None:
    fw = first_available("torch", "numba", "jax")
    output = tmp_path / "out.json"
    ready_r, ready_w = os.pipe()
    cmd = [fw.python, str(fw.program), "--device", "cpu", "--ops", "gemm", "--output", str(output)]
    with subprocess.Popen(
        [*cmd, "--ready-fd", str(ready_w)],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(ready_w,),
    ) as proc:
        os.close(ready_w)
        with os.fdopen(ready_r, "rb") as ready:
            assert ready.readline() == b"ready\n"
        assert proc.stdin is not None
        proc.stdin.close()  # the runner gave up: no go
        assert proc.wait(timeout=TIMEOUT_S) == 1
        assert proc.stderr is not None
        assert proc.stderr.read().decode().strip().splitlines()[-1] == (
            "stopped before measuring: stdin closed without 'go'"
        )
    assert not output.exists()


# --------------------------------------------------------------------------- harness units


def test_summarize_median_and_inclusive_iqr() -> None:
    median, iqr = h.summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    assert median == 3.0
    assert iqr == pytest.approx(2.0)  # inclusive quartiles of 1..5 are 2 and 4


def test_time_loop_syncs_before_each_clock_read() -> None:
    events: list[str] = []

    def fn() -> str:
        events.append("op")
        return "out"

    def sync(out: object) -> None:
        events.append(f"sync:{out}")

    h.time_loop(fn, sync, 3)
    assert events == ["sync:None", "op", "op", "op", "sync:out"]


def test_calibrate_grows_loops_until_the_sample_is_long_enough() -> None:
    calls = 0

    def fn() -> None:
        nonlocal calls
        calls += 1

    loops = h.calibrate(fn, lambda _out: None, 0.005)
    assert loops > 1
    assert h.time_loop(fn, lambda _out: None, loops) > 0


def test_measure_document_fields() -> None:
    spec = h.OpSpec(
        fn=lambda: sum(range(100)),
        flops=1000,
        dtype="float32",
        params={"n": 1},
        kernel="sum",
        device="cpu",
    )
    budget = h.Budget("quick", min_sample_s=0.002, samples=7, gemm_n=4, conv_batch=1)
    result = h.measure(spec, lambda _out: None, budget)
    assert set(result) == OP_KEYS
    assert result["samples"] == 7 and result["inner_loops"] >= 1
    assert result["gflops"] == pytest.approx(1000 / result["median_s"] / 1e9)
    assert result["precision"] == "fp32" and result["check"] is None


QUICK_TEST_BUDGET = h.Budget("quick", min_sample_s=0.002, samples=5, gemm_n=4, conv_batch=1)


def test_measure_training_fields_without_flops() -> None:
    calls: list[int] = []

    def step() -> int:
        calls.append(len(calls))
        return len(calls)

    spec = h.OpSpec(fn=step, flops=None, dtype="float32", params={}, kernel="step",
                    device="cpu", examples=32, loss0=lambda: 2.5 if calls == [0] else -1.0,
                    check=lambda: 1e-6)
    result = h.measure(spec, lambda _out: None, QUICK_TEST_BUDGET)
    assert set(result) == OP_KEYS | TRAINING_KEYS
    assert result["flops"] is None and result["gflops"] is None
    assert result["samples_per_s"] == pytest.approx(32 / result["median_s"])
    assert result["first_step_s"] == result["first_call_s"]
    assert result["loss0"] == 2.5  # asked for right after the first call
    assert result["check"] == {"max_rel_error": 1e-6, "ok": True}


def _scripted_clock(monkeypatch: pytest.MonkeyPatch, seconds: list[float]) -> list[float]:
    """``time_loop`` answering from a script: the machine's noise, on demand."""
    script = iter(seconds)
    # Patched where ``measure`` looks it up (the harness's timing module).
    monkeypatch.setattr(sys.modules[h.measure.__module__], "time_loop",
                        lambda fn, sync, loops: next(script) * loops)
    return seconds


NOISY = [0.010, 0.030, 0.010, 0.030, 0.010]  # interquartile range 2x the median
STEADY = [0.020, 0.020, 0.021, 0.020, 0.020]


def test_an_unstable_op_is_measured_once_more_in_the_probe_and_the_steadier_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # first call, calibration (one loop is enough), 5 noisy samples; calibration, 5 steady.
    # Stable at the second set: no third (it would exhaust the script: StopIteration).
    _scripted_clock(monkeypatch, [0.05, 0.02, *NOISY, 0.02, *STEADY])
    spec = h.OpSpec(fn=lambda: None, flops=10, dtype="float32", params={}, kernel="k",
                    device="cpu")
    result = h.measure(spec, lambda _out: None, QUICK_TEST_BUDGET)
    assert result["median_s"] == 0.020 and not result["unstable"]


NOISIER = [0.002, 0.040, 0.002, 0.040, 0.010]  # interquartile range 3.8x the median


def test_a_noisier_second_measurement_leaves_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    _scripted_clock(monkeypatch, [0.05, 0.02, *NOISY, 0.02, *NOISIER, 0.02, *STEADY])
    spec = h.OpSpec(fn=lambda: None, flops=10, dtype="float32", params={}, kernel="k",
                    device="cpu")
    result = h.measure(spec, lambda _out: None, QUICK_TEST_BUDGET)
    assert result["median_s"] == 0.020 and not result["unstable"]  # the third set, steady


def test_an_op_unstable_in_every_set_stays_flagged_with_the_steadiest_set(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The first set and REMEASURE_SETS more, all unstable: the steadiest is reported and still
    flagged (the runner then never caches it); no further set is taken."""
    assert h.REMEASURE_SETS == 3
    slightly = [0.010, 0.012, 0.010, 0.012, 0.011]  # interquartile range 18 % of the median
    _scripted_clock(monkeypatch, [0.05, 0.02, *NOISY, 0.02, *NOISIER, 0.02, *slightly,
                                  0.02, *NOISY])
    spec = h.OpSpec(fn=lambda: None, flops=10, dtype="float32", params={}, kernel="k",
                    device="cpu")
    result = h.measure(spec, lambda _out: None, QUICK_TEST_BUDGET)
    assert result["median_s"] == 0.011 and result["iqr_s"] == pytest.approx(0.002)
    assert result["unstable"] and result["samples"] == 5


def test_a_stable_op_is_measured_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A third sample set would exhaust the script: StopIteration fails the test.
    _scripted_clock(monkeypatch, [0.05, 0.02, *STEADY])
    spec = h.OpSpec(fn=lambda: None, flops=10, dtype="float32", params={}, kernel="k",
                    device="cpu")
    assert not h.measure(spec, lambda _out: None, QUICK_TEST_BUDGET)["unstable"]


@pytest.mark.parametrize(
    ("precision", "error", "ok"),
    [("fp32", 9e-5, True), ("fp32", 2e-4, False), ("tf32", 4e-3, True), ("tf32", 6e-3, False),
     ("bf16", 4e-2, True), ("fp16", 2e-2, False), ("fp32", float("nan"), False)],
)
def test_check_tolerance_per_precision(precision: str, error: float, ok: bool) -> None:
    spec = h.OpSpec(fn=lambda: None, flops=10, dtype="float32", params={}, kernel="k",
                    device="cpu", precision=precision, check=lambda: error)
    if ok:
        result = h.measure(spec, lambda _out: None, QUICK_TEST_BUDGET)
        assert result["check"] == {"max_rel_error": error, "ok": True}
        assert result["precision"] == precision
    else:
        with pytest.raises(h.WrongResult, match=f"above .* for {precision}"):
            h.measure(spec, lambda _out: None, QUICK_TEST_BUDGET)


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="precision"):
        h.OpSpec(fn=lambda: None, flops=1, dtype="float32", params={}, kernel="k",
                 device="cpu", precision="fp8")


# A probe built with the harness alone: "gemm" is fast and wrong (its check finds an error of
# 1.0), "conv2d" is right. The wrong op must end in op_errors, never in ops.
WRONG_PROBE = r"""
import sys
sys.path.insert(0, sys.argv[1])
import _harness as h

def spec(check):
    return h.OpSpec(fn=lambda: None, flops=1000, dtype="float32", params={}, kernel="fake",
                    device="cpu", check=check)

args = h.start("fake", sys.argv[2:])
builders = {"gemm": lambda: spec(lambda: 1.0), "conv2d": lambda: spec(lambda: 0.0)}
results = h.run_ops(args, builders, lambda _out: None)
info = h.ProbeInfo(probe="fake", framework="fake", version="0", build=h.build_info(),
                   devices=[h.cpu_device()], framework_threads=None)
h.emit(h.document(args, info, results), args)
"""


def test_a_wrong_result_ends_in_op_errors() -> None:
    from selector.probing.models import ProbeDocument

    done = subprocess.run(
        [sys.executable, "-c", WRONG_PROBE, str(PROBES), "--ops", "gemm,conv2d"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    assert list(doc["ops"]) == ["conv2d"]
    assert doc["op_errors"] == {"gemm": "wrong result: max_rel_error 1 above 0.0001 for fp32"}
    assert doc["ops"]["conv2d"]["check"] == {"max_rel_error": 0.0, "ok": True}
    assert "gemm" not in ProbeDocument.model_validate(doc).ops


def test_grow_returns_the_first_size_that_keeps_a_call_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Simulated clock: a call of size s takes s microseconds; nothing really runs.
    now = [0.0]
    monkeypatch.setattr(time, "perf_counter", lambda: now[0])
    built: list[int] = []

    def build(size: int) -> Any:
        built.append(size)

        def call() -> None:
            now[0] += size * 1e-6

        return h.OpSpec(fn=call, flops=size, dtype="float32", params={"n": size},
                        kernel="fake", device="gpu", note="base")

    spec = h.grow(build, (250, 500, 1000, 2000), lambda _out: None, min_call_s=1e-3)
    assert built == [250, 500, 1000]  # stops at the first size reaching 1 ms
    assert spec.params == {"n": 1000}
    assert spec.first_call_s == pytest.approx(1e-3)
    assert spec.note is not None and spec.note.startswith("base; size 1000 of 250, 500, 1000")

    built.clear()
    largest = h.grow(build, (10, 20), lambda _out: None, min_call_s=1.0)
    assert built == [10, 20] and largest.params == {"n": 20}
    assert largest.note is not None and "not reached" in largest.note
    with pytest.raises(ValueError):
        h.grow(build, (), lambda _out: None)


def test_grown_ops_are_built_after_the_go(monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    monkeypatch.setattr(h, "_handshake", lambda fd: events.append("go") or 0.0)

    def build(size: int) -> Any:
        events.append(f"build {size}")
        return h.OpSpec(fn=lambda: None, flops=1, dtype="float32", params={"n": size},
                        kernel="fake", device="gpu")

    def plain() -> Any:
        events.append("build plain")
        return build(1)

    args = h.ProbeArgs(QUICK_TEST_BUDGET, "gpu", None, None, None, sys.stdout)
    builders = {"gemm": h.Grown(build, (7,), lambda _out: None), "lstm": plain}
    results = h.run_ops(args, builders, lambda _out: None)
    assert events[:3] == ["build plain", "build 1", "go"]
    assert "build 7" in events[3:]
    assert list(results.ops) == ["gemm", "lstm"]  # measured in the order they were asked for
    assert results.ops["gemm"]["params"] == {"n": 7}
    assert results.unsupported_ops == ["conv2d", *h.TRAINING_OPS]


def test_tf32_needs_ampere_and_no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NVIDIA_TF32_OVERRIDE", raising=False)
    assert h.tf32_possible((8, 0)) and h.tf32_possible((9, 0))
    assert not h.tf32_possible((7, 5)) and not h.tf32_possible(None)
    monkeypatch.setenv("NVIDIA_TF32_OVERRIDE", "0")
    assert not h.tf32_possible((9, 0))


def test_max_rel_error_is_relative_to_the_largest_reference_value() -> None:
    ref = np.array([[4.0, -2.0], [1.0, 0.0]])
    assert h.max_rel_error(np, ref + np.array([[0.0, 0.0], [0.0, 0.4]]), ref) == pytest.approx(0.1)
    assert h.max_rel_error(np, np.full((2, 2), 0.5), np.zeros((2, 2))) == 0.5
    with pytest.raises(ValueError, match="shape"):
        h.max_rel_error(np, ref.T[:1], ref)


def test_reference_conv2d_is_a_direct_convolution_in_both_layouts() -> None:
    shape = h.ConvShape(channels_in=2, channels_out=3, height=5, width=4, kernel=3, pad=1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 5, 4))
    w = rng.standard_normal((3, 2, 3, 3))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    want = np.zeros((2, 3, 5, 4))
    for n, k, p, q in np.ndindex(*want.shape):
        want[n, k, p, q] = np.sum(padded[n, :, p : p + 3, q : q + 3] * w[k])
    got = h.ref_conv2d(np, x, w, "NCHW", "KCRS", shape)
    assert np.allclose(got, want)
    nhwc = h.ref_conv2d(np, x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0), "NHWC", "RSCK",
                        shape)
    assert np.allclose(nhwc, want.transpose(0, 2, 3, 1))


def test_reference_lstm_is_the_standard_cell() -> None:
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((2, 3, 4))
    w_x, w_h = rng.standard_normal((4, 20)), rng.standard_normal((5, 20))
    b = rng.standard_normal(20)

    def sig(z: Any) -> Any:
        return 1 / (1 + np.exp(-z))

    h_t = c_t = np.zeros((3, 5))
    for x_t in xs:  # gates i, f, g, o written out
        z = x_t @ w_x + h_t @ w_h + b
        c_t = sig(z[:, 5:10]) * c_t + sig(z[:, :5]) * np.tanh(z[:, 10:15])
        h_t = sig(z[:, 15:]) * np.tanh(c_t)
    got = h.ref_lstm(np, xs, w_x, w_h, b)
    assert got.shape == (2, 3, 5) and np.allclose(got[-1], h_t)
    # A wrong gate order is far outside any tolerance.
    swapped = np.concatenate([w_x[:, 5:10], w_x[:, :5], w_x[:, 10:]], axis=1)
    assert h.max_rel_error(np, h.ref_lstm(np, xs, swapped, w_h, b), got) > 0.05


def test_flop_formulas() -> None:
    assert h.gemm_flops(512) == QUICK_FLOPS["gemm"]
    assert h.conv2d_flops(8) == QUICK_FLOPS["conv2d"]
    assert h.lstm_flops() == QUICK_FLOPS["lstm"]


def test_emit_writes_atomically_and_refuses_nan(tmp_path: Path) -> None:
    output = tmp_path / "doc.json"
    args = h.ProbeArgs(h.BUDGETS["quick"], "auto", str(output), None, None, sys.stdout)
    h.emit({"x": 1.5}, args)
    assert json.loads(output.read_text(encoding="utf-8")) == {"x": 1.5}
    assert not (tmp_path / "doc.json.tmp").exists()
    with pytest.raises(ValueError):
        h.emit({"x": float("nan")}, args)


def _imported_modules(path: Path) -> set[str]:
    import ast

    tops: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            tops.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            tops.add(node.module.split(".")[0])
    return tops


def test_probes_import_only_stdlib_and_the_harness() -> None:
    # Frameworks are imported through h.import_framework, so a failed import exits 3.
    # The probes' own sibling modules (the harness and its parts, the training-step spec and
    # builders) are stdlib-only at import time too.
    stdlib = set(sys.stdlib_module_names)
    siblings = {p.stem for p in PROBES.glob("_*.py")}
    for fw in FRAMEWORKS:
        extra = _imported_modules(fw.program) - stdlib - siblings
        assert not extra, (fw.name, extra)
    for sibling in PROBES.glob("_*.py"):
        assert _imported_modules(sibling) - siblings <= stdlib, sibling
    # The harness's parts import one another only, never a probe's own modules; ``_ops`` not
    # even those, because the benchmarks load it by its path, without probes/ on sys.path.
    harness = {"_harness", "_ops", "_command_line", "_timing", "_checks", "_environment",
               "_output"}
    assert harness <= siblings
    for part in harness:
        assert _imported_modules(PROBES / f"{part}.py") - harness <= stdlib, part
    assert _imported_modules(PROBES / "_ops.py") <= stdlib


def test_the_runner_measures_only_the_ops_a_job_names() -> None:
    """``--ops``: the runner asks a probe for the ops its job names, and gets those alone."""
    from selector.probing.models import ProbeStatus
    from selector.probing.runner import Job, run_jobs

    fw = first_available("numba", "torch", "jax")
    (outcome,) = run_jobs([Job(framework=fw.name, interpreter=fw.python, program=fw.program,
                               device="cpu", ops=("gemm",))])
    assert outcome.status is ProbeStatus.OK, outcome.reason
    assert list(outcome.ops) == ["gemm"]
