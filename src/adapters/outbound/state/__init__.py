"""Thread and agent-state stores."""
