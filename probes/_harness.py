"""Shared machinery for dlselect's live probes (standard library only).

Every ``probe_<framework>.py`` runs inside that framework's own interpreter and imports this
module as a sibling (``python probes/probe_torch.py`` puts ``probes/`` on ``sys.path``). It must
stay importable by any Python 3.8+ interpreter with nothing but the standard library, because the
frameworks live in separate virtual environments with different numpy/Python versions.

What lives here:

* command line: ``--budget quick|full``, ``--device auto|cpu|gpu``, ``--output PATH``,
  ``--ops gemm,conv2d,...``, ``--ready-fd FD``; usage errors exit 2 (argparse's convention);
* the runner's two-phase start (``--ready-fd``): import and prepare every op, write ``ready``
  on FD, then wait for ``go`` on stdin before measuring, so that probes started side by side
  import in parallel but never measure at the same time;
* timing: ``time.perf_counter`` around a loop of calls, a ``sync`` callable called before every
  clock read, calibration of the inner loop count, repeated samples, median and IQR;
* the JSON document (probe schema_version 1) and its atomic write;
* exit codes: 3 when the framework cannot be imported, 4 when ``--device gpu`` is asked for and
  the framework sees no GPU. Each is reported as one line on stderr.

The shapes of the three standard operations are defined here so that every probe measures exactly
the same problem and the figures compare across frameworks.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO

# Taken when the probe imports this module, which every probe does before importing its
# framework, so ``elapsed_s`` includes the framework's import time.
_STARTED = time.perf_counter()

SCHEMA_VERSION = 1
EXIT_IMPORT_FAILED = 3
EXIT_DEVICE_UNAVAILABLE = 4

# A measurement is flagged ``unstable`` when its interquartile range exceeds this share of the
# median: on a busy 2-core machine that is the point where a 10 % difference between two
# frameworks stops meaning anything.
UNSTABLE_IQR_RATIO = 0.10
# Upper bound on the calibrated inner loop, so a no-op-fast call cannot spin forever.
MAX_INNER_LOOPS = 1_000_000

STANDARD_OPS = ("gemm", "conv2d", "lstm")
KNOWN_OPS = ("gemm", "gemm_fp16", "gemm_bf16", "gemm_naive", "conv2d", "lstm")

# Variables that change how many threads or which kernels a framework uses; recorded when set.
RECORDED_ENV = (
    "OMP_NUM_THREADS",
    "OMP_PROC_BIND",
    "OMP_PLACES",
    "MKL_NUM_THREADS",
    "MKL_ENABLE_INSTRUCTIONS",
    "KMP_AFFINITY",
    "KMP_BLOCKTIME",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_VERBOSE",
    "GOTO_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_CPP_MIN_LOG_LEVEL",
    "TF_XLA_FLAGS",
    "XLA_FLAGS",
    "JAX_PLATFORMS",
    "JAX_ENABLE_X64",
    "JAX_DEFAULT_MATMUL_PRECISION",
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_TF32_OVERRIDE",
    "TORCH_NUM_THREADS",
    "DNNL_MAX_CPU_ISA",
    "ONEDNN_MAX_CPU_ISA",
    "NUMBA_NUM_THREADS",
    "NUMBA_THREADING_LAYER",
    "NUMBA_OPT",
    "NUMBA_DISABLE_JIT",
    "MXNET_CPU_WORKER_NTHREADS",
    "MXNET_ENGINE_TYPE",
    "MXNET_MKLDNN_ENABLED",
    "PYTENSOR_FLAGS",
    "THEANO_FLAGS",
)


@dataclass(frozen=True)
class Budget:
    """How long to measure and how big the size-dependent problems are."""

    name: str
    min_sample_s: float  # calibration target for one timed sample
    samples: int
    gemm_n: int
    conv_batch: int


BUDGETS: dict[str, Budget] = {
    "quick": Budget("quick", min_sample_s=0.02, samples=5, gemm_n=512, conv_batch=8),
    "full": Budget("full", min_sample_s=0.1, samples=21, gemm_n=1024, conv_batch=32),
}


@dataclass(frozen=True)
class ConvShape:
    """conv2d forward problem (batch size comes from the budget)."""

    channels_in: int = 64
    channels_out: int = 64
    height: int = 56
    width: int = 56
    kernel: int = 3
    stride: int = 1
    pad: int = 1

    @property
    def out_height(self) -> int:
        return (self.height + 2 * self.pad - self.kernel) // self.stride + 1

    @property
    def out_width(self) -> int:
        return (self.width + 2 * self.pad - self.kernel) // self.stride + 1


@dataclass(frozen=True)
class LstmShape:
    """One-layer LSTM forward problem (the same for both budgets)."""

    seq: int = 32
    batch: int = 16
    input: int = 128
    hidden: int = 256


CONV = ConvShape()
LSTM = LstmShape()


def gemm_flops(n: int) -> int:
    """Multiply-adds of an n x n by n x n product, counted as two FLOPs each."""
    return 2 * n**3


def conv2d_flops(batch: int, shape: ConvShape = CONV) -> int:
    """2*N*K*C*R*S*P*Q with P x Q the output size (bias and padding zeros not discounted)."""
    taps = shape.channels_in * shape.kernel * shape.kernel
    return 2 * batch * shape.channels_out * taps * shape.out_height * shape.out_width


def lstm_flops(shape: LstmShape = LSTM) -> int:
    """The four gate GEMMs per step, seq * 2*batch*4*hidden*(input+hidden).

    Bias adds and the gate nonlinearities (about 10 elementwise ops per hidden unit, under 1 %
    of the total here) are not counted.
    """
    per_step = 2 * shape.batch * 4 * shape.hidden * (shape.input + shape.hidden)
    return shape.seq * per_step


def conv2d_params(batch: int, layout: str, shape: ConvShape = CONV) -> dict[str, Any]:
    return {
        "batch": batch,
        "channels_in": shape.channels_in,
        "channels_out": shape.channels_out,
        "height": shape.height,
        "width": shape.width,
        "kernel": shape.kernel,
        "stride": shape.stride,
        "pad": shape.pad,
        "layout": layout,
    }


def lstm_params(layout: str, shape: LstmShape = LSTM) -> dict[str, Any]:
    return {
        "seq": shape.seq,
        "batch": shape.batch,
        "input": shape.input,
        "hidden": shape.hidden,
        "layers": 1,
        "layout": layout,
    }


# --------------------------------------------------------------------------- command line


@dataclass(frozen=True)
class ProbeArgs:
    budget: Budget
    device: str  # "auto", "cpu" or "gpu", as requested
    output: str | None
    ops: tuple[str, ...] | None  # None: every op the probe has
    ready_fd: int | None  # two-phase start: say "ready" here, then wait for "go" on stdin
    stdout: TextIO  # the real standard output, kept for the JSON document


def _parse_ops(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [name for name in names if name not in KNOWN_OPS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown op(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(KNOWN_OPS)}"
        )
    return names


def _parser(probe: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"probe_{probe}.py",
        description=f"dlselect live probe for {probe}: micro-benchmarks, JSON out.",
    )
    parser.add_argument(
        "--budget",
        choices=sorted(BUDGETS),
        default="quick",
        help="quick: gemm n=512, conv batch 8, 7 samples of >=20 ms; "
        "full: n=1024, batch 32, 21 samples of >=100 ms (default: quick)",
    )
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "gpu"),
        default="auto",
        help="auto: the GPU if the framework sees one, else the CPU; gpu without one exits 4",
    )
    parser.add_argument("--output", metavar="PATH", help="write the JSON here (else stdout)")
    parser.add_argument("--ops", type=_parse_ops, metavar="OP[,OP...]", help="subset of ops")
    parser.add_argument(
        "--ready-fd",
        type=_parse_fd,
        metavar="FD",
        help="write 'ready' on this descriptor once prepared, then wait for 'go' on stdin",
    )
    return parser


def _parse_fd(text: str) -> int:
    try:
        fd = int(text)
    except ValueError:
        fd = -1
    if fd < 0:
        raise argparse.ArgumentTypeError(f"not a file descriptor: {text!r}")
    return fd


def start(probe: str, argv: Sequence[str] | None = None) -> ProbeArgs:
    """Parse the command line (exit 2 on misuse) and keep stdout clean for the JSON document."""
    ns = _parser(probe).parse_args(argv)
    return ProbeArgs(
        budget=BUDGETS[ns.budget],
        device=ns.device,
        output=ns.output,
        ops=ns.ops,
        ready_fd=ns.ready_fd,
        stdout=_guard_stdout(),
    )


def _guard_stdout() -> TextIO:
    """Point file descriptor 1 at stderr and return a handle on the original stdout.

    Frameworks and their native libraries print banners and warnings; when the document goes to
    stdout, that noise must not corrupt it, so everything else written to fd 1 goes to stderr.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(saved, "w", encoding="utf-8")


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    line = f"{type(exc).__name__}: {text}"
    return line if len(line) <= limit else line[: limit - 3] + "..."


