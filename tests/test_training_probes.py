"""Training-step probes (probes/_training.py and probes/_train_<framework>.py).

Each framework runs in its own interpreter (torch, tensorflow and jax in the one running these
tests, mxnet in ``<repo>/.venv-mxnet/bin/python``), one subprocess per framework doing all three
models; the four subprocesses start together, once per module. Each builds the ops through its
module's ``builders``, takes the first step (its loss is ``loss0``, computed before the first
update) and ``STEPS`` more on the same batch, and prints JSON. Asserted:

* every framework's loss0 equals the float64 numpy reference within ``FP32_TOLERANCE``
  (relative), so the frameworks agree with each other on the forward pass;
* after ``STEPS`` SGD updates the loss is lower, and equal across frameworks within
  ``AFTER_STEPS_TOLERANCE``: the same gradients and the same update everywhere;
* the op names: ``train_cnn``, ``train_lstm``, ``train_transformer`` on every framework, plus
  ``*_compiled`` for torch only with ``--budget full`` or on a GPU.

A framework that is genuinely absent skips its tests. Speeds are never asserted. The
torch.compile rows take tens of seconds to compile on a 2-core CPU; their numerical test runs
only with ``DLSELECT_TEST_TORCH_COMPILE=1``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import mxnet_unavailable

ROOT = Path(__file__).resolve().parents[1]
PROBES = ROOT / "probes"
MXNET_PYTHON = ROOT / ".venv-mxnet" / "bin" / "python"
TIMEOUT_S = 240
STEPS = 5

sys.path.insert(0, str(PROBES))
import _harness as h  # noqa: E402 - the probes' stdlib-only modules, found beside them
import _training as t  # noqa: E402

FP32_TOLERANCE = t.FP32_TOLERANCE  # 1e-4 relative; measured here: at most 7e-7
# Five updates on the same batch amplify float32 rounding a little; measured: at most 1e-6.
AFTER_STEPS_TOLERANCE = 1e-4
EAGER_OPS = ["train_cnn", "train_lstm", "train_transformer"]
COMPILED_OPS = [f"{op}_compiled" for op in EAGER_OPS]

FRAMEWORKS = {
    "torch": sys.executable,
    "tensorflow": sys.executable,
    "jax": sys.executable,
    "mxnet": str(MXNET_PYTHON),
}

# Runs in the framework's interpreter: argv = framework, steps, ops ("all" or a comma list),
# budget for the builders. Prints one JSON line on the real stdout.
RUNNER = r"""
import importlib, importlib.util, json, os, sys, time
fw, steps, wanted, budget_name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)  # framework chatter to stderr; the JSON alone on stdout
if importlib.util.find_spec(fw) is None:
    out.write(json.dumps({"absent": f"{fw} is not installed in {sys.executable}"}) + "\n")
    raise SystemExit(0)
sys.path.insert(0, sys.argv[5])
import numpy as np
import _harness as h
import _training as t
mod = importlib.import_module("_train_" + fw)
F = importlib.import_module(fw)
if fw == "torch":
    dev = F.device("cpu")
elif fw == "jax":
    importlib.import_module("jax.numpy")
    dev = F.devices("cpu")[0]
elif fw == "tensorflow":
    dev = "/CPU:0"
else:
    dev = F.cpu()
