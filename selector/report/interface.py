"""The output-format axis: each format turns a recommendation into something to print."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.console import RenderableType

    from selector.models import Recommendation


class Formatter(Protocol):
    #: True when the output is plain text meant for machines (no colour, no wrapping).
    plain: bool

    def render(self, rec: Recommendation) -> RenderableType:
        """Return a rich renderable, or a ``str`` printed as is."""
        ...