def import_framework(module: str) -> Any:
    """Import ``module`` or exit 3 with one line on stderr (the engine's "import failed")."""
    import importlib  # local: only needed here

    try:
        return importlib.import_module(module)
    except Exception as exc:  # broad on purpose: broken native libraries raise OSError etc.
        fail(EXIT_IMPORT_FAILED, f"import failed: {module}: {_one_line(exc)}")


def resolve_device(requested: str, gpu_available: bool, probe: str) -> str:
    """``auto`` takes the GPU when the framework sees one; ``gpu`` without one exits 4."""
    if requested == "cpu" or (requested == "auto" and not gpu_available):
        return "cpu"
    if gpu_available:
        return "gpu"
    fail(EXIT_DEVICE_UNAVAILABLE, f"device unavailable: {probe} sees no GPU")


def fail(code: int, message: str) -> NoReturn:
    sys.stderr.flush()
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(code)


# --------------------------------------------------------------------------- operations

Sync = Callable[[object], None]
"""Waits until the work behind the given op output (or None) is finished."""


@dataclass(frozen=True)
class OpSpec:
    """One prepared operation: inputs allocated, graph built, ready to be called."""

    fn: Callable[[], object]  # one op call; returns its output, which is handed to ``sync``
    flops: int
    dtype: str
    params: Mapping[str, Any]
    kernel: str
    device: str
    note: str | None = None


