"""JSON Schemas (draft 2020-12) of dlselect's JSON outputs, generated from the models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_PREFIX = "urn:dlselect:schema"


def _targets() -> dict[str, type[BaseModel]]:
    from selector.models import Recommendation, Snapshot
    from selector.probing.models import ProbeReport

    return {"recommendation": Recommendation, "probe": ProbeReport, "snapshot": Snapshot}


def names() -> list[str]:
    return list(_targets())


def schema_for(name: str) -> dict[str, Any]:
    model = _targets()[name]
    body = model.model_json_schema(mode="serialization")
    return {"$schema": DRAFT, "$id": f"{ID_PREFIX}:{name}", **body}
