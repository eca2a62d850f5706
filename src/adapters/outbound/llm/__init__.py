"""Chat models: OpenAI-compatible servers and Anthropic, each on its official SDK."""
