"""The `agui-runtime` command line."""
