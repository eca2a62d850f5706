"""Settings, validated once at start-up. Precedence: CLI flags > environment (`AGUI_*`) > TOML file
(`AGUI_CONFIG` or `--config`) > defaults. A bad value becomes one `SettingsError` line per problem,
naming the key, never a traceback."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from agui_runtime.application.requests import INFRASTRUCTURE_HEADERS

ENV_PREFIX = "AGUI_"
_IMPORT_PATH = r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$"


class SettingsError(Exception):
    """Configuration that cannot start the runtime; the message names each bad key."""


def _http_url(value: str, key: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{key} must be an http:// or https:// URL, got {value!r}")
    return value


def check_path(value: str) -> str:
    """The path the runtime answers at: `/segment[/segment...]`, no trailing slash."""
    if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+", value):
        raise ValueError(f"path must look like /api/copilotkit (no trailing slash), got {value!r}")
    return value


class AgentConfig(BaseModel):
    """One `[[agents]]` table. `url` is the exact URL the agent is called at; `import` is `module:attribute`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$")
    description: str = ""
    kind: Literal["agui-http", "python", "copilotkit-remote"]
    url: str | None = None
    import_path: str | None = Field(default=None, alias="import", pattern=_IMPORT_PATH)
    # Sent with every call to the agent, over the forwarded ones of the same name (an API key of its own).
    headers: dict[str, str] = {}

    @field_validator("headers")
    @classmethod
    def _check_agent_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", name):
                raise ValueError(f"{name!r} is not a header name")
        return {name.lower(): header for name, header in value.items()}

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value, "url")

    @model_validator(mode="after")
    def _check_target(self) -> AgentConfig:
        if self.kind == "python":
            if self.import_path is None or self.url is not None:
                raise ValueError(f"agent '{self.name}' of kind 'python' needs `import` and no `url`")
            if self.headers:
                raise ValueError(f"agent '{self.name}' of kind 'python' is called in process: it takes no `headers`")
        elif self.url is None or self.import_path is not None:
            raise ValueError(f"agent '{self.name}' of kind '{self.kind}' needs `url` and no `import`")
        return self


