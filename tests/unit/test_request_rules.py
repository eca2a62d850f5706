"""Pure rules: who may use a thread, which headers are forwarded, when guardrails apply and what the
classifier's answer means."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agui_runtime.adapters.outbound.guardrails.model import classification_request, read_verdict
from agui_runtime.application.actions import CombinedActions
from agui_runtime.application.errors import GuardrailsUnavailable
from agui_runtime.application.requests import HeaderAllowlist, RequestContext
from agui_runtime.domain.guardrails import GuardrailsCase, GuardrailsVerdict, TopicRules, guardrails_case
from agui_runtime.domain.messages import ResultMessage, Role, TextMessage
from agui_runtime.domain.thread import Thread
from agui_runtime.domain.tools import ActionOutcome
from tests.fakes import FakeActions

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def text(role: Role, content: str, message_id: str = "m") -> TextMessage:
    return TextMessage(id=message_id, created_at=T0, role=role, content=content)


def test_thread_access() -> None:
    owned = Thread("t", T0, principal="alice")
    anonymous = Thread("t", T0)
    assert owned.accessible_by("alice")
    assert not owned.accessible_by("bob")
    assert not owned.accessible_by(None)
    assert anonymous.accessible_by(None)
    assert anonymous.accessible_by("bob")


def test_the_header_allowlist_matches_names_and_patterns_case_insensitively() -> None:
    allow = HeaderAllowlist(["Authorization", "x-*"])
    chosen = allow.select(
        [("authorization", "Bearer a"), ("X-Tenant", "acme"), ("x-tenant", "beta"), ("cookie", "s=1"), ("host", "h")]
    )
    assert dict(chosen) == {"authorization": "Bearer a", "x-tenant": "acme, beta"}
    assert dict(HeaderAllowlist([]).select([("authorization", "x")])) == {}
    sneaky = HeaderAllowlist(["co*", "*-authorization", "set-*"])
    assert dict(sneaky.select([("Cookie", "s=1"), ("Proxy-Authorization", "p"), ("Set-Cookie", "x")])) == {}


def test_infrastructure_headers_are_not_forwarded_by_a_pattern_unless_named() -> None:
    sent = [
        ("X-Forwarded-For", "10.0.0.1"),
        ("x-real-ip", "10.0.0.1"),
        ("x-request-id", "r1"),
        ("x-amzn-trace-id", "Root=1"),
        ("x-amz-date", "d"),
        ("x-vercel-id", "v"),
        ("x-copilotcloud-public-api-key", "k"),
        ("x-tenant", "acme"),
    ]
    assert dict(HeaderAllowlist(["x-*"]).select(sent)) == {"x-tenant": "acme"}
    # named exactly, it is what the operator asked for
    assert dict(HeaderAllowlist(["x-*", "X-Request-Id"]).select(sent)) == {"x-request-id": "r1", "x-tenant": "acme"}
    assert len(HeaderAllowlist(["x-*"], denied=()).select(sent)) == len(sent)


def test_request_properties_are_merged_over_the_configured_ones() -> None:
    base = RequestContext(properties={"tenant": "default", "region": "eu"}, headers={"x-a": "1"})
    merged = base.with_properties({"tenant": "acme"}).for_principal("alice").at_url("https://app")
    assert (merged.properties, dict(merged.headers), merged.principal, merged.url) == (
        {"tenant": "acme", "region": "eu"},
        {"x-a": "1"},
        "alice",
        "https://app",
    )
    assert base.properties == {"tenant": "default", "region": "eu"}


def test_guardrails_apply_only_to_a_last_user_text_with_rules() -> None:
    rules = TopicRules(deny=("politics",))
    question = text(Role.USER, "Who should I vote for?", "u2")
    history = [text(Role.SYSTEM, "be nice", "s"), text(Role.USER, "hi", "u1"), text(Role.ASSISTANT, "hello", "a1")]
    result = ResultMessage(id="r", created_at=T0, action_execution_id="c", action_name="n", result="")

    case = guardrails_case(rules, [*history, question])
    assert case == GuardrailsCase(rules, "Who should I vote for?", ((Role.USER, "hi"), (Role.ASSISTANT, "hello")))
    assert guardrails_case(None, [question]) is None
    assert guardrails_case(TopicRules(), [question]) is None
    assert guardrails_case(rules, [question, result]) is None
    assert guardrails_case(rules, [text(Role.ASSISTANT, "x")]) is None
    assert guardrails_case(rules, []) is None


def test_the_classification_request_is_deterministic_and_names_the_topics() -> None:
    case = GuardrailsCase(TopicRules(("cooking",), ("politics", "sports")), "Best pasta?", ((Role.USER, "hi"),))
    request = classification_request(case)
    assert request.parameters.temperature == 0.0
    assert request.tools == ()
    system, user = request.messages
    assert isinstance(system, TextMessage)
    assert isinstance(user, TextMessage)
    assert "Allowed topics: cooking" in system.content
    assert "Denied topics: politics; sports" in system.content
    assert user.content == "Earlier messages:\nuser: hi\n\nLatest message:\nBest pasta?"
    assert [m.content for m in classification_request(case).messages if isinstance(m, TextMessage)] == [
        system.content,
        user.content,
    ]


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ('{"status": "allowed"}', GuardrailsVerdict(allowed=True)),
        ('```json\n{"status":"denied","reason":"No politics."}\n```', GuardrailsVerdict(False, "No politics.")),
        ('Sure: {"status": "denied"}', GuardrailsVerdict(False, "")),
    ],
)
def test_the_classifier_answer_is_read(answer: str, verdict: GuardrailsVerdict) -> None:
    assert read_verdict(answer) == verdict


@pytest.mark.parametrize("answer", ["", "allowed", '{"status": "maybe"}', "{not json}"])
def test_an_unreadable_classifier_answer_fails_closed(answer: str) -> None:
    with pytest.raises(GuardrailsUnavailable):
        read_verdict(answer)


async def test_combined_actions_serve_each_name_from_the_first_registry_that_lists_it() -> None:
    local = FakeActions({"lookup": ActionOutcome(result="local"), "shared": ActionOutcome(result="local twin")})
    remote = FakeActions({"shared": ActionOutcome(result="remote twin"), "book": ActionOutcome(result="booked")})
    combined = CombinedActions([local, remote])

    assert [tool.name for tool in await combined.definitions()] == ["lookup", "shared", "book"]
    assert (await combined.execute("shared", {}, RequestContext())).result == "local twin"
    assert (await combined.execute("book", {"a": 1}, RequestContext())).result == "booked"
    assert remote.calls == [("book", {"a": 1})]
    missing = await combined.execute("ghost", {}, RequestContext())
    assert missing.error_code == "UNKNOWN_ACTION"
