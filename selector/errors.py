"""One base error per layer; the CLI turns any of them into a one-line message and exit 2
(130 for Interrupted)."""

from __future__ import annotations

from pathlib import Path


class DlselectError(Exception):
    """Base of every error dlselect reports to a user instead of a traceback.

    ``tip`` is an optional hint printed on a second line when the fix is known.
    """

    exit_code = 2

    def __init__(self, message: str, *, tip: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tip = tip


class Interrupted(DlselectError):
    """The user stopped dlselect (Ctrl-C): exit 130, as a shell reports SIGINT."""

    exit_code = 130


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived while dlselect had probe processes running: raised from the
    signal handler so that every ``finally`` runs (the probes' process groups are killed); the
    CLI exits 128 + the signal's number, as a shell reports a process ended by it. A
    BaseException, like KeyboardInterrupt, so that no ``except Exception`` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class KnowledgeError(DlselectError):
    """A knowledge snapshot or overlay cannot be found, parsed or validated."""

    def __init__(self, message: str, *, problems: list[str] | None = None,
                 tip: str | None = None) -> None:
        super().__init__(message, tip=tip)
        #: Every problem found, each "location: what is wrong".
        self.problems = problems or [message]


class ProfileError(DlselectError):
    """The team's answers (flags or an answers file) are invalid."""


class RankingError(DlselectError):
    """The decision problem cannot be ranked (for example nothing is left to rank)."""


def location(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """A pydantic error location as a reader writes it: ``scores[2].value``."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return text or "(top level)"


def read_text(path: Path, error: type[DlselectError], what: str = "file") -> str:
    """A text file's content, or ``error`` with the path and what went wrong."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read: {exc}") from None
