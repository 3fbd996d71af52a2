"""Every output format, keyed by its ``--format`` value (exhaustive over OutputFormat)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selector.report.interface import Formatter
from selector.vocab import OutputFormat

if TYPE_CHECKING:
    from selector.engine.recommend import Decision


def formatter_for(fmt: OutputFormat, *, chart: str | None = None,
                  decision: Decision | None = None) -> Formatter:
    """``decision``: the matrix and weights behind the recommendation, which the HTML page
    re-ranks from (the other formats need the recommendation only)."""
    if fmt is OutputFormat.JSON:
        from selector.report.json_format import JsonFormatter

        return JsonFormatter()
    if fmt is OutputFormat.TABLE:
        from selector.report.table_format import TableFormatter

        return TableFormatter()
    if fmt is OutputFormat.MARKDOWN:
        from selector.report.markdown_format import MarkdownFormatter

        return MarkdownFormatter(chart=chart)
    if fmt is OutputFormat.HTML:
        from selector.report.html_format import HtmlFormatter

        return HtmlFormatter(decision)
    raise AssertionError(f"unhandled output format {fmt!r}")  # pragma: no cover
