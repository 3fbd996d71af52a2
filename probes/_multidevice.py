"""Multi-device probe ops, ``allreduce`` and ``scaling`` (standard library only).

Each framework module (``_multi_torch.py``, ``_multi_jax.py``, ``_multi_tensorflow.py``,
``_multi_mxnet.py``) measures
them its own way; this module holds what they share: the buffer sizes, the bandwidth rule, how
many devices a CPU may simulate, the worker processes, the timing of a collective, and the
``multi_device`` section of the probe document (docs/probes.md, "Multi-device ops").

* ``allreduce``: a sum all-reduce of a float32 buffer across ``n`` devices, per size from 1 KiB
  to 64 MiB. Per size: the median time of one call, its interquartile range, the algorithm
  bandwidth ``algbw_gbps = bytes / time`` and the bus bandwidth
  ``bus_gbps = algbw x 2(n-1)/n``, nccl-tests' rule for all-reduce (NVIDIA nccl-tests,
  doc/PERFORMANCE.md): it makes the figure comparable to the link's peak whatever ``n`` is.
* ``scaling``: the ``train_cnn`` step (``_training.py``) data-parallel on 1 and on ``n`` devices,
  each device with the full per-device batch (weak scaling), gradients averaged across devices;
  ``efficiency = throughput_n / (n x throughput_1)``.

On a machine without several GPUs the devices are simulated (gloo processes, XLA host devices,
TensorFlow logical devices, MXNet CPU contexts) on CPU cores, never more than the machine has
physical cores, and every such result says ``"simulated": true``: it shows the framework's
machinery works and what it costs here, not how it scales on real devices, and dlselect never
ranks with it.

These ops run only when ``--ops`` names them: they start extra processes and cost seconds.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import _harness as h

OPS = h.MULTI_DEVICE_OPS
KIB = 1024
MIB = 1024 * KIB
#: ``--budget full``: 1 KiB to 64 MiB in steps of 4 (nine sizes); ``quick``: the two ends and
#: the middle, 1 KiB (latency-bound), 1 MiB and 64 MiB (bandwidth-bound).
SIZES = {
    "full": tuple(KIB * 4**k for k in range(10) if KIB * 4**k <= 64 * MIB),
    "quick": (KIB, MIB, 64 * MIB),
}
#: Devices simulated on a CPU (processes or host devices): two, the fewest that make a
#: collective, and never more than the physical cores.
CPU_RANKS = 2
#: A worker process (start, rendezvous, measure) is killed after this long.
WORKER_TIMEOUT_S = 300.0
#: Calls of a size timed once to calibrate the loop count.
CALIBRATION_CALLS = 3
MAX_LOOPS = 10_000


#: Why the probes without multi-device ops report them unsupported (one line each).
UNSUPPORTED = {
    "numba": "Numba has no collective communication and no training step (no autodiff)",
    "pytensor": "PyTensor has no multi-device collectives",
}


def unsupported(probe: str) -> dict[str, str]:
    return dict.fromkeys(OPS, UNSUPPORTED[probe])


class Unsupported(Exception):
    """The framework cannot run the op here; the message says why."""


def sizes(budget: h.Budget) -> tuple[int, ...]:
    return SIZES.get(budget.name, SIZES["quick"])


def bus_gbps(nbytes: int, seconds: float, n: int) -> float:
    """nccl-tests' bus bandwidth of an all-reduce, GB/s: (bytes / time) x 2(n-1)/n."""
    return nbytes / seconds / 1e9 * 2 * (n - 1) / n


def physical_cores() -> int:
    """Physical cores this process may use: distinct (package, core) pairs of /proc/cpuinfo
    among the CPUs of its affinity mask; the usable logical CPUs where that cannot be read."""
    usable = h.usable_cpus()
    try:
        allowed = os.sched_getaffinity(0)
        cores: set[tuple[str, str]] = set()
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            block: dict[str, str] = {}
            for line in [*fh, "\n"]:
                if not line.strip():
                    cpu = block.get("processor")
                    if cpu is not None and int(cpu) in allowed and "core id" in block:
                        cores.add((block.get("physical id", "0"), block["core id"]))
                    block = {}
                    continue
                key, _, value = line.partition(":")
                block[key.strip()] = value.strip()
        return min(len(cores), usable) if cores else usable
    except (AttributeError, OSError, ValueError):
        return usable


def gpu_ranks(visible: int) -> int:
    """Devices for a multi-GPU op: the ``visible`` GPUs; Unsupported below two."""
    if visible < 2:
        raise Unsupported(f"one GPU visible ({visible}): a multi-GPU op needs two or more "
                          "(run with --device cpu to simulate devices on the CPU)")
    return visible


def cpu_ranks() -> int:
    """Devices to simulate on the CPU; Unsupported on a machine with a single physical core."""
    cores = physical_cores()
    if cores < CPU_RANKS:
        raise Unsupported(f"simulating {CPU_RANKS} devices needs {CPU_RANKS} physical cores; "
                          f"this machine has {cores}")
    return CPU_RANKS


