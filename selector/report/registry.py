"""Every output format, keyed by its ``--format`` value (exhaustive over OutputFormat)."""

from __future__ import annotations

from selector.report.interface import Formatter
from selector.vocab import OutputFormat


def formatter_for(fmt: OutputFormat, *, chart: str | None = None) -> Formatter:
    if fmt is OutputFormat.JSON:
        from selector.report.json_format import JsonFormatter

        return JsonFormatter()
    if fmt is OutputFormat.TABLE:
        from selector.report.table_format import TableFormatter

        return TableFormatter()
    if fmt is OutputFormat.MARKDOWN:
        from selector.report.markdown_format import MarkdownFormatter

        return MarkdownFormatter(chart=chart)
    raise AssertionError(f"unhandled output format {fmt!r}")  # pragma: no cover
