"""The ``dlselect`` application. Commands live in their own modules and import their heavy
dependencies only when they run, so that ``dlselect --help`` stays fast."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec

import typer

from selector import __version__
from selector.cli.common import report_error
from selector.cli.kb import (
    kb_app,
    list_command,
    schema_command,
    show_command,
    validate_command,
)
from selector.cli.probe import probe_command
from selector.cli.recommend import recommend_command
from selector.cli.wizard import wizard_command
from selector.errors import DlselectError

app = typer.Typer(
    name="dlselect",
    help="Choose a deep-learning framework for your team, and see why.",
    add_completion=False,
    invoke_without_command=True,
    # Plain click errors (no boxes) and no pretty tracebacks: user mistakes get one line.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
P = ParamSpec("P")


def _version(value: bool) -> None:
    if value:
        print(f"dlselect {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Choose a deep-learning framework for your team, and see why.

    With no command on a terminal, starts the wizard.
    """
    if ctx.invoked_subcommand is not None:
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        from selector.cli.wizard import NO_TERMINAL

        report_error(DlselectError(NO_TERMINAL))
        raise typer.Exit(2)
    from selector.answers import Answers
    from selector.cli.wizard import run_wizard

    _user_errors(run_wizard)(Answers())


def _user_errors(command: Callable[P, None]) -> Callable[P, None]:
    """Turn the project's errors into one line on stderr and exit 2: the one place it happens."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except DlselectError as err:
            report_error(err)
            raise typer.Exit(err.exit_code) from None
        except KeyboardInterrupt:
            print("dlselect: interrupted", file=sys.stderr)
            raise typer.Exit(130) from None

    return wrapper


app.command("recommend")(_user_errors(recommend_command))
app.command("probe")(_user_errors(probe_command))
app.command("wizard")(_user_errors(wizard_command))
app.command("schema")(_user_errors(schema_command))
kb_app.command("list")(_user_errors(list_command))
kb_app.command("show")(_user_errors(show_command))
kb_app.command("validate")(_user_errors(validate_command))
app.add_typer(kb_app, name="kb")


def main() -> None:
    try:
        app(prog_name="dlselect")
    except KeyboardInterrupt:
        print("dlselect: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
