"""The GraphQL endpoint over HTTP: request parsing, cached parse and validation, status codes and
content negotiation as the reference runtime answers (runtime-v1-spec §1), then execution through
graphql-core on the Strawberry schema."""

from __future__ import annotations

import inspect
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from graphql import (
    DirectiveNode,
    DocumentNode,
    ExecutionResult,
    ExperimentalIncrementalExecutionResults,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationType,
    Visitor,
    experimental_execute_incrementally,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
    visit,
)
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from agui_runtime.adapters.inbound.graphql.compiled import CompiledChat
from agui_runtime.adapters.inbound.graphql.context import GraphQLContext, UseCases
from agui_runtime.adapters.inbound.graphql.errors import format_error
from agui_runtime.adapters.inbound.graphql.incremental import (
    MULTIPART_HEADERS,
    SSE_HEADERS,
    LegacyIncrementalFormat,
    multipart,
    server_sent_events,
)
from agui_runtime.adapters.inbound.graphql.limits import TOO_COMPLEX, QueryLimits
from agui_runtime.adapters.inbound.graphql.negotiation import (
    IncrementalFormat,
    SingleFormat,
    incremental_format,
    single_result_format,
    wants_graphql_response,
)
from agui_runtime.adapters.inbound.graphql.run_view import ActiveRuns
from agui_runtime.application.requests import HeaderAllowlist, RequestContext
from agui_runtime.domain.errors import ErrorCode
from agui_runtime.domain.json import JsonObject

logger = logging.getLogger("agui_runtime.graphql")

_CACHE_SIZE = 256


