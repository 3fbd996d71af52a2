"""The ``dlselect`` wizard: questions for people, answers saved for pipelines.

Every question is also a flag of ``recommend``; the answers become an ``Answers`` object that
goes down the same path as ``recommend --answers`` (``decide_from_answers``), so a saved and
replayed session produces the same JSON.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from selector.errors import DlselectError

if TYPE_CHECKING:
    from rich.console import Console

    from selector.answers import Answers
    from selector.models import Snapshot
    from selector.vocab import Axis

T = TypeVar("T")
NO_TERMINAL = ("the wizard needs a terminal; give the answers as flags (dlselect recommend "
               "--help) or replay saved ones (dlselect recommend --answers FILE)")
#: The most people the wizard asks priorities of.
MAX_PEOPLE = 20


class Asker:
    """Asks, validates, and asks again until the answer is good."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def ask(self, question: str, parse: Callable[[str], T], default: str) -> T:
        hint = f" [dim]({default})[/dim]" if default else ""
        while True:
            raw = self.console.input(f"[bold]{question}[/bold]{hint}: ").strip()
            try:
                return parse(raw or default)
            except (DlselectError, ValueError) as exc:
                message = exc.message if isinstance(exc, DlselectError) else str(exc)
                self.console.print(f"[red]  {message}; please try again[/red]")

    def confirm(self, question: str, default: bool) -> bool:
        def parse(text: str) -> bool:
            if text.lower() in ("y", "yes"):
                return True
            if text.lower() in ("n", "no"):
                return False
            raise ValueError(f"answer y or n, not {text!r}")

        return self.ask(question, parse, "y" if default else "n")


def wizard_command(
    answers_file: Path | None = typer.Option(
        None, "--answers", help="Start from saved answers (as defaults on a terminal; replayed "
        "as they are without one)."),
    script: bool = typer.Option(False, "--script", help="Read the answers line by line from "
                                "standard input even when it is not a terminal."),
    kb: str | None = typer.Option(
        None, "--kb", metavar="SNAPSHOT", help="Advanced: the knowledge snapshot to answer "
        "against (default: current, or the one in --answers)."),
    people: int = typer.Option(
        1, "--people", metavar="N", help="Ask the priority question of N people (named), "
        "rank once with their combined priorities and show where they disagree."),
) -> None:
    """Answer a few questions and get a ranked, explained recommendation."""
    from selector.answers import Answers, load_answers

    if not 1 <= people <= MAX_PEOPLE:
        raise DlselectError(f"--people must be between 1 and {MAX_PEOPLE}, got {people}")
    start = load_answers(answers_file) if answers_file else Answers()
    if kb is not None:
        from selector.knowledge import load_snapshot

        load_snapshot(kb)  # an unknown snapshot is refused before the first question
        start = start.model_copy(update={"snapshot": kb})
    if not (script or sys.stdin.isatty()):
        if answers_file is None:
            raise DlselectError(NO_TERMINAL)
        from selector.cli.recommend import decide_from_answers, render

        render(decide_from_answers(start).recommendation, "table", None)
        return
    run_wizard(start, people)


def run_wizard(start: Answers, people: int = 1) -> None:
    from rich.console import Console

    from selector.errors import Interrupted

    # Questions, hints and progress on stderr; the verdict on stdout, so that
    # `dlselect wizard --script < answers.txt > verdict.txt` keeps only the result.
    console = Console(highlight=False, stderr=True)
    result = Console(highlight=False)
    try:
        _session(Asker(console), console, start, result, people)
    except KeyboardInterrupt:
        console.print()
        raise Interrupted("cancelled; nothing was saved") from None
    except EOFError:
        console.print()
        raise DlselectError("end of input before the last question; nothing was saved") from None


