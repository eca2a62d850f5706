"""Codecs shared by the stores: domain messages and run events to and from JSON-compatible values.

A sanctioned shared adapter package, like `agui_wire`: the SQL store and the Redis live-run channel both
import it, and it imports no other adapter. It is not in the domain because the shape in which things are
stored is a persistence concern, not a rule of the model."""
