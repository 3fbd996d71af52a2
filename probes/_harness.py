"""The probe harness: what every dlselect live probe imports (standard library only).

Every ``probe_<framework>.py`` runs inside that framework's own interpreter and imports this
module as a sibling (``python probes/probe_torch.py`` puts ``probes/`` on ``sys.path``), as
``import _harness as h``. It and its sibling modules must stay importable by any Python 3.8+
interpreter with nothing but the standard library, because the frameworks live in separate
virtual environments with different numpy/Python versions.

The harness is split along its seams; this module re-exports every name of its parts, so a probe
needs nothing but ``h``:

* ``_ops``: the op names, budgets, problem shapes and FLOPs, and ``OpSpec`` (one prepared op);
* ``_command_line``: ``--budget``, ``--device``, ``--output``, ``--ops``, ``--ready-fd``, the
  framework's import and the exit codes (2 misuse, 3 import failed, 4 no GPU);
* ``_timing``: ``time_loop``, calibration, samples, median and IQR (``measure``), and ``grow``,
  which enlarges GEMM and conv2d on a GPU;
* ``_checks``: the float64 references and the tolerance of each precision;
* ``_environment``: devices, build, BLAS and the recorded environment variables;
* ``_output``: the runner's two-phase start (``ready``, then ``go``), the JSON document and its
  atomic write, the quick exit.

What lives here is the sequence that ties them together, ``run_ops``: prepare and check every op,
wait for the runner's go, then measure the ops one by one.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from _checks import (
    CHECK_CONV,
    CHECK_CONV_BATCH,
    CHECK_GEMM_N,
    CHECK_LSTM,
    CHECK_TOLERANCE,
    WrongDevice,
    WrongResult,
    max_rel_error,
    observed,
    ref_conv2d,
    ref_gemm,
    ref_lstm,
    require_gpu_result,
    run_check,
)
from _command_line import (
    EXIT_DEVICE_UNAVAILABLE,
    EXIT_IMPORT_FAILED,
    ProbeArgs,
    _one_line,
    fail,
    import_framework,
    resolve_device,
    start,
)
from _environment import (
    RECORDED_ENV,
    build_info,
    cpu_device,
    cpu_model,
    gpu_device,
    jax_device_class,
    numpy_blas,
    openblas_runtime,
    recorded_env,
    tensorflow_gpu_class,
    tf32_possible,
    torch_gpu_class,
    usable_cpus,
)
from _ops import (
    BUDGETS,
    CONV,
    KNOWN_OPS,
    LSTM,
    MULTI_DEVICE_OPS,
    PRECISION_OF_DTYPE,
    PRECISIONS,
    STANDARD_OPS,
    TRAINING_OPS,
    Budget,
    ConvShape,
    LstmShape,
    OpBuilder,
    OpSpec,
    Sync,
    conv2d_flops,
    conv2d_params,
    gemm_flops,
    lstm_flops,
    lstm_params,
)
from _output import (
    SCHEMA_VERSION,
    OpResults,
    ProbeInfo,
    _handshake,
    document,
    emit,
    exit_now,
)
from _timing import (
    GPU_CONV_BATCHES,
    GPU_GEMM_SIZES,
    GROW_TIMED_CALLS,
    MAX_INNER_LOOPS,
    MIN_GPU_CALL_S,
    REMEASURE_SETS,
    UNSTABLE_IQR_RATIO,
    Grown,
    calibrate,
    grow,
    kernel_builders,
    measure,
    summarize,
    time_loop,
    timed_samples,
)

__all__ = [
    # _ops
    "BUDGETS", "CONV", "KNOWN_OPS", "LSTM", "MULTI_DEVICE_OPS", "PRECISION_OF_DTYPE",
    "PRECISIONS", "STANDARD_OPS", "TRAINING_OPS", "Budget", "ConvShape", "LstmShape",
    "OpBuilder", "OpSpec", "Sync", "conv2d_flops", "conv2d_params", "gemm_flops", "lstm_flops",
    "lstm_params",
    # _command_line
    "EXIT_DEVICE_UNAVAILABLE", "EXIT_IMPORT_FAILED", "ProbeArgs", "fail", "import_framework",
    "resolve_device", "start",
    # _timing
    "GPU_CONV_BATCHES", "GPU_GEMM_SIZES", "GROW_TIMED_CALLS", "MAX_INNER_LOOPS",
    "MIN_GPU_CALL_S", "REMEASURE_SETS", "UNSTABLE_IQR_RATIO", "Grown", "calibrate", "grow",
    "kernel_builders",
    "measure", "summarize", "time_loop", "timed_samples",
    # _checks
    "CHECK_CONV", "CHECK_CONV_BATCH", "CHECK_GEMM_N", "CHECK_LSTM", "CHECK_TOLERANCE",
    "WrongDevice", "WrongResult", "max_rel_error", "observed", "ref_conv2d", "ref_gemm",
    "ref_lstm", "require_gpu_result", "run_check",
    # _environment
    "RECORDED_ENV", "build_info", "cpu_device", "cpu_model", "gpu_device", "jax_device_class",
    "numpy_blas", "openblas_runtime", "recorded_env", "tensorflow_gpu_class", "tf32_possible",
    "torch_gpu_class", "usable_cpus",
    # _output
    "SCHEMA_VERSION", "OpResults", "ProbeInfo", "document", "emit", "exit_now",
    # here
    "run_ops",
]  # fmt: skip


def run_ops(args: ProbeArgs, builders: Mapping[str, OpBuilder], sync: Sync,
            unsupported: Mapping[str, str] | None = None) -> OpResults:
    """Prepare the requested ops, wait for the runner's go, then measure them one by one.

    Requested means ``--ops`` when given, otherwise every op the probe built plus the standard
    ones (gemm, conv2d, lstm). Requested ops without a builder (the framework lacks them, or they
    need a GPU) are listed as unsupported. An op that raises, while being prepared or measured,
    is recorded in ``op_errors`` and the others go on.
    """
    wanted = args.ops or (*builders, *(op for op in STANDARD_OPS if op not in builders))
    wanted = [op for op in wanted if op not in MULTI_DEVICE_OPS]  # measured by _multidevice
    results = OpResults(ops={}, op_errors={}, unsupported_ops=[])
    specs: dict[str, OpSpec | Grown] = {}
    checked: dict[str, dict[str, Any]] = {}
    for name in wanted:
        if name not in builders:
            results.unsupported_ops.append(name)
            if unsupported and name in unsupported:
                results.unsupported_reasons[name] = unsupported[name]
            continue
        builder = builders[name]
        if isinstance(builder, Grown):
            specs[name] = builder  # it times calls: built after the go
            continue
        with _op_errors(results, name):
            spec = builder()
            # The correctness check times nothing: it runs now, side by side with the other
            # probes' imports, not in the measuring turn (compiling a small instance and the
            # float64 reference take seconds in some frameworks). A wrong op is not measured.
            # A training step's check needs its first loss: it runs after the first step.
            if spec.check is not None and spec.loss0 is None:
                checked[name] = run_check(spec.check, spec.precision)
            specs[name] = spec
    results.waited_s = _handshake(args.ready_fd)
    for name, prepared in specs.items():
        with _op_errors(results, name):
            spec = prepared() if isinstance(prepared, Grown) else prepared
            results.ops[name] = measure(spec, sync, args.budget, checked=checked.get(name))
    return results


@contextmanager
def _op_errors(results: OpResults, name: str) -> Iterator[None]:
    try:
        yield
    except WrongResult as exc:  # the op ran; its result is wrong: no traceback to show
        print(f"{name}: {exc}", file=sys.stderr)
        results.op_errors[name] = str(exc)
    except Exception as exc:  # broad on purpose: one op failing is data, not a crash
        traceback.print_exc(file=sys.stderr)
        results.op_errors[name] = _one_line(exc)
