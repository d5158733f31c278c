"""JSON responses serialised with orjson (documents pass through as raw fragments)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, bytes):
            return content
        return orjson.dumps(content)


class JSONAPI(JSON):
    media_type = "application/vnd.api+json"
