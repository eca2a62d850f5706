"""`info` (which agents exist and what this runtime serves), `agent/{id}/suggest` (the model or an agent
once on the conversation, streamed and never stored), and the routes a client probes that this runtime
does not serve (`transcribe`, the inspector's metadata)."""

from __future__ import annotations

from starlette.responses import Response

from agui_runtime.adapters.agui_wire import OutgoingEvents
from agui_runtime.adapters.inbound.agui.errors import Refused, json_response
from agui_runtime.adapters.inbound.agui.inputs import Call, context_pairs, parameters, tools
from agui_runtime.adapters.inbound.agui.runs import frames
from agui_runtime.adapters.inbound.agui.runtime import AguiRuntime
from agui_runtime.adapters.inbound.agui.sse import event_stream
from agui_runtime.application.use_cases.list_agents import ListAgentsQuery
from agui_runtime.application.use_cases.suggest import SuggestTurn
from agui_runtime.domain.errors import ErrorCode

THREAD_ENDPOINTS: dict[str, bool] = {"list": True, "inspect": True, "mutations": False, "realtimeMetadata": False}
NO_THREAD_ENDPOINTS: dict[str, bool] = {"list": False, "inspect": False, "mutations": False, "realtimeMetadata": False}


async def info(runtime: AguiRuntime, call: Call) -> Response:
    use_cases = runtime.ready()
    configured = await use_cases.list_agents(ListAgentsQuery(runtime.context(call.request)))
    agents = {
        entry.id: {
            "name": entry.name,
            "className": "BuiltInAgent" if entry.built_in else "AgentRuntimeAgent",
            "description": entry.description,
        }
        for entry in use_cases.agents.entries(configured)
    }
    body: dict[str, object] = {
        "version": runtime.version,
        "agents": agents,
        "audioFileTranscriptionEnabled": False,
        "mode": "sse",
        "threadEndpoints": NO_THREAD_ENDPOINTS if call.single_route else THREAD_ENDPOINTS,
        # Exactly what is served: suggestions need an agent to run (the model or a configured one); there is
        # no transcription, A2UI or open generative UI here, so those flags are false or left out.
        "suggestions": bool(agents),
    }
    if call.single_route:
        body["singleRoute"] = {"resourceOperations": True, "threadEndpoints": THREAD_ENDPOINTS}
    return json_response(body)


async def suggest(runtime: AguiRuntime, call: Call) -> Response:
    use_cases = runtime.ready()
    agent_id = call.params["agent_id"]
    await use_cases.agents.require(agent_id, runtime.context(call.request))
    run_input = await call.run_input()
    turn = SuggestTurn(
        use_cases.agents.agent_name(agent_id),
        run_input.thread_id,
        run_input.run_id,
        runtime.messages(run_input),
        tools=tools(run_input),
        parameters=parameters(run_input.forwarded_props),
        context=context_pairs(run_input),
        request=runtime.context(call.request, run_input.forwarded_props),
    )
    events = await use_cases.suggest(turn)
    return event_stream(frames(events, OutgoingEvents(run_input.thread_id, run_input.run_id)))


async def transcribe(runtime: AguiRuntime, call: Call) -> Response:
    message = "Transcription is not configured on this runtime."
    raise Refused(ErrorCode.TRANSCRIPTION_NOT_CONFIGURED, message)


async def inspector_metadata(runtime: AguiRuntime, call: Call) -> Response:
    return Response(status_code=204)
