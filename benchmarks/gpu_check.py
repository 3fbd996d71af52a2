"""``make gpu-check``: the probes' GPU paths, checked on a real NVIDIA GPU in under 5 minutes.

Runs every framework's probes with ``--device gpu`` (a private cache, so nothing is reused),
then a dedicated long bfloat16 GEMM per framework, and checks:

1. the GPU was used: every op of torch, tensorflow and jax reports device ``gpu``, every op the
   probes promise on a GPU is there (``EXPECTED_OPS``), and no op failed: the probes' GEMM and
   conv2d checks also fail an op whose result is not on a GPU (a TensorFlow op without a GPU
   kernel would otherwise run on the CPU and keep its label);
2. ``fp32`` ran with TF32 off: the ``gemm`` op reports precision ``fp32`` and its check against
   the float64 reference is below ``FP32_MAX_ERROR`` (true float32 on the n=64 check instance
   errs by about 1e-6, TF32 by about 5e-4); ``gemm_tf32`` reports ``tf32`` and its check is
   above that bound, so TF32 really ran;
3. the quick bf16 GEMM is within 0.9-1.1 of the long measurement of the same framework, at the
   same size;
4. no probe ran out of memory (named apart among the op errors);
5. the training-step losses agree: every ``train_*`` op's ``loss0`` (the compiled rows' too)
   passed its check against the float64 reference, and all of one model's ``loss0`` agree with
   each other within ``LOSS_TOLERANCE``.

Prints a table and writes the figures as JSON (``--output``, default gpu-check.json); exit 0 when
every check passes, 1 when one fails, 2 when there is no GPU. The frameworks must be GPU builds:
``make gpu-check`` installs them into ``.venv-gpu`` from requirements-gpu.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selector.probing.catalog import COMPILED_SUFFIX, TRAINING_OPS

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("torch", "tensorflow", "jax")
# What each probe measures on a GPU (docs/probes.md): the kernels with the GPU-only GEMMs, the
# training steps, and torch's compiled training rows (registered on every GPU run).
_KERNELS = ("gemm", "gemm_tf32", "gemm_fp16", "gemm_bf16", "conv2d", "lstm")
EXPECTED_OPS = {
    "torch": (*_KERNELS, *TRAINING_OPS, *(op + COMPILED_SUFFIX for op in TRAINING_OPS)),
    "tensorflow": (*_KERNELS, *TRAINING_OPS),
    "jax": (*_KERNELS, *TRAINING_OPS),
}
RATIO_RANGE = (0.9, 1.1)
LOSS_TOLERANCE = 1e-3  # relative, between frameworks' first-step losses in fp32
FP32_MAX_ERROR = 1e-5  # the fp32 GEMM check's bound here; TF32 errs 50x more on that instance
LONG_S = 5.0
MAX_WALL_S = 300.0  # the whole check, on one GPU
OOM_WORDS = ("out of memory", "resource_exhausted", "oom", "cudaerrormemoryallocation")

# A long bf16 GEMM in each framework: the same operation as the probe's gemm_bf16, timed for
# LONG_S seconds after warm-up, queued calls and one synchronisation per block.
LONG_BF16 = {
    "torch": """
import sys, time, torch
n = int(sys.argv[1]); g = torch.Generator(device="cuda").manual_seed(0)
a = torch.randn(n, n, device="cuda", generator=g).to(torch.bfloat16)
b = torch.randn(n, n, device="cuda", generator=g).to(torch.bfloat16)
for _ in range(3): torch.matmul(a, b)
torch.cuda.synchronize(); calls = 0; start = time.perf_counter()
while time.perf_counter() - start < float(sys.argv[2]):
    for _ in range(20): torch.matmul(a, b)
    torch.cuda.synchronize(); calls += 20
print(2 * n**3 * calls / (time.perf_counter() - start) / 1e9)
""",
    "jax": """
import sys, time, jax, jax.numpy as jnp
n = int(sys.argv[1]); f = jax.jit(jnp.matmul)
a = jax.random.normal(jax.random.PRNGKey(0), (n, n), "float32").astype(jnp.bfloat16)
b = jax.random.normal(jax.random.PRNGKey(1), (n, n), "float32").astype(jnp.bfloat16)
for _ in range(3): f(a, b).block_until_ready()
calls = 0; start = time.perf_counter()
while time.perf_counter() - start < float(sys.argv[2]):
    out = [f(a, b) for _ in range(20)]; out[-1].block_until_ready(); calls += 20
