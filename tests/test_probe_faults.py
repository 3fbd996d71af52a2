"""The probe runner survives every way a probe can fail, reports it, and leaves no process."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from selector.probing import cache
from selector.probing.models import ProbeStatus
from selector.probing.runner import Job, Timeouts, run_jobs
from selector.probing.service import ProbeRequest, probe
from tests.conftest import REPO

# A stand-in probe that speaks the runner's protocol, then misbehaves as MODE says. Real
# frameworks cannot segfault or hang on demand; these fakes can.
FAKE = r'''
import argparse, json, os, signal, subprocess, sys, time
MODE = {mode!r}
p = argparse.ArgumentParser()
p.add_argument("--budget"); p.add_argument("--device"); p.add_argument("--output")
p.add_argument("--ready-fd", type=int)
a = p.parse_args()
if MODE == "import-error":
    print("ModuleNotFoundError: No module named 'fakenet'", file=sys.stderr); sys.exit(3)
# Children carry this program's path, so the test finds them (and only them) by it.
CHILD = [sys.executable, "-c", "import time; time.sleep(600)", __file__]
if MODE == "hang-import":
    subprocess.Popen(CHILD)
    time.sleep(600)
os.write(a.ready_fd, b"ready\n"); os.close(a.ready_fd)
if sys.stdin.readline().strip() != "go":
    sys.exit(1)
doc = {{"schema_version": 1, "probe": "fake", "framework": "fake", "version": "1.0",
        "budget": a.budget, "device_requested": a.device,
        "devices": [{{"kind": "cpu", "name": "test cpu", "threads": 1}}],
        "ops": {{"gemm": {{"device": "cpu", "dtype": "float32", "flops": 2e6,
                           "first_call_s": 0.01, "median_s": 0.001, "iqr_s": 0.0,
                           "samples": 5, "inner_loops": 1, "gflops": 2.0,
                           "unstable": False}}}},
        "elapsed_s": 0.1}}
if MODE == "segfault":
    os.kill(os.getpid(), signal.SIGSEGV)
if MODE == "hang":
    subprocess.Popen(CHILD)
    time.sleep(600)
if MODE == "exit":
    print("RuntimeError: out of cheese", file=sys.stderr); sys.exit(7)
if MODE == "garbage":
    open(a.output, "w").write("Traceback? no: this is not JSON")
elif MODE == "oversized":
    open(a.output, "w").write(" " * (2 << 20) + "{{}}")
elif MODE == "wrong-version":
    doc["schema_version"] = 99; open(a.output, "w").write(json.dumps(doc))
elif MODE == "invalid":
    doc["ops"]["gemm"]["gflops"] = -1; open(a.output, "w").write(json.dumps(doc))
elif MODE == "silent":
    pass
elif MODE == "wrong-result":
    doc["ops"]["gemm"]["check"] = {{"max_rel_error": 0.5, "ok": False}}
    doc["ops"]["conv2d"] = dict(doc["ops"]["gemm"], check={{"max_rel_error": 0.0, "ok": True}})
    open(a.output, "w").write(json.dumps(doc))
else:
    open(a.output, "w").write(json.dumps(doc))
'''


def fake(tmp_path: Path, mode: str) -> Job:
    program = tmp_path / f"fake_probe_{mode.replace('-', '_')}.py"
    program.write_text(FAKE.format(mode=mode), encoding="utf-8")
    return Job(framework="fake", interpreter=sys.executable, program=program, version="1.0")


def processes_mentioning(marker: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmd = (Path("/proc") / pid / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = (Path("/proc") / pid / "stat").read_text()
        except OSError:
            continue
        zombie = stat.rsplit(")", 1)[1].split()[0] == "Z"
        if marker in cmd and not zombie:
            found.append(f"{pid}: {cmd}")
    return found


@pytest.mark.parametrize(("mode", "status", "reason"), [
    ("ok", ProbeStatus.OK, None),
    ("segfault", ProbeStatus.FAILED, "crashed (SIGSEGV)"),
    ("exit", ProbeStatus.FAILED, "exited with code 7: RuntimeError: out of cheese"),
    ("import-error", ProbeStatus.FAILED,
     "import failed: ModuleNotFoundError: No module named 'fakenet'"),
    ("garbage", ProbeStatus.FAILED, "garbage output: not JSON"),
    ("oversized", ProbeStatus.FAILED, "oversized output: 2097154 bytes (limit 1048576)"),
    ("wrong-version", ProbeStatus.FAILED, "wrong schema version 99 (this dlselect reads 1)"),
    ("invalid", ProbeStatus.FAILED, "invalid output: ops.gemm.gflops: Input should be greater"),
    ("silent", ProbeStatus.FAILED, "exited 0 but wrote no result"),
])
def test_each_failure_is_reported_with_its_reason(tmp_path: Path, mode: str,
                                                  status: ProbeStatus, reason: str | None) -> None:
    (outcome,) = run_jobs([fake(tmp_path, mode)], timeouts=Timeouts(start_s=30, measure_s=30))
    assert outcome.status is status
    if reason is None:
        assert outcome.reason is None and outcome.ops["gemm"].gflops == 2.0
    else:
        assert outcome.reason is not None and outcome.reason.startswith(reason), outcome.reason
    assert processes_mentioning(str(tmp_path)) == []


def test_an_op_that_failed_its_check_is_an_op_error_not_a_speed(tmp_path: Path) -> None:
    # dlselect's own probes leave such ops out; a document that keeps one is not trusted either.
    (outcome,) = run_jobs([fake(tmp_path, "wrong-result")],
                          timeouts=Timeouts(start_s=30, measure_s=30))
    assert outcome.status is ProbeStatus.OK
    assert list(outcome.ops) == ["conv2d"]
    assert outcome.op_errors == {
        "gemm": "wrong result: max_rel_error 0.5 failed the check for fp32"}


@pytest.mark.parametrize(("mode", "reason"), [
    ("hang", "did not finish measuring within 2 s; killed"),
    ("hang-import", "did not finish importing fake within 2 s; killed"),
])
def test_a_hang_is_killed_at_the_timeout_with_its_children(tmp_path: Path, mode: str,
                                                           reason: str) -> None:
    started = time.monotonic()
    (outcome,) = run_jobs([fake(tmp_path, mode)], timeouts=Timeouts(start_s=2, measure_s=2))
    assert time.monotonic() - started < 20
    assert outcome.status is ProbeStatus.TIMEOUT
    assert outcome.reason == reason
    assert processes_mentioning(str(tmp_path)) == []


def test_failures_do_not_stop_the_others(tmp_path: Path) -> None:
    jobs = [fake(tmp_path, m) for m in ("segfault", "ok", "garbage")]
    outcomes = run_jobs(jobs, timeouts=Timeouts(start_s=30, measure_s=30))
    assert [o.status for o in outcomes] == [ProbeStatus.FAILED, ProbeStatus.OK,
                                            ProbeStatus.FAILED]


def test_a_missing_interpreter_is_reported(tmp_path: Path) -> None:
    job = fake(tmp_path, "ok")
    (outcome,) = run_jobs([Job(framework="fake", interpreter=str(tmp_path / "no-python"),
                               program=job.program)])
    assert outcome.status is ProbeStatus.FAILED
    assert outcome.reason is not None and outcome.reason.startswith("cannot start")


def test_a_missing_python_path_is_reported_per_framework(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    missing = str(tmp_path / "venv" / "bin" / "python")
    report = probe(ProbeRequest(frameworks=("pytensor", "caffe"), pythons=(missing,),
                                refresh=True))
    assert any(f"interpreter not found: {missing}" in w for w in report.warnings)
    caffe = next(r for r in report.results if r.framework == "caffe")
    assert caffe.status is ProbeStatus.UNAVAILABLE
    assert caffe.reason is not None and "no release installable" in caffe.reason


def test_ctrl_c_while_probing_leaves_no_process(tmp_path: Path) -> None:
    job = fake(tmp_path, "hang")
    script = (
        "import sys; from pathlib import Path\n"
        "from selector.probing.runner import Job, Timeouts, run_jobs\n"
        f"job = Job(framework='fake', interpreter=sys.executable,"
        f" program=Path({str(job.program)!r}))\n"
        "print('started', flush=True)\n"
        "run_jobs([job], timeouts=Timeouts(start_s=60, measure_s=60))\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 30
        while len(processes_mentioning(str(tmp_path))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the fake probe and its child
        assert len(processes_mentioning(str(tmp_path))) >= 2, "the fake probe never started"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        assert "KeyboardInterrupt" in proc.stderr.read()
    time.sleep(0.2)
    assert processes_mentioning(str(tmp_path)) == []


def test_corrupt_cache_entry_is_ignored_reported_and_rebuilt(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            ) -> None:
    if importlib.util.find_spec("pytensor") is None:  # looked up, not imported
        pytest.skip("pytensor is not installed in this interpreter")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    # The cache is under test, not the measurement: a figure flagged unstable on a busy machine
    # is rightly never cached, so the runner is replaced by one whose figures are stable (a
    # real probe cannot be made stable on demand).
    from selector.probing import service
    from selector.probing.models import OpResult, Outcome

    stable = OpResult(device="cpu", dtype="float32", flops=1e9, first_call_s=0.1, median_s=0.01,
                      iqr_s=0.0001, samples=5, inner_loops=1, gflops=100.0, unstable=False)
    monkeypatch.setattr(service, "run_jobs", lambda jobs, **_: [
        Outcome(framework=j.framework, version=j.version, interpreter=j.interpreter,
                status=ProbeStatus.OK, ops={"gemm": stable}) for j in jobs])
    request = ProbeRequest(frameworks=("pytensor",), pythons=(sys.executable,))
    first = probe(request)
    ok = [r for r in first.results if r.status is ProbeStatus.OK]
    assert ok and not ok[0].cached
    entries = list((tmp_path / "dlselect" / "probes").glob("*.json"))
    assert entries
    for entry in entries:
        entry.write_text("{not json", encoding="utf-8")
    second = probe(request)
    assert any("ignored a corrupt cache entry" in w for w in second.warnings)
    assert all(not r.cached for r in second.results if r.status is ProbeStatus.OK)
    third = probe(request)
    assert any(r.cached for r in third.results if r.status is ProbeStatus.OK)
    assert json.loads(entries[0].read_text())["format"] == cache.CACHE_FORMAT


class _Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []

    def started(self, job: Job) -> None:
        self.events.append(f"start {job.program.stem}")

    def measuring(self, job: Job) -> None:
        self.events.append(f"measure {job.program.stem}")

    def finished(self, job: Job, outcome: object) -> None:
        self.events.append(f"finish {job.program.stem}")


def test_probes_on_one_gpu_prepare_and_measure_one_at_a_time(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    jobs = [fake(tmp_path / name, "ok") for name in ("a", "b")]
    side_by_side = _Recorder()
    run_jobs(jobs, timeouts=Timeouts(start_s=30, measure_s=30), reporter=side_by_side)
    assert side_by_side.events[:2] == ["start fake_probe_ok", "start fake_probe_ok"]
    serial = _Recorder()
    outcomes = run_jobs(jobs, timeouts=Timeouts(start_s=30, measure_s=30), reporter=serial,
                        one_at_a_time=True)
    assert [o.status for o in outcomes] == [ProbeStatus.OK, ProbeStatus.OK]
    assert serial.events == ["start fake_probe_ok", "measure fake_probe_ok",
                             "finish fake_probe_ok"] * 2


def _wait_for(tmp_path: Path, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(processes_mentioning(str(tmp_path))) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(processes_mentioning(str(tmp_path))) >= count, "the fake probes never started"


# phase -> the fakes to run, and how many processes are up once the phase is reached: a hang
# while importing (the probe and its child); a probe that is ready and waiting for its turn
# while another measures (and hangs, with its child).
PHASES = {"import": (["hang-import"], 2), "ready-and-measure": (["hang", "ok"], 3)}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT],
                         ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("phase", list(PHASES))
def test_a_signal_while_probing_leaves_no_process(tmp_path: Path, phase: str,
                                                   signum: int) -> None:
    modes, count = PHASES[phase]
    for mode in modes:
        (tmp_path / mode).mkdir()
    programs = [str(fake(tmp_path / mode, mode).program) for mode in modes]
    script = (
        "import sys; from pathlib import Path\n"
        "from selector.probing.runner import Job, Timeouts, run_jobs\n"
        f"jobs = [Job(framework='fake', interpreter=sys.executable, program=Path(p))"
        f" for p in {programs!r}]\n"
        "print('started', flush=True)\n"
        "run_jobs(jobs, timeouts=Timeouts(start_s=60, measure_s=60))\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().strip() == "started"
        _wait_for(tmp_path, count)
        proc.send_signal(signum)
        proc.wait(timeout=30)
        err = proc.stderr.read()
    assert ("KeyboardInterrupt" if signum == signal.SIGINT else "Terminated") in err
    time.sleep(0.2)
    assert processes_mentioning(str(tmp_path)) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT],
                         ids=lambda s: signal.Signals(s).name)
def test_dlselect_probe_ends_on_a_signal_with_its_code(tmp_path: Path, signum: int) -> None:
    """The command, not only the runner: one line, exit 128 + the signal (130 for Ctrl-C)."""
    (tmp_path / "probes").mkdir()
    (tmp_path / "probes" / "probe_torch.py").write_text(FAKE.format(mode="hang"),
                                                         encoding="utf-8")
    script = (
        "import sys; from pathlib import Path\n"
        "from selector.probing import service\n"
        "from selector.probing.discovery import Interpreter\n"
        f"service.probes_dir = lambda: Path({str(tmp_path / 'probes')!r})\n"
        "service.discover = lambda explicit, **kw: [Interpreter(sys.executable, '3',"
        " {'torch': '1.0'})]\n"
        "sys.argv = ['dlselect', 'probe', '--framework', 'torch', '--device', 'cpu',"
        " '--refresh']\n"
        "from selector.cli.app import main\n"
        "main()\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    with subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env) as proc:
        _wait_for(tmp_path, 2)  # measuring: the fake probe and its child
        proc.send_signal(signum)
        code = proc.wait(timeout=30)
        assert proc.stdout is not None and proc.stderr is not None
        out, err = proc.stdout.read(), proc.stderr.read()
    assert code == (130 if signum == signal.SIGINT else 128 + signum), err
    assert out == "" and "Traceback" not in err
    assert err.splitlines()[-1] == ("dlselect: interrupted" if signum == signal.SIGINT
                                    else f"dlselect: stopped by {signal.Signals(signum).name}")
    time.sleep(0.2)
    assert processes_mentioning(str(tmp_path)) == []


def test_discovery_runs_no_interpreter_of_the_working_folder_unless_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from selector.probing.discovery import candidate_interpreters, discover

    marker = tmp_path / "it-ran"
    python = tmp_path / "folder" / ".venv-untrusted" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    python.chmod(0o755)
    config = tmp_path / "config.toml"
    monkeypatch.setenv("DLSELECT_CONFIG", str(config))
    monkeypatch.chdir(python.parents[2])
    assert str(python) not in candidate_interpreters([])
    discover([])
    assert not marker.exists()
    # Opting in: the flag (--discover-here), or the config file.
    assert str(python) in candidate_interpreters([], here=True)
    config.write_text("[probe]\ndiscover_here = true\n", encoding="utf-8")
    assert str(python) in candidate_interpreters([])
    discover([])
    assert marker.exists()


def test_a_linked_environment_is_discovered_once(tmp_path: Path) -> None:
    """A folder that links to an environment (a worktree sharing a checkout's .venv) is that
    environment: probed once, not twice side by side. Two environments on one base
    interpreter stay two."""
    from selector.probing.discovery import candidate_interpreters

    real = tmp_path / "env" / "bin"
    real.mkdir(parents=True)
    (real / "python").symlink_to(sys.executable)
    (tmp_path / "linked").symlink_to(tmp_path / "env")
    other = tmp_path / "other" / "bin"
    other.mkdir(parents=True)
    (other / "python").symlink_to(sys.executable)
    paths = [str(real / "python"), str(tmp_path / "linked" / "bin" / "python"),
             str(other / "python")]
    found = candidate_interpreters(paths)
    assert str(real / "python") in found and str(other / "python") in found
    assert str(tmp_path / "linked" / "bin" / "python") not in found