def _session(ask: Asker, console: Console, start: Answers, result: Console,
             people: int = 1) -> None:
    from selector.answers import Answers
    from selector.cli.recommend import decide_from_answers
    from selector.cli.wizard_priorities import ask_priorities
    from selector.engine.profile import build_profile
    from selector.engine.weights import raw_weights
    from selector.knowledge import load_snapshot
    from selector.vocab import DEFAULT_SNAPSHOT, Axis, Role, Status

    console.print("[bold]dlselect[/bold]: which deep-learning framework should your team use? "
                  "Press Enter to take the default shown in brackets.")
    sid = start.snapshot or DEFAULT_SNAPSHOT
    snap = load_snapshot(sid)
    console.print(f"[dim]Knowledge: snapshot {snap.id}, as of {snap.as_of.isoformat()} "
                  "(another with dlselect wizard --kb SNAPSHOT).[/dim]\n")

    langs = _ask_axis(ask, snap, Axis.LANGUAGE, "Languages your team writes and trains "
                      "models in", "blank: any", start.languages)
    runtime: list[str] = []
    if any(e.role is Role.RUN for e in snap.support):
        runtime = _ask_axis(ask, snap, Axis.LANGUAGE, "Languages that only run models trained "
                            "elsewhere (an app's Kotlin or Swift)", "blank: none",
                            start.runtime_languages, listed=False)
    workloads = _ask_axis(ask, snap, Axis.WORKLOAD, "What you build", "blank: none",
                          [*([start.task] if start.task else []), *(start.workloads or [])])
    hardware = _ask_hardware(ask, console, snap, start.hardware)
    scale = _ask_axis(ask, snap, Axis.SCALE, "How many devices a training run uses",
                      "blank: not said", start.scale)
    deployment = _ask_axis(ask, snap, Axis.DEPLOYMENT, "Where models must run",
                           "blank: no constraint", start.deployment)
    existing = _ask_axis(ask, snap, Axis.EXISTING, "Frameworks you already have code in",
                         "blank: none", start.existing)

    profile = build_profile(languages=langs, runtime_languages=runtime, workloads=workloads,
                            hardware=hardware, scale=scale, deployment=deployment,
                            existing=existing, snapshot=sid, kb=snap)
    raw = raw_weights(snap, profile)
    group: list[tuple[str, dict[str, float]]] = []
    if people > 1:
        for n in range(1, people + 1):
            name = _ask_name(ask, n, [g[0] for g in group])
            group.append((name, ask_priorities(ask, console, snap, raw, start.weights, name)))
        weights: dict[str, float] = {}
    else:
        weights = ask_priorities(ask, console, snap, raw, start.weights)

    allow_retired = False
    if any(f.status is Status.RETIRED for f in snap.frameworks):
        allow_retired = ask.confirm("Rank retired frameworks too (they are excluded otherwise)?",
                                    bool(start.allow_retired))
    probe = _ask_probe(ask, console, start.probe)
    answers = Answers(snapshot=sid, languages=langs or None, runtime_languages=runtime or None,
                      workloads=workloads or None, hardware=hardware or None,
                      scale=scale or None, deployment=deployment or None,
                      existing=existing or None, weights=weights or None,
                      method=start.method, allow_retired=allow_retired, probe=probe,
                      budget=start.budget, device=start.device)
    console.print()
    rec = decide_from_answers(answers, people=group or None).recommendation
    from selector.report.table_format import TableFormatter

    result.print(TableFormatter().render(rec))
    result.print()
    if not group and ask.confirm("Save these answers as a profile file?", False):
        from selector.answers import to_toml

        path = _save(ask, console, "dlselect-answers.toml", to_toml(answers))
        console.print(f"Saved. Replay: dlselect recommend --answers {path}")
    if group and ask.confirm("Save these answers as profile files, one per person?", False):
        from selector.answers import to_toml

        paths = []
        for name, own in group:
            mine = answers.model_copy(update={"person": name, "weights": own or None})
            paths.append(_save(ask, console, f"dlselect-answers-{_slug(name)}.toml",
                               to_toml(mine)))
        replay = " ".join(f"--answers {p}" for p in paths)
        console.print(f"Saved. Replay: dlselect recommend {replay}")
    def report_format(text: str) -> str | None:
        if text in ("no", "n"):
            return None
        if text not in ("json", "markdown"):
            raise DlselectError(f"answer json, markdown or no, not {text!r}")
        return text

    fmt = ask.ask("Save the report? json, markdown (a decision record) or no", report_format,
                  "no")
    if fmt is not None:
        suffix = ".json" if fmt == "json" else ".md"
        from selector.report.registry import formatter_for
        from selector.vocab import OutputFormat

        text = formatter_for(OutputFormat(fmt)).render(rec)
        assert isinstance(text, str)
        path = _save(ask, console, f"dlselect-report{suffix}", text)
        console.print(f"Saved {path}.")


