"""Where the shipped data lives, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    # A wheel carries the top-level folders under selector/_data (see pyproject.toml);
    # a source checkout or an editable install reads them where they are.
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def knowledge_dir() -> Path:
    return _data_dir("knowledge")


def probes_dir() -> Path:
    return _data_dir("probes")
