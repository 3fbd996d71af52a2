"""Run probe programs the way pyperf runs workers: explicit argv, a whitelisted environment,
a hard timeout, the process group killed on any error or Ctrl-C, and the result read from a
file of its own (never mixed with what the framework prints) and validated before it is trusted.

Two phases keep imports overlapping but measurements apart: every probe starts at once, imports
its framework and builds its inputs, then writes ``ready`` on a pipe and waits; the runner then
lets them measure one at a time (``go`` on stdin), so no timing is disturbed by another probe.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from pydantic import ValidationError

from selector.errors import Terminated, location
from selector.probing import machine
from selector.probing.environment import child_env
from selector.probing.models import (
    PROBE_SCHEMA_VERSION,
    OpResult,
    Outcome,
    ProbeDocument,
    ProbeStatus,
)

#: A probe's JSON larger than this is refused unread.
MAX_OUTPUT_BYTES = 1 << 20
#: Before each measurement, wait (up to QUIET_MAX_WAIT_S) until the CPU is this idle.
QUIET_BUSY_SHARE = 0.15
QUIET_MAX_WAIT_S = 3.0
EXIT_IMPORT_FAILED = 3
EXIT_NO_GPU = 4


@dataclass(frozen=True)
class Timeouts:
    start_s: float = 90.0  # import the framework and build inputs
    measure_s: float = 120.0  # measure, once allowed to


@dataclass(frozen=True)
class Job:
    framework: str
    interpreter: str
    program: Path
    version: str | None = None
    budget: str = "quick"
    device: str = "auto"
    #: ``--ops`` for the probe; empty: its default set (multi-device ops only when named)
    ops: tuple[str, ...] = ()


class Reporter(Protocol):
    """Progress for people; the runner calls it, the CLI draws it."""

    def started(self, job: Job) -> None: ...
    def measuring(self, job: Job) -> None: ...
    def finished(self, job: Job, outcome: Outcome) -> None: ...


class SilentReporter:
    def started(self, job: Job) -> None:
        pass

    def measuring(self, job: Job) -> None:
        pass

    def finished(self, job: Job, outcome: Outcome) -> None:
        pass


@dataclass
class _Running:
    job: Job
    proc: subprocess.Popen[bytes] | None
    ready_fd: int
    output: Path
    stderr: IO[bytes]
    outcome: Outcome | None = None
    buffer: bytes = field(default=b"")


def run_jobs(jobs: list[Job], *, timeouts: Timeouts | None = None,
             reporter: Reporter | None = None, one_at_a_time: bool = False) -> list[Outcome]:
    """Run every job; one outcome per job, in order. Never raises for a probe's failure.

    ``one_at_a_time``: start each probe only when the previous one has finished, so that no
    two prepare at once either; for probes on one GPU, where preparing allocates device memory
    and two frameworks side by side could run each other out of it."""
    timeouts = timeouts or Timeouts()
    reporter = reporter or SilentReporter()
    with tempfile.TemporaryDirectory(prefix="dlselect-probe-") as tmp, _reaper() as running:
        batches = [[i] for i in range(len(jobs))] if one_at_a_time else [list(range(len(jobs)))]
        for batch in batches:
            started = []
            for i in batch:
                reporter.started(jobs[i])
                started.append(_spawn(jobs[i], Path(tmp), i))
                running.append(started[-1])  # at once: the reaper must know every probe
            _wait_until_ready(started, timeouts.start_s)
            for run in started:
                if run.outcome is None:
                    wait_for_quiet()
                    reporter.measuring(run.job)
                    _measure(run, timeouts.measure_s)
                assert run.outcome is not None
                reporter.finished(run.job, run.outcome)
        return [r.outcome for r in running if r.outcome is not None]


#: Signals that end dlselect by default without running any ``finally``: while probes run,
#: they raise Terminated instead, so that the reaper kills the probes' process groups (each
#: probe leads its own session, so a signal to dlselect's group never reaches it).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


@contextmanager
def _stop_signals_raise() -> Iterator[None]:
    """Only where the signal would kill the process (its handler is the default): a handler
    someone installed is theirs, and an ignored SIGHUP (nohup) stays ignored. Signal handlers
    can only be set from the main thread; elsewhere the caller owns the signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    replaced = {}
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is signal.SIG_DFL:
            replaced[signum] = signal.signal(signum, _raise_terminated)
    try:
        yield
    finally:
        for signum, previous in replaced.items():
            signal.signal(signum, previous)


