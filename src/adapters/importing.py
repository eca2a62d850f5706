"""Objects named in configuration as `module:attribute` (dots allowed in both parts)."""

from __future__ import annotations

import importlib


def import_object(path: str, what: str) -> object:
    """The object at `path`; a ValueError naming `what` and the missing part when it cannot be found."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{what}: '{path}' is not of the form module:attribute")
    try:
        target: object = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"{what}: cannot import module '{module_name}' ({exc})") from exc
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ValueError(f"{what}: module '{module_name}' has no '{attribute}'")
        target = getattr(target, part)
    return target
