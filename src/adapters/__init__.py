"""Adapters: everything that touches the outside world, behind the application ports."""
