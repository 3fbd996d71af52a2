"""Subprocesses for the benchmarks: a hard timeout on every one, exact wall time, the child's peak
RSS from wait4, the whole process tree's RSS sampled from /proc, and waiting for a quiet CPU.

Standard library only, Linux only (/proc).
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

#: Tree RSS sampling period (seconds).
SAMPLE_PERIOD_S = 0.05
#: Before a timed command, wait (at most this long) until the CPU is at most this busy.
QUIET_MAX_WAIT_S = 1.0
QUIET_BUSY_SHARE = 0.25
#: After SIGINT on timeout, how long the command gets to clean up before SIGKILL.
GRACE_S = 5.0


# --------------------------------------------------------------------------- /proc


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, start time, CPU time used) of ``pid`` in clock ticks, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    try:
        return int(fields[1]), int(fields[19]), int(fields[11]) + int(fields[12])
    except (IndexError, ValueError):
        return None


def _vm_rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0  # gone, or a zombie (no VmRSS line)


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)


def _tree(root: int) -> dict[int, tuple[int, int]]:
    """Every live descendant of ``root`` (not ``root`` itself) -> (start time, CPU ticks)."""
    children: dict[int, list[int]] = {}
    info: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _stat(int(entry))
        if stat is not None:
            children.setdefault(stat[0], []).append(int(entry))
            info[int(entry)] = stat[1], stat[2]
    found: dict[int, tuple[int, int]] = {}
    todo = list(children.get(root, ()))
    while todo:
        pid = todo.pop()
        if pid not in found:
            found[pid] = info[pid]
            todo.extend(children.get(pid, ()))
    return found


def descendants(root: int) -> dict[int, int]:
    """Every live descendant of ``root`` -> its start time (to recognise a reused pid)."""
    return {pid: start for pid, (start, _) in _tree(root).items()}


def _reading_stdin(pid: int) -> bool | None:
    """Whether ``pid``'s main thread is blocked reading its stdin from a pipe (a prepared probe
    waiting for the runner's ``go``); None where the kernel does not say (no /proc/PID/syscall,
    not allowed to read it, or the process is gone)."""
    try:
        syscall = Path(f"/proc/{pid}/syscall").read_text().split()
        wchan = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return None
    # "<number> <arg0> ...": arg0 is the file descriptor of a read; 0x0 is stdin.
    return len(syscall) > 1 and syscall[1] == "0x0" and wchan.endswith("pipe_read")


@dataclass
class Seen:
    """A process of the sampled tree: its command line and when it was seen (seconds after the
    command started); for watched processes, the first and last sample that found it blocked
    reading its stdin (a probe prepared and waiting for ``go``), None if none did."""

    cmdline: str
    first_s: float
    last_s: float
    stdin_first_s: float | None = None
    stdin_last_s: float | None = None


class TreeSampler(threading.Thread):
    """Sums VmRSS over a process and all its descendants every ``period_s`` seconds, and notes
    for each sampling interval whether any descendant whose command line contains ``watch``
    used CPU time (``idle_s``: the time none of them did while at least one was alive)."""

    def __init__(self, root: int, started: float, period_s: float = SAMPLE_PERIOD_S,
                 watch: str | None = None) -> None:
        super().__init__(daemon=True)
        self.root, self.started, self.period_s, self.watch = root, started, period_s, watch
        self.stopping = threading.Event()
        self.peak_kb = 0
        self.samples = 0
        self.cpu_s = 0.0  # this thread's own CPU time: the sampler's cost
        self.seen: dict[int, Seen] = {}
        self.idle_s = 0.0
        self.first_idle_s: float | None = None  # end of the first interval with all idle
        self._last: tuple[float, dict[int, int]] | None = None

    def run(self) -> None:
        cpu0 = time.thread_time()
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(self.period_s)
        self.cpu_s = time.thread_time() - cpu0

    def sample(self) -> None:
        now = time.perf_counter() - self.started
        tree = _tree(self.root)
        total = _vm_rss_kb(self.root)
        watched: dict[int, int] = {}
        for pid, (_, ticks) in tree.items():
            total += _vm_rss_kb(pid)
            if pid not in self.seen:
                self.seen[pid] = Seen(_cmdline(pid), now, now)
            self.seen[pid].last_s = now
            if self.watch is not None and self.watch in self.seen[pid].cmdline:
                watched[pid] = ticks
                if _reading_stdin(pid):
                    seen = self.seen[pid]
                    seen.stdin_last_s = now
                    if seen.stdin_first_s is None:
                        seen.stdin_first_s = now
        if self._last is not None and watched:
            before_s, before = self._last
            if before.keys() == watched.keys() and all(watched[p] == before[p] for p in before):
                self.idle_s += now - before_s
                if self.first_idle_s is None:
                    self.first_idle_s = now
        self._last = now, watched
        self.peak_kb = max(self.peak_kb, total)
        self.samples += 1

    def stop(self) -> None:
        self.stopping.set()
        self.join()


# --------------------------------------------------------------------------- running


@dataclass
class Run:
    argv: list[str]
    rc: int | None  # None: could not start, or timed out and killed
    wall_s: float
    maxrss_mb: float  # wait4's ru_maxrss: the largest single process of the child's tree
    stdout: str
    stderr_tail: str
    timed_out: bool = False
    error: str | None = None
    tree_peak_mb: float | None = None  # sampled sum of VmRSS over the tree
    tree_samples: int = 0
    watched_idle_s: float = 0.0  # see TreeSampler
    watched_first_idle_s: float | None = None
    sampler_cpu_s: float = 0.0
    seen: dict[int, Seen] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.timed_out and self.error is None

    def failure(self) -> str:
        """One line saying why the command did not succeed."""
        words = [Path(a).name if i == 0 else a for i, a in enumerate(self.argv[:4])]
        name = " ".join(w if len(w) <= 40 else w[:37].replace("\n", " ") + "..." for w in words)
        if self.error:
            return f"`{name}`: {self.error}"
        if self.timed_out:
            return f"`{name}`: timed out after {self.wall_s:.0f} s and was killed"
        tail = self.stderr_tail or "no message on stderr"
        return f"`{name}`: exit code {self.rc}: {tail}"


def _tail(data: bytes, limit: int = 300) -> str:
    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1][:limit] if lines else ""


def _kill_tree(pid: int) -> None:
    """SIGINT to the command's process group (Python programs then run their cleanup, e.g.
    dlselect's runner kills its probes), then SIGKILL to everything of the tree still alive,
    each checked by pid and start time so that a reused pid is never hit."""
    tree = descendants(pid)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGINT)
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for child, start in tree.items():
        info = _stat(child)
        if info is not None and info[1] == start:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(child, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def run(argv: Sequence[str], *, timeout_s: float, env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None, sample_tree: bool = False,
        watch: str | None = None) -> Run:
    """Run ``argv`` (stdin closed, output to temporary files) and measure it.

    The child leads a new session, so a timeout can end it and whatever it started. Wall time
    runs from just before the fork to the moment wait4 returns.
    """
    args = [str(a) for a in argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    env=None if env is None else dict(env), cwd=cwd,
                                    start_new_session=True)
        except OSError as exc:
            return Run(args, None, 0.0, 0.0, "", "", error=f"cannot start: {exc}")
        result: list[tuple[float, int, object]] = []

        def reap() -> None:
            _, status, usage = os.wait4(proc.pid, 0)
            result.append((time.perf_counter(), status, usage))

        waiter = threading.Thread(target=reap, daemon=True)
        waiter.start()
        sampler = TreeSampler(proc.pid, started, watch=watch) if sample_tree else None
        if sampler is not None:
            sampler.start()
        waiter.join(timeout_s)
        timed_out = waiter.is_alive()
        if timed_out:
            _kill_tree(proc.pid)
            waiter.join(30)
        if sampler is not None:
            sampler.stop()
        end, status, usage = result[0] if result else (time.perf_counter(), None, None)
        rc = os.waitstatus_to_exitcode(status) if status is not None else None
        proc.returncode = rc if rc is not None else -9  # already reaped: Popen must not wait
        maxrss = getattr(usage, "ru_maxrss", 0) / 1024.0
        out.seek(0)
        err.seek(0)
        run_ = Run(args, None if timed_out else rc, end - started, maxrss,
                   out.read().decode("utf-8", "replace"), _tail(err.read()), timed_out=timed_out)
    if sampler is not None:
        run_.tree_peak_mb = sampler.peak_kb / 1024.0
        run_.tree_samples = sampler.samples
        run_.sampler_cpu_s = sampler.cpu_s
        run_.seen = sampler.seen
        run_.watched_idle_s = sampler.idle_s
        run_.watched_first_idle_s = sampler.first_idle_s
    return run_


# --------------------------------------------------------------------------- a quiet machine


def cpu_busy(interval_s: float = 0.2) -> float | None:
    """Share of all CPUs' time not idle over ``interval_s`` (0..1), None where unreadable: the
    engine's own sampler (selector.probing.machine)."""
    from selector.probing.machine import cpu_busy as sample

    return sample(interval_s)


@dataclass
class QuietLog:
    """What the machine was doing before each timed command (others' work: ours had ended)."""

    busy: list[float] = field(default_factory=list)  # last busy share seen before each command
    gave_up: int = 0  # times the CPU did not get quiet within QUIET_MAX_WAIT_S
    waited_s: float = 0.0

    def wait(self, max_wait_s: float = QUIET_MAX_WAIT_S) -> None:
        start = time.monotonic()
        busy: float | None = None
        while time.monotonic() - start < max_wait_s:
            busy = cpu_busy()
            if busy is None or busy <= QUIET_BUSY_SHARE:
                break
        else:
            self.gave_up += 1
        if busy is not None:
            self.busy.append(busy)
        self.waited_s += time.monotonic() - start


QUIET = QuietLog()
