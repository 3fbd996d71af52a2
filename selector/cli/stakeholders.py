"""``recommend --answers a.toml --answers b.toml``: several people's answers, one ranking.

The flags override every file; then the files must agree on all but their priorities
(selector.engine.group.merge_answers), and each file's ``[weights]`` (with any ``--weight``)
are that person's priorities.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selector.answers import Answers


def combine(paths: list[Path], files: list[Answers], flags: Mapping[str, object],
            weight: list[str]) -> tuple[Answers, list[tuple[str, dict[str, float]]]]:
    """The shared answers and each person's (name, weights)."""
    from selector.engine.group import merge_answers
    from selector.engine.profile import parse_weight

    given = {k: v for k, v in flags.items() if v is not None}
    extra = dict(parse_weight(w) for w in weight)
    labelled = [(str(path), answers.model_copy(update=given))
                for path, answers in zip(paths, files, strict=True)]
    shared = merge_answers(labelled)
    return shared, [(name, {**(answers.weights or {}), **extra})
                    for name, answers in zip(person_names(paths, files), files, strict=True)]


def person_names(paths: list[Path], files: list[Answers]) -> list[str]:
    """Each file's ``person``, else its name without ``.toml``; a name given twice is
    numbered (``a``, ``a (2)``)."""
    names: list[str] = []
    for path, answers in zip(paths, files, strict=True):
        base = answers.person or path.stem
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base} ({n})"
        names.append(name)
    return names