@contextmanager
def _reaper() -> Iterator[list[_Running]]:
    """Whatever happens (an error, Ctrl-C, SIGTERM, SIGHUP), no probe outlives the run."""
    running: list[_Running] = []
    with _stop_signals_raise():
        try:
            yield running
        finally:
            # A second signal must not cut the clean-up short: held until it is done (then,
            # the handlers restored, it ends dlselect as it would have).
            with _held(STOP_SIGNALS):
                for run in running:
                    if run.proc is not None:
                        _kill(run.proc)
                    if run.ready_fd >= 0:
                        with suppress(OSError):
                            os.close(run.ready_fd)
                    run.stderr.close()


@contextmanager
def _held(signals: tuple[signal.Signals, ...]) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def wait_for_quiet(max_wait_s: float = QUIET_MAX_WAIT_S) -> None:
    """Let the machine settle before a measurement: prepared probes may still be finishing
    background work (compiler threads, thread pools spinning down)."""
    deadline = time.monotonic() + max_wait_s
    while time.monotonic() < deadline:
        from selector.probing.machine import cpu_busy

        busy = cpu_busy(0.05)
        if busy is None or busy < QUIET_BUSY_SHARE:
            return


def _spawn(job: Job, tmp: Path, index: int) -> _Running:
    ready_r, ready_w = os.pipe()
    output = tmp / f"{index}-{job.framework}.json"
    stderr = open(tmp / f"{index}-{job.framework}.err", "w+b")  # noqa: SIM115
    # The interpreter is named from dlselect's working folder: the probe starts in tmp, where a
    # relative path (--python venv/bin/python) would be looked up. Not -I, which would take
    # the probe's own folder (probes/, for its _harness) off sys.path: the working folder is
    # not on it anyway (the program is a script, started in tmp), nor PYTHONPATH or the user's
    # site-packages (child_env).
    argv = [os.path.abspath(job.interpreter), str(job.program), "--budget", job.budget,
            "--device", job.device, "--output", str(output), "--ready-fd", str(ready_w)]
    if job.ops:
        argv += ["--ops", ",".join(job.ops)]
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=stderr, env=child_env(), pass_fds=(ready_w,),
                                start_new_session=True, cwd=tmp)
    except OSError as exc:
        os.close(ready_r)
        os.close(ready_w)
        run = _Running(job, None, -1, output, stderr)
        run.outcome = _outcome(job, ProbeStatus.FAILED,
                               f"cannot start {job.interpreter}: {exc.strerror or exc}")
        return run
    os.close(ready_w)
    return _Running(job, proc, ready_r, output, stderr)


