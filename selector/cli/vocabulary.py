"""The words of the built-in default snapshot's vocabulary, for ``--help`` and the wizard's
prompts: read with ``tomllib`` alone (no validation), so that ``--help`` stays fast. The
answers themselves are read against the chosen snapshot by ``selector.engine.profile``."""

from __future__ import annotations

import functools
import tomllib
from typing import Any

from selector.paths import knowledge_dir
from selector.vocab import DEFAULT_SNAPSHOT


@functools.cache
def _targets(snapshot: str) -> list[dict[str, Any]]:
    path = knowledge_dir() / f"{snapshot}.toml"
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return []
    targets = data.get("targets", [])
    return [t for t in targets if isinstance(t, dict)]


def words(axis: str, snapshot: str = DEFAULT_SNAPSHOT) -> str:
    """The ids of ``axis`` in the snapshot, comma-separated ("see `dlselect kb targets`" when
    the snapshot cannot be read)."""
    ids = [str(t.get("id")) for t in _targets(snapshot) if t.get("axis") == axis]
    return ", ".join(ids) if ids else "see `dlselect kb targets`"