# Builds an op: allocates inputs and layers. Anything that compiles must wait for the first call
# of ``fn``, so that its time lands in first_call_s, measured while no other probe runs.
OpBuilder = Callable[[], OpSpec]


def time_loop(fn: Callable[[], object], sync: Sync, loops: int) -> float:
    """Seconds for ``loops`` calls, with ``sync`` before each clock read."""
    out: object = None
    sync(out)
    start_s = time.perf_counter()
    for _ in range(loops):
        out = fn()
    sync(out)
    return time.perf_counter() - start_s


def calibrate(fn: Callable[[], object], sync: Sync, min_sample_s: float) -> int:
    """Grow the inner loop count until one sample lasts at least ``min_sample_s``."""
    loops = 1
    while True:
        elapsed = time_loop(fn, sync, loops)
        if elapsed >= min_sample_s or loops >= MAX_INNER_LOOPS:
            return loops
        # Aim 20 % past the target so the next try usually lands; always at least double.
        wanted = math.ceil(loops * min_sample_s / max(elapsed, 1e-9) * 1.2)
        loops = min(MAX_INNER_LOOPS, max(2 * loops, wanted))


def summarize(per_call_s: Sequence[float]) -> tuple[float, float]:
    """Median and interquartile range (quartiles by the 'inclusive' method)."""
    q1, _, q3 = statistics.quantiles(per_call_s, n=4, method="inclusive")
    return statistics.median(per_call_s), q3 - q1


