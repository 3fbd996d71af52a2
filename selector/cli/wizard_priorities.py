"""The wizard's priorities question: what matters, in a team lead's words, shown back as
shares that add up to 100 %, with ``?`` explaining each criterion (``selector.cli.wizard``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selector.errors import DlselectError

if TYPE_CHECKING:
    from rich.console import Console

    from selector.cli.wizard import Asker
    from selector.models import Snapshot


def ask_priorities(ask: Asker, console: Console, snap: Snapshot, raw: dict[str, float],
                    start: dict[str, float] | None, who: str | None = None) -> dict[str, float]:
    """What matters, in a team lead's words: a ranking (rank-order centroid), steps (``speed+``
    doubles, ``keras-`` halves) or a weight (``speed=3``); ``?`` explains. Returns the explicit
    weights to save (every criterion after a ranking, the changed ones after steps)."""
    from selector.engine.priorities import Help, RankAnswer, apply_answer, parse_answer

    weights = {**raw, **(start or {})}
    explicit = dict(start or {})
    show_priorities(console, snap, weights, who)
    question = (f"What matters most{f' to {who}' if who else ''}? Rank it, e.g. "
                "`speed, language fit, support`; or adjust: `speed+` `keras-` `speed=3`; "
                "`?` explains; blank keeps these")
    while True:
        answer = ask.ask(question, lambda text: parse_answer(snap, text), "")
        if answer is None:
            break
        if isinstance(answer, Help):
            explain(console, snap, answer.criterion)
            continue
        try:
            changed = apply_answer(answer, weights)
        except DlselectError as err:
            console.print(f"[red]  {err.message}; please try again[/red]")
            continue
        if isinstance(answer, RankAnswer):
            explicit = dict(changed)
        else:
            explicit.update({c: changed[c] for c, _ in answer.changes})
        weights = changed
        show_priorities(console, snap, weights, who)
        question = "Another change (blank: keep these)"
    return {c: round(w, 6) for c, w in explicit.items()}


def show_priorities(console: Console, snap: Snapshot, weights: dict[str, float],
                     who: str | None) -> None:
    """The weights as whole percentages that add up to exactly 100 (largest remainder)."""
    from rich.table import Table

    from selector.engine.priorities import percentages, plain_names

    criteria = plain_names(snap)
    if not any(weights.get(c.id, 0.0) for c in criteria):
        # Only saved answers can get here (an answer that would switch every criterion off is
        # refused); the recommendation then says what is wrong.
        console.print("[yellow]Every priority is 0 now.[/yellow]")
        return
    shares = percentages([weights[c.id] for c in criteria])
    table = Table(title=f"Priorities{f' of {who}' if who else ''} now (they add up to 100%)",
                  title_justify="left", box=None, pad_edge=False)
    table.add_column("Priority")
    table.add_column("Share", justify="right")
    table.add_column("Means")
    for c, share in zip(criteria, shares, strict=True):
        table.add_row(c.name, f"{share}%", c.meaning, style="dim" if share == 0 else "")
    console.print(table)


def explain(console: Console, snap: Snapshot, criterion: str | None) -> None:
    """``?``: every criterion in plain words; ``? speed``: one, and what backs it."""
    from selector.engine.priorities import criterion_evidence, plain_names

    criteria = plain_names(snap)
    if criterion is None:
        for c in criteria:
            console.print(f"  [bold]{c.name}[/bold] ({c.id}): {c.meaning}.")
        console.print("  Rank what matters, most first (`speed, language fit, support`): the "
                      "ranking becomes weights by rank-order centroid, and what you leave out "
                      "shares the places below. Or adjust one: `speed+` doubles, `speed-` "
                      "halves, `++`/`--` by four, `speed0` ignores it, `speed=3` sets its "
                      "weight (the others start near 1). `? speed` tells what backs one.")
        return
    c = next(c for c in criteria if c.id == criterion)
    ev = criterion_evidence(snap, criterion)
    console.print(f"  [bold]{c.name}[/bold] ({c.id}): {c.meaning}. In the knowledge: "
                  f"{ev.description}")
    kinds = ", ".join(f"{kind} ({n})" for kind, n in ev.kinds)
    if ev.entries == 0:
        console.print("  No entry of the knowledge backs it.")
    elif ev.fit:
        console.print(f"  Computed for your team from {ev.entries} support entries (which "
                      f"targets each framework reaches, and how) citing {ev.sources} sources "
                      f"dated {ev.oldest} to {ev.newest}: {kinds}.")
    else:
        console.print(f"  Backed by {ev.entries} scores citing {ev.sources} sources dated "
                      f"{ev.oldest} to {ev.newest}: {kinds}.")
