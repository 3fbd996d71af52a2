"""Markdown: an Architecture Decision Record in the MADR 4.0 layout, to paste into a review.

The record stands on its own: a reviewer who never ran dlselect reads criteria by their names,
no command lines and no links into this repository (the public URLs of the evidence stay), the
frameworks really considered (retired ones in one line), and consequences derived from the data
(language routes that are bindings, bridges or stale, hardware reached only in part, deployment
targets served only by a bridge, a verdict too close to call, old evidence), not the winner's
pros again. The short record fits in about 80 lines; ``detail=True`` adds everything: every
score with its rationale and source, the decision matrix, the robustness tables, every source.

Modules: ``formatter`` (the ``Formatter``), ``record`` (the record being written: names and
citations), ``sections`` (the MADR skeleton and its sections), ``consequences`` (derived from
the data), ``pros_cons``, ``detail`` (the long record's tables), ``text`` (small helpers).
"""

from selector.report.markdown.formatter import MarkdownFormatter
from selector.report.markdown.record import Superseded

__all__ = ["MarkdownFormatter", "Superseded"]
