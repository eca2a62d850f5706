"""The v1 CopilotKit GraphQL contract (runtime-client-gql 1.10.x), served by Strawberry on FastAPI."""

from agui_runtime.adapters.inbound.graphql.context import UseCases
from agui_runtime.adapters.inbound.graphql.http import GraphQLEndpoint
from agui_runtime.adapters.inbound.graphql.limits import QueryLimits
from agui_runtime.adapters.inbound.graphql.run_view import ActiveRuns
from agui_runtime.adapters.inbound.graphql.schema import build_graphql_schema

__all__ = ["ActiveRuns", "GraphQLEndpoint", "QueryLimits", "UseCases", "build_graphql_schema"]