print(2 * n**3 * calls / (time.perf_counter() - start) / 1e9)
""",
    "tensorflow": """
import sys, time, tensorflow as tf
n = int(sys.argv[1])
with tf.device("/GPU:0"):
    a = tf.cast(tf.random.normal((n, n), seed=0), tf.bfloat16)
    b = tf.cast(tf.random.normal((n, n), seed=1), tf.bfloat16); f = tf.function(tf.linalg.matmul)
    for _ in range(3): f(a, b).numpy()
    calls = 0; start = time.perf_counter()
    while time.perf_counter() - start < float(sys.argv[2]):
        out = [f(a, b) for _ in range(20)]; out[-1][0, 0].numpy(); calls += 20
print(2 * n**3 * calls / (time.perf_counter() - start) / 1e9)
""",
}
# The long runs use random normal inputs, as the probes do: on a GPU, constant inputs (ones,
# zeros) draw less power and run faster than random ones, which would bias the ratio.


def run_probes(python: str, cache: Path, frameworks: tuple[str, ...]) -> dict[str, Any]:
    """``dlselect probe --device gpu`` for ``frameworks`` in ``python`` (the interpreter with
    dlselect and the GPU builds), with a private cache and config folder."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "XDG_CONFIG_HOME": str(cache)}
    out = cache / "probes.json"
    cmd = [python, "-m", "selector", "probe", "--device", "gpu", "--refresh",
           "--format", "json", "--output", str(out), "--python", python]
    for name in frameworks:
        cmd += ["--framework", name]
    # stderr (progress) passes through as it comes; its last lines explain a failed run.
    last: deque[str] = deque(maxlen=2)
    with subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            sys.stderr.write(line)
            if line.strip():
                last.append(line.strip())
        code = proc.wait(timeout=900)
    if not out.exists():
        raise SystemExit(f"gpu-check: dlselect probe wrote no result (exit {code}): "
                         + " / ".join(last))
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return doc


