"""Inbound adapters: the protocols clients speak to the runtime."""
