"""Reliability tests: defects that once crashed, hung or answered silently wrong, kept as regressions.

Tests that could crash or hang the interpreter (fork, dlopen of damaged libraries) run their
risky part in a child process with a timeout, so a regression fails the test instead of
killing or stalling pytest."""
