"""``dlselect scan``: a team's profile read from its repository, as text only (docs/scan.md)."""
