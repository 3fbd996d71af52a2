"""The domain model: what is read from outside (``knowledge``: knowledge files and the team's
profile) and what the engine returns (``recommendation``). Unknown keys are errors and every
instance is immutable (``ForbidExtra``)."""

from __future__ import annotations

from selector.models.knowledge import (
    KNOWLEDGE_SCHEMA_VERSION,
    RANKING_METHODS,
    RECOMMENDATION_SCHEMA_VERSION,
    Criterion,
    Emphasis,
    ForbidExtra,
    Framework,
    Ident,
    Overlay,
    Profile,
    PypiName,
    RankingMethod,
    Reading,
    Repository,
    Scale,
    Score,
    Signal,
    Snapshot,
    Source,
    Support,
    Target,
    Text,
)
from selector.models.recommendation import (
    Age,
    Agreement,
    CriterionSpread,
    CriticalWeight,
    Evidence,
    Exclusion,
    Measurement,
    NodeUse,
    Override,
    PersonView,
    Ranked,
    Recommendation,
    Robustness,
    SnapshotRef,
    SourceRef,
    Stakeholders,
    StaleScore,
    SupportRef,
    Unserved,
    VerdictInfo,
)

__all__ = [
    "KNOWLEDGE_SCHEMA_VERSION", "RANKING_METHODS", "RECOMMENDATION_SCHEMA_VERSION", "Age",
    "Agreement", "Criterion", "CriterionSpread", "CriticalWeight", "Emphasis", "Evidence",
    "Exclusion", "ForbidExtra", "Framework", "Ident", "Measurement", "NodeUse", "Overlay",
    "Override", "PersonView", "Profile", "Reading", "PypiName", "Ranked", "RankingMethod",
    "Recommendation", "Repository", "Robustness", "Scale", "Score", "Signal", "Snapshot",
    "SnapshotRef", "Source", "SourceRef", "Stakeholders", "StaleScore", "Support", "SupportRef",
    "Target", "Text", "Unserved", "VerdictInfo",
]