def measure(spec: OpSpec, sync: Sync, budget: Budget) -> dict[str, Any]:
    """First call, calibration, then ``budget.samples`` timed samples of one op."""
    first_call_s = time_loop(spec.fn, sync, 1)
    loops = calibrate(spec.fn, sync, budget.min_sample_s)
    per_call = [time_loop(spec.fn, sync, loops) / loops for _ in range(budget.samples)]
    median_s, iqr_s = summarize(per_call)
    if not median_s > 0 or not math.isfinite(median_s):
        raise RuntimeError(f"clock gave a non-positive median ({median_s!r})")
    return {
        "device": spec.device,
        "dtype": spec.dtype,
        "params": dict(spec.params),
        "flops": spec.flops,
        "first_call_s": first_call_s,
        "median_s": median_s,
        "iqr_s": iqr_s,
        "samples": len(per_call),
        "inner_loops": loops,
        "gflops": spec.flops / median_s / 1e9,
        "unstable": iqr_s / median_s > UNSTABLE_IQR_RATIO,
        "kernel": spec.kernel,
        "note": spec.note,
    }


@dataclass
class OpResults:
    ops: dict[str, dict[str, Any]]
    op_errors: dict[str, str]
    unsupported_ops: list[str]
    waited_s: float = 0.0  # time spent waiting for the runner's go, left out of elapsed_s


def run_ops(args: ProbeArgs, builders: Mapping[str, OpBuilder], sync: Sync) -> OpResults:
    """Prepare the requested ops, wait for the runner's go, then measure them one by one.

    Requested means ``--ops`` when given, otherwise every op the probe built plus the standard
    ones (gemm, conv2d, lstm). Requested ops without a builder (the framework lacks them, or they
    need a GPU) are listed as unsupported. An op that raises, while being prepared or measured,
    is recorded in ``op_errors`` and the others go on.
    """
    wanted = args.ops or (*builders, *(op for op in STANDARD_OPS if op not in builders))
    results = OpResults(ops={}, op_errors={}, unsupported_ops=[])
    specs: dict[str, OpSpec] = {}
    for name in wanted:
        if name not in builders:
            results.unsupported_ops.append(name)
            continue
        with _op_errors(results, name):
            specs[name] = builders[name]()
    results.waited_s = _handshake(args.ready_fd)
    for name, spec in specs.items():
        with _op_errors(results, name):
            results.ops[name] = measure(spec, sync, args.budget)
    return results


