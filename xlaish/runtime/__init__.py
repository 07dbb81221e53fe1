"""Runtime: executables that run a compiled program, and their caches."""
