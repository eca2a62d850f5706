"""Who is asking and what they forwarded: the request context that hooks, backend actions and agents
receive, and the reports the request hooks get."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from agui_runtime.domain.json import JsonObject
from agui_runtime.domain.messages import Message

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True, eq=False)
class RequestContext:
    """`properties`: the static properties of the settings with the request's own shallow-merged over
    them. `headers`: the request headers the allowlist lets through, names in lower case. `principal`:
    whom `on_before_request` said the request is for (None: anonymous). `url`: the page the client is
    on, when it says. `public_api_key`: the `X-CopilotCloud-Public-API-Key` header, when sent."""

    properties: JsonObject = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=lambda: _NO_HEADERS, repr=False)  # credentials
    principal: str | None = None
    url: str | None = None
    public_api_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_headers(
        cls, properties: JsonObject, headers: Iterable[tuple[str, str]], allowlist: HeaderAllowlist
    ) -> RequestContext:
        """The context of an HTTP request, whichever protocol carried it: the configured properties, the
        allowlisted headers and the CopilotKit Cloud public key."""
        given = list(headers)
        public_key = next((value for name, value in given if name.lower() == "x-copilotcloud-public-api-key"), None)
        return cls(dict(properties), allowlist.select(given), public_api_key=public_key or None)

    def with_properties(self, properties: JsonObject) -> RequestContext:
        """This context with `properties` merged over its own (the request's values win)."""
        return RequestContext(
            {**self.properties, **properties}, self.headers, self.principal, self.url, self.public_api_key
        )

    def for_principal(self, principal: str | None) -> RequestContext:
        return RequestContext(self.properties, self.headers, principal, self.url, self.public_api_key)

    def at_url(self, url: str | None) -> RequestContext:
        return RequestContext(self.properties, self.headers, self.principal, url, self.public_api_key)


NEVER_FORWARDED = frozenset({"cookie", "set-cookie", "proxy-authorization"})


# Headers a proxy, load balancer or platform sets about the hop itself, not about the user: not forwarded
# by a pattern (the TS runtime's default denylist). Naming one exactly in the allowlist still forwards it.
INFRASTRUCTURE_HEADERS = (
    "x-forwarded-*",
    "x-real-ip",
    "x-amzn-trace-id",
    "x-request-id",
    "x-copilotcloud-*",
    "x-amz-*",
    "x-azure-*",
    "x-vercel-*",
    "x-middleware-*",
)


class HeaderAllowlist:
    """Which request headers are forwarded: exact names, or patterns with `*` (`x-*`), less those that
    match a `denied` pattern unless named exactly. Case-insensitive. Cookies and proxy credentials never
    are, whatever the patterns."""

    def __init__(self, patterns: Iterable[str], denied: Iterable[str] = INFRASTRUCTURE_HEADERS) -> None:
        self._patterns = tuple(pattern.strip().lower() for pattern in patterns if pattern.strip())
        self._named = frozenset(pattern for pattern in self._patterns if "*" not in pattern)
        self._denied = tuple(pattern.strip().lower() for pattern in denied if pattern.strip())

    def select(self, headers: Iterable[tuple[str, str]]) -> Mapping[str, str]:
        chosen: dict[str, str] = {}
        for name, value in headers:
            lowered = name.lower()
            if lowered in NEVER_FORWARDED:
                continue
            if lowered not in self._named and any(fnmatch.fnmatchcase(lowered, p) for p in self._denied):
                continue
            if any(fnmatch.fnmatchcase(lowered, pattern) for pattern in self._patterns):
                chosen[lowered] = f"{chosen[lowered]}, {value}" if lowered in chosen else value
        return MappingProxyType(chosen)


@dataclass(frozen=True, slots=True)
class BeforeRequest:
    """What `on_before_request` sees. `operation` is the GraphQL field asked for (`generateCopilotResponse`,
    `loadAgentState`, `availableAgents`); thread, run, agent and messages are set where the operation has
    them."""

    operation: str
    request: RequestContext
    thread_id: str | None = None
    run_id: str | None = None
    agent_name: str | None = None
    input_messages: tuple[Message, ...] = ()


@dataclass(frozen=True, slots=True)
class AfterRequest:
    """What `on_after_request` sees once a chat run has ended. `error_code` is None when the run
    finished, else why it did not (`CLIENT_DISCONNECTED`, `GUARDRAILS_VALIDATION_FAILED`, an upstream
    code, ...)."""

    thread_id: str
    run_id: str
    request: RequestContext
    input_messages: tuple[Message, ...]
    output_messages: tuple[Message, ...]
    error_code: str | None = None
