"""How big a GraphQL document may be, checked after parsing and before validation (which recurses, and
which a document of thousands of nested fragments would send past the stack). Refused with the code
`QUERY_TOO_COMPLEX`, before any resolver runs."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from agui_runtime.domain.errors import ErrorCode

TOO_COMPLEX = ErrorCode.QUERY_TOO_COMPLEX
CHAT_FIELD = "generateCopilotResponse"


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """`max_depth`: fields nested in fields (fragments do not count, their fields do); `max_aliases`:
    aliased fields in the whole document; `max_chats`: `generateCopilotResponse` fields at the root (each
    one is a model call); `max_fragment_spreads`: fragment spreads expanded while measuring."""

    max_depth: int = 20
    max_aliases: int = 20
    max_chats: int = 1
    max_fragment_spreads: int = 500

    def problem(self, document: DocumentNode) -> str | None:
        """What is over a limit, or None. Walks with an explicit stack: no recursion to overflow."""
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        aliases = chats = spreads = 0
        stack: list[tuple[SelectionSetNode, int, frozenset[str]]] = [
            (d.selection_set, 0, frozenset()) for d in document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        while stack:
            selection_set, depth, path = stack.pop()
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    if selection.alias is not None:
                        aliases += 1
                        if aliases > self.max_aliases:
                            return f"The document has more than {self.max_aliases} aliased fields."
                    if depth == 0 and selection.name.value == CHAT_FIELD:
                        chats += 1
                        if chats > self.max_chats:
                            return f"A request may ask for {CHAT_FIELD} at most {self.max_chats} time(s)."
                    if selection.selection_set is not None:
                        if depth + 1 > self.max_depth:
                            return f"The document nests fields deeper than {self.max_depth} levels."
                        stack.append((selection.selection_set, depth + 1, path))
                elif isinstance(selection, InlineFragmentNode):
                    stack.append((selection.selection_set, depth, path))
                elif isinstance(selection, FragmentSpreadNode):
                    spreads += 1
                    if spreads > self.max_fragment_spreads:
                        return f"The document expands more than {self.max_fragment_spreads} fragment spreads."
                    name = selection.name.value
                    fragment = fragments.get(name)
                    if fragment is not None and name not in path:  # a cycle is validation's to report
                        stack.append((fragment.selection_set, depth, path | {name}))
        return None
