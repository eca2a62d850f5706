"""Chat requests shaped as the 1.10.6 client builds them (see the captured exchanges)."""

from __future__ import annotations

from typing import Any

from agui_runtime.adapters.inbound.graphql.client_document import GENERATE_COPILOT_RESPONSE

# The client's document, as the runtime knows it; test_compiled_chat checks it against what the real client sends.
GENERATE = GENERATE_COPILOT_RESPONSE
CREATED = "2025-01-01T00:00:00.000Z"


def text(message_id: str, content: str, role: str = "user") -> dict[str, Any]:
    return {"id": message_id, "createdAt": CREATED, "textMessage": {"content": content, "role": role}}


def action(message_id: str, name: str, arguments: str, parent: str | None = None) -> dict[str, Any]:
    call = {"name": name, "arguments": arguments, "parentMessageId": parent}
    return {"id": message_id, "createdAt": CREATED, "actionExecutionMessage": call}


def result(message_id: str, call_id: str, name: str, value: str) -> dict[str, Any]:
    answer = {"actionExecutionId": call_id, "actionName": name, "result": value}
    return {"id": message_id, "createdAt": CREATED, "resultMessage": answer}


def frontend_action(name: str, schema: str, available: str = "enabled") -> dict[str, Any]:
    return {"name": name, "description": f"{name} (frontend action)", "jsonSchema": schema, "available": available}


def chat_data(
    thread_id: str, messages: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "agentStates": [],
        "context": [],
        "extensions": {},
        "forwardedParameters": {},
        "frontend": {"actions": actions or [], "url": "http://localhost:3000/"},
        "messages": [text("sys-1", "You are a helpful assistant.", "system"), *messages],
        "metaEvents": [],
        "metadata": {"requestType": "Chat"},
        "runId": None,
        "threadId": thread_id,
        **extra,
    }


def request_body(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationName": "generateCopilotResponse",
        "query": GENERATE,
        "variables": {"data": data, "properties": {}},
    }
