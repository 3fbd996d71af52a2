"""Small text helpers of the decision record: lists in prose, numbers, names of methods."""

from __future__ import annotations

import re

from selector.clock import age_text
from selector.models import Recommendation
from selector.vocab import Axis

#: A parenthesis that speaks to a user of the command line (an option, a command, a file of
#: this repository's docs): a reader of the record has none of them.
_HINT = re.compile(r"\s*\([^()]*(?:`?dlselect [^()]*|--[a-z][^()]*|docs/[\w./-]+\.md[^()]*)\)")


def public(text: str) -> str:
    """``text`` without the hints meant for a user of the command line."""
    return _HINT.sub("", text)


def team_targets(rec: Recommendation, axis: Axis) -> list[str]:
    return list(rec.profile.targets(axis))


def num(value: float) -> str:
    """A score as a reviewer reads it: at most two decimals."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def and_list(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def age_clause(rec: Recommendation) -> str:
    if rec.age is None:
        return ""
    return f", {age_text(rec.age.age_days)} on {rec.age.today.isoformat()}"


def method_name(rec: Recommendation) -> str:
    return {"topsis": "TOPSIS", "wsm": "the weighted sum"}[rec.method.value]