names = {b: sorted(mod.builders(F, "cpu", dev, h.BUDGETS[b], np)) for b in h.BUDGETS}
names["gpu"] = sorted(mod.builders(F, "gpu", dev, h.BUDGETS["quick"]))  # listing only
builders = mod.builders(F, "cpu", dev, h.BUDGETS[budget_name], np)
ops = {}
for name in (sorted(builders) if wanted == "all" else wanted.split(",")):
    spec = builders[name]()
    model = name.split("_")[1]
    start = time.perf_counter()
    losses = [spec.fn.to_float(spec.fn())]
    first_step_s = time.perf_counter() - start
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        losses.append(spec.fn.to_float(spec.fn()))
        times.append(time.perf_counter() - start)
    ops[name] = {
        "losses": losses,
        "loss0": spec.fn.loss0(),
        "reference": t.reference_loss0(np, model),
        "spec_loss0": spec.loss0() if getattr(spec, "loss0", None) else None,
        "spec_check": spec.check() if getattr(spec, "check", None) else None,
        "examples": getattr(spec, "examples", None),
        "dtype": spec.dtype, "device": spec.device, "params": dict(spec.params),
        "kernel": spec.kernel,
        "first_step_s": first_step_s, "step_s": sorted(times)[len(times) // 2],
    }
out.write(json.dumps({"names": names, "ops": ops}) + "\n")
out.flush()
os._exit(0)
"""


def _command(fw: str, ops: str = "all", budget: str = "quick") -> list[str]:
    return [FRAMEWORKS[fw], "-c", RUNNER, fw, str(STEPS), ops, budget, str(PROBES)]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def _finish(fw: str, proc: subprocess.Popen[str]) -> dict[str, Any]:
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        return {"error": f"{fw}: timed out after {TIMEOUT_S} s\n{stderr[-3000:]}"}
    if proc.returncode != 0 or not stdout.strip():
        return {"error": f"{fw}: exit {proc.returncode}\n{stderr[-3000:]}"}
    return dict(json.loads(stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, dict[str, Any]]]:
    """Every framework's run, started side by side (one subprocess each)."""
    procs: dict[str, subprocess.Popen[str] | str] = {}
    for fw, python in FRAMEWORKS.items():
        if not Path(python).exists():
            procs[fw] = (mxnet_unavailable() if fw == "mxnet" else None) or (
                f"{fw}: no interpreter at {python}")
            continue
        procs[fw] = subprocess.Popen(
            _command(fw),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=_environment(),
        )
    done = {}
    for fw, proc in procs.items():
        done[fw] = {"absent": proc} if isinstance(proc, str) else _finish(fw, proc)
    yield done


def _run(results: dict[str, dict[str, Any]], fw: str) -> dict[str, Any]:
    run = results[fw]
    if "absent" in run:
        pytest.skip(run["absent"])
    assert "error" not in run, run.get("error")
    return run


def _present(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    present = {fw: run for fw, run in results.items() if "absent" not in run}
    for run in present.values():
        assert "error" not in run, run["error"]
    if len(present) < 2:
        pytest.skip("fewer than two frameworks installed")
    return present


# --------------------------------------------------------------------------- real frameworks


@pytest.mark.slow
@pytest.mark.parametrize("fw", list(FRAMEWORKS))
def test_ops_exist(results: dict[str, dict[str, Any]], fw: str) -> None:
    names = _run(results, fw)["names"]
    assert names["quick"] == sorted(EAGER_OPS)
    compiled = sorted(EAGER_OPS + COMPILED_OPS) if fw == "torch" else sorted(EAGER_OPS)
    assert names["full"] == compiled
    assert names["gpu"] == compiled


@pytest.mark.slow
@pytest.mark.parametrize("fw", list(FRAMEWORKS))
def test_loss0_matches_float64_reference(results: dict[str, dict[str, Any]], fw: str) -> None:
    ops = _run(results, fw)["ops"]
    assert sorted(ops) == sorted(EAGER_OPS)
    for name, op in ops.items():
        model = name.split("_")[1]
        error = t.relative_error(op["loss0"], op["reference"])
        assert error < FP32_TOLERANCE, (fw, name, op["loss0"], op["reference"])
        assert op["loss0"] == op["losses"][0]
        assert op["examples"] in (None, t.SHAPES[model].batch)
        if op["spec_check"] is not None:  # the harness's OpSpec has check/loss0 fields
            assert op["spec_check"] == pytest.approx(error, rel=1e-9, abs=1e-15)
            assert op["spec_loss0"] == op["loss0"]
        assert op["dtype"] == "float32" and op["device"] == "cpu"
        assert op["params"]["model"] == model and op["params"]["optimizer"] == f"SGD lr={t.LR}"


@pytest.mark.slow
@pytest.mark.parametrize("fw", list(FRAMEWORKS))
def test_loss_decreases(results: dict[str, dict[str, Any]], fw: str) -> None:
    for name, op in _run(results, fw)["ops"].items():
        losses = op["losses"]
        assert len(losses) == STEPS + 1
        # Every update lowers the loss on the batch it was computed on (small LR, same batch).
        assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), (fw, name, losses)


@pytest.mark.slow
def test_frameworks_agree(results: dict[str, dict[str, Any]]) -> None:
    present = _present(results)
    for name in EAGER_OPS:
        runs = {fw: run["ops"][name] for fw, run in present.items()}
        references = {op["reference"] for op in runs.values()}
        # The same seeded draws in every interpreter's numpy (1.23 for mxnet, 2.x elsewhere).
        assert max(references) - min(references) <= 1e-12 * max(references), (name, references)
        reference = runs[next(iter(runs))]["reference"]
        finals = {fw: op["losses"][-1] for fw, op in runs.items()}
        anchor = sorted(finals.values())[len(finals) // 2]
        for fw, final in finals.items():
            assert t.relative_error(final, anchor) < AFTER_STEPS_TOLERANCE, (name, finals)
            assert final < reference, (fw, name)


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("DLSELECT_TEST_TORCH_COMPILE") != "1",
    reason="torch.compile takes tens of seconds here; set DLSELECT_TEST_TORCH_COMPILE=1",
)
def test_torch_compiled_rows(results: dict[str, dict[str, Any]]) -> None:
    eager = _run(results, "torch")["ops"]
    done = subprocess.run(
        _command("torch", ",".join(COMPILED_OPS), "full"),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S * 2,
        cwd=ROOT,
        env=_environment(),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ops = json.loads(done.stdout.strip().splitlines()[-1])["ops"]
    for name in EAGER_OPS:
        op = ops[f"{name}_compiled"]
        assert t.relative_error(op["loss0"], op["reference"]) < FP32_TOLERANCE, name
        final = eager[name]["losses"][-1]
        assert t.relative_error(op["losses"][-1], final) < AFTER_STEPS_TOLERANCE, name


# --------------------------------------------------------------------------- no framework needed


def test_reference_is_deterministic_and_float32() -> None:
    np = pytest.importorskip("numpy")
    for model in t.MODELS:
        weights = t.init_weights(np, model)
        assert all(v.dtype == np.float32 for v in weights.values())
        inputs, labels = t.batch(np, model)
        assert inputs.dtype in (np.float32, np.int32) and labels.dtype == np.int32
        assert inputs.shape[0] == labels.shape[0] == t.examples(model)
        first = t.reference_loss0(np, model)
        t._REFERENCE_CACHE.clear()
        assert t.reference_loss0(np, model) == first
        assert 0 < first < 10


def test_lstm_has_no_bias_and_layouts_are_canonical() -> None:
    np = pytest.importorskip("numpy")
    s = t.LSTM
    weights = t.init_weights(np, "lstm")
    assert not [k for k in weights if "_b_" in k]
    assert weights["lstm0_w_ih"].shape == (4 * s.hidden, s.embed)
    assert weights["lstm1_w_ih"].shape == (4 * s.hidden, s.hidden)
    assert weights["lstm0_w_hh"].shape == (4 * s.hidden, s.hidden)
    assert t.init_weights(np, "cnn")["conv0_w"].shape == (16, 3, 3, 3)  # OIHW
    assert t.init_weights(np, "transformer")["mlp1_w"].shape == (64, 128)  # (in, out)


def test_op_spec_passes_only_known_fields() -> None:
    spec = t.op_spec(
        h, fn=lambda: None, flops=None, dtype="float32", params={}, kernel="k", device="cpu",
        examples=32, loss0=lambda: 1.0, precision="fp32", check=lambda: 0.0,
    )  # fmt: skip
    known = {f.name for f in dataclasses.fields(h.OpSpec)}
    assert spec.flops in (None, 0)
    assert ("examples" in known) == hasattr(spec, "examples")

    @dataclasses.dataclass(frozen=True)
    class NewSpec:  # the harness's OpSpec with the optional training fields
        fn: Any
        dtype: str
        params: Any
        kernel: str
        device: str
        flops: int | None = None
        examples: int | None = None
        check: Any = None

    class NewHarness:
        OpSpec = NewSpec

    new = t.op_spec(
        NewHarness, fn=1, flops=None, dtype="float32", params={}, kernel="k", device="cpu",
        examples=32, loss0=lambda: 1.0, check="c",
    )  # fmt: skip
    assert (new.flops, new.examples, new.check) == (None, 32, "c")

    @dataclasses.dataclass(frozen=True)
    class OldSpec:
        fn: Any
        flops: int

    class OldHarness:
        OpSpec = OldSpec

    assert t.op_spec(OldHarness, fn=1, flops=None, examples=3).flops == 0


def test_compiled_rows_and_unsupported_notes() -> None:
    assert t.compiled_rows_wanted(h.BUDGETS["full"], "cpu")
    assert t.compiled_rows_wanted(h.BUDGETS["quick"], "gpu")
    assert not t.compiled_rows_wanted(h.BUDGETS["quick"], "cpu")
    assert "no automatic differentiation" in t.NUMBA_UNSUPPORTED
    assert "not implemented" in t.PYTENSOR_UNSUPPORTED
    assert all("\n" not in note for note in t.UNSUPPORTED.values())


def test_training_module_imports_only_the_standard_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; import _training; "
         "print(sorted(m for m in ('numpy', 'torch', 'jax', 'tensorflow') if m in sys.modules))"],
        capture_output=True, text=True, timeout=60, cwd=PROBES, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "[]"
