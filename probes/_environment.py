"""What a probe records about where it ran: the CPU and GPU devices, the framework's build, the
BLAS it uses, and the environment variables that change a figure (standard library only, part of
the probe harness).

``RECORDED_ENV`` is also the list of variables dlselect's runner passes through to the probes: the
engine reads it from this file as a literal (``selector.probing.environment``), so it stays a
plain tuple of strings here.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping, Sequence
from typing import Any

# Variables that change threads, kernel choice, precision or GPU memory; recorded when set.
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
    "XLA_PYTHON_CLIENT_PREALLOCATE",
    "XLA_PYTHON_CLIENT_MEM_FRACTION",
    "TF_FORCE_GPU_ALLOW_GROWTH",
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
    "MXNET_CUDA_ALLOW_TENSOR_CORE",
    "MXNET_CUDA_TENSOR_OP_MATH_ALLOW_CONVERSION",
    "PYTENSOR_FLAGS",
    "THEANO_FLAGS",
)


def tf32_possible(compute_capability: tuple[int, int] | None) -> bool:
    """Whether a GPU can run TF32: NVIDIA compute capability 8.0 (Ampere) or later, and not
    switched off for every library by ``NVIDIA_TF32_OVERRIDE=0``. Unknown capability: no."""
    if compute_capability is None or os.environ.get("NVIDIA_TF32_OVERRIDE") == "0":
        return False
    return tuple(compute_capability) >= (8, 0)


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
    return {"kind": "cpu", "name": cpu_model(), "threads": usable_cpus(), "device_class": "cpu"}


def gpu_device(index: int, name: str | None, memory_bytes: int | None,
               device_class: str | None = None) -> dict[str, Any]:
    """A GPU entry; ``name`` falls back to a placeholder where the framework reports none.
    ``device_class`` is the vendor's stack as the framework tells it (``cuda``, ``rocm``, ...);
    left out where the framework does not say (the reader then takes the GPU for CUDA)."""
    label = name or f"unknown (GPU {index}; the framework reports no name)"
    entry: dict[str, Any] = {"kind": "gpu", "name": label, "memory_bytes": memory_bytes,
                             "index": index}
    if device_class is not None:
        entry["device_class"] = device_class
    return entry


def torch_gpu_class(hip_version: str | None) -> str:
    """A torch GPU's class: ``rocm`` for a ROCm build (``torch.version.hip`` set), else
    ``cuda``."""
    return "rocm" if hip_version else "cuda"


def tensorflow_gpu_class(built_with_rocm: bool) -> str:
    """A TensorFlow GPU's class: ``rocm`` when ``tf.test.is_built_with_rocm()``, else ``cuda``."""
    return "rocm" if built_with_rocm else "cuda"


#: JAX platform names (``device.platform``) that are a device class as they are.
_JAX_PLATFORMS = {"cpu": "cpu", "tpu": "tpu", "cuda": "cuda", "rocm": "rocm", "metal": "mps"}


def jax_device_class(platform: str | None, platform_version: str | None) -> str | None:
    """A JAX device's class from its platform and, for a GPU, its client's platform version
    (which names CUDA or ROCm); None where neither says."""
    name = str(platform or "").lower()
    if name in _JAX_PLATFORMS:
        return _JAX_PLATFORMS[name]
    if name == "gpu":
        version = str(platform_version or "").lower()
        if "rocm" in version:
            return "rocm"
        if "cuda" in version:
            return "cuda"
    return None


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
