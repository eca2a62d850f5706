"""The thread routes: `threads` (a page, newest first, with an opaque cursor), `threads/clear`, and what
one thread holds (`threads/{id}/messages`, `/events`, `/state`), for thread lists and inspectors."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson
from ag_ui.core import ActivityMessage, AssistantMessage, ReasoningMessage, ToolMessage
from starlette.responses import Response

from agui_runtime.adapters.agui_wire import to_agui_messages
from agui_runtime.adapters.inbound.agui.errors import Refused, json_response
from agui_runtime.adapters.inbound.agui.inputs import Call
from agui_runtime.adapters.inbound.agui.runs import replayed
from agui_runtime.adapters.inbound.agui.runtime import AguiRuntime
from agui_runtime.application.ports import AgentFilter
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import StateSnapshot
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message

_INVALID = "Invalid request"


async def list_threads(runtime: AguiRuntime, call: Call) -> Response:
    use_cases = runtime.ready()
    context = runtime.context(call.request)
    try:
        limit = int(call.query.get("limit", "100"))
    except ValueError as exc:
        raise Refused(ErrorCode.INVALID_INPUT, "`limit` must be a whole number.", title=_INVALID) from exc
    cursor = call.query.get("cursor")
    before = _cursor(cursor) if cursor else None
    agent_id = call.query.get("agentId")
    agent = AgentFilter(use_cases.agents.agent_name(agent_id)) if agent_id else None
    page = await use_cases.threads.list(context, limit=limit, before=before, agent=agent)
    threads = [
        {
            "id": thread.id,
            "name": None,
            "agentId": use_cases.agents.agent_id(thread.agent_name),
            "organizationId": "",
            "createdById": "",
            "archived": False,
            "createdAt": _iso(thread.created_at),
            "updatedAt": _iso(thread.updated_at),
        }
        for thread in page.threads
    ]
    next_cursor = None
    if page.next_before is not None:
        created, thread_id = page.next_before
        next_cursor = base64.urlsafe_b64encode(orjson.dumps([created.isoformat(), thread_id])).decode()
    return json_response({"threads": threads, "nextCursor": next_cursor})


async def clear(runtime: AguiRuntime, call: Call) -> Response:
    use_cases = runtime.ready()
    await use_cases.threads.clear(runtime.context(call.request))
    return Response(status_code=204)


async def messages(runtime: AguiRuntime, call: Call) -> Response:
    use_cases = runtime.ready()
    held = await use_cases.threads.messages(call.params["thread_id"], runtime.context(call.request))
    return json_response({"messages": _flattened(held)})


async def events(runtime: AguiRuntime, call: Call) -> Response:
    use_cases = runtime.ready()
    runs = await use_cases.threads.runs(call.params["thread_id"], runtime.context(call.request))
    return json_response({"events": [e.model_dump(mode="json", by_alias=True) for r in runs for e in replayed(r)]})


async def state(runtime: AguiRuntime, call: Call) -> Response:
    use_cases = runtime.ready()
    runs = await use_cases.threads.runs(call.params["thread_id"], runtime.context(call.request))
    latest: JsonObject | None = None
    for run in runs:
        for event in run.events:
            if isinstance(event, StateSnapshot):
                latest = event.state
    return json_response({"state": latest})


def _cursor(value: str) -> tuple[datetime, str]:
    try:
        created, thread_id = orjson.loads(base64.urlsafe_b64decode(value.encode()))
        moment = datetime.fromisoformat(created)
        if moment.tzinfo is None:
            raise ValueError("no time zone")
        return moment, str(thread_id)
    except (ValueError, TypeError) as exc:
        message = "`cursor` is not a cursor this runtime gave."
        raise Refused(ErrorCode.INVALID_INPUT, message, title=_INVALID) from exc


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _flattened(messages: tuple[Message, ...]) -> list[JsonObject]:
    """The thread's messages in the shape `/threads/{id}/messages` gives: tool calls as `{id, name, args}`."""
    flattened: list[JsonObject] = []
    for message in to_agui_messages(messages, display=True):
        item: JsonObject = {"id": message.id, "role": message.role}
        content = getattr(message, "content", None)
        if isinstance(content, str):
            item["content"] = content
        if isinstance(message, AssistantMessage) and message.tool_calls:
            item["toolCalls"] = [
                {"id": call.id, "name": call.function.name, "args": call.function.arguments}
                for call in message.tool_calls
            ]
        if isinstance(message, ToolMessage):
            item["toolCallId"] = message.tool_call_id
        if isinstance(message, ReasoningMessage) and message.encrypted_value is not None:
            item["encryptedValue"] = message.encrypted_value
        if isinstance(message, ActivityMessage):
            item |= {"activityType": message.activity_type, "content": message.content}
        if getattr(message, "subagent_run_id", None) is not None:
            item["subagentRunId"] = message.subagent_run_id
        flattened.append(item)
    return flattened
