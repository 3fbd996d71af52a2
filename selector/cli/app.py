"""The ``dlselect`` application. Commands live in their own modules and import their heavy
dependencies only when they run, so that ``dlselect --help`` stays fast."""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec

import typer

# typer vendors click since 0.2x; its usage errors are not re-exported.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from selector import __version__
from selector.cli.common import ANNOUNCED, report_error
from selector.cli.kb import (
    kb_app,
    list_command,
    schema_command,
    show_command,
    targets_command,
    validate_command,
)
from selector.cli.probe import probe_command
from selector.cli.recommend import recommend_command
from selector.cli.refresh import refresh_command
from selector.cli.scan import scan_command
from selector.cli.wizard import wizard_command
from selector.errors import DlselectError, Terminated


class _OneLineErrors(TyperGroup):
    """click's usage errors as one line and a Tip (click prints usage, a hint and the error on
    four lines); the exit codes stay click's (2 for usage)."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode,
                                windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args,
                                **extra)
        except NoArgsIsHelpError as err:  # `dlselect kb`: the help is the answer
            err.show()
            sys.exit(err.exit_code)
        except UsageError as err:
            message = err.format_message()
            print(f"dlselect: error: {message[:1].lower()}{message[1:]}", file=sys.stderr)
            path = err.ctx.command_path if err.ctx is not None else "dlselect"
            print(f"Tip: run '{path} --help' for what it takes", file=sys.stderr)
            sys.exit(err.exit_code)
        except ClickException as err:
            print(f"dlselect: error: {err.format_message()}", file=sys.stderr)
            sys.exit(err.exit_code)
        except typer.Abort:  # end of input at a click prompt
            print("dlselect: error: end of input", file=sys.stderr)
            sys.exit(2)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
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
        ANNOUNCED.clear()  # a new run (several run in one process under tests)
        try:
            command(*args, **kwargs)
        except DlselectError as err:
            report_error(err)
            raise typer.Exit(err.exit_code) from None
        except KeyboardInterrupt:
            print("dlselect: interrupted", file=sys.stderr)
            raise typer.Exit(130) from None
        except Terminated as stop:
            print(f"dlselect: stopped by {signal.Signals(stop.signum).name}", file=sys.stderr)
            raise typer.Exit(128 + stop.signum) from None

    return wrapper


app.command("recommend")(_user_errors(recommend_command))
app.command("probe")(_user_errors(probe_command))
app.command("wizard")(_user_errors(wizard_command))
app.command("scan")(_user_errors(scan_command))
app.command("schema")(_user_errors(schema_command))
kb_app.command("list")(_user_errors(list_command))
kb_app.command("show")(_user_errors(show_command))
kb_app.command("validate")(_user_errors(validate_command))
kb_app.command("targets")(_user_errors(targets_command))
kb_app.command("refresh")(_user_errors(refresh_command))
app.add_typer(kb_app, name="kb")


def main() -> None:
    try:
        app(prog_name="dlselect")
    except KeyboardInterrupt:
        print("dlselect: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
