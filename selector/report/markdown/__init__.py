"""Markdown: an Architecture Decision Record in the MADR 4.0 layout (``--format markdown``)."""

from selector.report.markdown.sections import MarkdownFormatter, Superseded

__all__ = ["MarkdownFormatter", "Superseded"]
