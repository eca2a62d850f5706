"""The v2 runtime surface (`@copilotkit/core` 1.5x-1.7x, `@ag-ui/client` 0.0.x) on the same use-cases as
GraphQL: `GET info`, `POST agent/{id}/run|connect|suggest|stop/{thread}`, `threads...`, `transcribe`,
and the single-route envelope `{method, params, body}` POSTed at the base path.

Errors before a stream starts are JSON `{error, message, code}` with the reference's status codes (404
unknown agent, 400 invalid body, 405 with `Allow`, 415); once a run streams, its failures are RUN_ERROR
events on a 200, as the client expects."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson
from ag_ui.core import AssistantMessage, BaseEvent, RunAgentInput, ToolMessage
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from agui_runtime.adapters.agui_wire import OutgoingEvents, from_agui_messages, to_agui_messages
from agui_runtime.adapters.inbound.agui.sse import encode, event_stream
from agui_runtime.application.errors import (
    AccessDenied,
    AgentNotFound,
    ApplicationError,
    InvalidInput,
    NotFound,
    RequestRejected,
    RunExists,
    ThreadBusy,
    UpstreamUnavailable,
)
from agui_runtime.application.limits import LimitExceeded
from agui_runtime.application.ports import AgentFilter
from agui_runtime.application.requests import HeaderAllowlist, RequestContext
from agui_runtime.application.streams import close_stream
from agui_runtime.application.use_cases.generate_response import ChatRun, ChatTurn, GenerateResponse
from agui_runtime.application.use_cases.list_agents import ListAgents, ListAgentsQuery
from agui_runtime.application.use_cases.live_runs import LiveRunner
from agui_runtime.application.use_cases.run_agent import AgentTurn, RunAgent
from agui_runtime.application.use_cases.suggest import Suggest, SuggestTurn
from agui_runtime.application.use_cases.threads import ClearingDisabled, ClearingNeedsPrincipal, ThreadQueries
from agui_runtime.domain.errors import DomainError
from agui_runtime.domain.events import RunEvent, StateSnapshot
from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message
from agui_runtime.domain.runs import RunRecord
from agui_runtime.domain.tools import ModelParameters, ToolDefinition

logger = logging.getLogger("agui_runtime.agui")

DEFAULT_AGENT = "default"  # the configured chat model and backend actions, served as an agent
STOP_INTERRUPT = {"type": "RUN_ERROR", "message": "Run stopped by user", "code": "STOPPED"}
THREAD_ENDPOINTS: dict[str, bool] = {"list": True, "inspect": True, "mutations": False, "realtimeMetadata": False}
NO_THREAD_ENDPOINTS: dict[str, bool] = {"list": False, "inspect": False, "mutations": False, "realtimeMetadata": False}


@dataclass(frozen=True, slots=True)
class AguiUseCases:
    list_agents: ListAgents
    generate_response: GenerateResponse
    run_agent: RunAgent
    live: LiveRunner
    threads: ThreadQueries
    suggest: Suggest
    chat_model: bool  # a chat model is configured: the `default` agent exists


class _Refused(Exception):
    """A request answered with a JSON error before any work."""

    def __init__(self, status: int, error: str, message: str, code: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.body: dict[str, object] = {"error": error, "message": message, "code": code}
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return _json(self.body, self.status, self.headers)


def _json(body: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=dict(headers or {}))


def _invalid_body(details: object) -> _Refused:
    refused = _Refused(
        400, "Invalid request body", "The request body is not a valid AG-UI RunAgentInput.", "INVALID_INPUT"
    )
    refused.body["details"] = details
    return refused


def _validation_details(error: ValidationError) -> list[JsonObject]:
    # Where and what kind of error only: pydantic's `input`, and some of its messages, echo what was sent.
    return [
        {"path": [str(part) for part in item["loc"]], "message": _PROBLEMS.get(item["type"], "invalid value")}
        for item in error.errors()
    ]


_PROBLEMS = {
    "missing": "required",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "union_tag_invalid": "unknown kind",
    "union_tag_not_found": "the kind is missing",
    "string_too_short": "must not be empty",
}


# (method, pattern) per route; a pattern's groups are raw (still percent-encoded) path segments.
_ROUTES: list[tuple[str, str, re.Pattern[str]]] = [
    ("GET", "info", re.compile(r"info")),
    ("POST", "run", re.compile(r"agent/([^/]+)/run")),
    ("POST", "connect", re.compile(r"agent/([^/]+)/connect")),
    ("POST", "suggest", re.compile(r"agent/([^/]+)/suggest")),
    ("POST", "stop", re.compile(r"agent/([^/]+)/stop/([^/]+)")),
    ("GET", "threads", re.compile(r"threads")),
    ("POST", "clear", re.compile(r"threads/clear")),
    ("GET", "messages", re.compile(r"threads/([^/]+)/messages")),
    ("GET", "events", re.compile(r"threads/([^/]+)/events")),
    ("GET", "state", re.compile(r"threads/([^/]+)/state")),
    ("POST", "transcribe", re.compile(r"transcribe")),
    ("GET", "inspector", re.compile(r"inspector-metadata")),
]


class AguiEndpoint:
    def __init__(
        self,
        base_path: str,
        use_cases: Callable[[], AguiUseCases | None],
        *,
        version: str,
        max_model_calls: int,
        forward_headers: HeaderAllowlist | None = None,
        properties: JsonObject | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._base = base_path
        self._use_cases = use_cases
        self._version = version
        self._max_model_calls = max_model_calls
        self._forward_headers = forward_headers or HeaderAllowlist(())
        self._properties = dict(properties or {})
        self._now = clock

    # -- entry points ---------------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        """Every request below the base path."""
        raw = request.scope.get("raw_path") or request.url.path.encode()
        path = raw.decode("latin-1").split("?", 1)[0]
        rest = path[len(request.scope.get("root_path", "")) :] if request.scope.get("root_path") else path
        rest = rest[len(self._base) :].strip("/")
        allowed = []
        for method, name, pattern in _ROUTES:
            match = pattern.fullmatch(rest)
            if match is None:
                continue
            if request.method != method:
                allowed.append(method)
                continue
            return await self._guarded(
                partial(self._route, name, [unquote(g) for g in match.groups()], request, None, None)
            )
        if allowed:
            return _json({"error": "Method not allowed"}, 405, {"allow": ", ".join(sorted(set(allowed)))})
        return _json({"error": "Not found"}, 404)

    async def envelope(self, request: Request, payload: dict[str, Any]) -> Response:
        """The single-route transport: `{method, params?, body?}` POSTed at the base path."""
        return await self._guarded(lambda: self._envelope(request, payload))

    async def _guarded(self, work: Callable[[], Awaitable[Response]]) -> Response:
        try:
            return await work()
        except _Refused as refused:
            return refused.response()
        except ApplicationError as error:
            return _error_response(error)
        except DomainError as error:  # a message or tool the domain refuses (an empty id, no name)
            return _json({"error": "Invalid request body", "message": str(error), "code": "INVALID_INPUT"}, 400)

    async def _envelope(self, request: Request, payload: dict[str, Any]) -> Response:
        method = payload.get("method")
        params = payload.get("params") or {}
        body = payload.get("body")
        if not isinstance(method, str) or not isinstance(params, dict):
            raise _Refused(
                400, "invalid_request", "The envelope needs a string `method` and object `params`.", "INVALID_REQUEST"
            )

        def param(name: str) -> str:
            value = params.get(name)
            if not isinstance(value, str) or not value:
                raise _Refused(
                    400, "invalid_request", f"Method {method!r} needs the parameter `{name}`.", "INVALID_REQUEST"
                )
            return value

        match method:
            case "info":
                return await self._info(request, single_route=True)
            case "agent/run" | "agent/connect" | "agent/suggest":
                return await self._route(method.split("/")[1], [param("agentId")], request, body, True)
            case "agent/stop":
                return await self._route("stop", [param("agentId"), param("threadId")], request, body, True)
            case "inspector/metadata":
                return Response(status_code=204)
            case "transcribe":
                return self._transcribe()
            case "resource/request":
                return await self._resource(request, params, param("path"))
            case _:
                raise _Refused(400, "invalid_request", f"Unknown method {method!r}.", "INVALID_REQUEST")

    async def _resource(self, request: Request, params: dict[str, Any], path: str) -> Response:
        http_method = str(params.get("httpMethod") or "GET").upper()
        target = urlsplit(path)
        rest = target.path.strip("/")
        query = dict(parse_qsl(target.query))
        for method, name, pattern in _ROUTES:
            match = pattern.fullmatch(rest)
            if (
                match is not None
                and method == http_method
                and name in ("threads", "clear", "messages", "events", "state")
            ):
                segments = [unquote(group) for group in match.groups()]
                return await self._threads(name, segments, request, query)  # parse_qsl has decoded it
        raise _Refused(400, "invalid_request", f"No resource {http_method} {path!r}.", "INVALID_REQUEST")

    async def _route(
        self, name: str, segments: list[str], request: Request, body: object, single_route: bool | None
    ) -> Response:
        match name:
            case "info":
                return await self._info(request, single_route=False)
            case "run" | "connect" | "suggest":
                agent_id = segments[0]
                use_cases = self._ready()
                await self._check_agent(use_cases, agent_id)
                run_input = self._run_input(
                    await self._body(request) if body is None and single_route is None else body
                )
                if name == "run":
                    return await self._run(use_cases, request, agent_id, run_input)
                if name == "connect":
                    return await self._connect(use_cases, request, run_input)
                return await self._suggest(use_cases, request, agent_id, run_input)
            case "stop":
                use_cases = self._ready()
                await self._check_agent(use_cases, segments[0])
                raw = await self._raw_body(request) if single_route is None else body
                return await self._stop(use_cases, request, segments[1], raw)
            case "transcribe":
                return self._transcribe()
            case "inspector":
                return Response(status_code=204)
            case _:
                return await self._threads(name, segments, request, dict(request.query_params))

    # -- helpers --------------------------------------------------------------------------------------

    def _ready(self) -> AguiUseCases:
        use_cases = self._use_cases()
        if use_cases is None:
            raise _Refused(503, "Not ready", "The runtime is not started.", "NOT_READY")
        return use_cases

    async def _check_agent(self, use_cases: AguiUseCases, agent_id: str) -> None:
        if agent_id == DEFAULT_AGENT and use_cases.chat_model:
            return
        names = [agent.name for agent in await use_cases.list_agents.known()]
        if agent_id not in names:
            if use_cases.chat_model:
                names = [DEFAULT_AGENT, *names]
            error = AgentNotFound(agent_id, names)
            raise _Refused(404, "Agent not found", error.message, error.code)

    async def _raw_body(self, request: Request) -> object:
        raw = await request.body()
        if not raw.strip():
            return None
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type and content_type != "application/json":
            raise _Refused(
                415, "Unsupported media type", "Send the body as application/json.", "UNSUPPORTED_MEDIA_TYPE"
            )
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise _invalid_body([{"path": [], "message": "not valid JSON"}]) from None

    async def _body(self, request: Request) -> object:
        body = await self._raw_body(request)
        if body is None:
            raise _invalid_body([{"path": [], "message": "the body is empty"}])
        return body

    def _run_input(self, body: object) -> RunAgentInput:
        if not isinstance(body, dict):
            raise _invalid_body([{"path": [], "message": "the body must be a JSON object"}])
        try:
            run_input = RunAgentInput.model_validate(body)
        except ValidationError as error:
            raise _invalid_body(_validation_details(error)) from None
        empty = [name for name, value in (("threadId", run_input.thread_id), ("runId", run_input.run_id)) if not value]
        if empty:
            raise _invalid_body([{"path": [name], "message": "must not be empty"} for name in empty])
        return run_input

    def _context(self, request: Request, forwarded: object = None) -> RequestContext:
        context = RequestContext.from_headers(self._properties, request.headers.items(), self._forward_headers)
        if isinstance(forwarded, dict):
            # The client's `properties` arrive merged into `forwardedProps`; the model's own knobs are not
            # properties.
            context = context.with_properties({k: v for k, v in forwarded.items() if k != "toolChoice"})
        return context

    def _messages(self, run_input: RunAgentInput) -> tuple[Message, ...]:
        return from_agui_messages(run_input.messages, self._now())

    # -- routes ---------------------------------------------------------------------------------------

    async def _info(self, request: Request, *, single_route: bool) -> Response:
        use_cases = self._ready()
        agents = await use_cases.list_agents(ListAgentsQuery(self._context(request)))
        listed: dict[str, dict[str, str]] = {}
        if use_cases.chat_model:
            description = "The configured chat model with the runtime's backend actions."
            listed[DEFAULT_AGENT] = {"name": DEFAULT_AGENT, "className": "BuiltInAgent", "description": description}
        for agent in agents:
            listed[agent.id] = {"name": agent.name, "className": "AgentRuntimeAgent", "description": agent.description}
        info: dict[str, object] = {
            "version": self._version,
            "agents": listed,
            "audioFileTranscriptionEnabled": False,
            "mode": "sse",
            "threadEndpoints": NO_THREAD_ENDPOINTS if single_route else THREAD_ENDPOINTS,
            "suggestions": True,
        }
        if single_route:
            info["singleRoute"] = {"resourceOperations": True, "threadEndpoints": THREAD_ENDPOINTS}
        return _json(info)

    async def _run(
        self, use_cases: AguiUseCases, request: Request, agent_id: str, run_input: RunAgentInput
    ) -> Response:
        context = self._context(request, run_input.forwarded_props)
        messages = self._messages(run_input)
        tools = _tools(run_input)
        pairs = tuple((c.description, c.value) for c in run_input.context)
        thread_id, run_id = run_input.thread_id, run_input.run_id
        begin: Callable[[], Awaitable[ChatRun]]
        if agent_id == DEFAULT_AGENT and use_cases.chat_model:
            turn = ChatTurn(
                messages,
                thread_id=thread_id,
                run_id=run_id,
                tools=tools,
                parameters=_parameters(run_input.forwarded_props),
                request=context,
                max_model_calls=self._max_model_calls,
                context=pairs,
                operation="agent/run",
            )

            def begin() -> Awaitable[ChatRun]:
                return use_cases.generate_response(turn)

        else:
            state = run_input.state if isinstance(run_input.state, dict) and run_input.state else None
            agent_turn = AgentTurn(
                agent_id,
                messages,
                thread_id=thread_id,
                run_id=run_id,
                tools=tools,
                state=state,
                context=pairs,
                request=context,
                operation="agent/run",
            )

            def begin() -> Awaitable[ChatRun]:
                return use_cases.run_agent(agent_turn)

        events = await use_cases.live.start(thread_id, run_id, begin)
        return event_stream(_frames(events, OutgoingEvents(thread_id, run_id)))

    async def _connect(self, use_cases: AguiUseCases, request: Request, run_input: RunAgentInput) -> Response:
        replay = await use_cases.live.connect(run_input.thread_id, self._context(request), "agent/connect")

        async def frames() -> AsyncIterator[bytes]:
            for record in replay.history:
                for event in _replayed(record):
                    yield encode(event)
            if replay.live is not None and replay.live_run_id is not None:
                async for frame in _frames(replay.live, OutgoingEvents(run_input.thread_id, replay.live_run_id)):
                    yield frame

        return event_stream(frames())

    async def _suggest(
        self, use_cases: AguiUseCases, request: Request, agent_id: str, run_input: RunAgentInput
    ) -> Response:
        turn = SuggestTurn(
            None if agent_id == DEFAULT_AGENT and use_cases.chat_model else agent_id,
            run_input.thread_id,
            run_input.run_id,
            self._messages(run_input),
            tools=_tools(run_input),
            parameters=_parameters(run_input.forwarded_props),
            context=tuple((c.description, c.value) for c in run_input.context),
            request=self._context(request, run_input.forwarded_props),
        )
        events = await use_cases.suggest(turn)
        return event_stream(_frames(events, OutgoingEvents(run_input.thread_id, run_input.run_id)))

    async def _stop(self, use_cases: AguiUseCases, request: Request, thread_id: str, body: object) -> Response:
        run_id: str | None = None
        if body is not None:
            if not isinstance(body, dict) or set(body) - {"runId"}:
                raise _invalid_body([{"path": [], "message": "the body may hold only `runId`"}])
            value = body.get("runId")
            if value is not None and not isinstance(value, str):
                raise _invalid_body([{"path": ["runId"], "message": "must be a string"}])
            run_id = value
        stopped = await use_cases.live.stop(thread_id, run_id, self._context(request), "agent/stop")
        if stopped is None:
            message = "No run is in progress on this thread" + (" with that id." if run_id else ".")
            return _json({"stopped": False, "message": message})
        return _json({"stopped": True, "interrupt": STOP_INTERRUPT})

    def _transcribe(self) -> Response:
        message = "Transcription is not configured on this runtime."
        return _json(
            {"error": "service_not_configured", "message": message, "code": "TRANSCRIPTION_NOT_CONFIGURED"}, 503
        )

    async def _threads(self, name: str, segments: list[str], request: Request, query: Mapping[str, str]) -> Response:
        use_cases = self._ready()
        context = self._context(request)
        if name == "threads":
            return await self._list_threads(use_cases, context, query)
        if name == "clear":
            try:
                await use_cases.threads.clear(context)
            except (ClearingDisabled, ClearingNeedsPrincipal) as error:
                raise _Refused(403, "Forbidden", error.message, error.code) from None
            return Response(status_code=204)
        thread_id = segments[0]
        if name == "messages":
            messages = await use_cases.threads.messages(thread_id, context)
            return _json({"messages": _flattened(messages)})
        runs = await use_cases.threads.runs(thread_id, context)
        if name == "events":
            events = [event.model_dump(mode="json", by_alias=True) for run in runs for event in _replayed(run)]
            return _json({"events": events})
        state: JsonObject | None = None
        for run in runs:
            for event in run.events:
                if isinstance(event, StateSnapshot):
                    state = event.state
        return _json({"state": state})

    async def _list_threads(
        self, use_cases: AguiUseCases, context: RequestContext, query: Mapping[str, str]
    ) -> Response:
        try:
            limit = int(query.get("limit", "100"))
        except ValueError:
            raise _Refused(400, "Invalid request", "`limit` must be a whole number.", "INVALID_INPUT") from None
        before = _cursor(query["cursor"]) if query.get("cursor") else None
        agent_id = query.get("agentId")
        agent = None
        if agent_id:
            agent = AgentFilter(None if agent_id == DEFAULT_AGENT and use_cases.chat_model else agent_id)
        page = await use_cases.threads.list(context, limit=limit, before=before, agent=agent)
        threads = [
            {
                "id": thread.id,
                "name": None,
                "agentId": thread.agent_name or DEFAULT_AGENT,
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
        return _json({"threads": threads, "nextCursor": next_cursor})


def _tools(run_input: RunAgentInput) -> tuple[ToolDefinition, ...]:
    empty: JsonObject = {"type": "object", "properties": {}}
    return tuple(
        ToolDefinition(t.name, t.description, t.parameters if isinstance(t.parameters, dict) else empty)
        for t in run_input.tools
    )


def _cursor(value: str) -> tuple[datetime, str]:
    try:
        created, thread_id = orjson.loads(base64.urlsafe_b64decode(value.encode()))
        moment = datetime.fromisoformat(created)
        if moment.tzinfo is None:
            raise ValueError("no time zone")
        return moment, str(thread_id)
    except (ValueError, TypeError):
        raise _Refused(400, "Invalid request", "`cursor` is not a cursor this runtime gave.", "INVALID_INPUT") from None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parameters(forwarded: object) -> ModelParameters:
    """`forwardedProps.toolChoice` (the suggestion engine forces its tool this way)."""
    if not isinstance(forwarded, dict):
        return ModelParameters()
    choice = forwarded.get("toolChoice")
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        name = choice["function"].get("name")
        if isinstance(name, str) and name:
            return ModelParameters(tool_choice="function", tool_choice_function_name=name)
    if isinstance(choice, str) and choice in ("auto", "none", "required"):
        return ModelParameters(tool_choice=choice)
    return ModelParameters()


async def _frames(events: AsyncIterator[RunEvent], outgoing: OutgoingEvents) -> AsyncIterator[bytes]:
    try:
        async for event in events:
            for converted in outgoing.convert(event):
                yield encode(converted)
            if outgoing.ended:
                return
        for converted in outgoing.finish():
            yield encode(converted)
    finally:
        await close_stream(events)


def _replayed(record: RunRecord) -> list[BaseEvent]:
    outgoing = OutgoingEvents(record.thread_id, record.id)
    events = [converted for event in record.events for converted in outgoing.convert(event)]
    return events + outgoing.finish()


def _flattened(messages: tuple[Message, ...]) -> list[JsonObject]:
    """The thread's messages in the shape `/threads/{id}/messages` gives: tool calls as `{id, name, args}`."""
    flattened: list[JsonObject] = []
    for message in to_agui_messages(messages):
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
        flattened.append(item)
    return flattened


def _error_response(error: ApplicationError) -> Response:
    body: JsonObject = {"error": error.code, "message": error.message, "code": error.code}
    match error:
        case RequestRejected():
            status = 401 if error.code == "AUTHENTICATION_ERROR" else 403
        case AccessDenied():
            status = 403
        case AgentNotFound():
            body["error"] = "Agent not found"
            status = 404
        case NotFound():
            body["error"] = "Not found"
            status = 404
        case ThreadBusy() | RunExists():
            status = 409
        case LimitExceeded():
            status = 413
        case InvalidInput():
            body["error"] = "Invalid request body"
            status = 400
        case UpstreamUnavailable():
            status = 503
        case _:
            logger.warning("request failed: %s %s", error.code, error.message)
            body["error"] = "Failed to run agent"
            status = 500
    return _json(body, status)
