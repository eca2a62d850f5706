"""Legacy CopilotKit remote endpoints (the Python SDK's `add_fastapi_endpoint`): agents discovered with
`POST {url}/info`, run with `POST {url}/agents/execute` (LangGraph events as JSON lines, turned into
AG-UI events here so they take the same path as every other agent), state read with
`POST {url}/agents/state`. Discovery is cached for a while and every call is retried with backoff on
the statuses and network errors a restarting server gives."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from ag_ui.core import (
    BaseEvent,
    CustomEvent,
    RunFinishedEvent,
    RunStartedEvent,
    StateSnapshotEvent,
    StepFinishedEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallStartEvent,
)

from agui_runtime.adapters.outbound.agents.configured import AgentSource, AguiAgent
from agui_runtime.application.errors import ApplicationError, UpstreamError, UpstreamUnavailable
from agui_runtime.application.ports import ActionRegistry, AgentRunRequest, ExternalAgentState
from agui_runtime.application.requests import RequestContext
from agui_runtime.application.streams import closed_after
from agui_runtime.domain.agents import AgentDescriptor
from agui_runtime.domain.json import JsonObject, JsonValue
from agui_runtime.domain.messages import ActionExecutionMessage, Message, ResultMessage, TextMessage
from agui_runtime.domain.tools import ActionOutcome, ToolDefinition

logger = logging.getLogger("agui_runtime.agents")

_RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
_FAILURE_TTL_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class RemoteInfo:
    agents: tuple[AgentDescriptor, ...]
    agent_types: dict[str, str] = field(default_factory=dict)
    actions: tuple[ToolDefinition, ...] = ()


def parameters_schema(parameters: object) -> JsonObject:
    """CopilotKit `Parameter[]` as a JSON Schema object (the client's and the SDK's own rules)."""
    properties: JsonObject = {}
    required: list[JsonValue] = []
    for parameter in parameters if isinstance(parameters, list) else []:
        if isinstance(parameter, dict) and isinstance(parameter.get("name"), str):
            properties[parameter["name"]] = _parameter_schema(parameter)
            if parameter.get("required") is not False:
                required.append(parameter["name"])
    return {"type": "object", "properties": properties, "required": required}


def _tool(item: dict[str, Any]) -> ToolDefinition:
    return ToolDefinition(item["name"], str(item.get("description") or ""), parameters_schema(item.get("parameters")))


def _parameter_schema(parameter: dict[str, Any]) -> JsonObject:
    kind = parameter.get("type")
    description = str(parameter.get("description") or "")
    if kind in ("object", "object[]"):
        inner = parameters_schema(parameter.get("attributes"))
        if kind == "object":
            return {**inner, "description": description}
        return {"type": "array", "items": inner, "description": description}
    if isinstance(kind, str) and kind.endswith("[]") and kind[:-2] in ("string", "number", "boolean"):
        return {"type": "array", "items": {"type": kind[:-2]}, "description": description}
    if kind in ("number", "boolean"):
        return {"type": kind, "description": description}
    schema: JsonObject = {"type": "string", "description": description}
    if isinstance(parameter.get("enum"), list):
        schema["enum"] = [str(value) for value in parameter["enum"]]
    return schema


class RemoteEndpoint(AgentSource, ActionRegistry):
    """One endpoint base URL. `sleep` is injectable so tests of the backoff do not wait."""

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        *,
        label: str = "remote",
        ttl_seconds: float = 60.0,
        retries: int = 3,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = url.rstrip("/")
        self.label = label  # its name in the settings: errors name it, the URL stays in the server log
        self._client = client
        self._ttl = ttl_seconds
        self._retries = retries
        self._sleep = sleep
        self._cached: tuple[float, RemoteInfo] | None = None
        self._failed: tuple[float, ApplicationError] | None = None
        self._lock = asyncio.Lock()

    async def info(self) -> RemoteInfo:
        """The endpoint's agents, from the cache while it is fresh."""
        async with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._cached[0] < self._ttl:
                return self._cached[1]
            if self._failed is not None and now - self._failed[0] < _FAILURE_TTL_SECONDS:
                raise self._failed[1]  # an endpoint that is down is not asked again by every request
            try:
                reply = await self._post_json("/info", {"properties": {}})
            except ApplicationError as error:
                self._failed = (time.monotonic(), error)
                raise
            agents = reply.get("agents") if isinstance(reply, dict) else None
            descriptors, types = [], {}
            for item in agents if isinstance(agents, list) else []:
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    descriptors.append(AgentDescriptor(item["name"], str(item.get("description") or "")))
                    types[item["name"]] = str(item.get("type") or "langgraph")
            actions = reply.get("actions") if isinstance(reply, dict) else None
            tools = tuple(
                ToolDefinition(
                    item["name"], str(item.get("description") or ""), parameters_schema(item.get("parameters"))
                )
                for item in (actions if isinstance(actions, list) else [])
                if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]
            )
            info = RemoteInfo(tuple(descriptors), types, tools)
            self._cached = (time.monotonic(), info)
            return info

    async def definitions(self) -> Sequence[ToolDefinition]:
        return (await self.info()).actions

    async def execute(self, name: str, arguments: JsonObject, request: RequestContext) -> ActionOutcome:
        """Run one of the endpoint's actions; its failures come back as the usual error envelope."""
        body = {"name": name, "arguments": arguments, "properties": request.properties}
        try:
            reply = await self._post_json("/actions/execute", body, request.headers, idempotent=False)
        except ApplicationError as error:
            return ActionOutcome(error_code="HANDLER_ERROR", error_message=error.message)
        result = reply.get("result") if isinstance(reply, dict) else None
        if isinstance(result, str):
            return ActionOutcome(result=result)
        return ActionOutcome(
            result="" if result is None else json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        )

    async def agents(self) -> Sequence[tuple[AgentDescriptor, AguiAgent]]:
        return [(descriptor, RemoteAgent(self, descriptor.name)) for descriptor in (await self.info()).agents]

    async def external_state(self, agent_name: str, thread_id: str, request: RequestContext) -> ExternalAgentState:
        body = {"properties": request.properties, "threadId": thread_id, "name": agent_name}
        reply = await self._post_json("/agents/state", body, request.headers)
        if not isinstance(reply, dict):
            raise UpstreamError(f"The CopilotKit endpoint '{self.label}' answered /agents/state without an object.")
        state, messages = reply.get("state"), reply.get("messages")
        return ExternalAgentState(
            thread_exists=bool(reply.get("threadExists")),
            state=state if isinstance(state, dict) else {},
            messages=tuple(m for m in messages if isinstance(m, dict)) if isinstance(messages, list) else (),
        )

    async def _send(
        self, path: str, body: dict[str, Any], headers: Mapping[str, str] | None = None, *, idempotent: bool = True
    ) -> httpx.Response:
        """POST with retries: 408, 429 and 5xx gateway statuses and network errors, backing off 1 s, 2 s,
        4 s (at most 5 s). A call that is not idempotent (running an agent or an action) is retried only
        when it never reached the endpoint (the connection failed)."""
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                request = self._client.build_request("POST", self.url + path, json=body, headers=headers)
                response = await self._client.send(request, stream=True)
            except httpx.HTTPError as exc:
                logger.warning("CopilotKit endpoint %s at %s%s: %s", self.label, self.url, path, type(exc).__name__)
                unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                if last or not (idempotent or unsent):
                    raise UpstreamUnavailable(
                        f"The CopilotKit endpoint '{self.label}' could not be reached ({type(exc).__name__})."
                    ) from None
            else:
                if response.status_code not in _RETRY_STATUSES or last or not idempotent:
                    return response
                await response.aclose()
            await self._sleep(min(5.0, 2.0**attempt))
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    async def _post_json(
        self, path: str, body: dict[str, Any], headers: Mapping[str, str] | None = None, *, idempotent: bool = True
    ) -> Any:
        response = await self._send(path, body, headers, idempotent=idempotent)
        try:
            await response.aread()
        finally:
            await response.aclose()
        if response.status_code >= 400:
            raise UpstreamError(
                f"The CopilotKit endpoint '{self.label}' answered HTTP {response.status_code} to {path}.",
                status=response.status_code,
            )
        try:
            return response.json()
        except ValueError:
            raise UpstreamError(
                f"The CopilotKit endpoint '{self.label}' answered {path} with something not JSON."
            ) from None

    async def run_agent(self, body: dict[str, Any], headers: Mapping[str, str]) -> AsyncIterator[JsonObject]:
        """The JSON lines of `/agents/execute`."""
        response = await self._send("/agents/execute", body, headers, idempotent=False)
        try:
            if response.status_code >= 400:
                raise UpstreamError(
                    f"The CopilotKit endpoint '{self.label}' answered HTTP {response.status_code} to /agents/execute.",
                    status=response.status_code,
                )
            async for line in response.aiter_lines():
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    raise UpstreamError(
                        f"The CopilotKit endpoint '{self.label}' sent a line that is not JSON."
                    ) from None
                if isinstance(event, dict):
                    yield event
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(
                f"The CopilotKit endpoint '{self.label}' broke off the agent's stream ({type(exc).__name__})."
            ) from None
        finally:
            await response.aclose()


