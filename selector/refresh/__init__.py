"""``dlselect kb refresh``: live signals (releases, project status, archival, last push) read
from public APIs into a dated overlay, and the staleness report built from them
(docs/knowledge-format.md, "Refreshing live signals")."""
