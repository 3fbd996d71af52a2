"""The GPU code paths of the probes, on a machine without a GPU.

What the real frameworks can do on the CPU (half-precision GEMMs, the builders for the GPU-only
operations) runs with the real framework. What needs a GPU (CUDA placement, synchronisation,
device memory) runs against a small stand-in of ``torch``: a fake is for what the real thing
cannot do on demand.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def probes() -> Iterator[Any]:
    sys.path.insert(0, str(REPO / "probes"))
    try:
        yield SimpleNamespace(h=importlib.import_module("_harness"),
                              torch=importlib.import_module("probe_torch"),
                              jax=importlib.import_module("probe_jax"),
                              tf=importlib.import_module("probe_tensorflow"))
    finally:
        sys.path.remove(str(REPO / "probes"))


def test_the_clock_is_read_only_after_a_sync(probes: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    h = probes.h
    events: list[str] = []

    def perf_counter() -> float:
        # Simulated time: each operation takes 10 ms.
        events.append("clock")
        return events.count("op") * 0.01

    monkeypatch.setattr("time.perf_counter", perf_counter)
    spec = h.OpSpec(fn=lambda: events.append("op"), flops=10, dtype="float32", params={},
                    kernel="k", device="gpu")
    result = h.measure(spec, lambda _out: events.append("sync"), h.BUDGETS["quick"])
    assert result["samples"] == h.BUDGETS["quick"].samples
    for i, event in enumerate(events):
        if event == "clock":
            assert events[i - 1] == "sync", events[max(0, i - 3):i + 1]
    # Between the last op of a sample and the clock that ends it there is always a sync.
    pending_op = False
    for event in events:
        if event == "op":
            pending_op = True
        elif event == "sync":
            pending_op = False
        else:
            assert not pending_op, "the clock was read while an op might still be running"


HALF_PRECISION = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import probe_jax, probe_tensorflow, probe_torch
import jax, numpy as np, tensorflow as tf, torch
dtype = sys.argv[2]
specs = [probe_torch._gemm(torch, np, torch.device("cpu"), "cpu", dtype, 32),
         probe_jax._gemm(jax, np, jax.devices("cpu")[0], "cpu", dtype, 32),
         probe_tensorflow._gemm(tf, np, "/CPU:0", "cpu", dtype, 32)]
print(json.dumps([{"dtype": s.dtype, "flops": s.flops, "out": str(s.fn().dtype),
                   "precision": s.precision, "error": s.check()} for s in specs]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_gemm_builders_run_in_real_frameworks(dtype: str) -> None:
    # In a child process: importing JAX here would make every later fork (the terminal tests)
    # warn that JAX is multithreaded.
    proc = subprocess.run([sys.executable, "-c", HALF_PRECISION, str(REPO / "probes"), dtype],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    specs = json.loads(proc.stdout.strip().splitlines()[-1])
    precision = {"float16": "fp16", "bfloat16": "bf16"}[dtype]
    for spec in specs:
        assert spec["dtype"] == dtype and spec["flops"] == 2 * 32 ** 3
        # The half-precision checks pass with their own tolerance on the CPU kernels too.
        assert spec["precision"] == precision
        assert 0 <= spec["error"] <= probes_harness().CHECK_TOLERANCE[precision], spec
    assert specs[0]["out"] == f"torch.{dtype}"
    assert specs[1]["out"] == dtype
    assert specs[2]["out"] == f"<dtype: '{dtype}'>"


def probes_harness() -> Any:
    sys.path.insert(0, str(REPO / "probes"))
    try:
        return importlib.import_module("_harness")
    finally:
        sys.path.remove(str(REPO / "probes"))


def no_sync(_out: object) -> None:
    pass


def test_gpu_builders_include_tf32_and_half_precision_gemms(probes: Any) -> None:
    h = probes.h
    cpu = probes.torch._builders(fake_torch(), None, "cpu", h.BUDGETS["quick"], no_sync)
    assert set(cpu) == {"gemm", "conv2d", "lstm"}
    fake = fake_torch()
    gpu = probes.torch._builders(fake, None, "gpu", h.BUDGETS["quick"], no_sync)
    assert set(gpu) == {"gemm", "gemm_tf32", "gemm_fp16", "gemm_bf16", "conv2d", "lstm"}
    # GEMM and conv2d grow on a GPU: built after the go, by h.grow.
    assert all(isinstance(gpu[op], h.Grown) for op in gpu if op != "lstm")
    assert gpu["gemm"].sizes == h.GPU_GEMM_SIZES
    assert gpu["conv2d"].sizes == h.GPU_CONV_BATCHES
    spec = gpu["gemm_bf16"]()
    assert spec.device == "gpu" and spec.dtype == "bfloat16" and spec.precision == "bf16"
    # The fake's calls take no time, so every size is tried and the largest kept.
    assert spec.params == {"n": h.GPU_GEMM_SIZES[-1]} and "not reached" in spec.note
    assert fake.allocations and all(d == ("cuda", 0) for d in fake.allocations)
    assert fake.casts[-1] == "bfloat16"
    gemm = gpu["gemm"]()
    assert gemm.precision == "fp32" and "TF32 off" in gemm.note
    assert gpu["gemm_tf32"]().precision == "tf32"


def test_gpu_without_tf32_has_no_tf32_gemm(probes: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    h = probes.h
    monkeypatch.delenv("NVIDIA_TF32_OVERRIDE", raising=False)
    volta = probes.torch._builders(fake_torch((7, 0)), None, "gpu", h.BUDGETS["quick"], no_sync)
    assert "gemm_tf32" not in volta and "gemm" in volta
    monkeypatch.setenv("NVIDIA_TF32_OVERRIDE", "0")
    hopper = probes.torch._builders(fake_torch((9, 0)), None, "gpu", h.BUDGETS["quick"], no_sync)
    assert "gemm_tf32" not in hopper


def test_fp32_runs_without_tf32_and_tf32_only_in_its_own_op(probes: Any) -> None:
    fake = fake_torch()
    fake.backends.cuda.matmul.allow_tf32 = True  # torch's default for cuDNN, once for matmul
    fake.backends.cudnn.allow_tf32 = True
    probes.torch._disable_tf32(fake)
    assert fake.backends.cuda.matmul.allow_tf32 is False
    assert fake.backends.cudnn.allow_tf32 is False
    gpu = probes.torch._builders(fake, None, "gpu", probes.h.BUDGETS["quick"], no_sync)
    fake.seen_tf32.clear()
    gpu["gemm_tf32"]().fn()
    gpu["gemm"]().fn()
    # The last call of each grown op: TF32 on for gemm_tf32 only, and off again afterwards.
    assert fake.seen_tf32[-1] is False
    assert True in fake.seen_tf32
    assert fake.backends.cuda.matmul.allow_tf32 is False


def test_gpu_sync_waits_for_cuda_and_cpu_sync_does_not(probes: Any) -> None:
    fake = fake_torch()
    probes.torch._sync(fake, "gpu")(None)
    assert fake.synchronized == 1
    probes.torch._sync(fake, "cpu")(None)
    assert fake.synchronized == 1


def test_gpu_devices_report_name_and_memory(probes: Any) -> None:
    devices = probes.torch._devices(fake_torch())
    gpus = [d for d in devices if d["kind"] == "gpu"]
    assert gpus == [{"kind": "gpu", "index": 0, "name": "NVIDIA H100 80GB HBM3",
                     "memory_bytes": 85_000_000_000, "device_class": "cuda"}]
    assert [d["device_class"] for d in devices if d["kind"] == "cpu"] == ["cpu"]


def test_a_rocm_build_of_torch_reports_rocm_gpus(probes: Any) -> None:
    """A ROCm build of torch answers through torch.cuda; torch.version.hip tells it apart."""
    rocm = fake_torch()
    rocm.version = SimpleNamespace(hip="6.2.41133", cuda=None)  # type: ignore[attr-defined]
    assert [d["device_class"] for d in probes.torch._devices(rocm)] == ["cpu", "rocm"]
    cuda = fake_torch()
    cuda.version = SimpleNamespace(hip=None, cuda="12.4")  # type: ignore[attr-defined]
    assert [d["device_class"] for d in probes.torch._devices(cuda)] == ["cpu", "cuda"]
    assert probes.h.torch_gpu_class("6.2.41133") == "rocm"
    assert probes.h.torch_gpu_class(None) == "cuda"


def test_tensorflow_and_jax_device_classes(probes: Any) -> None:
    h = probes.h
    assert h.tensorflow_gpu_class(True) == "rocm" and h.tensorflow_gpu_class(False) == "cuda"

    def fake_tf(rocm: bool) -> Any:
        experimental = SimpleNamespace(get_device_details=lambda gpu: {"device_name": "GPU"})
        return SimpleNamespace(
            config=SimpleNamespace(list_physical_devices=lambda kind: ["GPU:0"],
                                   experimental=experimental),
            test=SimpleNamespace(is_built_with_rocm=lambda: rocm))

    assert [d["device_class"] for d in probes.tf._devices(fake_tf(True))] == ["cpu", "rocm"]
    assert [d["device_class"] for d in probes.tf._devices(fake_tf(False))] == ["cpu", "cuda"]
    assert h.jax_device_class("gpu", "PJRT C API\nrocm 60200") == "rocm"
    assert h.jax_device_class("gpu", "PJRT C API\ncuda 12060") == "cuda"
    assert h.jax_device_class("gpu", "something else") is None
    assert h.jax_device_class("cpu", "<unknown>") == "cpu"
    assert h.jax_device_class("tpu", "") == "tpu"
    assert h.jax_device_class("METAL", "") == "mps"

    def gpu(version: str) -> Any:
        return SimpleNamespace(device_kind="AMD Instinct MI300X", platform="gpu",
                               client=SimpleNamespace(platform_version=version))

    devices = probes.jax._devices([gpu("PJRT C API\nrocm 60200")])
    assert [d["device_class"] for d in devices] == ["cpu", "rocm"]
    # A class the platform does not tell is left out (the reader takes the GPU for CUDA).
    assert "device_class" not in probes.jax._devices([gpu("unknown")])[1]


def test_jax_queues_on_a_gpu_and_blocks_per_call_on_the_cpu(probes: Any) -> None:
    calls: list[str] = []
    fake_jax = SimpleNamespace(block_until_ready=lambda out: calls.append("block") or out)
    assert probes.jax._op_call(fake_jax, "cpu", lambda x: x + 1, 1)() == 2
    assert calls == ["block"]
    assert probes.jax._op_call(fake_jax, "gpu", lambda x: x + 1, 1)() == 2
    assert calls == ["block"]  # the GPU call only dispatches; the harness syncs per sample


def test_jax_and_tensorflow_tf32_need_ampere(probes: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NVIDIA_TF32_OVERRIDE", raising=False)
    assert probes.jax._tf32_capable(SimpleNamespace(compute_capability="9.0"))
    assert not probes.jax._tf32_capable(SimpleNamespace(compute_capability="7.5"))
    assert not probes.jax._tf32_capable(SimpleNamespace())  # a CPU device has none

    def fake_tf(capability: tuple[int, int] | None) -> Any:
        gpus = [] if capability is None else ["GPU:0"]
        experimental = SimpleNamespace(get_device_details=lambda gpu: {
            "compute_capability": capability})
        return SimpleNamespace(config=SimpleNamespace(list_physical_devices=lambda kind: gpus,
                                                      experimental=experimental))

    assert probes.tf._tf32_capable(fake_tf((8, 6)))
    assert not probes.tf._tf32_capable(fake_tf((7, 0)))
    assert not probes.tf._tf32_capable(fake_tf(None))


def fake_torch(capability: tuple[int, int] = (9, 0)) -> Any:
    """Just enough of ``torch`` with one CUDA device for the probe's GPU paths."""
    fake = ModuleType("fake_torch")
    fake.allocations = []  # type: ignore[attr-defined]
    fake.casts = []  # type: ignore[attr-defined]
    fake.synchronized = 0  # type: ignore[attr-defined]
    fake.seen_tf32 = []  # type: ignore[attr-defined]  # allow_tf32 at each matmul

    def matmul(a: object, b: object) -> object:
        fake.seen_tf32.append(fake.backends.cuda.matmul.allow_tf32)  # type: ignore[attr-defined]
        return a

    class Tensor:
        def to(self, dtype: str) -> Tensor:
            fake.casts.append(dtype)  # type: ignore[attr-defined]
            return self

    def randn(*shape: int, device: tuple[str, int]) -> Tensor:
        fake.allocations.append(device)  # type: ignore[attr-defined]
        return Tensor()

    def synchronize() -> None:
        fake.synchronized += 1  # type: ignore[attr-defined]

    class LSTM:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def to(self, device: object) -> LSTM:
            return self

        def requires_grad_(self, flag: bool) -> LSTM:
            return self

    fake.device = lambda kind, index=0: (kind, index)  # type: ignore[attr-defined]
    fake.randn = randn  # type: ignore[attr-defined]
    fake.matmul = matmul  # type: ignore[attr-defined]
    fake.float32, fake.float16, fake.bfloat16 = "float32", "float16", "bfloat16"  # type: ignore[attr-defined]
    fake.nn = SimpleNamespace(LSTM=LSTM,  # type: ignore[attr-defined]
                              functional=SimpleNamespace(conv2d=lambda *a, **k: None))
    fake.backends = SimpleNamespace(  # type: ignore[attr-defined]
        cuda=SimpleNamespace(matmul=SimpleNamespace(allow_tf32=False)),
        cudnn=SimpleNamespace(benchmark=False, allow_tf32=False))
    fake.cuda = SimpleNamespace(  # type: ignore[attr-defined]
        synchronize=synchronize, is_available=lambda: True, device_count=lambda: 1,
        get_device_capability=lambda device=None: capability,
        get_device_properties=lambda i: SimpleNamespace(name="NVIDIA H100 80GB HBM3",
                                                        total_memory=85_000_000_000))
    return fake


