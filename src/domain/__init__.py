"""The pure model of agui-runtime: threads, messages, agents, agent state and run events (stdlib only)."""