def _wait_until_ready(running: list[_Running], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    waiting = {r.ready_fd: r for r in running if r.outcome is None}
    with selectors.DefaultSelector() as sel:
        for fd in waiting:
            sel.register(fd, selectors.EVENT_READ)
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(timeout=left):
                run = waiting[key.fd]
                chunk = os.read(key.fd, 64)
                run.buffer += chunk
                if b"ready" in run.buffer or not chunk:
                    sel.unregister(key.fd)
                    del waiting[key.fd]
                    # The pipe closed without "ready": the probe ended before measuring.
                    if b"ready" not in run.buffer:
                        _finish(run, measure_timeout_s=10.0)
    for run in waiting.values():
        assert run.proc is not None
        _kill(run.proc)
        run.outcome = _outcome(run.job, ProbeStatus.TIMEOUT,
                               f"did not finish importing {run.job.framework} within "
                               f"{timeout_s:g} s; killed")


def _measure(run: _Running, timeout_s: float) -> None:
    assert run.proc is not None and run.proc.stdin is not None
    before = machine.state()
    try:
        run.proc.stdin.write(b"go\n")
        run.proc.stdin.close()
    except OSError:
        pass  # it died meanwhile; _finish classifies it
    _finish(run, measure_timeout_s=timeout_s)
    if run.outcome is not None and run.outcome.status is ProbeStatus.OK:
        after = machine.state()
        run.outcome = run.outcome.model_copy(update={
            "machine": {"before": before, "after": after},
            "machine_changes": machine.changes(before, after)})


def _finish(run: _Running, *, measure_timeout_s: float) -> None:
    assert run.proc is not None
    try:
        code = run.proc.wait(timeout=measure_timeout_s)
    except subprocess.TimeoutExpired:
        _kill(run.proc)
        run.outcome = _outcome(run.job, ProbeStatus.TIMEOUT,
                               f"did not finish measuring within {measure_timeout_s:g} s; killed")
        return
    run.outcome = classify(run.job, code, run.output, _stderr_tail(run.stderr))


def classify(job: Job, code: int, output: Path, stderr_tail: str) -> Outcome:
    """Turn an exit status and an output file into an outcome with a reason."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return _outcome(job, ProbeStatus.FAILED, f"crashed ({name})")
    if code == EXIT_IMPORT_FAILED:
        return _outcome(job, ProbeStatus.FAILED, f"import failed: {stderr_tail or 'no message'}")
    if code == EXIT_NO_GPU:
        return _outcome(job, ProbeStatus.UNAVAILABLE, stderr_tail or "no GPU visible")
    if code != 0:
        return _outcome(job, ProbeStatus.FAILED,
                        f"exited with code {code}: {stderr_tail or 'no message'}")
    return read_document(job, output)


def read_document(job: Job, output: Path) -> Outcome:
    try:
        size = output.stat().st_size
    except OSError:
        return _outcome(job, ProbeStatus.FAILED, "exited 0 but wrote no result")
    if size > MAX_OUTPUT_BYTES:
        return _outcome(job, ProbeStatus.FAILED,
                        f"oversized output: {size} bytes (limit {MAX_OUTPUT_BYTES})")
    try:
        raw = output.read_bytes()
    except OSError as exc:  # stat() succeeds on a directory, or on a file we may not read
        return _outcome(job, ProbeStatus.FAILED, f"unreadable output: {exc.strerror or exc}")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return _outcome(job, ProbeStatus.FAILED, f"garbage output: not JSON ({exc})")
    except RecursionError:
        # json recurses once per nested array or object.
        return _outcome(job, ProbeStatus.FAILED, "garbage output: not JSON (nested too deeply)")
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version != PROBE_SCHEMA_VERSION:
        return _outcome(job, ProbeStatus.FAILED, f"wrong schema version {version!r} "
                                                 f"(this dlselect reads {PROBE_SCHEMA_VERSION})")
    try:
        doc = ProbeDocument.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = location(err["loc"])
        return _outcome(job, ProbeStatus.FAILED, f"invalid output: {loc}: {err['msg']}")
    if doc.framework != job.framework:
        return _outcome(job, ProbeStatus.FAILED,
                        f"invalid output: reports framework {doc.framework!r}")
    ops, op_errors = _checked_ops(doc)
    multi = doc.multi_device
    if multi is not None:
        for name in ("allreduce", "scaling"):
            result = getattr(multi, name)
            if result is not None and result.check is not None and not result.check.ok:
                multi = multi.model_copy(update={name: None})
                op_errors[name] = "wrong result: failed its check"
    return Outcome(framework=job.framework, version=doc.version, interpreter=job.interpreter,
                   status=ProbeStatus.OK, stands_for=doc.stands_for, devices=doc.devices,
                   ops=ops, op_errors=op_errors, unsupported=doc.unsupported_reasons,
                   multi_device=multi, elapsed_s=doc.elapsed_s)


def _checked_ops(doc: ProbeDocument) -> tuple[dict[str, OpResult], dict[str, str]]:
    """The document's ops less those whose correctness check failed, which become op errors:
    a wrong result is never a speed. (dlselect's own probes already leave such ops out.)"""
    ops = dict(doc.ops)
    op_errors = dict(doc.op_errors)
    for name, op in doc.ops.items():
        if op.check is not None and not op.check.ok:
            del ops[name]
            op_errors[name] = (f"wrong result: max_rel_error {op.check.max_rel_error:.3g} "
                               f"failed the check for {op.precision}")
    return ops, op_errors


def _outcome(job: Job, status: ProbeStatus, reason: str) -> Outcome:
    return Outcome(framework=job.framework, version=job.version, interpreter=job.interpreter,
                   status=status, reason=reason)


def _stderr_tail(handle: IO[bytes]) -> str:
    handle.flush()
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - 4096))
    lines = [ln.strip() for ln in handle.read().decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln]
    return lines[-1][:300] if lines else ""


def _kill(proc: subprocess.Popen[bytes]) -> None:
    # The probe leads its own session: killing the group also ends anything it started, even
    # after the probe itself has exited.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    if proc.stdin is not None:
        with suppress(OSError):
            proc.stdin.close()