def _save(ask: Asker, console: Console, default: str, text: str) -> Path:
    """Ask for a file until one can be written: a missing folder or a folder is asked again,
    an existing file replaced only when confirmed, a write error explained; the session (and
    the verdict just shown) is never lost to a mistyped path."""
    from selector.cli.common import OutputError, is_stdout, write_atomic

    def writable(raw: str) -> Path:
        path = Path(raw).expanduser()
        if is_stdout(path):
            raise DlselectError("name a file (the verdict is already on stdout)")
        if path.is_dir():
            raise DlselectError(f"{path}: is a folder")
        folder = path.parent
        if not folder.is_dir():
            raise DlselectError(f"{folder}: no such folder")
        return path

    while True:
        path = ask.ask("File", writable, default)
        if path.exists() and not ask.confirm(f"{path} exists; replace it?", False):
            continue
        try:
            write_atomic(path, text)
        except OutputError as err:
            console.print(f"[red]  {err.message}; please try again[/red]")
            continue
        return path


def _ask_axis(ask: Asker, snap: Snapshot, axis: Axis, question: str, blank: str,
              start: list[str] | None, *, listed: bool = True,
              default: list[str] | None = None) -> list[str]:
    """Ask for the team's targets on ``axis`` in the snapshot's words (ids or aliases, read
    as ``recommend`` reads them); an axis the snapshot has no words for is not asked."""
    from selector.engine.profile import read_answers

    ids = [t.id for t in snap.vocabulary(axis)]
    if not ids:
        return []

    def check(text: str) -> list[str]:
        items = _items(text)
        read_answers(snap, axis, items)  # one clear line for an unknown word
        return items

    shown = f": {', '.join(ids)}" if listed else ""
    return ask.ask(f"{question}{shown} (comma-separated; {blank})", check,
                   ", ".join(start if start else default or []))


def _ask_hardware(ask: Asker, console: Console, snap: Snapshot,
                  start: list[str] | None) -> list[str]:
    from selector.vocab import Axis

    if not snap.vocabulary(Axis.HARDWARE):
        return []
    from selector.hardware import detect

    found = detect()
    gpus = ", ".join(found.gpus) if found.gpus else "no NVIDIA GPU"
    console.print(f"[dim]This machine: {found.cpu_model}, {found.cpu_count} threads; "
                  f"{gpus} ({found.source}).[/dim]")
    suggested = [k for k in found.suggestion() if snap.resolve(Axis.HARDWARE, k)]
    return _ask_axis(ask, snap, Axis.HARDWARE, "Hardware you will train on", "blank: not said",
                     start, default=suggested)


def _ask_name(ask: Asker, n: int, taken: list[str]) -> str:
    def name(text: str) -> str:
        text = " ".join(text.split())
        if text in taken:
            raise DlselectError(f"{text!r} is already taken; give each person their own name")
        return text

    return ask.ask(f"Person {n}'s name", name, f"Person {n}")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "person"


def _ask_probe(ask: Asker, console: Console, start: bool | None) -> bool:
    from selector.cli.common import announce_interpreters
    from selector.probing.catalog import SPECS
    from selector.probing.discovery import candidate_interpreters, discover

    announce_interpreters([p for p in candidate_interpreters([]) if Path(p).exists()])
    found = []
    for interp in discover([]):
        found += [f"{s.framework} {interp.found[s.module]}" for s in SPECS
                  if s.module in interp.found]
    if not found:
        console.print("[dim]No framework to probe was found on this machine.[/dim]")
        return False
    console.print(f"[dim]Frameworks found here: {', '.join(found)}.[/dim]")
    return ask.confirm("Measure them now with quick live probes (seconds each)?",
                       True if start is None else start)


def _items(text: str) -> list[str]:
    return [t.strip().lower() for t in text.replace(",", " ").split() if t.strip()]
