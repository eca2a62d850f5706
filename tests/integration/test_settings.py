"""Settings precedence and errors (CLI flags > environment > TOML file > defaults)."""

import subprocess
import sys
from pathlib import Path

import pytest

from agui_runtime.adapters.settings import SettingsError, load_settings
from agui_runtime.bootstrap import build_container
from tests.integration.conftest import make_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in [key for key in os.environ if key.startswith("AGUI_")]:
        monkeypatch.delenv(key)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agui.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    settings = load_settings()
    assert (settings.host, settings.port, settings.path, settings.state_store_url) == (
        "127.0.0.1",
        4000,
        "/api/copilotkit",
        "sqlite:///./agui-runtime.db",
    )
    assert settings.cors_origins == ["*"]
    assert settings.introspection is True


def test_flags_beat_environment_beat_file_beat_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path, 'host = "10.0.0.1"\nport = 5001\npath = "/from-file"\nmax_body_bytes = 4096\n')
    monkeypatch.setenv("AGUI_PORT", "5002")
    monkeypatch.setenv("AGUI_PATH", "/from-env")

    settings = load_settings(config_file=config, overrides={"port": 5003})

    assert settings.port == 5003  # flag over environment and file
    assert settings.path == "/from-env"  # environment over file
    assert settings.host == "10.0.0.1"  # file over default
    assert settings.max_body_bytes == 4096


def test_the_file_can_be_named_by_agui_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGUI_CONFIG", str(write(tmp_path, "port = 4321\n")))
    assert load_settings().port == 4321


def test_agents_and_actions_tables(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        """
[[agents]]
name = "remote"
description = "over HTTP"
kind = "agui-http"
url = "http://127.0.0.1:8000/agent/run"

[[agents]]
name = "local"
kind = "python"
import = "my_agents:graph"

[[actions]]
name = "get_weather"
description = "Weather for a city"
handler = "my_actions:get_weather"
parameters = { type = "object", properties = { city = { type = "string" } }, required = ["city"] }
""",
    )
    settings = load_settings(config_file=config)
    assert [(a.name, a.kind, a.url, a.import_path) for a in settings.agents] == [
        ("remote", "agui-http", "http://127.0.0.1:8000/agent/run", None),
        ("local", "python", None, "my_agents:graph"),
    ]
    assert settings.actions[0].parameters == {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    }


