"""A real pydantic-ai agent on a function model (no network), wrapped for `kind = "python"`."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ag_ui.core import EventType, StateSnapshotEvent
from pydantic import BaseModel
from pydantic_ai import Agent, RunContext, ToolReturn
from pydantic_ai.messages import ModelMessage, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel
from pydantic_ai.ui import StateDeps

from agui_runtime.adapters.outbound.agents.pydantic_ai import PydanticAIAgent


class Tally(BaseModel):
    counter: int = 0


async def model(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str | DeltaToolCalls]:
    """Calls `bump` once, then says what it did."""
    bumped = any(isinstance(part, ToolReturnPart) for message in messages for part in getattr(message, "parts", []))
    if not bumped:
        yield {0: DeltaToolCall(name="bump", json_args='{"by": 2}', tool_call_id="call_bump")}
    else:
        for chunk in ("Counter ", "bumped."):
            yield chunk


agent = Agent(FunctionModel(stream_function=model), deps_type=StateDeps[Tally])


@agent.tool
async def bump(ctx: RunContext[StateDeps[Tally]], by: int) -> ToolReturn:
    """Adds `by` to the shared counter."""
    ctx.deps.state.counter += by
    snapshot = StateSnapshotEvent(type=EventType.STATE_SNAPSHOT, snapshot=ctx.deps.state.model_dump())
    return ToolReturn(return_value=f"counter is {ctx.deps.state.counter}", metadata=[snapshot])


tally = PydanticAIAgent(agent, deps=lambda: StateDeps(Tally()))
