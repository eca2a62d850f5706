"""The schema: `Query` and `Mutation` whose resolvers are one call into a use-case each."""

from __future__ import annotations

import strawberry
from graphql import GraphQLSchema
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from agui_runtime.adapters.inbound.graphql.context import GraphQLContext
from agui_runtime.adapters.inbound.graphql.convert import agent_turn, agents_response, chat_turn, load_state_response
from agui_runtime.adapters.inbound.graphql.inputs import GenerateCopilotResponseInput, LoadAgentStateInput
from agui_runtime.adapters.inbound.graphql.outputs import (
    MESSAGE_OUTPUT_TYPES,
    AgentsResponse,
    CopilotKitLangGraphInterruptEvent,
    CopilotResponse,
    LangGraphInterruptEvent,
    LoadAgentStateResponse,
)
from agui_runtime.adapters.inbound.graphql.run_view import RunView
from agui_runtime.adapters.inbound.graphql.scalars import SCALARS, JSONObject
from agui_runtime.application.use_cases.list_agents import ListAgentsQuery
from agui_runtime.application.use_cases.load_agent_state import LoadAgentStateQuery

Context = Info[GraphQLContext, None]


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "Hello World"

    @strawberry.field
    async def available_agents(self, info: Context) -> AgentsResponse:
        return agents_response(await info.context.use_cases.list_agents(ListAgentsQuery(info.context.request)))

    @strawberry.field
    async def load_agent_state(self, info: Context, data: LoadAgentStateInput) -> LoadAgentStateResponse:
        query = LoadAgentStateQuery(data.thread_id, data.agent_name, info.context.request)
        return load_state_response(await info.context.use_cases.load_agent_state(query))


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def generate_copilot_response(
        self, info: Context, data: GenerateCopilotResponseInput, properties: JSONObject | None = strawberry.UNSET
    ) -> CopilotResponse:
        given = properties if isinstance(properties, dict) else None
        if data.agent_session:
            run = await info.context.use_cases.run_agent(agent_turn(data, info.context.request, given))
        else:
            run = await info.context.use_cases.generate_response(chat_turn(data, info.context.request, given))
        view = RunView(run.events, run.thread_id)
        info.context.runs.track(view)

        async def close() -> None:
            info.context.runs.forget(view)
            await view.close()

        info.context.on_close(close)
        view.start()
        response = CopilotResponse(thread_id=run.thread_id, progress=view.progress)
        info.context.response = response
        return response


def build_graphql_schema() -> GraphQLSchema:
    """The schema as graphql-core executes it (the HTTP layer runs graphql-core directly)."""
    return build_schema()._schema


def build_schema() -> strawberry.Schema:
    """The contract schema, with graphql-core's `@defer` and `@stream` for incremental delivery."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[*MESSAGE_OUTPUT_TYPES, LangGraphInterruptEvent, CopilotKitLangGraphInterruptEvent],
        config=StrawberryConfig(scalar_map=SCALARS, enable_experimental_incremental_execution=True),
    )