def test_comma_separated_cors_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGUI_CORS_ORIGINS", "https://app.example.com, http://localhost:3000")
    assert load_settings().cors_origins == ["https://app.example.com", "http://localhost:3000"]


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('port = "high"', "invalid setting port (AGUI_PORT): Input should be a valid integer"),
        ('path = "api/"', "invalid setting path (AGUI_PATH): path must look like /api/copilotkit"),
        ("prot = 1", "invalid setting prot (AGUI_PROT): Extra inputs are not permitted"),
        (
            '[[agents]]\nname = "x"\nkind = "agui-http"',
            "invalid setting agents[0]: agent 'x' of kind 'agui-http' needs",
        ),
        ('[[agents]]\nname = "x"\nkind = "grpc"\nurl = "http://h"', "invalid setting agents[0].kind: Input should be"),
        ('state_store_url = "redis://x"', "invalid setting state_store_url (AGUI_STATE_STORE_URL): must be memory://"),
        ('cors_origins = ["*"]\ncors_allow_credentials = true', "cors_allow_credentials needs explicit cors_origins"),
        ("port = 1\n[x", "not valid TOML"),
        ('forward_headers = ["cookie"]', "'cookie' may not be forwarded"),
        ('forward_headers = ["bad header"]', "each forwarded header must be a header name"),
        ('on_before_request = "no_colon"', "invalid setting on_before_request (AGUI_ON_BEFORE_REQUEST): String should"),
        ('guardrails = "nemo"', "invalid setting guardrails (AGUI_GUARDRAILS): Input should be 'model' or 'cloud'"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_key(tmp_path: Path, toml: str, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(config_file=write(tmp_path, toml))
    assert expected in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1


def test_forwarded_headers_from_the_environment_and_properties_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGUI_FORWARD_HEADERS", "Authorization, x-tenant-*")
    monkeypatch.setenv("AGUI_PROPERTIES", '{"tenant": "acme"}')
    settings = load_settings()
    assert (settings.forward_headers, settings.properties) == (["authorization", "x-tenant-*"], {"tenant": "acme"})


def test_hooks_that_cannot_be_loaded_or_are_given_twice_are_settings_errors() -> None:
    missing = make_settings(on_before_request="tests.integration.sample_hooks:nothing")
    with pytest.raises(SettingsError, match=r"on_before_request: module 'tests\.integration\.sample_hooks' has no"):
        build_container(missing)
    twice = make_settings(on_after_request="tests.integration.sample_hooks:audit")
    with pytest.raises(SettingsError, match="given both in code and in the settings"):
        build_container(twice, on_after_request=lambda report: None)


def test_a_missing_config_file_is_named() -> None:
    with pytest.raises(SettingsError, match=r"config file /nowhere/agui\.toml: no such file"):
        load_settings(config_file="/nowhere/agui.toml")


def test_the_command_stops_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agui_runtime", "serve", "--config", str(write(tmp_path, "port = 70000"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "agui-runtime: invalid setting port (AGUI_PORT): Input should be less than or equal to 65535"
    ]


def test_an_in_memory_sqlite_url_is_refused() -> None:
    with pytest.raises(SettingsError, match="use memory://"):
        load_settings(overrides={"state_store_url": "sqlite:///:memory:"})


def test_v2_settings_have_safe_defaults_and_refuse_what_cannot_work() -> None:
    settings = load_settings()
    assert (settings.live_runs_url, settings.live_runs_prefix) == (None, "agui")
    assert (settings.default_agent_max_steps, settings.threads_clear_enabled) == (10, False)
    with pytest.raises(SettingsError, match="'default' is reserved for the built-in agent"):
        load_settings(overrides={"agents": [{"name": "default", "kind": "python", "import": "a:b"}]})
    with pytest.raises(SettingsError, match="live_runs_url must be a Redis URL"):
        load_settings(overrides={"live_runs_url": "http://127.0.0.1:6379"})
    with pytest.raises(SettingsError, match="live_runs_prefix"):
        load_settings(overrides={"live_runs_prefix": "has spaces"})


def test_the_default_agents_settings_and_sampling(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.default_agent_overridable_properties == []  # none by default, as in the reference
    assert (settings.default_agent_forward_system_messages, settings.default_agent_prompt) == (False, None)
    monkeypatch.setenv("AGUI_DEFAULT_AGENT_OVERRIDABLE_PROPERTIES", "temperature, toolChoice")
    monkeypatch.setenv("AGUI_LLM_STOP_SEQUENCES", '["\\n\\n", "a, b"]')
    from_env = load_settings()
    assert from_env.default_agent_overridable_properties == ["temperature", "toolChoice"]
    assert from_env.llm_stop_sequences == ["\n\n", "a, b"]  # JSON: a stop sequence may hold a comma or spaces
    monkeypatch.delenv("AGUI_DEFAULT_AGENT_OVERRIDABLE_PROPERTIES")
    with pytest.raises(SettingsError, match=r"unknown properties prompt: each must be one of model, toolChoice"):
        load_settings(overrides={"default_agent_overridable_properties": ["temperature", "prompt"]})
    anthropic = {"llm_provider": "anthropic", "llm_model": "claude", "llm_api_key": "k"}
    with pytest.raises(SettingsError, match="llm_temperature, llm_seed: Anthropic's Messages API takes no sampling"):
        load_settings(overrides=anthropic | {"llm_temperature": 0.5, "llm_seed": 1})
    assert load_settings(overrides=anthropic | {"llm_max_output_tokens": 100}).llm_max_output_tokens == 100
    with pytest.raises(SettingsError, match="llm_temperature"):
        load_settings(overrides={"llm_temperature": 3})


def test_agent_headers_and_the_infrastructure_denylist(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "x-forwarded-*" in load_settings().forward_headers_denied
    monkeypatch.setenv("AGUI_FORWARD_HEADERS_DENIED", "")
    assert load_settings().forward_headers_denied == []
    remote = {"name": "a", "kind": "agui-http", "url": "http://127.0.0.1:1/a", "headers": {"X-Key": "k"}}
    assert load_settings(overrides={"agents": [remote]}).agents[0].headers == {"x-key": "k"}
    with pytest.raises(SettingsError, match="is called in process: it takes no `headers`"):
        load_settings(overrides={"agents": [{"name": "p", "kind": "python", "import": "a:b", "headers": {"x": "1"}}]})
    with pytest.raises(SettingsError, match="'bad name' is not a header name"):
        load_settings(overrides={"agents": [remote | {"headers": {"bad name": "1"}}]})