@contextmanager
def _op_errors(results: OpResults, name: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:  # broad on purpose: one op failing is data, not a crash
        traceback.print_exc(file=sys.stderr)
        results.op_errors[name] = _one_line(exc)


def _handshake(ready_fd: int | None) -> float:
    """Tell the runner this probe is prepared, block until it says ``go`` on stdin.

    Returns the seconds spent waiting (the runner measures other probes meanwhile).
    """
    if ready_fd is None:
        return 0.0
    try:
        os.write(ready_fd, b"ready\n")
    finally:
        os.close(ready_fd)
    start_s = time.perf_counter()
    if sys.stdin.readline().strip() != "go":
        fail(1, "stopped before measuring: stdin closed without 'go'")
    return time.perf_counter() - start_s


# --------------------------------------------------------------------------- description


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cpus() -> int:
    """CPUs this process may run on (affinity mask), falling back to the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cpu_device() -> dict[str, Any]:
    return {"kind": "cpu", "name": cpu_model(), "threads": usable_cpus()}


def gpu_device(index: int, name: str | None, memory_bytes: int | None) -> dict[str, Any]:
    """A GPU entry; ``name`` falls back to a placeholder where the framework reports none."""
    label = name or f"unknown (GPU {index}; the framework reports no name)"
    return {"kind": "gpu", "name": label, "memory_bytes": memory_bytes, "index": index}


def build_info(
    cuda: str | None = None,
    cudnn: str | None = None,
    blas: str | None = None,
    other: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {"cuda": cuda, "cudnn": cudnn, "blas": blas, "other": dict(other or {})}


def numpy_blas(np: Any) -> str | None:
    """numpy's BLAS as "name version (openblas configuration)", or None if it won't say."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:  # numpy < 1.26 has no mode="dicts"; its BLAS then goes unrecorded
        return None
    config = blas.get("openblas configuration")
    text = f"{blas.get('name')} {blas.get('version')}"
    return f"{text} ({' '.join(config.split())})" if config else text


# Symbol prefixes/suffixes under which OpenBLAS builds export their introspection functions:
# plain (mxnet's bundled copy), scipy-openblas with 32-bit ints (scipy) and 64-bit ints
# (numpy >= 2), numpy 1.x's "64_".
_OPENBLAS_SYMBOLS = (
    ("openblas_", ""),
    ("scipy_openblas_", ""),
    ("scipy_openblas_", "64_"),
    ("openblas_", "64_"),
)


def openblas_runtime(library_globs: Sequence[str]) -> dict[str, Any] | None:
    """Ask an OpenBLAS already loaded by the framework which core and threads it chose.

    The core is picked at load time from the CPU (or OPENBLAS_CORETYPE); an old OpenBLAS that
    does not know the CPU falls back to a slow generic core, which explains a slow GEMM.
    ``library_globs`` are file patterns of the library the framework itself loaded; dlopen on
    the same path returns that very instance.
    """
    import ctypes  # local: only probes that use OpenBLAS need it
    import glob

    for path in sorted({p for pattern in library_globs for p in glob.glob(pattern)}):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in _OPENBLAS_SYMBOLS:
            info = _openblas_query(lib, prefix, suffix)
            if info is not None:
                return {"library": os.path.basename(path), **info}
    return None


def _openblas_query(lib: Any, prefix: str, suffix: str) -> dict[str, Any] | None:
    import ctypes

    try:
        config = getattr(lib, f"{prefix}get_config{suffix}")
        core = getattr(lib, f"{prefix}get_corename{suffix}")
        threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
    except AttributeError:
        return None
    config.restype = core.restype = ctypes.c_char_p
    threads.restype = ctypes.c_int
    return {
        "config": config().decode(errors="replace").strip(),
        "core": core().decode(errors="replace").strip(),
        "threads": int(threads()),
    }


def recorded_env() -> dict[str, str]:
    return {name: os.environ[name] for name in RECORDED_ENV if name in os.environ}


@dataclass(frozen=True)
class ProbeInfo:
    probe: str
    framework: str
    version: str
    build: Mapping[str, Any]
    devices: list[dict[str, Any]]
    framework_threads: int | None  # intra-op threads as the framework reports them
    stands_for: str | None = None


def document(args: ProbeArgs, info: ProbeInfo, results: OpResults) -> dict[str, Any]:
    """The probe's JSON document, schema_version 1 (see docs/probes.md)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "probe": info.probe,
        "framework": info.framework,
        "stands_for": info.stands_for,
        "version": info.version,
        "build": dict(info.build),
        "python": {"version": platform.python_version(), "executable": sys.executable},
        "budget": args.budget.name,
        "device_requested": args.device,
        "devices": info.devices,
        "threads": {"framework": info.framework_threads, "cpu_count": os.cpu_count()},
        "env": recorded_env(),
        "ops": results.ops,
        "unsupported_ops": results.unsupported_ops,
        "op_errors": results.op_errors,
        "elapsed_s": time.perf_counter() - _STARTED - results.waited_s,
    }


def emit(doc: Mapping[str, Any], args: ProbeArgs) -> None:
    """Write the document to ``--output`` atomically (tmp file, then rename) or to stdout."""
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    if args.output is None:
        args.stdout.write(text)
        args.stdout.flush()
    else:
        tmp = args.output + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, args.output)


def exit_now(code: int) -> NoReturn:
    """End a probe run as a script: the result is already written (``emit``). Tearing down a
    framework's interpreter takes up to a second (TensorFlow about 1 s, torch 0.4 s) that the
    runner would otherwise wait out before the next probe may measure, and nothing of value
    happens in it, so skip it. Only for ``__main__``: never call it from an importer."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