def legacy_messages(messages: tuple[Message, ...]) -> list[JsonObject]:
    """Messages in the form the remote endpoints read (`type` tells the kinds apart)."""
    converted: list[JsonObject] = []
    for message in messages:
        item: JsonObject = {"id": message.id, "createdAt": message.created_at.isoformat()}
        match message:
            case TextMessage():
                item |= {"type": "TextMessage", "content": message.content, "role": message.role.value}
            case ActionExecutionMessage():
                item |= {"type": "ActionExecutionMessage", "name": message.name, "arguments": message.arguments}
            case ResultMessage():
                item |= {
                    "type": "ResultMessage",
                    "actionExecutionId": message.action_execution_id,
                    "actionName": message.action_name,
                    "result": message.result,
                }
            case _:
                continue
        parent = getattr(message, "parent_message_id", None)
        if parent:
            item["parentMessageId"] = parent
        converted.append(item)
    return converted


class RemoteAgent(AguiAgent):
    """One agent of a remote endpoint."""

    def __init__(self, endpoint: RemoteEndpoint, name: str) -> None:
        self._endpoint = endpoint
        self._name = name

    async def events(self, request: AgentRunRequest) -> AsyncIterator[Any]:
        kind = (await self._endpoint.info()).agent_types.get(self._name, "langgraph")
        if kind != "langgraph":
            raise UpstreamError(f"Agent '{self._name}' is of type '{kind}', which this runtime cannot run.")
        body: dict[str, Any] = {
            "name": self._name,
            "threadId": request.thread_id,
            "messages": legacy_messages(request.messages),
            "state": request.state,
            "config": request.config,
            "properties": request.request.properties,
            "actions": [
                {"name": t.name, "description": t.description, "parameters": t.parameters} for t in request.tools
            ],
        }
        if request.node_name:
            body["nodeName"] = request.node_name
        if request.resume is not None:
            body["metaEvents"] = [{"name": "LangGraphInterruptEvent", "value": "", "response": request.resume}]
        translator = LangGraphEvents(self._name)
        yield RunStartedEvent(thread_id=request.thread_id, run_id=request.run_id)
        async with closed_after(self._endpoint.run_agent(body, request.request.headers)) as lines:
            async for line in lines:
                for event in translator.translate(line):
                    yield event
        for event in translator.close():
            yield event
        yield RunFinishedEvent(thread_id=request.thread_id, run_id=request.run_id)


