"""One record being written: the recommendation, the snapshot's names, the sources cited.

Every section of the record (sections.py, consequences.py, pros_cons.py, detail.py) is a
function of a ``Record``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from selector.clock import years_before
from selector.models import Evidence, Recommendation, Snapshot
from selector.report.markdown.text import and_list
from selector.vocab import Axis, Status

if TYPE_CHECKING:
    from datetime import date

    from selector.report.adr_log import RecordRef

#: A score at or above this share of the scale is a pro, at or below the other a con.
GOOD_SHARE = 0.75
BAD_SHARE = 0.25


@dataclass(frozen=True)
class Superseded:
    """The earlier record this one supersedes, with its title where it has one."""

    record: RecordRef
    title: str | None = None


class Record:
    """One record being written: the recommendation, the snapshot's names, the options."""

    def __init__(self, rec: Recommendation, snapshot: Snapshot, *, chart: str | None,
                 detail: bool, supersedes: Superseded | None) -> None:
        self.rec = rec
        self.snap = snapshot
        self.chart = chart
        self.detail = detail
        self.supersedes = supersedes
        self.low, self.high = rec.snapshot.scale.min, rec.snapshot.scale.max
        self.old_before: date | None = None
        self.stale_years = 2
        if rec.age is not None:
            self.old_before = years_before(rec.age.today, rec.age.stale_years)
            self.stale_years = rec.age.stale_years
        self.frameworks = {f.id: f.name for f in snapshot.frameworks}
        self.frameworks.update({r.framework: r.name for r in rec.ranking})
        #: Cited in the short record: listed under More Information.
        self.cited: list[str] = []

    # --- names -------------------------------------------------------------------------------

    def crit(self, cid: str) -> str:
        return next((c.name for c in self.snap.criteria if c.id == cid), cid)

    def crits(self, ids: Iterable[str]) -> str:
        return and_list([self.crit(c) for c in ids])

    def target(self, axis: Axis, tid: str) -> str:
        info = self.snap.target(axis, tid)
        return info.name if info is not None else tid

    def fw(self, fid: str) -> str:
        return self.frameworks.get(fid, fid)

    def cite(self, source: str) -> str:
        if source and source not in self.cited:
            self.cited.append(source)
        return f"`{source}`"

    # --- judgements several sections share ---------------------------------------------------

    def share(self, ev: Evidence) -> float:
        return (ev.value - self.low) / (self.high - self.low) if self.high > self.low else 0.5

    def retired(self, fid: str) -> bool:
        ex = next((e for e in self.rec.excluded if e.framework == fid), None)
        fw = next((f for f in self.snap.frameworks if f.id == fid), None)
        return (ex is not None and ex.axis is None and fw is not None
                and fw.status is Status.RETIRED)

    def retired_since(self, fid: str) -> str:
        fw = next(f for f in self.snap.frameworks if f.id == fid)
        return f"since {fw.status_as_of.isoformat()}" if fw.status_as_of else "retired"
