"""JSON: the stable contract for pipelines (docs/json-contract.md)."""

from __future__ import annotations

from selector.models import Recommendation


class JsonFormatter:
    plain = True

    def render(self, rec: Recommendation) -> str:
        # `stakeholders` appears only for several people's answers, so that one person's
        # output stays byte for byte what it was before the field existed.
        exclude = {"stakeholders"} if rec.stakeholders is None else None
        return rec.model_dump_json(indent=2, exclude=exclude) + "\n"