class LangGraphEvents:
    """LangGraph events (as the CopilotKit Python SDK streams them) to AG-UI events."""

    def __init__(self, agent_name: str) -> None:
        self._agent = agent_name
        self._text: str | None = None
        self._tool: str | None = None
        self._last_message: str | None = None
        self._node: str | None = None
        self._active = False
        self._count = 0

    def translate(self, line: JsonObject) -> list[BaseEvent]:
        kind = line.get("event")
        data = line.get("data") if isinstance(line.get("data"), dict) else {}
        assert isinstance(data, dict)
        if kind == "on_copilotkit_state_sync":
            return self._state_sync(line)
        if kind == "on_chat_model_stream":
            return self._chat_chunk(line, data)
        if kind == "on_custom_event":
            return self._custom(str(line.get("name", "")), data)
        if kind == "on_interrupt":
            return [CustomEvent(name="on_interrupt", value=line.get("value", data.get("value")))]
        if kind == "on_copilotkit_interrupt":
            inner = data.get("data") if isinstance(data.get("data"), dict) else data
            return [CustomEvent(name="on_copilotkit_interrupt", value=inner)]
        if kind == "on_copilotkit_error":
            error = data.get("error") if isinstance(data.get("error"), dict) else {}
            assert isinstance(error, dict)
            raise UpstreamError(
                f"Agent '{self._agent}' failed: {error.get('type', 'Error')}: {error.get('message', '')}"
            )
        return []

    def close(self) -> list[BaseEvent]:
        return [*self._end_tool(), *self._end_text()]

    def _state_sync(self, line: JsonObject) -> list[BaseEvent]:
        events: list[BaseEvent] = []
        node = str(line.get("node_name") or "")
        active = bool(line.get("active", True))
        if active and (not self._active or node != self._node):
            events.append(StepStartedEvent(step_name=node))
        state = line.get("state")
        events.append(StateSnapshotEvent(snapshot=state if isinstance(state, dict) else {}))
        if not active and self._active:
            events.append(StepFinishedEvent(step_name=node))
        self._node, self._active = node, active
        if line.get("running") is False:
            events.append(CustomEvent(name="Exit", value=True))
        return events

    def _chat_chunk(self, line: JsonObject, data: JsonObject) -> list[BaseEvent]:
        chunk = data.get("chunk") if isinstance(data.get("chunk"), dict) else {}
        assert isinstance(chunk, dict)
        fields = chunk.get("kwargs") if isinstance(chunk.get("kwargs"), dict) else chunk
        assert isinstance(fields, dict)
        content = fields.get("content")
        if isinstance(content, list):
            first = content[0] if content else {}
            content = first.get("text", "") if isinstance(first, dict) else ""
        text = content if isinstance(content, str) else ""
        raw_id = fields.get("id")
        message_id = raw_id if isinstance(raw_id, str) else None
        chunks = fields.get("tool_call_chunks") if isinstance(fields.get("tool_call_chunks"), list) else []
        assert isinstance(chunks, list)
        metadata = fields.get("response_metadata") if isinstance(fields.get("response_metadata"), dict) else {}
        assert isinstance(metadata, dict)
        finish = metadata.get("finish_reason")
        flags = line.get("metadata") if isinstance(line.get("metadata"), dict) else {}
        assert isinstance(flags, dict)
        events: list[BaseEvent] = []
        first_chunk = chunks[0] if chunks and isinstance(chunks[0], dict) else None
        if self._tool is not None and not chunks:
            events += self._end_tool()
        if first_chunk is not None and first_chunk.get("name") and first_chunk.get("id"):
            events += [*self._end_tool(), *self._end_text()]
            if _emits_tool(flags.get("copilotkit:emit-tool-calls", True), str(first_chunk["name"])):
                self._tool = str(first_chunk["id"])
                events.append(
                    ToolCallStartEvent(
                        tool_call_id=self._tool,
                        tool_call_name=str(first_chunk["name"]),
                        parent_message_id=self._last_message,
                    )
                )
        if self._tool is not None:
            arguments = text or (str(first_chunk.get("args") or "") if first_chunk is not None else "")
            if arguments:
                events.append(ToolCallArgsEvent(tool_call_id=self._tool, delta=arguments))
        elif text and flags.get("copilotkit:emit-messages", True) is not False:
            if message_id is not None and message_id != self._text:
                events += self._end_text()
            if self._text is None:
                self._count += 1
                self._text = message_id or f"{self._agent}-message-{self._count}"
                events.append(TextMessageStartEvent(message_id=self._text))
            events.append(TextMessageContentEvent(message_id=self._text, delta=text))
        if message_id is not None:
            self._last_message = message_id
        if finish == "tool_calls":
            events += self._end_tool()
        elif finish == "stop":
            events += self._end_text()
        return events

    def _custom(self, name: str, data: JsonObject) -> list[BaseEvent]:
        if name == "copilotkit_manually_emit_message":
            message_id = str(data.get("message_id") or "")
            return [
                *self._end_text(),
                TextMessageStartEvent(message_id=message_id),
                TextMessageContentEvent(message_id=message_id, delta=str(data.get("message", "")) or " "),
                TextMessageEndEvent(message_id=message_id),
            ]
        if name == "copilotkit_manually_emit_tool_call":
            call_id = str(data.get("id") or "")
            return [
                ToolCallStartEvent(
                    tool_call_id=call_id, tool_call_name=str(data.get("name", "")), parent_message_id=call_id
                ),
                ToolCallArgsEvent(tool_call_id=call_id, delta=json.dumps(data.get("args", {}))),
                ToolCallEndEvent(tool_call_id=call_id),
            ]
        return []

    def _end_text(self) -> list[BaseEvent]:
        if self._text is None:
            return []
        ended, self._text = self._text, None
        return [TextMessageEndEvent(message_id=ended)]

    def _end_tool(self) -> list[BaseEvent]:
        if self._tool is None:
            return []
        ended, self._tool = self._tool, None
        return [ToolCallEndEvent(tool_call_id=ended)]


def _emits_tool(flag: object, name: str) -> bool:
    """`copilotkit:emit-tool-calls`: a bool, one tool name, or a list of names."""
    if isinstance(flag, bool):
        return flag
    if isinstance(flag, str):
        return flag == name
    if isinstance(flag, list):
        return name in flag
    return True
