"""Ahead-of-time export: a shared library and a plain C header that run without Python."""
