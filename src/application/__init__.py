"""Use-cases of agui-runtime and the ports they reach the outside world through."""
