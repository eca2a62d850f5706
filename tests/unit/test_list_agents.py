from agui_runtime.application.use_cases.list_agents import ListAgents, ListAgentsQuery
from agui_runtime.domain.agents import AgentDescriptor
from tests.fakes import FakeHooks, StaticAgents


async def test_lists_every_agent_in_configuration_order_with_stable_ids() -> None:
    agents = StaticAgents(AgentDescriptor("writer", "writes"), AgentDescriptor("critic"))
    list_agents = ListAgents(agents, FakeHooks())

    first = await list_agents(ListAgentsQuery())
    second = await list_agents(ListAgentsQuery())

    assert [(a.id, a.name, a.description) for a in first] == [("writer", "writer", "writes"), ("critic", "critic", "")]
    assert [a.id for a in second] == [a.id for a in first]


async def test_no_agents_is_an_empty_list() -> None:
    assert await ListAgents(StaticAgents(), FakeHooks())(ListAgentsQuery()) == []
