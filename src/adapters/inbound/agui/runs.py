"""Runs: `agent/{id}/run` starts one and streams it, `connect` replays a thread's runs and joins the
live one, `stop/{threadId}` stops it. Once a stream starts its failures are RUN_ERROR events on the 200."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from ag_ui.core import BaseEvent
from starlette.responses import Response

from agui_runtime.adapters.agui_wire import OutgoingEvents
from agui_runtime.adapters.inbound.agui.errors import invalid_body, json_response
from agui_runtime.adapters.inbound.agui.inputs import Call, context_pairs, overridden, tools
from agui_runtime.adapters.inbound.agui.runtime import AguiRuntime
from agui_runtime.adapters.inbound.agui.sse import encode, event_stream
from agui_runtime.application.default_agent import BuiltInAgentRun
from agui_runtime.application.streams import close_stream
from agui_runtime.application.turns import StartedRun
from agui_runtime.application.use_cases.generate_response import ChatTurn
from agui_runtime.application.use_cases.run_agent import AgentTurn
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.events import RunEvent
from agui_runtime.domain.run import RunRecord

STOP_INTERRUPT = {"type": "RUN_ERROR", "message": "Run stopped by user", "code": ErrorCode.STOPPED}


async def run(runtime: AguiRuntime, call: Call) -> Response:
    use_cases = runtime.ready()
    agent_id = call.params["agent_id"]
    await use_cases.agents.require(agent_id, runtime.context(call.request))
    run_input = await call.run_input()
    context = runtime.context(call.request, run_input.forwarded_props)
    messages = runtime.messages(run_input)
    thread_id, run_id = run_input.thread_id, run_input.run_id
    begin: Callable[[], Awaitable[StartedRun]]
    agent_name = use_cases.agents.agent_name(agent_id)
    state = run_input.state if isinstance(run_input.state, dict) and run_input.state else None
    if agent_name is None:
        options = runtime.default_agent
        built_in = BuiltInAgentRun(
            prompt=options.prompt,
            state=state,
            forward_system_messages=options.forward_system_messages,
            forward_developer_messages=options.forward_developer_messages,
        )
        turn = ChatTurn(
            messages,
            thread_id=thread_id,
            run_id=run_id,
            tools=tools(run_input),
            parameters=overridden(run_input.forwarded_props, options.overridable),
            request=context,
            max_model_calls=runtime.max_model_calls,
            context=context_pairs(run_input),
            operation="agent/run",
            built_in=built_in,
        )

        def begin() -> Awaitable[StartedRun]:
            return use_cases.generate_response(turn)

    else:
        agent_turn = AgentTurn(
            agent_name,
            messages,
            thread_id=thread_id,
            run_id=run_id,
            tools=tools(run_input),
            state=state,
            context=context_pairs(run_input),
            request=context,
            operation="agent/run",
            resume_entries=tuple(
                entry.model_dump(mode="json", by_alias=True, exclude_none=True) for entry in run_input.resume or []
            ),
        )

        def begin() -> Awaitable[StartedRun]:
            return use_cases.run_agent(agent_turn)

    events = await use_cases.live.start(thread_id, run_id, begin)
    return event_stream(frames(events, OutgoingEvents(thread_id, run_id)))


async def connect(runtime: AguiRuntime, call: Call) -> Response:
    use_cases = runtime.ready()
    await use_cases.agents.require(call.params["agent_id"], runtime.context(call.request))
    run_input = await call.run_input()
    replay = await use_cases.live.connect(run_input.thread_id, runtime.context(call.request), "agent/connect")

    async def replayed_frames() -> AsyncIterator[bytes]:
        for record in replay.history:
            for event in replayed(record):
                yield encode(event)
        if replay.live is not None and replay.live_run_id is not None:
            async for frame in frames(replay.live, OutgoingEvents(run_input.thread_id, replay.live_run_id)):
                yield frame

    return event_stream(replayed_frames())


async def stop(runtime: AguiRuntime, call: Call) -> Response:
    use_cases = runtime.ready()
    await use_cases.agents.require(call.params["agent_id"], runtime.context(call.request))
    body = await call.json()
    run_id: str | None = None
    if body is not None:
        if not isinstance(body, dict) or set(body) - {"runId"}:
            raise invalid_body([{"path": [], "message": "the body may hold only `runId`"}])
        value = body.get("runId")
        if value is not None and not isinstance(value, str):
            raise invalid_body([{"path": ["runId"], "message": "must be a string"}])
        run_id = value
    context = runtime.context(call.request)
    stopped = await use_cases.live.stop(call.params["thread_id"], run_id, context, "agent/stop")
    if stopped is None:
        message = "No run is in progress on this thread" + (" with that id." if run_id else ".")
        return json_response({"stopped": False, "message": message})
    return json_response({"stopped": True, "interrupt": STOP_INTERRUPT})


async def frames(events: AsyncIterator[RunEvent], outgoing: OutgoingEvents) -> AsyncIterator[bytes]:
    """The run's events as SSE frames, up to the event that ends it."""
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


def replayed(record: RunRecord) -> list[BaseEvent]:
    """An ended run's events as the client receives them live."""
    outgoing = OutgoingEvents(record.thread_id, record.id)
    events = [converted for event in record.events for converted in outgoing.convert(event)]
    return events + outgoing.finish()
