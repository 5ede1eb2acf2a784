"""Asking: a question ranked over the collection's read-only view (lexical, dense, fused), in its conversation
and time window, into an ``Answer``."""
