"""Every output format, keyed by its ``--format`` value (exhaustive over OutputFormat)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selector.report.interface import Formatter
from selector.vocab import OutputFormat

if TYPE_CHECKING:
    from selector.engine.recommend import Decision
    from selector.report.markdown import Superseded


def formatter_for(fmt: OutputFormat, *, chart: str | None = None, detail: bool = False,
                  supersedes: Superseded | None = None,
                  decision: Decision | None = None) -> Formatter:
    """``detail`` and ``supersedes`` shape the Markdown record (the long record with every
    score and source; the earlier record this one supersedes); ``decision``: the matrix and
    weights behind the recommendation, which the HTML page re-ranks from. Other formats ignore
    them."""
    if fmt is OutputFormat.JSON:
        from selector.report.json_format import JsonFormatter

        return JsonFormatter()
    if fmt is OutputFormat.TABLE:
        from selector.report.table_format import TableFormatter

        return TableFormatter()
    if fmt is OutputFormat.MARKDOWN:
        from selector.report.markdown import MarkdownFormatter

        return MarkdownFormatter(chart=chart, detail=detail, supersedes=supersedes)
    if fmt is OutputFormat.HTML:
        from selector.report.html_format import HtmlFormatter

        return HtmlFormatter(decision)
    raise AssertionError(f"unhandled output format {fmt!r}")  # pragma: no cover
