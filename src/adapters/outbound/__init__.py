"""Outbound adapters: stores, models, agents and system services behind the ports."""