class ActionConfig(BaseModel):
    """One `[[actions]]` table: a backend action the runtime executes itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str = ""
    handler: str = Field(pattern=_IMPORT_PATH)
    parameters: dict[str, Any] | None = None

    @field_validator("parameters")
    @classmethod
    def _check_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and value.get("type", "object") != "object":
            raise ValueError("parameters must be a JSON Schema of type 'object'")
        return value


# What a v2 run's `forwardedProps` may set on the `default` agent, by the reference's names, once listed in
# `default_agent_overridable_properties`. Its `maxRetries`, `prompt` and `providerOptions` are not taken:
# retries belong to the runtime's client, and the prompt and vendor options to whoever runs the server.
OVERRIDABLE_PROPERTIES = (
    "model",
    "toolChoice",
    "maxOutputTokens",
    "temperature",
    "topP",
    "topK",
    "presencePenalty",
    "frequencyPenalty",
    "stopSequences",
    "seed",
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=4000, ge=0, le=65535)
    # Processes serving one listening socket (one event loop each); 1 serves from this process.
    workers: int = Field(default=1, ge=1, le=64)
    path: str = "/api/copilotkit"
    cors_origins: Annotated[list[str], NoDecode] = ["*"]
    cors_allow_credentials: bool = False
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    state_store_url: str = "sqlite:///./agui-runtime.db"
    migrate_on_start: bool = True
    llm_provider: Literal["openai", "anthropic", "empty"] | None = None
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(default=120.0, gt=0)
    llm_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    llm_first_token_timeout_seconds: float = Field(default=60.0, gt=0)
    llm_idle_timeout_seconds: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=0, ge=0, le=10)
    llm_max_input_tokens: int = Field(default=128_000, ge=1_000)
    # The model's sampling defaults; unset leaves the vendor's. A request may set them over these (v1
    # `forwardedParameters`; v2 `forwardedProps` where `default_agent_overridable_properties` allows it).
    llm_max_output_tokens: int | None = Field(default=None, ge=1)
    llm_temperature: float | None = Field(default=None, ge=0, le=2)
    llm_top_p: float | None = Field(default=None, ge=0, le=1)
    llm_top_k: int | None = Field(default=None, ge=1)
    llm_presence_penalty: float | None = Field(default=None, ge=-2, le=2)
    llm_frequency_penalty: float | None = Field(default=None, ge=-2, le=2)
    llm_seed: int | None = None
    llm_stop_sequences: list[str] = []  # JSON in the environment: a stop sequence may hold a comma or a space
    # Anthropic extended thinking: its token budget (None: off; Anthropic's minimum is 1024).
    llm_thinking_budget_tokens: int | None = Field(default=None, ge=1024)
    # `reasoning_effort` of OpenAI-compatible servers; Anthropic's `output_config.effort` (minimal is low there).
    llm_reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = None
    shutdown_grace_seconds: int = Field(default=10, ge=0)
    action_timeout_seconds: float = Field(default=30.0, gt=0)
    agent_timeout_seconds: float = Field(default=300.0, gt=0)
    agent_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    max_run_seconds: float = Field(default=600.0, gt=0)
    max_messages: int = Field(default=500, ge=1)
    max_message_bytes: int = Field(default=1024 * 1024, ge=64)
    max_query_depth: int = Field(default=20, ge=2)
    max_query_tokens: int = Field(default=10_000, ge=100)
    max_aliases: int = Field(default=20, ge=0)
    max_generate_per_request: int = Field(default=1, ge=1)
    production: bool = False
    log_format: Literal["text", "json"] = "text"
    remote_info_ttl_seconds: float = Field(default=60.0, ge=0)
    on_before_request: str | None = Field(default=None, pattern=_IMPORT_PATH)
    on_after_request: str | None = Field(default=None, pattern=_IMPORT_PATH)
    forward_headers: Annotated[list[str], NoDecode] = ["authorization", "x-*"]
    forward_headers_denied: Annotated[list[str], NoDecode] = list(INFRASTRUCTURE_HEADERS)
    properties: dict[str, Any] = {}
    guardrails: Literal["model", "cloud"] = "model"
    guardrails_cloud_url: str = "https://api.cloud.copilotkit.ai"
    guardrails_timeout_seconds: float = Field(default=15.0, gt=0)
    introspection: bool = True
    # Answer the 1.10.x client's chat document on the compiled path (same payloads, less CPU per token);
    # off sends every request through graphql-core's generic incremental executor.
    compiled_chat: bool = True
    # v2 (AG-UI): runs in flight shared across replicas through Redis (`redis://host:6379/0`); unset, they
    # live in this process only.
    live_runs_url: str | None = None
    live_runs_prefix: str = Field(default="agui", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    live_runs_claim_seconds: float = Field(default=30.0, ge=1.0, le=3600.0)
    default_agent_max_steps: int = Field(default=10, ge=1, le=100)
    # The v2 `default` agent, as the reference's BuiltInAgent: a system prompt, whether the client's system
    # and developer messages reach the model, and what `forwardedProps` may set per run.
    default_agent_prompt: str | None = None
    default_agent_forward_system_messages: bool = False
    default_agent_forward_developer_messages: bool = False
    default_agent_overridable_properties: Annotated[list[str], NoDecode] = []
    threads_clear_enabled: bool = False
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    agents: list[AgentConfig] = []
    actions: list[ActionConfig] = []

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings

    @field_validator("path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        return check_path(value)

    @field_validator(
        "cors_origins",
        "forward_headers",
        "forward_headers_denied",
        "default_agent_overridable_properties",
        mode="before",
    )
    @classmethod
    def _split_lists(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*":
                _http_url(origin, "each CORS origin")
        return value

    @field_validator("state_store_url")
    @classmethod
    def _check_store(cls, value: str) -> str:
        if value.endswith(":memory:"):
            raise ValueError("an in-memory SQLite database is not shared between connections: use memory://")
        # sqlite+aiosqlite:/// (the earlier default) names the same store as sqlite:///
        if value == "memory://" or value.startswith(("sqlite:///", "sqlite+aiosqlite:///", "postgresql+asyncpg://")):
            return value
        raise ValueError("must be memory://, sqlite:///<file> or postgresql+asyncpg://<user>@<host>/<database>")

    @field_validator("forward_headers")
    @classmethod
    def _check_headers(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", pattern):
                raise ValueError(f"each forwarded header must be a header name or a pattern like x-*, got {pattern!r}")
            if pattern.lower() in ("cookie", "*"):
                raise ValueError(f"{pattern!r} may not be forwarded: name the headers (or x-* patterns) to forward")
        return [pattern.lower() for pattern in value]

    @field_validator("default_agent_overridable_properties")
    @classmethod
    def _check_overridable(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in OVERRIDABLE_PROPERTIES]
        if unknown:
            known = ", ".join(OVERRIDABLE_PROPERTIES)
            raise ValueError(f"unknown properties {', '.join(unknown)}: each must be one of {known}")
        return value

    @field_validator("guardrails_cloud_url")
    @classmethod
    def _check_cloud_url(cls, value: str) -> str:
        return _http_url(value, "guardrails_cloud_url")

    @field_validator("llm_base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value, "llm_base_url")

    @property
    def store_kind(self) -> str:
        """`memory`, `sqlite` or `postgresql`: the scheme of `state_store_url` without its driver."""
        return self.state_store_url.split(":", 1)[0].split("+", 1)[0]

    def llm_key(self) -> str | None:
        """The model API key: AGUI_LLM_API_KEY, else the vendor's usual variable (OPENAI_API_KEY,
        ANTHROPIC_API_KEY), else a placeholder for keyless servers behind a base URL (Ollama, vLLM)."""
        if self.llm_api_key is not None:
            return self.llm_api_key.get_secret_value()
        vendor = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}.get(self.llm_provider or "")
        if vendor and os.environ.get(vendor):
            return os.environ[vendor]
        return "no-key" if self.llm_base_url else None

    @model_validator(mode="after")
    def _check_whole(self) -> Settings:
        if self.llm_provider in ("openai", "anthropic"):
            if not self.llm_model:
                raise ValueError(f"llm_provider {self.llm_provider} needs llm_model (AGUI_LLM_MODEL)")
            if self.llm_key() is None:
                vendor = "OPENAI_API_KEY" if self.llm_provider == "openai" else "ANTHROPIC_API_KEY"
                raise ValueError(f"llm_provider {self.llm_provider} needs AGUI_LLM_API_KEY (or {vendor})")
        if self.llm_provider == "anthropic":
            sampling = ("temperature", "top_p", "top_k", "presence_penalty", "frequency_penalty", "seed")
            given = [f"llm_{name}" for name in sampling if getattr(self, f"llm_{name}") is not None]
            if given:
                raise ValueError(f"{', '.join(given)}: Anthropic's Messages API takes no sampling parameters")
        if self.workers > 1 and self.state_store_url == "memory://":
            raise ValueError("workers > 1 needs a shared store (SQLite or PostgreSQL): each worker has its own memory")
        if self.cors_allow_credentials and "*" in self.cors_origins:
            raise ValueError("cors_allow_credentials needs explicit cors_origins, not '*'")
        if any(agent.name == "default" for agent in self.agents):
            raise ValueError("agent name 'default' is reserved for the built-in agent (the configured chat model)")
        if self.live_runs_url is not None and not self.live_runs_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("live_runs_url must be a Redis URL (redis://, rediss:// or unix://)")
        for items, what in ((self.agents, "agent"), (self.actions, "action")):
            names = [item.name for item in items]
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise ValueError(f"{what} names must be unique; repeated: {', '.join(duplicates)}")
        return self


def load_settings(*, config_file: str | Path | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from every source. `overrides` (CLI flags) win over the environment, which wins over
    the TOML file named by `config_file` or `AGUI_CONFIG`."""
    named = config_file or os.environ.get(f"{ENV_PREFIX}CONFIG")
    path = Path(named) if named else None
    if path is not None:
        if not path.is_file():
            raise SettingsError(f"config file {path}: no such file")
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"config file {path}: not valid TOML: {exc}") from exc

    class _WithFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            if path is None:
                return init_settings, env_settings
            return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=path)

    try:
        return _WithFile(**dict(overrides or {}))
    except ValidationError as exc:
        # Not chained: pydantic's own text echoes each rejected value (an API key among them), and an
        # uncaught SettingsError is printed by the interpreter, past the log redaction.
        raise SettingsError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """One line per problem: the key (with its environment variable for top-level keys) and what is wrong."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        location = error["loc"]
        key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location).lstrip(".")
        if len(location) == 1 and isinstance(location[0], str):
            key = f"{key} ({ENV_PREFIX}{location[0].upper()})"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"invalid setting {key}: {message}" if key else f"invalid settings: {message}")
    return "\n".join(lines)
