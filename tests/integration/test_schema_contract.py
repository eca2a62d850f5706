"""The printed schema is the reference contract, type for type and byte for byte in every text."""

from pathlib import Path

from graphql import (
    GraphQLDeferDirective,
    GraphQLSchema,
    GraphQLStreamDirective,
    build_schema,
    lexicographic_sort_schema,
    print_directive,
    print_schema,
)

from agui_runtime.adapters.inbound.graphql.schema import build_graphql_schema

REFERENCE = Path(__file__).parent / "fixtures" / "reference_schema.graphql"
INCREMENTAL = (GraphQLDeferDirective, GraphQLStreamDirective)


def normalised(sdl: str) -> str:
    return print_schema(lexicographic_sort_schema(build_schema(sdl)))


def test_the_schema_matches_the_reference_sdl() -> None:
    ours = build_graphql_schema()
    # The reference adds @defer / @stream at run time (yoga's plugin), so its printed SDL has neither;
    # they are compared with graphql-core's own definitions below.
    kwargs = ours.to_kwargs()
    kwargs["directives"] = tuple(d for d in ours.directives if d.name not in ("defer", "stream"))
    printed = print_schema(lexicographic_sort_schema(GraphQLSchema(**kwargs)))
    assert printed == normalised(REFERENCE.read_text(encoding="utf-8"))


def test_defer_and_stream_are_graphql_cores_definitions() -> None:
    ours = build_graphql_schema()
    for directive in INCREMENTAL:
        assert print_directive(ours.get_directive(directive.name)) == print_directive(directive)  # type: ignore[arg-type]


def test_the_comparison_sees_a_changed_description() -> None:
    reference = REFERENCE.read_text(encoding="utf-8")
    altered = reference.replace('"""The role of the message"""', '"""The role of a message"""')
    assert altered != reference
    assert normalised(altered) != normalised(reference)
