"""The CPU backend: each ``fused`` op becomes an LLVM function; one entry point runs them all."""
