"""``dlselect kb``: list, show and validate knowledge snapshots and overlays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from selector.cli.common import emit
from selector.errors import DlselectError, KnowledgeError
from selector.vocab import DEFAULT_SNAPSHOT

if TYPE_CHECKING:
    from rich.console import RenderableType

    from selector.models import Snapshot

kb_app = typer.Typer(help="Knowledge snapshots: list, show, targets, validate, refresh.",
                     no_args_is_help=True,
                     rich_markup_mode=None, add_completion=False)


def list_command(
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """The built-in snapshots with their as-of dates."""
    from selector.knowledge import list_snapshots

    infos = list_snapshots()
    if _format(fmt) == "json":
        emit(json.dumps([{"id": i.id, "title": i.title, "as_of": i.as_of.isoformat(),
                          "default": i.id == DEFAULT_SNAPSHOT} for i in infos], indent=2) + "\n",
             output=None, plain=True)
        return
    from rich.table import Table

    table = Table(title="Knowledge snapshots", title_justify="left")
    for column in ("Id", "As of", "Title"):
        table.add_column(column)
    for info in infos:
        mark = " (default)" if info.id == DEFAULT_SNAPSHOT else ""
        table.add_row(info.id + mark, info.as_of.isoformat(), info.title)
    emit(table, output=None, plain=False)


def show_command(
    framework: str | None = typer.Argument(None, help="Show one framework only."),
    kb: str = typer.Option(DEFAULT_SNAPSHOT, "--kb", help="Built-in id, or a snapshot or "
                           "overlay file."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Scores with their sources, as-of dates and rationale."""
    from selector.knowledge import load_snapshot

    snapshot = load_snapshot(kb)
    ids = [f.id for f in snapshot.frameworks]
    if framework is not None:
        framework = framework.strip().lower()
    if framework is not None and framework not in ids:
        raise DlselectError(f"unknown framework {framework!r} in snapshot {snapshot.id}; "
                            f"it has: {', '.join(ids)}", tip=_torch_tip(framework, snapshot))
    if framework == "torch":
        # `dlselect probe --framework torch` is PyTorch (the probes go by Python package).
        typer.echo("dlselect: note: 'torch' here is Torch7 (Lua); PyTorch is 'pytorch' "
                   "(in `dlselect probe`, 'torch' is PyTorch)", err=True)
    if framework is not None:
        keep = {framework}
        snapshot = snapshot.model_copy(update={
            "frameworks": [f for f in snapshot.frameworks if f.id in keep],
            "scores": [s for s in snapshot.scores if s.framework in keep],
            "support": [s for s in snapshot.support if s.framework in keep],
        })
    if _format(fmt) == "json":
        emit(snapshot.model_dump_json(indent=2, exclude_none=True) + "\n", output=None,
             plain=True)
    else:
        emit(_show_table(snapshot), output=None, plain=False)


def _torch_tip(framework: str, snapshot: Snapshot) -> str | None:
    if framework == "pytorch":
        return (f"PyTorch is not in snapshot {snapshot.id}; 'torch' there is Torch7 (Lua). "
                "Try --kb current")
    return None


def _show_table(snapshot: Snapshot) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[RenderableType] = [Text(f"{snapshot.title} (snapshot {snapshot.id}, as of "
                                        f"{snapshot.as_of.isoformat()})", style="bold")]
    cited: list[str] = []
    for fw in snapshot.frameworks:
        status = f"{fw.status}" + (f" as of {fw.status_as_of}" if fw.status_as_of else "")
        table = Table(title=f"{fw.name} [{fw.id}]: {status}", title_justify="left",
                      expand=True)
        table.add_column("Criterion", no_wrap=True)
        table.add_column("Score", justify="right", no_wrap=True)
        table.add_column("Evidence of", no_wrap=True)
        table.add_column("Rationale", ratio=3)
        table.add_column("Source", ratio=1, overflow="fold")
        for score in (s for s in snapshot.scores if s.framework == fw.id):
            mark = f" (overlay {score.overlay}, was {score.replaces:g})" if score.overlay else ""
            table.add_row(score.criterion, f"{score.value:g}", score.evidence_date.isoformat(),
                          score.rationale + mark, score.source)
            if score.source not in cited:
                cited.append(score.source)
        for entry in (e for e in snapshot.support if e.framework == fw.id):
            via = f" via {entry.via}" if entry.via else ""
            note = f": {entry.note}" if entry.note else ""
            mark = (f" (overlay {entry.overlay}, was {entry.replaces.value})"
                    if entry.overlay and entry.replaces else "")
            table.add_row(f"{entry.axis.value} {entry.target}", entry.level.value,
                          entry.evidence_date.isoformat(), f"{entry.level.value}{via}{note}{mark}",
                          entry.source)
            if entry.source not in cited:
                cited.append(entry.source)
        for sig in (s for s in snapshot.signals if s.framework == fw.id):
            note = f": {sig.note}" if sig.note else ""
            table.add_row(f"signal {sig.kind.value}", sig.value,
                          (sig.observed or sig.fetched.date()).isoformat(),
                          f"live signal, fetched {sig.fetched:%Y-%m-%d %H:%M %Z}{note}",
                          sig.source)
            if sig.source not in cited:
                cited.append(sig.source)
        parts.append(table)
    parts.append(Text("Sources", style="bold"))
    for source in (s for s in snapshot.sources if s.id in cited):
        where = f" <{source.url}>" if source.url else ""
        by = f", {source.publisher}" if source.publisher else ""
        parts.append(Text(f"  {source.id}: {source.title}{by}{where}"))
    return Group(*parts)


