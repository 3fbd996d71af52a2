"""``dlselect scan PATH``: the team's profile read from its repository (docs/scan.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from selector.cli.common import emit
from selector.errors import DlselectError

if TYPE_CHECKING:
    from selector.answers import Answers
    from selector.scan.infer import Scan

FORMATS = ("table", "json", "toml")


def scan_command(
    path: Path = typer.Argument(..., metavar="PATH", help="The repository's folder."),
    fmt: str = typer.Option(
        "table", "--format", "-f", metavar="FORMAT",
        help="table (default: each answer with its evidence, and what was skipped), json (the "
        "scan: answers, evidence, skips) or toml (an answers file for `recommend --answers`, "
        "the evidence as comments)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write the result to this file."),
) -> None:
    """Read a repository as text (nothing in it runs) and infer the team's answers."""
    if fmt.lower() not in FORMATS:
        raise DlselectError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    result = scan_folder(path)
    kind = fmt.lower()
    if kind == "json":
        emit(json.dumps(result.to_json(), indent=2) + "\n", output=output, plain=True)
    elif kind == "toml":
        emit(answers_toml(result), output=output, plain=True)
    else:
        emit(table(result), output=output, plain=True)


def scan_folder(path: Path) -> Scan:
    """Scan ``path``, a folder, or fail with one line."""
    from selector.scan.infer import scan

    if not path.exists():
        raise DlselectError(f"{path}: no such folder")
    if not path.is_dir():
        raise DlselectError(f"{path}: not a folder", tip="scan takes a repository's folder")
    return scan(path)


def scanned_answers(path: Path) -> Answers:
    """The answers a scan of ``path`` infers (for ``recommend --from-repo``), announced in one
    line on stderr."""
    from selector.answers import Answers

    result = scan_folder(path)
    data = result.answers_data()
    shown = "; ".join(f"{k} {', '.join(v)}" for k, v in data.items() if k != "schema_version")
    typer.echo(f"dlselect: inferred from {path}: {shown or 'nothing (the defaults hold)'}",
               err=True)
    return Answers.model_validate(data)


def answers_toml(result: Scan) -> str:
    from selector.answers import Answers, to_toml

    lines = [f"# dlselect scan of {_safe(str(result.root))}: the evidence for each answer"]
    for item in result.items:
        note = " (low: not put in the answers)" if item.confidence == "low" else ""
        lines.append(f"#   {item.axis} {item.target} [{item.confidence}]{note}")
        lines += [f"#     {_safe(str(e))}" for e in item.evidence]
    body = to_toml(Answers.model_validate(result.answers_data()))
    return "\n".join(lines) + "\n" + body


def _safe(text: str) -> str:
    """One printable line (a comment must not end early)."""
    return text if text.isprintable() else repr(text)


def table(result: Scan) -> str:
    lines = [f"Scanned {_safe(str(result.root))}: {result.files_seen} files seen, "
             f"{result.files_read} read, {result.seconds:.2f} s"
             + (" (stopped at a bound)" if result.truncated else "")]
    if not result.items:
        lines.append("Nothing inferred: the answers keep their defaults.")
    axis = None
    for item in result.items:
        if item.axis != axis:
            axis = item.axis
            lines.append(f"\n{axis}:")
        note = " (not put in the answers)" if item.confidence == "low" else ""
        more = f", {item.count} in all" if item.count > len(item.evidence) else ""
        lines.append(f"  {item.target} [{item.confidence}{more}]{note}")
        lines += [f"    {_safe(str(e))}" for e in item.evidence]
    if result.skipped.counts:
        lines.append("\nSkipped:")
        for reason, count in result.skipped.counts.items():
            examples = ", ".join(_safe(e) for e in result.skipped.examples[reason])
            lines.append(f"  {reason}: {count} (e.g. {examples})")
    return "\n".join(lines) + "\n"
