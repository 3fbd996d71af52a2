"""``--format markdown``: the ``Formatter`` that writes the decision record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selector.report.markdown.record import Record
from selector.report.markdown.sections import text

if TYPE_CHECKING:
    from selector.models import Recommendation, Snapshot
    from selector.report.markdown.record import Superseded


class MarkdownFormatter:
    plain = True

    def __init__(self, chart: str | None = None, *, detail: bool = False,
                 supersedes: Superseded | None = None,
                 snapshot: Snapshot | None = None) -> None:
        """``snapshot``: the snapshot the recommendation was made from, for the names of
        criteria and targets and the support entries (default: loaded again from the
        recommendation's profile)."""
        self.chart = chart
        self.detail = detail
        self.supersedes = supersedes
        self.snapshot = snapshot

    def render(self, rec: Recommendation) -> str:
        snapshot = self.snapshot
        if snapshot is None:
            from selector.knowledge import load_snapshot

            snapshot = load_snapshot(rec.profile.snapshot)
        doc = Record(rec, snapshot, chart=self.chart, detail=self.detail,
                     supersedes=self.supersedes)
        return text(doc)
