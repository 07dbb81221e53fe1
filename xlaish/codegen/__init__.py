"""Backends: fused IR -> native code. ``cpu`` (LLVM via llvmlite) and ``cuda`` (Numba CUDA)."""
