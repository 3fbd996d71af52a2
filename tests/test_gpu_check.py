"""The checks of `make gpu-check` (benchmarks/gpu_check.py), on probe documents written by
hand: the GPU itself is not here, so only the judging is tested; docs/probes.md says the GPU
paths have not been measured."""

from __future__ import annotations

import copy
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import gpu_check  # noqa: E402 - a script beside the benchmarks, not a package


def _op(device: str = "gpu", precision: str = "fp32", ok: bool = True, **extra: Any
        ) -> dict[str, Any]:
    return {"device": device, "precision": precision, "gflops": 100.0, "params": {"n": 4096},
            "check": {"max_rel_error": 1e-6, "ok": ok}, **extra}


def _doc() -> dict[str, Any]:
    """A good run: every op each probe promises on a GPU, with the check errors true float32,
    TF32 and bf16 give on the check instance."""
    results = []
    for name in gpu_check.FRAMEWORKS:
        ops = {}
        for op in gpu_check.EXPECTED_OPS[name]:
            if op.startswith("train_"):
                ops[op] = _op(loss0=2.3456, samples_per_s=1000.0, first_step_s=1.0)
            else:
                precision = {"gemm_tf32": "tf32", "gemm_fp16": "fp16",
                             "gemm_bf16": "bf16"}.get(op, "fp32")
                error = {"tf32": 5e-4, "fp16": 4e-4, "bf16": 3e-3}.get(precision, 1e-6)
                ops[op] = _op(precision=precision,
                              check={"max_rel_error": error, "ok": True})
        results.append({"framework": name, "status": "ok", "op_errors": {}, "ops": ops})
    return {"results": results}


def _long(_: str, __: int) -> float:
    return 100.0


def test_a_good_run_passes() -> None:
    failures, figures = gpu_check.check(_doc(), _long)
    assert failures == []
    assert figures["torch"]["ratio"] == 1.0
    # torch's compiled row is compared beside its eager one, not in its place
    assert set(figures["losses"]["train_cnn"]) == {*gpu_check.FRAMEWORKS, "torch (compiled)"}


def test_each_broken_promise_fails() -> None:
    cases = {
        "ran on the CPU": lambda d: d["results"][0]["ops"]["gemm"].update(device="cpu"),
        "not a checked fp32 GEMM": lambda d: d["results"][1]["ops"]["gemm"].update(ok=None,
                                                                                   check=None),
        "no gemm_tf32": lambda d: d["results"][2]["ops"].pop("gemm_tf32"),
        "out of memory": lambda d: d["results"][0]["op_errors"].update(
            conv2d="RuntimeError: CUDA out of memory"),
        "losses disagree": lambda d: d["results"][1]["ops"]["train_cnn"].update(loss0=2.5),
        "not measured": lambda d: d["results"][2].update(status="failed"),
        # an op that failed for any other reason (a wrong result, a result off the GPU)
        "ops failed": lambda d: (d["results"][1]["ops"].pop("conv2d"),
                                 d["results"][1]["op_errors"].update(
                                     conv2d="RuntimeError: the result is on /device:CPU:0")),
        "ops missing on the GPU: lstm": lambda d: d["results"][2]["ops"].pop("lstm"),
        # within the fp32 tolerance of the probe's own check, but TF32-sized for an n=64 GEMM
        "gemm is not a checked fp32 GEMM": lambda d: d["results"][2]["ops"]["gemm"].update(
            check={"max_rel_error": 5e-5, "ok": True}),
        "TF32 did not run": lambda d: d["results"][0]["ops"]["gemm_tf32"].update(
            check={"max_rel_error": 1e-6, "ok": True}),
    }
    for words, breaks in cases.items():
        doc = copy.deepcopy(_doc())
        breaks(doc)
        failures, _ = gpu_check.check(doc, _long)
        assert any(words in f for f in failures), (words, failures)
    failures, _ = gpu_check.check(_doc(), lambda _, __: 50.0)  # quick is 2x the long figure
    assert any("outside (0.9, 1.1)" in f for f in failures)
    doc = _doc()  # torch's compiled CNN step starts from another loss than its eager one
    doc["results"][0]["ops"]["train_cnn_compiled"]["loss0"] = 2.5
    failures, _ = gpu_check.check(doc, _long)
    assert any("train_cnn: first-step losses disagree" in f and "torch (compiled)" in f
               for f in failures), failures


def test_only_the_frameworks_asked_for_are_judged() -> None:
    doc = _doc()
    doc["results"] = [r for r in doc["results"] if r["framework"] != "tensorflow"]
    failures, figures = gpu_check.check(doc, _long, ("torch", "jax"))
    assert failures == []
    assert set(figures["losses"]["train_cnn"]) == {"torch", "torch (compiled)", "jax"}
    failures, _ = gpu_check.check(doc, _long)  # all three asked for: tensorflow is missing
    assert any("tensorflow: not measured" in f for f in failures)


def test_the_probe_run_is_a_real_dlselect_probe(tmp_path: Path) -> None:
    """`run_probes` runs `dlselect probe --device gpu` in the interpreter given; with no GPU
    here, dlselect itself refuses in one line, which the check passes on."""
    if shutil.which("nvidia-smi"):
        pytest.skip("a GPU machine: make gpu-check runs the real thing")
    with pytest.raises(SystemExit, match=r"exit 2\): dlselect: error: --device gpu: no NVIDIA GPU"):
        gpu_check.run_probes(sys.executable, tmp_path, ("torch",))
