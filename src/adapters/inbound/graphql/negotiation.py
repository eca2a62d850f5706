"""Which response format a request's Accept header allows, with graphql-yoga's outcomes (the client
and its tooling were built against them)."""

from __future__ import annotations

from enum import Enum

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


class SingleFormat(Enum):
    """How a result that is one document (no `@defer` / `@stream` in play) is sent."""

    GRAPHQL_RESPONSE_JSON = "application/graphql-response+json; charset=utf-8"
    JSON = "application/json; charset=utf-8"


def media_types(accept: str | None) -> list[str]:
    """The media types of an Accept header, lower-cased, parameters (q included) dropped."""
    if not accept:
        return []
    return [part.split(";", 1)[0].strip().lower() for part in accept.split(",") if part.strip()]


def single_result_format(accept: str | None) -> SingleFormat | None:
    """graphql-response+json when the client lists it, JSON for JSON or any wildcard or no header;
    None (answer 406) when the client accepts neither."""
    types = media_types(accept)
    if not types:
        return SingleFormat.JSON
    if GRAPHQL_RESPONSE_JSON in types:
        return SingleFormat.GRAPHQL_RESPONSE_JSON
    if any(kind in ("application/json", "application/*", "*/*") for kind in types):
        return SingleFormat.JSON
    return None


def wants_graphql_response(accept: str | None) -> bool:
    """Clients that list graphql-response+json get GraphQL-over-HTTP status codes (400 for a document
    that fails validation); legacy JSON clients get 200 with `errors`."""
    return GRAPHQL_RESPONSE_JSON in media_types(accept)


class IncrementalFormat(Enum):
    """How a result with `@defer` / `@stream` parts is sent."""

    MULTIPART = "multipart"
    SSE = "sse"


def incremental_format(accept: str | None) -> IncrementalFormat | None:
    """multipart/mixed for the client's header (it lists both), wildcards or no header; SSE when only
    text/event-stream is accepted; None (answer 406) for a JSON-only client, which cannot merge parts."""
    types = media_types(accept)
    if not types or any(kind in ("multipart/mixed", "multipart/*", "*/*") for kind in types):
        return IncrementalFormat.MULTIPART
    if "text/event-stream" in types:
        return IncrementalFormat.SSE
    return None
