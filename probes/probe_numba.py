"""dlselect live probe: Numba, @njit-compiled kernels on the CPU.

Run with the interpreter that has numba: ``python probes/probe_numba.py --budget quick``.
Ops: ``gemm`` is np.dot inside an @njit function, which Numba lowers to a call into SciPy's BLAS
(scipy.linalg.cython_blas, not numpy's own copy), so it measures that BLAS plus Numba's call
overhead; ``gemm_naive`` is a hand-written triple loop under @njit(parallel=True,
fastmath=True), which measures Numba's own code generation.
Numba has no conv2d or LSTM: they are reported in ``unsupported_ops``. Numba compiles a
function on its first call for each new set of argument types (no on-disk cache here). The
correctness check, made while the probe prepares (side by side with the other probes' imports),
calls the op's own function with the same types, so that call compiles it (about 1 s for
``np.dot``, 1.6 s for the parallel loop here), and ``first_call_s`` is the first call of the
compiled code: the JIT's time is not in it.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import _harness as h
import _multidevice
import _training

PROBE = "numba"


def _matrices(np: Any, n: int) -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    return a, b


def _blas_dot(numba: Any, np: Any) -> Any:
    def dot(a: Any, b: Any) -> Any:
        return np.dot(a, b)

    return numba.njit(dot)


def _naive_matmul(numba: Any, np: Any) -> Any:
    prange = numba.prange

    def matmul(a: Any, b: Any) -> Any:
        n, m = a.shape
        p = b.shape[1]
        c = np.zeros((n, p), dtype=a.dtype)
        for i in prange(n):  # rows split across threads
            # i-k-j order: the inner loop walks rows of b and c contiguously, so it vectorizes.
            for k in range(m):
                a_ik = a[i, k]
                for j in range(p):
                    c[i, j] += a_ik * b[k, j]
        return c

    return numba.njit(parallel=True, fastmath=True)(matmul)


def _check_matmul(np: Any, matmul: Any) -> float:
    """The op's own compiled function on n=CHECK_GEMM_N against a float64 product."""
    a, b = _matrices(np, h.CHECK_GEMM_N)
    return h.max_rel_error(np, matmul(a, b), h.ref_gemm(np, a, b))


def _gemm(numba: Any, np: Any, n: int) -> h.OpSpec:
    a, b = _matrices(np, n)
    dot = _blas_dot(numba, np)
    return h.OpSpec(
        fn=partial(dot, a, b),
        flops=h.gemm_flops(n),
        dtype="float32",
        params={"n": n},
        kernel="np.dot in @njit (calls BLAS)",
        device="cpu",
        note="BLAS via scipy.linalg.cython_blas; compiled by the correctness check while "
        "preparing, so first_call_s leaves out the JIT compile",
        check=partial(_check_matmul, np, dot),
    )


def _gemm_naive(numba: Any, np: Any, n: int) -> h.OpSpec:
    a, b = _matrices(np, n)
    matmul = _naive_matmul(numba, np)
    return h.OpSpec(
        fn=partial(matmul, a, b),
        flops=h.gemm_flops(n),
        dtype="float32",
        params={"n": n},
        kernel="hand-written loop",
        device="cpu",
        note="@njit(parallel=True, fastmath=True), i-k-j loop order; "
        "compiled by the correctness check while preparing, so first_call_s leaves out the JIT "
        "compile",
        check=partial(_check_matmul, np, matmul),
    )


def _build(numba: Any, np: Any) -> dict[str, Any]:
    try:
        threading_layer = numba.threading_layer()
    except ValueError:  # only known once a parallel kernel has run (not under --ops gemm)
        threading_layer = None
    # Wheels vendor OpenBLAS in site-packages/<package>.libs; numba's np.dot uses SciPy's copy.
    site = os.path.dirname(os.path.dirname(np.__file__))
    scipy_openblas = h.openblas_runtime([os.path.join(site, "scipy.libs", "*openblas*")])
    return h.build_info(
        blas=f"scipy {scipy_openblas['config']}" if scipy_openblas else None,
        other={
            "numpy": np.__version__,
            "numpy_blas": h.numpy_blas(np),
            "llvmlite": str(h.import_framework("llvmlite").__version__),  # numba's own backend
            "threading_layer": threading_layer,
            "openblas": scipy_openblas,
        },
    )


def main(argv: list[str] | None = None) -> int:
    args = h.start(PROBE, argv)
    numba = h.import_framework("numba")
    np = h.import_framework("numpy")
    h.resolve_device(args.device, False, PROBE)  # CPU only: --device gpu exits 4
    n = args.budget.gemm_n
    builders: dict[str, h.OpBuilder] = {
        "gemm": partial(_gemm, numba, np, n),
        "gemm_naive": partial(_gemm_naive, numba, np, n),
    }
    unsupported = dict.fromkeys(h.TRAINING_OPS, _training.NUMBA_UNSUPPORTED)
    # njit calls are synchronous
    results = h.run_ops(args, builders, lambda _out: None, unsupported)
    multi = _multidevice.run(args, results, {}, _multidevice.unsupported(PROBE))
    info = h.ProbeInfo(
        probe=PROBE,
        framework="numba",
        version=str(numba.__version__),
        build=_build(numba, np),
        devices=[h.cpu_device()],
        framework_threads=int(numba.get_num_threads()),
    )
    h.emit(h.document(args, info, results, multi), args)
    return 0


if __name__ == "__main__":
    h.exit_now(main())
