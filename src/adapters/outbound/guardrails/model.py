"""Guardrails by the configured chat model: it classifies the last user message against the topics.

The rule given to the model (and so the documented behaviour): a message is denied when it is about a
denied topic, or when allowed topics are listed and it is about none of them; greetings and small talk
are allowed unless a denied topic covers them. Earlier turns are context only. The model answers with
one JSON object at temperature 0; an answer that cannot be read fails closed (no output is sent)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from agui_runtime.application.errors import ApplicationError, GuardrailsUnavailable
from agui_runtime.application.ports import ChatModel, Guardrails
from agui_runtime.application.requests import RequestContext
from agui_runtime.domain.events import TextMessageChunk
from agui_runtime.domain.guardrails import GuardrailsCase, GuardrailsVerdict, verdict_from
from agui_runtime.domain.messages import Role, TextMessage
from agui_runtime.domain.tools import ChatRequest, ModelParameters

_CONTEXT_TURNS = 6
_CONTEXT_CHARS = 500
_PARAMETERS = ModelParameters(max_tokens=150, temperature=0.0)

_SYSTEM = """You decide whether a chat assistant may answer the user's latest message.
Allowed topics: {allow}
Denied topics: {deny}
Rule: the message is denied if it is about any denied topic, or if allowed topics are listed and it is \
about none of them. Otherwise it is allowed. Greetings and small talk are allowed unless a denied topic \
covers them. Earlier messages are context only: judge the latest message.
Answer with one JSON object and nothing else: {{"status": "allowed"}} or \
{{"status": "denied", "reason": "<one short sentence to the user saying which topic is not allowed>"}}."""

_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def classification_request(case: GuardrailsCase) -> ChatRequest:
    """The deterministic request the model is asked (exposed for tests and the docs)."""
    system = _SYSTEM.format(allow="; ".join(case.rules.allow) or "any topic", deny="; ".join(case.rules.deny) or "none")
    context = [f"{role.value}: {text[:_CONTEXT_CHARS]}" for role, text in case.history[-_CONTEXT_TURNS:]]
    prompt = ("Earlier messages:\n" + "\n".join(context) + "\n\n" if context else "") + "Latest message:\n" + case.input
    now = datetime.now(UTC)
    messages = (
        TextMessage(id="guardrails-system", created_at=now, role=Role.SYSTEM, content=system),
        TextMessage(id="guardrails-input", created_at=now, role=Role.USER, content=prompt),
    )
    return ChatRequest("guardrails", "guardrails", messages, (), _PARAMETERS)


def read_verdict(answer: str) -> GuardrailsVerdict:
    """The verdict in the model's answer; GuardrailsUnavailable when there is none."""
    found = _JSON_OBJECT.search(answer)
    try:
        parsed = json.loads(found.group(0)) if found else None
    except ValueError:
        parsed = None
    verdict = verdict_from(parsed)
    if verdict is not None:
        return verdict
    raise GuardrailsUnavailable("The guardrails check failed: the classifier's answer had no verdict.")


class ModelGuardrails(Guardrails):
    def __init__(self, chat_model: ChatModel | None) -> None:
        self._model = chat_model

    async def check(self, case: GuardrailsCase, request: RequestContext) -> GuardrailsVerdict:
        if self._model is None:
            raise GuardrailsUnavailable("Guardrails need a chat model: set AGUI_LLM_PROVIDER and AGUI_LLM_MODEL.")
        parts: list[str] = []
        try:
            async for event in self._model.stream(classification_request(case)):
                if isinstance(event, TextMessageChunk):
                    parts.append(event.delta)
        except ApplicationError as error:
            raise GuardrailsUnavailable(f"The guardrails check failed: {error.message}") from error
        return read_verdict("".join(parts))
