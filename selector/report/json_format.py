"""JSON: the stable contract for pipelines (docs/json-contract.md)."""

from __future__ import annotations

from selector.models import Recommendation


class JsonFormatter:
    plain = True

    def render(self, rec: Recommendation) -> str:
        return rec.model_dump_json(indent=2) + "\n"
