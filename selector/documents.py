"""The one reader of the documents dlselect is given: knowledge snapshots and overlays, answers
files, the config file (TOML, or JSON for a snapshot). Every failure becomes the caller's
located error (``path: what is wrong``), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# tomli is the parser the standard library's tomllib was taken from, with the same results;
# its wheels are compiled (mypyc), which reads the built-in knowledge base (about 150 kB) in a
# third of tomllib's time on every ``recommend``.
import tomli

from selector.errors import DlselectError, read_text


def read_document(path: Path, error: type[DlselectError], what: str = "file", *,
                  json_by_name: bool = False) -> dict[str, Any]:
    """The table at the top of a TOML document; with ``json_by_name`` (knowledge files), a JSON
    document where the name ends in ``.json``."""
    text = read_text(path, error, what)
    kind = "JSON" if json_by_name and path.suffix == ".json" else "TOML"
    try:
        data = json.loads(text) if kind == "JSON" else tomli.loads(text)
    except ValueError as exc:
        # Not only the decode errors: both parsers raise a plain ValueError for an integer of
        # more than sys.get_int_max_str_digits() (4300) digits.
        raise error(f"{path}: not valid {kind}: {exc}") from None
    except RecursionError:
        # Both parsers recurse once per nested array or table (tomli stops at 400 levels).
        raise error(f"{path}: not valid {kind}: nested too deeply") from None
    if not isinstance(data, dict):
        raise error(f"{path}: the document must be a table/object at the top level")
    return data
