"""Topic guardrails: which requests they judge, and what a judgement says."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agui_runtime.domain.messages import Message, Role, TextMessage


@dataclass(frozen=True, slots=True)
class TopicRules:
    """Topics a user message may be about (`allow`; empty means any) and may not be about (`deny`)."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.allow and not self.deny


@dataclass(frozen=True, slots=True)
class GuardrailsCase:
    """What a guardrails check judges: the last user message, with the earlier text turns as context."""

    rules: TopicRules
    input: str
    history: tuple[tuple[Role, str], ...] = ()


@dataclass(frozen=True, slots=True)
class GuardrailsVerdict:
    allowed: bool
    reason: str = ""


def guardrails_case(rules: TopicRules | None, messages: Sequence[Message]) -> GuardrailsCase | None:
    """The case to judge, or None when guardrails do not apply: no rules, or the last message is not a
    user's text (a follow-up carrying an action result is judged by the request that caused the call)."""
    if rules is None or rules.empty or not messages:
        return None
    last = messages[-1]
    if not isinstance(last, TextMessage) or last.role is not Role.USER:
        return None
    history = tuple(
        (message.role, message.content)
        for message in messages[:-1]
        if isinstance(message, TextMessage) and message.role in (Role.USER, Role.ASSISTANT)
    )
    return GuardrailsCase(rules, last.content, history)


def verdict_from(reply: object) -> GuardrailsVerdict | None:
    """The verdict in a `{"status": "allowed" | "denied", "reason"?: str}` object (the shape both the
    cloud service and the classifier answer in), or None when it holds none."""
    if not isinstance(reply, dict):
        return None
    status, reason = reply.get("status"), reply.get("reason")
    if status not in ("allowed", "denied"):
        return None
    return GuardrailsVerdict(allowed=status == "allowed", reason=reason if isinstance(reason, str) else "")
