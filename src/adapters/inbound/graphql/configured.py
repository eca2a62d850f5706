"""The GraphQL endpoint the settings describe."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from agui_runtime.adapters.inbound.graphql.context import UseCases
from agui_runtime.adapters.inbound.graphql.http import GraphQLEndpoint
from agui_runtime.adapters.inbound.graphql.limits import QueryLimits
from agui_runtime.adapters.inbound.graphql.run_view import ActiveRuns
from agui_runtime.adapters.inbound.graphql.schema import build_graphql_schema
from agui_runtime.application.requests import HeaderAllowlist


class GraphQLSettings(Protocol):
    """The settings the v1 endpoint reads (the runtime's `Settings` has them)."""

    @property
    def introspection(self) -> bool: ...
    @property
    def production(self) -> bool: ...
    @property
    def max_query_depth(self) -> int: ...
    @property
    def max_aliases(self) -> int: ...
    @property
    def max_generate_per_request(self) -> int: ...
    @property
    def max_query_tokens(self) -> int: ...
    @property
    def compiled_chat(self) -> bool: ...
    @property
    def forward_headers(self) -> Sequence[str]: ...
    @property
    def forward_headers_denied(self) -> Sequence[str]: ...
    @property
    def properties(self) -> dict[str, Any]: ...


def graphql_endpoint(
    settings: GraphQLSettings, use_cases: Callable[[], UseCases | None], runs: ActiveRuns
) -> GraphQLEndpoint:
    """`use_cases` answers None outside the app's lifespan (the endpoint then answers 503)."""
    return GraphQLEndpoint(
        build_graphql_schema(),
        use_cases,
        runs,
        introspection=settings.introspection and not settings.production,
        limits=QueryLimits(settings.max_query_depth, settings.max_aliases, settings.max_generate_per_request),
        max_tokens=settings.max_query_tokens,
        compiled=settings.compiled_chat,
        forward_headers=HeaderAllowlist(settings.forward_headers, settings.forward_headers_denied),
        properties=settings.properties,
    )
