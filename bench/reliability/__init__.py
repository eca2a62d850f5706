"""The reliability suite: `python -m bench.reliability [--smoke]` (see __main__.py)."""
