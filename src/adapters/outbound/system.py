"""The system clock, random ids and JSON Patch."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime

import jsonpatch

from agui_runtime.application.ports import Clock, IdGenerator, JsonPatcher
from agui_runtime.domain.json import JsonObject, is_json_value


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)


class UuidIdGenerator(IdGenerator):
    """`ck-` + uuid4, the id form CopilotKit clients already produce and expect."""

    def new_id(self) -> str:
        return f"ck-{uuid.uuid4()}"


class JsonPatchLibrary(JsonPatcher):
    """RFC 6902 by the `jsonpatch` library."""

    def apply(self, document: JsonObject, patch: list[JsonObject]) -> JsonObject:
        try:
            patched = jsonpatch.apply_patch(copy.deepcopy(document), patch)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as exc:
            raise ValueError(str(exc)) from exc
        if not isinstance(patched, dict) or not is_json_value(patched):
            raise ValueError("the result is not a JSON object")
        return patched