def test_a_result_off_the_gpu_is_a_wrong_result(probes: Any) -> None:
    """What each framework calls a GPU passes; anything else is refused, as a wrong result
    (recorded among the op errors, without a traceback)."""
    h = probes.h
    for where in ("cuda:0", "/job:localhost/replica:0/task:0/device:GPU:0", "rocm:0"):
        h.require_gpu_result(where)
    for where in ("cpu", "cpu:0", "/job:localhost/replica:0/task:0/device:CPU:0", "TFRT_CPU_0"):
        with pytest.raises(h.WrongDevice, match="not on the GPU"):
            h.require_gpu_result(where)
    assert issubclass(h.WrongDevice, h.WrongResult)


OFF_THE_GPU = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import _harness as h
import probe_tensorflow, probe_torch
import tensorflow as tf, torch
seen = {}
# TensorFlow asked for /GPU:0 where there is none: soft placement (its default) runs the op on
# the CPU without a word, and the result's device says so.
for name, check in {
    "tensorflow gemm": lambda: probe_tensorflow._check_gemm(
        tf, np, "/GPU:0", "float32", probe_tensorflow._call_on, tf.function(tf.linalg.matmul)),
    "tensorflow conv2d": lambda: probe_tensorflow._check_conv2d(tf, np, "/GPU:0", "NHWC"),
    "torch gemm": lambda: probe_torch._check_gemm(torch, np, torch.device("cpu"), "gpu",
                                                  "float32", torch.matmul),
    "torch conv2d": lambda: probe_torch._check_conv2d(torch, np, torch.device("cpu"), "gpu"),
    "tensorflow gemm on the cpu": lambda: probe_tensorflow._check_gemm(
        tf, np, "/CPU:0", "float32", probe_tensorflow._call_on, tf.function(tf.linalg.matmul)),
    "torch gemm on the cpu": lambda: probe_torch._check_gemm(
        torch, np, torch.device("cpu"), "cpu", "float32", torch.matmul),
}.items():
    try:
        seen[name] = ["error", check()]
    except h.WrongDevice as exc:
        seen[name] = ["wrong device", str(exc)]
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_a_gpu_check_refuses_a_result_the_framework_left_on_the_cpu() -> None:
    """Real TensorFlow and torch on this CPU-only machine: an op asked for on the GPU whose
    result is on the CPU fails its check; the same check of a CPU op passes."""
    proc = subprocess.run([sys.executable, "-c", OFF_THE_GPU, str(REPO / "probes")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    for name in ("tensorflow gemm", "tensorflow conv2d", "torch gemm", "torch conv2d"):
        assert seen[name][0] == "wrong device", (name, seen[name])
        assert "not on the GPU" in seen[name][1] and "CPU" in seen[name][1].upper()
    for name in ("tensorflow gemm on the cpu", "torch gemm on the cpu"):
        assert seen[name][0] == "error" and seen[name][1] < 1e-4, (name, seen[name])


JAX_STEP = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import jax, jax.numpy, numpy as np
import _train_jax
dev = jax.devices("cpu")[0]
blocked = []
real_block = jax.block_until_ready
seen = {}
for device in ("cpu", "gpu"):  # "gpu": the GPU path's logic, run on the CPU device
    spec = _train_jax.builders(jax, device, dev, None, np)["train_lstm"]()
    jax.block_until_ready = lambda out: blocked.append(1) or real_block(out)
    before = len(blocked)
    out = [spec.fn() for _ in range(3)]
    calls = len(blocked) - before
    jax.block_until_ready = real_block
    real_block(out[-1])
    seen[device] = {"blocks_per_3_calls": calls, "precision": spec.precision,
                    "note": spec.note, "loss0": spec.loss0(), "check": spec.check()}
# What runs: the lowered step of each model, its matmuls and convolutions (forward and backward)
# and how many operand precisions say HIGHEST (two per op when all do).
import re
from functools import partial
import _training as t
seen["hlo"] = {}
for model in t.MODELS:
    inputs, labels = t.batch(np, model)
    if model == "cnn":
        inputs = np.ascontiguousarray(inputs.transpose(0, 2, 3, 1))
    params = _train_jax._convert(np, model, t.init_weights(np, model))
    step = jax.jit(partial(_train_jax._sgd_step, jax, model))
    text = step.lower(params, inputs, labels).as_text()
    ops = len(re.findall(r"stablehlo\.(?:dot_general|convolution)", text))
    seen["hlo"][model] = [ops, text.count("HIGHEST")]
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_jax_training_steps_queue_on_a_gpu_and_run_true_float32() -> None:
    """Real JAX: on a GPU a step only queues (the harness waits once per sample, as for every
    framework), on the CPU it waits for its loss; both report fp32, the GPU step with how TF32
    was switched off (the step is traced under default_matmul_precision('highest'))."""
    proc = subprocess.run([sys.executable, "-c", JAX_STEP, str(REPO / "probes")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["cpu"]["blocks_per_3_calls"] == 3 and seen["gpu"]["blocks_per_3_calls"] == 0
    assert seen["cpu"]["precision"] == seen["gpu"]["precision"] == "fp32"
    assert seen["cpu"]["note"] is None and "highest" in seen["gpu"]["note"]
    assert seen["cpu"]["loss0"] == seen["gpu"]["loss0"] and seen["gpu"]["check"] < 1e-4
    # every matmul and convolution of every step, backward included, is HIGHEST (XLA's GPU
    # default would be TF32): without the precision setting the count of HIGHEST is 0
    for model, (ops, highest) in seen["hlo"].items():
        assert ops > 0 and highest == 2 * ops, (model, ops, highest)
