"""dlselect: choose a deep-learning framework from a team's profile, a sourced knowledge base
and live probes.

    >>> from selector import build_profile, recommend
    >>> rec = recommend(build_profile(languages=["python"], task="cnn"))
    >>> rec = recommend_from_answers(load_answers(path))  # an answers file, as the CLI reads it

Heavy modules (pydantic models, numpy, scikit-criteria) load on first use, so that
``dlselect --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["build_profile", "recommend", "recommend_from_answers", "__version__"]

if TYPE_CHECKING:
    from selector.api import recommend_from_answers
    from selector.engine.profile import build_profile
    from selector.engine.recommend import recommend


def __getattr__(name: str) -> Any:
    if name == "recommend":
        from selector.engine.recommend import recommend

        return recommend
    if name == "recommend_from_answers":
        from selector.api import recommend_from_answers

        return recommend_from_answers
    if name == "build_profile":
        from selector.engine.profile import build_profile

        return build_profile
    raise AttributeError(f"module 'selector' has no attribute {name!r}")
