"""A real pydantic-ai agent on a function model (no network) that does what a shop assistant does: it
answers, keeps a shared cart in state, calls the page's tool, calls the runtime's backend action, asks
for approval before a destructive tool (pydantic-ai's standard AG-UI interrupt), and fails on request.
Served in process (`cart`, for `kind = "python"`) and over HTTP (`http_app`, pydantic-ai's own
`AGUIAdapter.dispatch_request`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from ag_ui.core import EventType, StateSnapshotEvent
from pydantic import BaseModel
from pydantic_ai import Agent, RunContext, ToolReturn
from pydantic_ai.messages import ModelMessage, ModelRequest, ToolReturnPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel
from pydantic_ai.ui import StateDeps
from pydantic_ai.ui.ag_ui import AGUIAdapter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agui_runtime.agents import PydanticAIAgent


class Cart(BaseModel):
    items: list[str] = []


def _last_prompt(messages: list[ModelMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in reversed(message.parts):  # consecutive user turns arrive as one request
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    return ""


def _returned(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    """The tool results since the last user prompt."""
    found: list[ToolReturnPart] = []
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            if any(isinstance(part, UserPromptPart) for part in message.parts):
                break
            found += [part for part in message.parts if isinstance(part, ToolReturnPart)]
    return found


def _call(name: str, args: dict[str, object], call_id: str) -> DeltaToolCalls:
    return {0: DeltaToolCall(name=name, json_args=json.dumps(args), tool_call_id=call_id)}


async def model(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str | DeltaToolCalls]:
    prompt = _last_prompt(messages)
    done = _returned(messages)
    if done:
        yield f"Done: {done[0].tool_name} said {done[0].model_response_str()}."
        return
    word, _, rest = prompt.partition(" ")
    if word == "add":
        yield _call("add_item", {"item": rest}, f"call-add-{rest}")
    elif word == "card":
        yield _call("showCard", {"title": rest}, "call-card")
    elif word == "weather":
        yield _call("getWeather", {"city": rest}, "call-weather")
    elif word == "empty":
        yield _call("empty_cart", {}, "call-empty")
    elif word == "fail":
        raise RuntimeError("the model broke")
    elif word == "slow":
        for piece in ("Slow ", "answer ", rest):
            await asyncio.sleep(0.05)
            yield piece
    else:
        yield "You said: "
        yield prompt


agent = Agent(FunctionModel(stream_function=model), deps_type=StateDeps[Cart])


@agent.tool
async def add_item(ctx: RunContext[StateDeps[Cart]], item: str) -> ToolReturn:
    """Puts an item in the shared cart."""
    ctx.deps.state.items.append(item)
    snapshot = StateSnapshotEvent(type=EventType.STATE_SNAPSHOT, snapshot=ctx.deps.state.model_dump())
    return ToolReturn(return_value=f"{len(ctx.deps.state.items)} items", metadata=[snapshot])


@agent.tool(requires_approval=True)
async def empty_cart(ctx: RunContext[StateDeps[Cart]]) -> str:
    """Empties the cart; the user approves it first."""
    ctx.deps.state.items.clear()
    return "the cart is empty"


cart = PydanticAIAgent(agent, deps=lambda: StateDeps(Cart()))


async def _dispatch(request: Request) -> Response:
    return await AGUIAdapter.dispatch_request(request, agent=agent, deps=StateDeps(Cart()))


http_app = Starlette(routes=[Route("/cart", _dispatch, methods=["POST"])])
