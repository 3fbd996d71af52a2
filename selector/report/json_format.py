"""JSON: the stable contract for pipelines (docs/json-contract.md)."""

from __future__ import annotations

from selector.models import Recommendation


def left_out(rec: Recommendation) -> set[str] | None:
    """Fields the JSON leaves out. `stakeholders` appears only for several people's answers, so
    that one person's output stays byte for byte what it was before the field existed."""
    return {"stakeholders"} if rec.stakeholders is None else None


def document(rec: Recommendation) -> dict[str, object]:
    """The JSON document as Python data (what the HTML page embeds)."""
    return rec.model_dump(mode="json", exclude=left_out(rec))


class JsonFormatter:
    plain = True

    def render(self, rec: Recommendation) -> str:
        return rec.model_dump_json(indent=2, exclude=left_out(rec)) + "\n"