def validate_command(
    file: Path = typer.Argument(..., help="A snapshot or overlay file (.toml or .json)."),
) -> None:
    """Check a snapshot or overlay file; every problem with its location. Exit 0 when valid,
    1 when it has problems, 2 when it cannot be read."""
    from selector.errors import read_text
    from selector.knowledge import builtin_ids, load_document

    if str(file) not in builtin_ids():
        # A file that cannot be read is a usage error (exit 2), like everywhere else; exit 1
        # is kept for what this command is for: problems found in the file.
        if file.is_dir():
            raise DlselectError(f"{file}: is a folder, not a snapshot or overlay file")
        read_text(file, DlselectError)
    try:
        document = load_document(str(file))
    except KnowledgeError as err:
        for problem in err.problems:
            typer.echo(problem, err=True)
        if err.tip:
            typer.echo(f"Tip: {err.tip}", err=True)
        raise typer.Exit(1) from None
    if document.kind == "overlay":
        typer.echo(f"{file}: valid overlay {document.id!r} of snapshot {document.base!r} "
                   f"({len(document.scores)} scores, {len(document.support)} support entries"
                   + (f", {len(document.signals)} signals" if document.signals else "") + ")")
    else:
        typer.echo(f"{file}: valid snapshot {document.id!r} ({len(document.frameworks)} "
                   f"frameworks, {len(document.criteria)} criteria, "
                   f"{len(document.scores)} scores, {len(document.support)} support entries)")


def targets_command(
    axis: str | None = typer.Argument(None, help="One axis only: language, workload, hardware, "
                                      "scale, deployment or existing."),
    kb: str = typer.Option(DEFAULT_SNAPSHOT, "--kb", help="Built-in id, or a snapshot or "
                           "overlay file."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """The answers a team can give: each target with its meaning, the words read as it, and
    how many active frameworks reach it."""
    from selector.knowledge import load_snapshot
    from selector.vocab import Axis, Status, SupportLevel, allowed

    snapshot = load_snapshot(kb)
    if axis is not None:
        try:
            chosen = [Axis(axis.strip().lower())]
        except ValueError:
            raise DlselectError(f"unknown axis {axis!r}; allowed: {allowed(Axis)}") from None
    else:
        chosen = list(Axis)
    active = {f.id for f in snapshot.frameworks if f.status is not Status.RETIRED}
    rows: list[dict[str, Any]] = []
    for ax in chosen:
        for t in snapshot.vocabulary(ax):
            reach = sorted({e.framework for e in snapshot.support if e.axis is ax
                            and e.target == t.id and e.framework in active
                            and e.level is not SupportLevel.NONE})
            rows.append({"axis": ax.value, "id": t.id, "name": t.name, "meaning": t.meaning,
                         "aliases": list(t.aliases), "frameworks": reach,
                         "unserved": t.unserved})
    if _format(fmt) == "json":
        emit(json.dumps(rows, indent=2) + "\n", output=None, plain=True)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Targets of snapshot {snapshot.id} (what recommend, the wizard and "
                  "answers files read)", title_justify="left")
    for column in ("Axis", "Id", "Also read", "Meaning", "Active frameworks"):
        table.add_column(column)
    for r in rows:
        meaning = r["meaning"] if r["frameworks"] or not r["unserved"] else \
            f"{r['meaning']} None serves it: {r['unserved']}"
        table.add_row(r["axis"], r["id"], Text(", ".join(r["aliases"])), Text(meaning),
                      str(len(r["frameworks"])))
    emit(table, output=None, plain=False)


def _format(fmt: str) -> str:
    if fmt not in ("table", "json"):
        raise DlselectError(f"unknown format {fmt!r}; allowed: table, json")
    return fmt


def schema_command(
    what: str = typer.Argument("recommendation", help="recommendation (recommend --format "
                               "json), probe (probe --format json) or snapshot (kb show "
                               "--format json)."),
) -> None:
    """Print the JSON Schema (draft 2020-12) of a JSON output."""
    from selector.schema import names, schema_for

    if what not in names():
        raise DlselectError(f"unknown schema {what!r}; allowed: {', '.join(names())}")
    emit(json.dumps(schema_for(what), indent=2) + "\n", output=None, plain=True)