def threads_per_rank(n: int) -> int:
    return max(1, physical_cores() // n)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loops_for(per_call_s: float, budget: h.Budget) -> int:
    return max(1, min(MAX_LOOPS, math.ceil(budget.min_sample_s / max(per_call_s, 1e-9))))


def time_collective(
    call: Callable[[], object],
    sync: h.Sync,
    budget: h.Budget,
    agree: Callable[[int], int] = lambda loops: loops,
    barrier: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """First call, calibration, ``budget.samples`` samples of one collective call.

    Where each device is a process, every rank must make the same number of calls: ``agree``
    returns the largest loop count any rank asked for, and ``barrier`` lines the ranks up
    before each sample, so that a sample times the collective, not a rank waiting for another.
    """
    barrier()
    first_call_s = h.time_loop(call, sync, 1)
    barrier()
    calibration = h.time_loop(call, sync, CALIBRATION_CALLS) / CALIBRATION_CALLS
    loops = agree(loops_for(calibration, budget))
    per_call = []
    for _ in range(budget.samples):
        barrier()
        per_call.append(h.time_loop(call, sync, loops) / loops)
    median_s, iqr_s = h.summarize(per_call)
    return {
        "first_call_s": first_call_s,
        "median_s": median_s,
        "iqr_s": iqr_s,
        "samples": len(per_call),
        "inner_loops": loops,
        "unstable": iqr_s / median_s > h.UNSTABLE_IQR_RATIO,
    }


def size_row(nbytes: int, timing: Mapping[str, Any], n: int) -> dict[str, Any]:
    seconds = float(timing["median_s"])
    return {
        "bytes": nbytes,
        **timing,
        "algbw_gbps": nbytes / seconds / 1e9,
        "bus_gbps": bus_gbps(nbytes, seconds, n),
    }


def allreduce_check(got: float, n: int) -> dict[str, Any]:
    """Every rank contributes ``rank + 1``: the sum is n(n+1)/2 on every element."""
    want = n * (n + 1) / 2
    error = abs(got - want) / want
    if not (math.isfinite(error) and error <= h.CHECK_TOLERANCE["fp32"]):
        raise h.WrongResult(f"wrong result: all-reduce gave {got!r}, expected {want:g}")
    return {"max_rel_error": error, "ok": True}


def efficiency(single_samples_per_s: float, multi_samples_per_s: float, n: int) -> float:
    return multi_samples_per_s / (n * single_samples_per_s)


# --------------------------------------------------------------------------- worker processes


def run_workers(argvs: Sequence[Sequence[str]], env: Mapping[str, str], output: str,
                timeout_s: float = WORKER_TIMEOUT_S) -> dict[str, Any]:
    """Start one process per rank, wait for all (killing every one after ``timeout_s`` or when
    one fails), and return the JSON that rank 0 wrote to ``output``."""
    procs = [subprocess.Popen(list(argv), env=dict(env), stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
             for argv in argvs]
    deadline = time.monotonic() + timeout_s
    failed: str | None = None
    try:
        while any(p.poll() is None for p in procs):
            bad = [p for p in procs if p.poll() not in (None, 0)]
            if bad:
                failed = _worker_error(bad[0])
                break
            if time.monotonic() > deadline:
                failed = f"workers did not finish within {timeout_s:g} s; killed"
                break
            time.sleep(0.05)
        else:
            bad = [p for p in procs if p.returncode != 0]
            if bad:
                failed = _worker_error(bad[0])
    finally:
        for p in procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, 9)
                except OSError:
                    pass
                p.wait()
            if p.stderr is not None:
                p.stderr.close()
    if failed is not None:
        raise RuntimeError(failed)
    with open(output, encoding="utf-8") as fh:
        result: dict[str, Any] = json.load(fh)
    return result


def _worker_error(proc: subprocess.Popen[bytes]) -> str:
    tail = b""
    if proc.stderr is not None:
        try:
            tail = proc.stderr.read()[-4000:]
        except (OSError, ValueError):
            pass
    lines = [ln.strip() for ln in tail.decode("utf-8", "replace").splitlines() if ln.strip()]
    # Native aborts end with a stack trace: the line that says why comes before it.
    said = [ln for ln in lines if not ln.startswith(("@", "***"))]
    return (f"a worker exited with code {proc.returncode}: "
            f"{said[-1][:300] if said else 'no message'}")


def write_json(path: str, data: Mapping[str, Any]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, allow_nan=False)
    os.replace(tmp, path)


def worker_env(threads: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The probe's own environment, with each rank's share of the cores."""
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = str(threads)
    env.update(extra or {})
    return env


def script(module_file: str) -> list[str]:
    return [sys.executable, os.path.abspath(module_file)]


# --------------------------------------------------------------------------- the probe's side

if TYPE_CHECKING:
    Measurer = Callable[[], dict[str, Any]]
else:  # no [...] on collections.abc.Callable or dict before Python 3.9 (probes run on 3.8)
    Measurer = Callable


def run(args: h.ProbeArgs, results: h.OpResults, measurers: Mapping[str, Measurer],
        unsupported: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Measure the multi-device ops ``--ops`` asked for (after the runner's go); the
    ``multi_device`` section of the document. A framework without a measurer for an op, or one
    that raises Unsupported, lists it in ``unsupported_ops`` with the reason; any other error
    goes to ``op_errors``, and the other ops go on."""
    section: dict[str, Any] = {}
    for name in [op for op in (args.ops or ()) if op in OPS]:
        measurer = measurers.get(name)
        if measurer is None:
            results.unsupported_ops.append(name)
            reason = (unsupported or {}).get(name)
            if reason:
                results.unsupported_reasons[name] = reason
            continue
        try:
            section[name] = measurer()
        except Unsupported as exc:
            results.unsupported_ops.append(name)
            results.unsupported_reasons[name] = str(exc)
        except h.WrongResult as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            results.op_errors[name] = str(exc)
        except Exception as exc:  # one op failing is data, not a crash
            import traceback

            traceback.print_exc(file=sys.stderr)
            results.op_errors[name] = h._one_line(exc)
    return section
