"""Runtime settings from CLI flags, `AGUI_*` environment variables, a TOML file and defaults."""

from agui_runtime.adapters.settings.settings import ActionConfig, AgentConfig, Settings, SettingsError, load_settings

__all__ = ["ActionConfig", "AgentConfig", "Settings", "SettingsError", "load_settings"]
