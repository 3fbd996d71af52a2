"""``dlselect kb refresh``: read live signals into a new dated overlay and report what went
stale (docs/knowledge-format.md, "Refreshing live signals").

Exit codes: 0 done; 1 with ``--check``, something important changed; 2 bad input; 3 nothing
could be refreshed (offline, or every fetch failed), nothing written.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from selector.errors import DlselectError

if TYPE_CHECKING:
    from datetime import date

    from selector.refresh.interface import SignalService
    from selector.refresh.service import Refresh
    from selector.refresh.staleness import Finding

#: Exit codes of ``kb refresh`` beyond 0 (done) and 2 (bad input).
EXIT_CHANGED = 1
EXIT_NOT_REFRESHED = 3


def refresh_command(
    kb: str = typer.Option("current", "--kb", metavar="SNAPSHOT",
                           help="The built-in snapshot to refresh (default: current)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="FILE",
        help="Where to write the overlay (default: knowledge-refresh-YYYY-MM-DD.toml here; "
        "with --check: none)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing overlay file."),
    check: bool = typer.Option(
        False, "--check",
        help="Exit 1 when something important changed (an archival or deprecation, or an "
        "active framework without a release for a year); write the overlay only with --output."),
    stale_years: int = typer.Option(
        2, "--stale-years", metavar="N",
        help="List scores whose evidence is older than N years, counted from today."),
    timeout: float = typer.Option(10.0, "--timeout", metavar="S",
                                  help="Seconds each fetch may take (default 10)."),
    pypi_url: str = typer.Option("https://pypi.org", "--pypi-url", metavar="URL",
                                 envvar="DLSELECT_PYPI_URL", help="PyPI's base URL."),
    github_url: str = typer.Option("https://api.github.com", "--github-url", metavar="URL",
                                   envvar="DLSELECT_GITHUB_URL",
                                   help="GitHub's REST API base URL."),
) -> None:
    """Read live signals (latest release, PyPI project status, GitHub archival and last push)
    into a new dated overlay, and report what went stale. Needs the network."""
    from selector import __version__
    from selector.clock import today as clock_today
    from selector.knowledge import builtin_ids, load_snapshot
    from selector.refresh.github import GithubService
    from selector.refresh.http import HttpClient
    from selector.refresh.overlay import default_name
    from selector.refresh.pypi import PypiService
    from selector.refresh.service import refresh
    from selector.refresh.staleness import staleness

    if kb not in builtin_ids():
        raise DlselectError(f"kb refresh reads signals for a built-in snapshot, not {kb!r}; "
                            f"built in: {', '.join(builtin_ids())}")
    if not 0 < timeout <= 300:
        raise DlselectError(f"--timeout must be more than 0 and at most 300 seconds, "
                            f"got {timeout:g}")
    if not 0 <= stale_years <= 100:
        raise DlselectError(f"--stale-years must be between 0 and 100, got {stale_years}")
    for flag, url in (("--pypi-url", pypi_url), ("--github-url", github_url)):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise DlselectError(f"{flag} must be an http(s) URL, got {url!r}")
    today = clock_today()
    target = output if output is not None or not check else None
    if target is None and not check:
        target = Path(default_name(today))
    if target is not None:
        _check_target(target, force)

    snapshot = load_snapshot(kb)
    client = HttpClient(timeout=timeout, user_agent=f"dlselect/{__version__} (kb refresh)")
    services: list[SignalService] = [PypiService(pypi_url, client),
                GithubService(github_url, client, token=os.environ.get("GITHUB_TOKEN") or None)]
    result = refresh(snapshot, services)
    if result.offline:
        reasons = list(dict.fromkeys(f.reason for f in result.failures))
        typer.echo(f"dlselect: kb refresh needs the network: {'; '.join(reasons)}; nothing "
                   "changed", err=True)
        raise typer.Exit(EXIT_NOT_REFRESHED)
    for failure in result.failures:
        typer.echo(f"dlselect: {failure.framework}: {failure.service} {failure.label} of "
                   f"{failure.key}: not refreshed: {failure.reason}; keeping the snapshot's "
                   "value", err=True)
    if not result.refreshed:
        typer.echo("dlselect: nothing refreshed: every fetch failed; no overlay written",
                   err=True)
        raise typer.Exit(EXIT_NOT_REFRESHED)
    text = _overlay_text(result, today, target)
    findings = staleness(snapshot, result.signals, today, stale_years)
    typer.echo(_report(result, findings, today, stale_years), nl=False)
    if target is not None:
        from selector.cli.common import write_atomic

        write_atomic(target, text)
        typer.echo(f"Wrote {target} ({len(result.signals)} signals); rank with it: "
                   f"dlselect recommend --kb {target}")
    important = [f for f in findings if f.important]
    if check and important:
        typer.echo(f"dlselect: check: {len(important)} important change"
                   f"{'s' if len(important) != 1 else ''} (marked !)", err=True)
        raise typer.Exit(EXIT_CHANGED)


def _check_target(target: Path, force: bool) -> None:
    if target.exists() and not force:
        raise DlselectError(f"{target} already exists; not overwritten",
                            tip="pass --force to overwrite it, or --output to write elsewhere")
    if target.is_dir():
        raise DlselectError(f"{target} is a folder; --output names the overlay file")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DlselectError(f"cannot write {target}: no folder {folder}")


def _overlay_text(result: Refresh, today: date, target: Path | None) -> str:
    """The overlay's text, checked as ``kb validate`` would check it before it is written."""
    import tomllib

    from selector.errors import KnowledgeError
    from selector.knowledge import parse_overlay
    from selector.refresh.overlay import render

    text = render(result, today)
    try:
        parse_overlay(tomllib.loads(text), str(target or "the overlay"))
    except (KnowledgeError, ValueError) as exc:  # a bug here, not the user's input
        raise DlselectError(f"the refreshed overlay does not validate: {exc}; nothing "
                            "written") from None
    return text


def _report(result: Refresh, findings: list[Finding], today: date, stale_years: int) -> str:
    from selector.clock import years_before, years_text
    from selector.refresh.staleness import SECTIONS, Section

    snap = result.snapshot
    made = result.planned - len(result.failures)
    lines = [f"Live signals for snapshot {snap.id} (as of {snap.as_of}), read "
             f"{result.started:%Y-%m-%d %H:%M} UTC: {made} of {result.planned} fetches "
             f"succeeded{'' if not result.failures else ' (the rest: see stderr)'}."]
    titles = {Section.OLD_EVIDENCE: f"Scores citing evidence older than "
              f"{years_text(stale_years)} (before {years_before(today, stale_years)})"}
    for section in SECTIONS:
        lines.append(f"{titles.get(section, section)}:")
        found = [f for f in findings if f.section == section]
        lines += [f"  {'!' if f.important else ' '} {f.framework}: {f.text}" for f in found]
        if not found:
            lines.append("    none")
    return "\n".join(lines) + "\n"
