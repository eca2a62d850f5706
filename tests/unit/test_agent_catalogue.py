import pytest

from agui_runtime.application.agents import DEFAULT_AGENT, AgentCatalogue, CatalogueEntry
from agui_runtime.application.errors import AgentNotFound
from agui_runtime.application.requests import RequestContext
from agui_runtime.domain.agents import AgentDescriptor
from tests.fakes import ScriptedChatModel, StaticAgents

WRITER = AgentDescriptor("writer", "writes")


def catalogue(*agents: AgentDescriptor, chat_model: bool = True) -> AgentCatalogue:
    return AgentCatalogue(StaticAgents(*agents), ScriptedChatModel() if chat_model else None)


async def test_default_is_the_chat_model_listed_first_when_one_is_configured() -> None:
    listed = catalogue(WRITER).entries([WRITER])

    assert listed[0] == CatalogueEntry(DEFAULT_AGENT, DEFAULT_AGENT, listed[0].description, built_in=True)
    assert listed[1:] == [CatalogueEntry("writer", "writer", "writes")]
    assert catalogue(WRITER).is_default(DEFAULT_AGENT)
    assert catalogue(WRITER).agent_name(DEFAULT_AGENT) is None
    assert await catalogue().exists(DEFAULT_AGENT, RequestContext())


async def test_without_a_chat_model_there_is_no_default() -> None:
    without = catalogue(WRITER, chat_model=False)

    assert without.entries([WRITER]) == [CatalogueEntry("writer", "writer", "writes")]
    assert not without.is_default(DEFAULT_AGENT)
    assert without.agent_name(DEFAULT_AGENT) == DEFAULT_AGENT
    assert not await without.exists(DEFAULT_AGENT, RequestContext())


async def test_an_unknown_agent_is_not_found_naming_every_agent_that_exists() -> None:
    with pytest.raises(AgentNotFound) as raised:
        await catalogue(WRITER).require("critic", RequestContext())
    assert raised.value.available == (DEFAULT_AGENT, "writer")

    with pytest.raises(AgentNotFound) as raised:
        await catalogue(WRITER, chat_model=False).require("critic", RequestContext())
    assert raised.value.available == ("writer",)
    assert await catalogue(WRITER).exists("writer", RequestContext())


async def test_the_built_in_agent_wins_over_a_configured_one_of_that_name() -> None:
    named_default = AgentDescriptor(DEFAULT_AGENT, "configured")
    both = catalogue(named_default)

    assert both.agent_name(DEFAULT_AGENT) is None
    assert both.entries([named_default]) == [CatalogueEntry(DEFAULT_AGENT, DEFAULT_AGENT, "configured")]


def test_a_thread_without_an_agent_is_listed_under_default() -> None:
    assert AgentCatalogue.agent_id(None) == DEFAULT_AGENT
    assert AgentCatalogue.agent_id("writer") == "writer"