def long_bf16(python: str, framework: str, n: int) -> float | None:
    """GFLOP/s of the long bf16 GEMM, or None when it failed or took over 120 s (reported as a
    failed ratio by ``check``)."""
    try:
        done = subprocess.run([python, "-c", LONG_BF16[framework], str(n), str(LONG_S)],
                              capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return None
    try:
        return float(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def check(doc: dict[str, Any], measure_long: Callable[[str, int], float | None],
          frameworks: tuple[str, ...] = FRAMEWORKS) -> tuple[list[str], dict[str, Any]]:
    """Every check on a ``dlselect probe --format json`` document; ``measure_long(framework,
    n)`` gives the long bf16 GEMM figure."""
    failures: list[str] = []
    figures: dict[str, Any] = {}
    by = {r["framework"]: r for r in doc["results"]}
    losses: dict[str, dict[str, float]] = {}
    for name in frameworks:
        result = by.get(name)
        if result is None or result["status"] != "ok":
            failures.append(f"{name}: not measured ({(result or {}).get('reason')})")
            continue
        ops = result["ops"]
        off_gpu = [op for op, r in ops.items() if r["device"] != "gpu"]
        if off_gpu:
            failures.append(f"{name}: ran on the CPU: {', '.join(off_gpu)}")
        errors = dict(result.get("op_errors") or {})
        oom = {op: e for op, e in errors.items() if any(w in e.lower() for w in OOM_WORDS)}
        if oom:
            failures.append(f"{name}: out of memory: {oom}")
        if errors.keys() - oom.keys():
            failures.append(f"{name}: ops failed: "
                            f"{ {op: e for op, e in errors.items() if op not in oom} }")
        missing = [op for op in EXPECTED_OPS.get(name, ()) if op not in ops and op not in errors]
        if missing:
            failures.append(f"{name}: ops missing on the GPU: {', '.join(missing)}")
        gemm = ops.get("gemm", {})
        gemm_error = _check_error(gemm)
        if gemm.get("precision") != "fp32" or gemm_error is None or gemm_error > FP32_MAX_ERROR:
            failures.append(f"{name}: gemm is not a checked fp32 GEMM ({gemm.get('precision')}, "
                            f"{gemm.get('check')}; fp32 errs below {FP32_MAX_ERROR:g})")
        tf32 = ops.get("gemm_tf32", {})
        tf32_error = _check_error(tf32)
        if tf32.get("precision") != "tf32":
            failures.append(f"{name}: no gemm_tf32 op with precision tf32")
        elif tf32_error is None or tf32_error <= FP32_MAX_ERROR:
            failures.append(f"{name}: gemm_tf32 erred {tf32_error} on its check, as fp32 does: "
                            "TF32 did not run")
        bf16 = ops.get("gemm_bf16")
        if bf16:
            n = int(bf16["params"]["n"])
            long = measure_long(name, n)
            ratio = bf16["gflops"] / long if long else None
            figures[name] = {"gemm_bf16_quick": bf16["gflops"], "gemm_bf16_long": long,
                             "ratio": ratio, "n": n,
                             "gemm_fp32": gemm.get("gflops"),
                             "gemm_tf32": ops.get("gemm_tf32", {}).get("gflops")}
            if ratio is None or not RATIO_RANGE[0] <= ratio <= RATIO_RANGE[1]:
                failures.append(f"{name}: quick bf16 GEMM {bf16['gflops']:.0f} GFLOP/s vs long "
                                f"{long} (ratio {ratio}) outside {RATIO_RANGE}")
        else:
            failures.append(f"{name}: no gemm_bf16 op")
        for op, r in ops.items():
            if op.startswith("train_") and r.get("loss0") is not None:
                # one entry per framework and row: torch's compiled row beside its eager one
                compiled = op.endswith(COMPILED_SUFFIX)
                row = f"{name} (compiled)" if compiled else name
                losses.setdefault(op.removesuffix(COMPILED_SUFFIX), {})[row] = r["loss0"]
                if not (r.get("check") or {}).get("ok"):
                    failures.append(f"{name}: {op} loss0 {r['loss0']} fails its check")
                figures.setdefault(name, {})[op] = {"samples_per_s": r.get("samples_per_s"),
                                                   "first_step_s": r.get("first_step_s")}
    for op, per in losses.items():
        spread = (max(per.values()) - min(per.values())) / max(abs(v) for v in per.values())
        if len(per) < 2 or spread > LOSS_TOLERANCE:
            failures.append(f"{op}: first-step losses disagree or too few: {per}")
    figures["losses"] = losses
    return failures, figures


def _check_error(op: dict[str, Any]) -> float | None:
    """The ``max_rel_error`` of an op's passed check, else None."""
    check_result = op.get("check") or {}
    error = check_result.get("max_rel_error")
    return float(error) if check_result.get("ok") and error is not None else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter with dlselect and the GPU builds")
    parser.add_argument("--output", default="gpu-check.json")
    parser.add_argument("--framework", action="append", choices=FRAMEWORKS, default=None,
                        help="check only this framework (repeatable; default: all three)")
    args = parser.parse_args(argv)
    frameworks = tuple(args.framework or FRAMEWORKS)
    if shutil.which("nvidia-smi") is None:
        print("gpu-check: no NVIDIA GPU here (nvidia-smi not found)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dlselect-gpu-check-") as tmp:
        doc = run_probes(args.python, Path(tmp), frameworks)
    probes_s = time.perf_counter() - started
    failures, figures = check(doc, lambda name, n: long_bf16(args.python, name, n), frameworks)
    figures["wall_s"] = {"probes": probes_s, "total": time.perf_counter() - started}
    if figures["wall_s"]["total"] > MAX_WALL_S:
        failures.append(f"took {figures['wall_s']['total']:.0f} s, over {MAX_WALL_S:.0f} s")
    Path(args.output).write_text(json.dumps({"frameworks": frameworks, "figures": figures,
                                             "failures": failures, "probes": doc}, indent=2),
                                 encoding="utf-8")
    for name, fig in figures.items():
        print(f"{name}: {json.dumps(fig)}")
    for failure in failures:
        print(f"FAIL {failure}")
    print("gpu-check: " + ("passed" if not failures else f"{len(failures)} checks failed"))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
