"""``dlselect kb refresh`` against a replay server on 127.0.0.1: recorded PyPI and GitHub
responses, and every way a fetch fails. No test here reaches the network."""

from __future__ import annotations

import json
import socket
import time
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from selector.cli.app import app
from selector.knowledge import load_snapshot
from selector.models import Signal
from selector.refresh.github import GithubService
from selector.refresh.http import DEFAULT_TIMEOUT, HttpClient
from selector.refresh.interface import FetchError, Offline, RateLimited, Request
from selector.refresh.pypi import PypiService
from selector.refresh.staleness import Section, staleness
from selector.vocab import SignalKind
from tests.replay import LOOPBACK, Replay, Reply, recorded, replay_server

runner = CliRunner()
#: A day after every recorded date, before any year without a release for the active ones.
TODAY = "2026-11-30"

PYPI = {f"/pypi/{n}/json": f"pypi-{n}.json" for n in ("torch", "tensorflow", "jax", "mxnet")}
SIMPLE = {f"/simple/{n}/": f"simple-{n}.json" for n in ("torch", "tensorflow", "jax", "mxnet")}
GITHUB = {"/repos/pytorch/pytorch": "github-pytorch-pytorch.json",
          "/repos/tensorflow/tensorflow": "github-tensorflow-tensorflow.json",
          "/repos/jax-ml/jax": "github-jax-ml-jax.json",
          "/repos/apache/mxnet": "github-apache-mxnet.json"}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Canary: any connection to an address other than 127.0.0.1 is refused and recorded, so
    no test here can reach the network, and a test that tried would show it."""
    tried: list[str] = []
    real = socket.create_connection

    def guarded(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] != LOOPBACK:
            tried.append(str(address[0]))
            raise ConnectionRefusedError(111, "Connection refused (test: loopback only)")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    return tried


def routes() -> dict[str, Reply]:
    return {path: recorded(name) for path, name in {**PYPI, **SIMPLE, **GITHUB}.items()}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Replay]:
    monkeypatch.setenv("DLSELECT_TODAY", TODAY)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    with replay_server(routes()) as replay:
        yield replay


def refresh(replay: Replay, *args: str, github: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["kb", "refresh", "--pypi-url", replay.url,
                                 "--github-url", github or replay.url, *args])
    return result.exit_code, result.stdout, result.stderr


def not_refreshed(err: str) -> list[str]:
    return [line for line in err.splitlines() if "not refreshed: " in line]


def test_the_replay_server_listens_on_loopback_only(server: Replay) -> None:
    assert server.url.startswith(f"http://{LOOPBACK}:")


def test_refresh_writes_an_overlay_of_signals_that_validates_and_ranks(
        server: Replay, tmp_path: Path) -> None:
    out = tmp_path / "signals.toml"
    code, stdout, err = refresh(server, "--output", str(out))
    assert code == 0, err
    doc = tomllib.loads(out.read_text(encoding="utf-8"))
    assert doc["kind"] == "overlay" and doc["base"] == "current"
    assert doc["id"] == f"refresh-{TODAY}" and str(doc["as_of"]) == TODAY
    assert "scores" not in doc and "support" not in doc  # signals only: no judgement changed
    signals = {(s["framework"], s["kind"]): s for s in doc["signals"]}
    assert signals[("pytorch", "latest_release")]["value"] == "2.15.0"
    assert signals[("pytorch", "latest_release")]["observed"] == date(2026, 10, 15)
    assert signals[("jax", "latest_release")]["value"] == "0.12.1"
    assert signals[("mxnet", "archived")]["value"] == "true"
    assert signals[("mxnet", "project_status")]["value"] == "archived"
    assert signals[("tensorflow", "project_status")]["value"] == "active"
    assert signals[("pytorch", "last_push")]["observed"] == date(2026, 11, 29)
    sources = {s["id"]: s for s in doc["sources"]}
    for sig in doc["signals"]:
        source = sources[sig["source"]]
        assert source["url"].startswith(server.url)  # the URL it was read from
        assert isinstance(sig["fetched"], datetime) and sig["fetched"].tzinfo is not None
        assert source["note"].startswith("fetched ")
    # kb validate accepts it; recommend uses it and keeps every score.
    check = runner.invoke(app, ["kb", "validate", str(out)])
    assert check.exit_code == 0, check.stderr
    assert "valid overlay" in check.stdout and "signals)" in check.stdout
    plain = json.loads(runner.invoke(app, ["recommend", "--samples", "0", "--format",
                                           "json"]).stdout)
    used = runner.invoke(app, ["recommend", "--kb", str(out), "--samples", "0",
                               "--format", "json"])
    assert used.exit_code == 0, used.stderr
    doc2 = json.loads(used.stdout)
    assert doc2["snapshot"]["overlay"] == f"refresh-{TODAY}"
    assert doc2["overrides"] == []
    assert doc2["snapshot"]["as_of"] == plain["snapshot"]["as_of"]  # signals do not rejuvenate
    assert [(r["framework"], r["score"]) for r in doc2["ranking"]] == \
        [(r["framework"], r["score"]) for r in plain["ranking"]]
    # An archived framework that is ranked is named in the warnings.
    retired = json.loads(runner.invoke(app, ["recommend", "--kb", str(out), "--allow-retired",
                                             "--samples", "0", "--format", "json"]).stdout)
    assert any(w.startswith("mxnet: its repository is archived") for w in retired["warnings"])
    assert any(w.startswith("mxnet: PyPI marks the project archived") for w in retired["warnings"])
    # kb show lists the signals.
    shown = runner.invoke(app, ["kb", "show", "mxnet", "--kb", str(out)])
    assert shown.exit_code == 0, shown.stderr
    assert "signal archived" in shown.stdout and "signal latest_release" in shown.stdout
    assert "live-github-apache-mxnet" in shown.stdout
    shown_json = json.loads(runner.invoke(app, ["kb", "show", "jax", "--kb", str(out),
                                                "--format", "json"]).stdout)
    assert {s["kind"] for s in shown_json["signals"]} >= {"latest_release", "archived"}


def test_the_staleness_report(server: Replay, tmp_path: Path) -> None:
    code, out, err = refresh(server, "--output", str(tmp_path / "o.toml"))
    assert code == 0, err
    sections = _sections(out)
    assert any("jax: jax 0.12.1 is newer than the 0.12.0.1 the status note names" in line
               for line in sections[Section.CHANGED])
    assert any("mxnet: last release 1.9.1 on 2022-05-10" in line
               for line in sections[Section.NO_RELEASE])
    archived = "\n".join(sections[Section.ARCHIVED])
    assert "mxnet: GitHub repository apache/mxnet is archived" in archived
    assert "already has it retired" in archived and "!" not in archived  # known, not news
    old = next(k for k in sections if k.startswith("Scores citing evidence older than 2 years"))
    assert "(before 2024-11-30)" in old
    assert any(line.strip().startswith("theano: ") for line in sections[old])
    assert f"Wrote {tmp_path / 'o.toml'}" in out
    # Frameworks without recorded responses: 404, each on its own line, the old value kept.
    lines = not_refreshed(err)
    assert any("keras: PyPI release of keras: not refreshed: not found (HTTP 404)" in line
               for line in lines)
    assert all(line.endswith("keeping the snapshot's value") for line in lines)


def _sections(out: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in out.splitlines()[1:]:
        if not line.startswith(" "):
            current = line.rstrip(":")
            sections[current] = []
        elif current:
            sections[current].append(line)
    return sections


def test_default_output_name_and_no_overwrite_without_force(
        server: Replay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = refresh(server)
    assert code == 0, err
    written = tmp_path / f"knowledge-refresh-{TODAY}.toml"
    before = written.read_text(encoding="utf-8")
    asked = len(server.seen)
    code, _, err = refresh(server)
    assert code == 2
    assert err.splitlines()[0] == f"dlselect: error: knowledge-refresh-{TODAY}.toml already " \
                                  "exists; not overwritten"
    assert len(server.seen) == asked  # refused before any fetch
    assert written.read_text(encoding="utf-8") == before
    code, _, err = refresh(server, "--force")
    assert code == 0, err


def test_check_exit_codes(server: Replay, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # Nothing important: mxnet's archival is known to the current snapshot. --check writes
    # no overlay unless --output names one.
    code, _, err = refresh(server, "--check")
    assert code == 0, err
    assert list(tmp_path.iterdir()) == []
    # A year later TensorFlow (active) has had no release for a year.
    monkeypatch.setenv("DLSELECT_TODAY", "2027-06-01")
    code, out, err = refresh(server, "--check")
    assert code == 1
    assert "! tensorflow: last release 2.21.0 on 2026-03-06" in out
    assert "dlselect: check: 1 important change (marked !)" in err
    # The 2017 snapshot has MXNet active: its archival is news.
    monkeypatch.setenv("DLSELECT_TODAY", TODAY)
    code, out, err = refresh(server, "--kb", "2017", "--check", "--output",
                             str(tmp_path / "2017.toml"))
    assert code == 1
    assert "! mxnet: GitHub repository apache/mxnet is archived" in out
    assert "! mxnet: PyPI marks mxnet archived: Apache MXNet was retired" in out
    assert (tmp_path / "2017.toml").exists()  # --output given: written all the same
    assert runner.invoke(app, ["kb", "validate", str(tmp_path / "2017.toml")]).exit_code == 0


def test_rate_limit_blocks_the_service_and_keeps_the_rest(
        server: Replay, tmp_path: Path) -> None:
    reset = 1_800_000_000
    server.routes["/repos/Theano/Theano"] = Reply(
        403, {"message": "API rate limit exceeded"},
        {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0",
         "X-RateLimit-Reset": str(reset)})
    out = tmp_path / "o.toml"
    code, _, err = refresh(server, "--output", str(out))
    assert code == 0, err
    until = datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%d %H:%M:%S")
    limited = [line for line in not_refreshed(err) if " GitHub " in line]
    assert len(limited) == 13  # every repository of the snapshot
    assert all(f"not refreshed: rate limited until {until} UTC (HTTP 403)" in line
               for line in limited)
    github = [p for p, _ in server.seen if p.startswith("/repos/")]
    assert github == ["/repos/Theano/Theano"]  # asked once, then left alone
    kinds = {s["kind"] for s in tomllib.loads(out.read_text())["signals"]}
    assert kinds == {"latest_release", "project_status"}  # PyPI's, still refreshed


def test_429_with_retry_after_is_a_rate_limit(server: Replay, tmp_path: Path) -> None:
    server.routes["/pypi/Theano/json"] = Reply(429, "Too Many Requests", {"Retry-After": "30"})
    server.routes["/pypi/theano/json"] = server.routes["/pypi/Theano/json"]
    code, _, err = refresh(server, "--output", str(tmp_path / "o.toml"))
    assert code == 0, err
    assert "theano: PyPI release of Theano: not refreshed: rate limited; retry after 30 s " \
           "(HTTP 429)" in err


def test_timeout_and_malformed_json(server: Replay, tmp_path: Path) -> None:
    server.routes["/pypi/jax/json"] = Reply(body=b"{}", delay=3.0)
    server.routes["/pypi/mxnet/json"] = Reply(body=b'{"info": {"version": "1.9.1"',
                                              headers={"Content-Type": "application/json"})
    out = tmp_path / "o.toml"
    started = time.monotonic()
    code, _, err = refresh(server, "--timeout", "0.5", "--output", str(out))
    assert time.monotonic() - started < 10
    assert code == 0, err
    assert f"jax: PyPI release of jax: not refreshed: timed out after 0.5 s at {server.url}" \
           "/pypi/jax/json" in err
    assert "mxnet: PyPI release of mxnet: not refreshed: malformed response from " in err
    assert "not JSON" in err
    kept = {(s["framework"], s["kind"]) for s in tomllib.loads(out.read_text())["signals"]}
    assert ("jax", "latest_release") not in kept and ("jax", "archived") in kept
    assert ("mxnet", "latest_release") not in kept and ("mxnet", "project_status") in kept


def test_unexpected_json_shape_is_not_trusted(server: Replay, tmp_path: Path) -> None:
    server.routes["/repos/jax-ml/jax"] = Reply(body={"message": "Moved"})
    server.routes["/pypi/torch/json"] = Reply(body=[1, 2, 3])
    code, _, err = refresh(server, "--output", str(tmp_path / "o.toml"))
    assert code == 0, err
    assert "jax: GitHub repository of jax-ml/jax: not refreshed: unexpected response" in err
    assert "pytorch: PyPI release of torch: not refreshed: unexpected response" in err


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
    return port


def test_offline_says_one_line_and_writes_nothing(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLSELECT_TODAY", TODAY)
    nowhere = f"http://{LOOPBACK}:{_closed_port()}"
    result = runner.invoke(app, ["kb", "refresh", "--pypi-url", nowhere,
                                 "--github-url", nowhere])
    assert result.exit_code == 3
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("dlselect: kb refresh needs the network: cannot connect to ")
    assert lines[0].endswith("; nothing changed")
    assert list(tmp_path.iterdir()) == []


def test_default_urls_offline_is_one_line(tmp_path: Path, loopback_only: list[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DLSELECT_PYPI_URL", raising=False)
    monkeypatch.delenv("DLSELECT_GITHUB_URL", raising=False)
    result = runner.invoke(app, ["kb", "refresh"])
    assert result.exit_code == 3
    assert result.stderr == ("dlselect: kb refresh needs the network: cannot connect to pypi.org "
                             "(connection refused (test: loopback only)); cannot connect to "
                             "api.github.com (connection refused (test: loopback only)); "
                             "nothing changed\n")
    assert loopback_only == ["pypi.org", "api.github.com"]  # each service asked once
    assert list(tmp_path.iterdir()) == []


def test_every_fetch_failing_writes_nothing(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLSELECT_TODAY", TODAY)
    with replay_server({}) as empty:
        code, out, err = refresh(empty, "--output", str(tmp_path / "o.toml"))
    assert code == 3
    assert out == ""
    assert len(not_refreshed(err)) == 13 + 2 * 10  # every repository, every PyPI project twice
    assert err.splitlines()[-1] == "dlselect: nothing refreshed: every fetch failed; no " \
                                   "overlay written"
    assert not (tmp_path / "o.toml").exists()


def test_github_token_is_sent_to_github_only_and_never_shown(
        server: Replay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret123")
    with replay_server(routes()) as github:
        code, out, err = refresh(server, "--output", str(tmp_path / "o.toml"),
                                 github=github.url)
    assert code == 0, err
    assert github.seen and all(h.get("authorization") == "Bearer ghp_secret123"
                               for _, h in github.seen)
    assert server.seen and all("authorization" not in h for _, h in server.seen)
    assert all(h.get("user-agent", "").startswith("dlselect/") for _, h in server.seen)
    assert "ghp_secret123" not in out + err + (tmp_path / "o.toml").read_text()


def test_base_urls_come_from_the_environment(server: Replay, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLSELECT_PYPI_URL", server.url)
    monkeypatch.setenv("DLSELECT_GITHUB_URL", server.url)
    result = runner.invoke(app, ["kb", "refresh", "--output", str(tmp_path / "o.toml")])
    assert result.exit_code == 0, result.stderr
    assert any(p == "/pypi/torch/json" for p, _ in server.seen)


@pytest.mark.parametrize(("args", "message"), [
    (["--kb", "nope.toml"], "kb refresh reads signals for a built-in snapshot, not 'nope.toml'"),
    (["--timeout", "0"], "--timeout must be more than 0"),
    (["--stale-years", "-1"], "--stale-years must be between 0 and 100"),
    (["--pypi-url", "ftp://example.org"], "--pypi-url must be an http(s) URL"),
    (["--output", "/no/such/folder/o.toml"], "cannot write /no/such/folder/o.toml"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    nowhere = f"http://{LOOPBACK}:{_closed_port()}"
    monkeypatch.setenv("DLSELECT_PYPI_URL", nowhere)
    monkeypatch.setenv("DLSELECT_GITHUB_URL", nowhere)
    result = runner.invoke(app, ["kb", "refresh", *args])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(f"dlselect: error: {message}")


# --- canaries: every fetcher gives up at its timeout -------------------------------------


def test_the_default_timeout_is_ten_seconds() -> None:
    assert DEFAULT_TIMEOUT == 10
    assert HttpClient().timeout == 10
    assert PypiService().client.timeout == 10 and GithubService().client.timeout == 10


@pytest.mark.parametrize(("service", "request_", "path"), [
    (PypiService, Request("release", "torch"), "/pypi/torch/json"),
    (PypiService, Request("status", "torch"), "/simple/torch/"),
    (GithubService, Request("repository", "pytorch/pytorch"), "/repos/pytorch/pytorch"),
])
@pytest.mark.parametrize("how", ["silent", "trickle"])
def test_canary_every_fetcher_times_out(service: type[PypiService] | type[GithubService],
                                        request_: Request, path: str, how: str) -> None:
    slow = Reply(body=b'{"info": {"version": "1"}}', delay=5.0) if how == "silent" else \
        Reply(body=b" " * 200 + b'{"info": {"version": "1"}}', trickle=0.05)
    with replay_server({path: slow}) as replay:
        fetcher = service(replay.url, HttpClient(timeout=0.4))
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"timed out after 0\.4 s"):
            fetcher.fetch(request_)
        assert time.monotonic() - started < 2.5


def test_fetch_errors_are_classified() -> None:
    client = HttpClient(timeout=2)
    with pytest.raises(Offline, match="cannot connect to"):
        client.get_json(f"http://{LOOPBACK}:{_closed_port()}/x")
    with replay_server({"/limited": Reply(403, "{}", {"X-RateLimit-Remaining": "0",
                                                      "X-RateLimit-Reset": "1800000000"}),
                        "/forbidden": Reply(403, "{}"),
                        "/broken": Reply(500, "oops")}) as replay:
        with pytest.raises(RateLimited, match="rate limited until 2027-01-15 08:00:00 UTC"):
            client.get_json(f"{replay.url}/limited")
        with pytest.raises(FetchError, match=r"access refused \(HTTP 403\)") as refused:
            client.get_json(f"{replay.url}/forbidden")
        assert not isinstance(refused.value, RateLimited)
        with pytest.raises(FetchError, match=r"HTTP 500 at "):
            client.get_json(f"{replay.url}/broken")
        with pytest.raises(FetchError, match=r"not found \(HTTP 404\)"):
            client.get_json(f"{replay.url}/missing")


# --- the staleness report as a function ----------------------------------------------------


def _signal(framework: str, kind: SignalKind, value: str, observed: date | None = None,
            note: str | None = None) -> Signal:
    return Signal(framework=framework, kind=kind, value=value, observed=observed, note=note,
                  source="s", fetched=datetime(2027, 3, 1, tzinfo=UTC))


def test_staleness_finds_releases_after_the_snapshot_and_new_deprecations() -> None:
    snap = load_snapshot("current")
    found = staleness(snap, [
        _signal("pytorch", SignalKind.LATEST_RELEASE, "2.16.0", date(2027, 1, 20)),
        _signal("jax", SignalKind.PROJECT_STATUS, "deprecated", note="use something else"),
        _signal("paddlepaddle", SignalKind.ARCHIVED, "false", note="now PaddlePaddle/Paddle3"),
        _signal("keras", SignalKind.LATEST_RELEASE, "3.15.1", date(2026, 1, 10)),
    ], date(2027, 3, 1), 2)
    text = {(f.section, f.framework): f for f in found}
    changed = text[(Section.CHANGED, "pytorch")]
    assert changed.text == ("torch 2.16.0 released 2027-01-20, after the snapshot (2026-12-08); "
                            "the status note names 2.15.0")
    assert not changed.important
    deprecated = text[(Section.ARCHIVED, "jax")]
    assert deprecated.important and "PyPI marks jax deprecated: use something else" in \
        deprecated.text
    assert "moved: now PaddlePaddle/Paddle3" in text[(Section.CHANGED, "paddlepaddle")].text
    no_release = text[(Section.NO_RELEASE, "keras")]
    assert no_release.important and "last release 3.15.1 on 2026-01-10" in no_release.text
    assert (Section.NO_RELEASE, "pytorch") not in text