class _BadRequest(Exception):
    def __init__(self, status: int, message: str, code: ErrorCode, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


@dataclass(frozen=True, slots=True)
class _Operation:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


@dataclass(frozen=True, slots=True)
class _Document:
    document: DocumentNode | None  # None on a syntax error
    errors: list[GraphQLError]
    incremental: bool  # it defers or streams
    compiled: bool  # it is the client's chat document (`CompiledChat`)


class _IncrementalDirectives(Visitor):
    found = False

    def enter_directive(self, node: DirectiveNode, *_: object) -> None:
        if node.name.value in ("defer", "stream"):
            self.found = True


def _is_incremental(document: DocumentNode) -> bool:
    visitor = _IncrementalDirectives()
    visit(document, visitor)
    return visitor.found


class _DocumentCache:
    """Parsed and validated documents by query text. Clients send the same few documents on every
    request, so parsing and validating once saves milliseconds per request."""

    def __init__(
        self,
        schema: GraphQLSchema,
        introspection: bool,
        compiled: CompiledChat | None,
        limits: QueryLimits | None = None,
        max_tokens: int = 10_000,
    ) -> None:
        self._schema = schema
        self._limits = limits or QueryLimits()
        self._max_tokens = max_tokens
        self._compiled = compiled
        self._rules = [*specified_rules] if introspection else [*specified_rules, NoSchemaIntrospectionCustomRule]
        self._entries: OrderedDict[str, _Document] = OrderedDict()

    def get(self, query: str) -> _Document:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
            return entry
        try:
            document = parse(query, max_tokens=self._max_tokens)
            problem = self._limits.problem(document)
        except GraphQLError as error:
            entry = _Document(None, [error], False, False)
        except RecursionError:  # nesting the parser cannot follow
            entry = _Document(None, [_too_complex("The document nests too deeply to be read.")], False, False)
        else:
            # A document over a limit is not validated: validation recurses through fragments, and the request
            # is refused anyway.
            errors = [_too_complex(problem)] if problem is not None else self._validate(document)
            compiled = not errors and self._compiled is not None and self._compiled.matches(document)
            entry = _Document(document, errors, _is_incremental(document), compiled)
        self._entries[query] = entry
        if len(self._entries) > _CACHE_SIZE:
            self._entries.popitem(last=False)
        return entry

    def _validate(self, document: DocumentNode) -> list[GraphQLError]:
        try:
            return validate(self._schema, document, self._rules)
        except RecursionError:
            return [_too_complex("The document is too complex to validate.")]


def _too_complex(problem: str) -> GraphQLError:
    return GraphQLError(f"{problem} Send a smaller document.", extensions={"code": TOO_COMPLEX})


class GraphQLEndpoint:
    """The app factory routes GET and POST on the runtime path to `handle`."""

    def __init__(
        self,
        schema: GraphQLSchema,
        use_cases: Callable[[], UseCases | None],
        runs: ActiveRuns,
        *,
        introspection: bool,
        forward_headers: HeaderAllowlist | None = None,
        properties: JsonObject | None = None,
        compiled: bool = True,
        limits: QueryLimits | None = None,
        max_tokens: int = 10_000,
    ) -> None:
        self._schema = schema
        self._forward_headers = forward_headers or HeaderAllowlist(())
        self._properties = dict(properties or {})
        self._runs = runs
        self._use_cases = use_cases
        self._compiled = CompiledChat(schema) if compiled else None
        self._documents = _DocumentCache(schema, introspection, self._compiled, limits, max_tokens)

    async def handle(self, request: Request) -> Response:
        accept = request.headers.get("accept")
        use_cases = self._use_cases()
        if use_cases is None:
            body = {"errors": [{"message": "The runtime is not started.", "extensions": {"code": ErrorCode.NOT_READY}}]}
            return _json_response(body, 503, SingleFormat.JSON)
        try:
            operation = await self._read(request)
            return await self._execute(request, operation, accept, use_cases)
        except _BadRequest as bad:
            body = {"errors": [{"message": bad.message, "extensions": {"code": bad.code}}]}
            return _json_response(body, bad.status, single_result_format(accept) or SingleFormat.JSON, bad.headers)

    async def _read(self, request: Request) -> _Operation:
        if request.method == "GET":
            raw: Mapping[str, Any] = dict(request.query_params)
            variables = raw.get("variables")
            if isinstance(variables, str) and variables:
                raw = {**raw, "variables": _loads(variables, "variables")}
        else:
            content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if content_type != "application/json":
                raise _BadRequest(
                    415,
                    "Send the GraphQL request as JSON (Content-Type: application/json).",
                    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                )
            parsed = _loads(await request.body(), "request body")
            if not isinstance(parsed, dict):
                raise _BadRequest(
                    400, "The request body must be a JSON object; batching is not supported.", ErrorCode.BAD_REQUEST
                )
            raw = parsed
        query, variables, name = raw.get("query"), raw.get("variables"), raw.get("operationName")
        if not isinstance(query, str) or not query.strip():
            raise _BadRequest(400, "Must provide a query string.", ErrorCode.BAD_REQUEST)
        if variables is not None and not isinstance(variables, dict):
            raise _BadRequest(400, "`variables` must be a JSON object.", ErrorCode.BAD_REQUEST)
        if name is not None and not isinstance(name, str):
            raise _BadRequest(400, "`operationName` must be a string.", ErrorCode.BAD_REQUEST)
        return _Operation(query, variables, name or None)

    async def _execute(
        self, request: Request, operation: _Operation, accept: str | None, use_cases: UseCases
    ) -> Response:
        cached = self._documents.get(operation.query)
        document, errors, incremental = cached.document, cached.errors, cached.incremental
        response_format = single_result_format(accept) or SingleFormat.JSON
        if document is None:
            return _errors_response(errors, 400, response_format)
        definition = get_operation_ast(document, operation.operation_name)
        if definition is not None and request.method == "GET" and definition.operation is not OperationType.QUERY:
            message = f"Can only perform a {definition.operation.value} operation from a POST request."
            raise _BadRequest(405, message, ErrorCode.BAD_REQUEST, {"allow": "POST"})
        if errors:
            status = 400 if wants_graphql_response(accept) else 200
            return _errors_response(errors, status, response_format)
        if definition is None:
            message = "Could not determine which operation to run; set operationName."
            raise _BadRequest(400, message, ErrorCode.BAD_REQUEST)
        # Refuse an unusable Accept before any work starts (no model call for a client that cannot read it).
        stream_format = incremental_format(accept) if incremental else None
        if incremental and stream_format is None:
            return Response(status_code=406, headers={"accept": "text/event-stream; charset=utf-8, multipart/mixed"})
        if not incremental and single_result_format(accept) is None:
            return Response(status_code=406, headers={"accept": "application/graphql-response+json, application/json"})

        context = GraphQLContext(use_cases=use_cases, runs=self._runs, request=self._request_context(request))
        result: ExecutionResult | ExperimentalIncrementalExecutionResults | AsyncIterator[dict[str, Any]]
        try:
            if cached.compiled and self._compiled is not None and stream_format is not None:
                result = await self._compiled.execute(operation.variables, context)
            else:
                executed = experimental_execute_incrementally(
                    self._schema,
                    document,
                    variable_values=operation.variables,
                    context_value=context,
                    operation_name=operation.operation_name,
                )
                result = await executed if inspect.isawaitable(executed) else executed
        except BaseException:
            await context.close()
            raise
        if isinstance(result, ExecutionResult):
            await context.close()
            return _single_response(result, response_format)
        assert stream_format is not None
        if isinstance(result, ExperimentalIncrementalExecutionResults):
            payloads = self._closing(_converted(result), context, result.subsequent_results)
        else:
            payloads = self._closing(result, context, None)
        if stream_format is IncrementalFormat.SSE:
            return StreamingResponse(server_sent_events(payloads), headers=SSE_HEADERS)
        return StreamingResponse(multipart(payloads), headers=MULTIPART_HEADERS)

    def _request_context(self, request: Request) -> RequestContext:
        return RequestContext.from_headers(self._properties, request.headers.items(), self._forward_headers)

    @staticmethod
    async def _closing(
        payloads: AsyncIterator[dict[str, Any]], context: GraphQLContext, executor: AsyncGenerator[Any, None] | None
    ) -> AsyncIterator[dict[str, Any]]:
        """`payloads`; when the response ends, however it ends (the client leaving included), the
        executor's streams are closed and the run is stopped."""
        try:
            async for payload in payloads:
                yield payload
        finally:
            # When the client left, this runs in a cancelled scope where every await is cancelled again:
            # shield the clean-up, or the run and its upstream connection would be left open.
            with anyio.CancelScope(shield=True):
                try:
                    if executor is not None:
                        await executor.aclose()
                    aclose = getattr(payloads, "aclose", None)
                    if aclose is not None:
                        await aclose()
                finally:
                    await context.close()


async def _converted(results: ExperimentalIncrementalExecutionResults) -> AsyncIterator[dict[str, Any]]:
    """The executor's payloads in the legacy format."""
    converter = LegacyIncrementalFormat(format_error)
    yield converter.initial(results.initial_result)
    async for result in results.subsequent_results:
        yield converter.subsequent(result)


def _single_response(result: ExecutionResult, response_format: SingleFormat) -> Response:
    # Errors before execution (variables that do not coerce) carry no path and leave no data.
    status = 400 if result.data is None and result.errors and all(e.path is None for e in result.errors) else 200
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [format_error(error) for error in result.errors]
    body["data"] = result.data
    return _json_response(body, status, response_format)


def _loads(raw: str | bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _BadRequest(400, f"The {what} is not valid JSON.", ErrorCode.BAD_REQUEST) from exc


def _errors_response(errors: list[GraphQLError], status: int, response_format: SingleFormat) -> Response:
    return _json_response({"errors": [format_error(error) for error in errors]}, status, response_format)


def _json_response(
    body: Mapping[str, Any], status: int, response_format: SingleFormat, headers: Mapping[str, str] | None = None
) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content, status_code=status, media_type=response_format.value, headers=dict(headers or {}))
