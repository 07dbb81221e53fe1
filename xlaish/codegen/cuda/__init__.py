"""The CUDA backend: fused IR -> Numba CUDA kernel source (no numba needed to generate it).

``generate(fn, target)`` returns the source of one Python module with a
kernel per fused op (several for split reductions) and its launch plan; the
runtime (:mod:`xlaish.runtime.cuda`) compiles it with numba and runs it.
"""
from .module import CudaModule, fused_ops, generate
from .target import GPU, SIM, Target

__all__ = ["generate", "fused_ops", "CudaModule", "Target", "GPU", "SIM"]
