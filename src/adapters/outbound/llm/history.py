"""The conversation a model is shown, prepared the same way for every vendor.

Models reject a tool result that does not directly follow its call, a call without a result, and a
result given twice. So: agent-state snapshots are left out; a result is kept once, only when its call
is in the conversation, and moved right after the run of calls it answers; calls left without a result
are dropped. Then the oldest turns go until the estimate fits the budget: system messages always stay,
and a round of calls stays with its results.

Reasoning is left out too, unless the model asks for its own signed reasoning back
(`keep_signed_reasoning`: Anthropic with thinking on). Then a reasoning message with an encrypted value
stays where it was, but only right before the assistant turn it led to (text or calls): a thinking block
without the answer after it is rejected. Trimming keeps the newest turns without a gap, so a reasoning
message kept always has its answer with it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from agui_runtime.application.errors import ConfigurationError
from agui_runtime.domain.messages import (
    CONVERSATION,
    ActionExecutionMessage,
    Message,
    ReasoningMessage,
    ResultMessage,
    Role,
    TextMessage,
)
from agui_runtime.domain.tools import ToolDefinition

CHARS_PER_TOKEN = 3


@dataclass(slots=True)
class ToolRound:
    """Tool calls made together, followed by their results in call order."""

    calls: list[ActionExecutionMessage] = field(default_factory=list)
    results: list[ResultMessage] = field(default_factory=list)


Turn = Message | ToolRound


def prepare(
    messages: Sequence[Message],
    tools: Sequence[ToolDefinition],
    max_input_tokens: int,
    *,
    keep_signed_reasoning: bool = False,
) -> list[Turn]:
    turns = _pair(messages, keep_signed_reasoning)
    if keep_signed_reasoning:
        turns = _answered_reasoning(turns)
    return _trim(turns, tools, max_input_tokens)


def _is_signed_reasoning(message: Message) -> bool:
    # A sub-agent's reasoning is not this model's own, whatever vendor signed it.
    return isinstance(message, ReasoningMessage) and bool(message.encrypted_value) and message.subagent_run_id is None


def _answered_reasoning(turns: list[Turn]) -> list[Turn]:
    """The turns without the reasoning that no assistant text or call follows (before the next user turn)."""
    kept: list[Turn] = []
    answered = False  # whether an assistant turn follows, looking from the end
    for turn in reversed(turns):
        if isinstance(turn, ReasoningMessage):
            if answered:
                kept.append(turn)
            continue
        answered = isinstance(turn, ToolRound) or (
            isinstance(turn, TextMessage) and turn.role is Role.ASSISTANT and bool(turn.content)
        )
        kept.append(turn)
    kept.reverse()
    return kept


def _pair(messages: Sequence[Message], keep_signed_reasoning: bool = False) -> list[Turn]:
    call_ids = {message.id for message in messages if isinstance(message, ActionExecutionMessage)}
    results: dict[str, ResultMessage] = {}
    for message in messages:
        if isinstance(message, ResultMessage) and message.action_execution_id in call_ids:
            results.setdefault(message.action_execution_id, message)
    turns: list[Turn] = []
    for message in messages:
        if keep_signed_reasoning and _is_signed_reasoning(message):
            turns.append(message)
            continue
        # Agent state, activity and reasoning are not conversation for a chat model; results join their calls.
        if not isinstance(message, CONVERSATION) or isinstance(message, ResultMessage):
            continue
        if isinstance(message, ActionExecutionMessage):
            result = results.get(message.id)
            if result is None:
                continue
            if not turns or not isinstance(turns[-1], ToolRound):
                turns.append(ToolRound())
            last = turns[-1]
            assert isinstance(last, ToolRound)
            last.calls.append(message)
            last.results.append(result)
        else:
            turns.append(message)
    return turns


def _is_system(turn: Turn) -> bool:
    return isinstance(turn, TextMessage) and turn.role in (Role.SYSTEM, Role.DEVELOPER)


def _size(turn: Turn) -> int:
    match turn:
        case ToolRound():
            calls = sum(len(c.name) + len(json.dumps(c.arguments)) for c in turn.calls)
            return (calls + sum(len(r.result) for r in turn.results)) // CHARS_PER_TOKEN + 1
        case TextMessage():
            return len(turn.content) // CHARS_PER_TOKEN + 1
        case ReasoningMessage():
            return (len(turn.content) + len(turn.encrypted_value or "")) // CHARS_PER_TOKEN + 1
        case _:
            return 1 + len(getattr(turn, "bytes", "")) // 1000  # images are billed by size, not by base64 text


def _trim(turns: list[Turn], tools: Sequence[ToolDefinition], max_input_tokens: int) -> list[Turn]:
    budget = max_input_tokens - sum(
        (len(t.name) + len(t.description) + len(json.dumps(t.parameters))) // CHARS_PER_TOKEN for t in tools
    )
    budget -= sum(_size(turn) for turn in turns if _is_system(turn))
    if budget < 0:
        raise ConfigurationError(
            f"The tools and system messages alone exceed the model input budget of {max_input_tokens} tokens "
            "(AGUI_LLM_MAX_INPUT_TOKENS)."
        )
    kept: set[int] = set()
    for index in range(len(turns) - 1, -1, -1):
        turn = turns[index]
        if _is_system(turn):
            continue
        size = _size(turn)
        if size > budget:
            break
        budget -= size
        kept.add(index)
    return [turn for index, turn in enumerate(turns) if _is_system(turn) or index in kept]
