"""The hooks adapter over plain callables, and both guardrails adapters against loopback servers."""

from __future__ import annotations

import asyncio
import logging
import threading

import httpx
import pytest

from agui_runtime.adapters.outbound.guardrails import CloudGuardrails, ModelGuardrails
from agui_runtime.adapters.outbound.hooks import PythonHooks
from agui_runtime.adapters.outbound.llm.openai_chat import open_model
from agui_runtime.application.errors import GuardrailsUnavailable, RequestRejected
from agui_runtime.application.requests import AfterRequest, BeforeRequest, RequestContext
from agui_runtime.domain.guardrails import GuardrailsCase, GuardrailsVerdict, TopicRules
from tests.integration.mock_llm import MockLLM, Reply

KEYED = RequestContext(public_api_key="ck_pub_test")
CASE = GuardrailsCase(TopicRules(deny=("politics",)), "Who wins?")
BEFORE = BeforeRequest("availableAgents", RequestContext())
AFTER = AfterRequest("t1", "r1", RequestContext(), (), ())


async def test_a_sync_before_hook_runs_off_the_event_loop_and_names_the_principal() -> None:
    threads: list[int] = []

    def before(ctx: BeforeRequest) -> str:
        threads.append(threading.get_ident())
        return "alice"

    assert await PythonHooks(before).before_request(BEFORE) == "alice"
    assert threads != [threading.get_ident()]
    assert await PythonHooks().before_request(BEFORE) is None


@pytest.mark.parametrize("returned", [42, ""])
async def test_a_before_hook_that_fails_or_returns_nonsense_refuses_without_internals(
    returned: object, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(ctx: BeforeRequest) -> str:
        raise KeyError("/etc/secret-path")

    async def odd(ctx: BeforeRequest) -> object:
        return returned

    for hook in (broken, odd):
        with pytest.raises(RequestRejected) as caught:
            await PythonHooks(hook).before_request(BEFORE)
        assert caught.value.code == "UNKNOWN"
        assert "secret" not in caught.value.message
    assert "on_before_request raised KeyError" in caplog.text


async def test_the_after_hook_runs_in_the_background_and_its_failure_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()
    done: list[str] = []

    async def slow(report: AfterRequest) -> None:
        await release.wait()
        done.append(report.thread_id)

    def failing(report: AfterRequest) -> None:
        raise RuntimeError("audit store down")

    hooks = PythonHooks(after=slow)
    hooks.after_request(AFTER)  # returns at once although the hook waits
    assert done == []
    release.set()
    await hooks.drain(5)
    assert done == ["t1"]

    broken = PythonHooks(after=failing)
    with caplog.at_level(logging.ERROR):
        broken.after_request(AFTER)
        await broken.drain(5)
    assert "on_after_request raised RuntimeError: audit store down (thread t1)" in caplog.text


async def test_drain_gives_up_on_a_hook_that_never_ends(caplog: pytest.LogCaptureFixture) -> None:
    async def stuck(report: AfterRequest) -> None:
        await asyncio.sleep(60)

    hooks = PythonHooks(after=stuck)
    hooks.after_request(AFTER)
    await hooks.drain(0.05)
    assert "did not finish before shutdown" in caplog.text


async def test_cloud_guardrails_fail_closed_on_errors(mock_llm: MockLLM) -> None:
    mock_llm.verdicts.extend([(502, {"error": "bad gateway"}), (200, {"verdict": "?"}), (200, {"status": "allowed"})])
    async with httpx.AsyncClient(base_url=mock_llm.base_url, timeout=5) as client:
        guardrails = CloudGuardrails(client)
        with pytest.raises(GuardrailsUnavailable, match="HTTP 502"):
            await guardrails.check(CASE, KEYED)
        with pytest.raises(GuardrailsUnavailable, match="without a verdict"):
            await guardrails.check(CASE, KEYED)
        assert await guardrails.check(CASE, KEYED) == GuardrailsVerdict(allowed=True)
        with pytest.raises(GuardrailsUnavailable, match="X-CopilotCloud-Public-API-Key"):
            await guardrails.check(CASE, RequestContext())
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=5) as unreachable:
        with pytest.raises(GuardrailsUnavailable, match="did not answer"):
            await CloudGuardrails(unreachable).check(CASE, KEYED)


async def test_model_guardrails_fail_closed_when_the_model_fails(mock_llm: MockLLM) -> None:
    mock_llm.script(Reply(status=401, error={"error": {"message": "Incorrect API key provided: sk-test"}}))
    opened = open_model(
        api_key="sk-test",
        base_url=mock_llm.url,
        model="mock",
        timeout_seconds=5,
        max_retries=0,
        max_input_tokens=10_000,
    )
    async with opened as model:
        with pytest.raises(GuardrailsUnavailable) as caught:
            await ModelGuardrails(model).check(CASE, RequestContext())
    assert caught.value.message.startswith("The guardrails check failed:")
    assert "sk-test" not in caught.value.message
    with pytest.raises(GuardrailsUnavailable, match="AGUI_LLM_PROVIDER"):
        await ModelGuardrails(None).check(CASE, RequestContext())
