"""``python -m benchmarks.gpu``: the benchmark suite on a CUDA GPU, a mode of the one harness.

    python -m benchmarks.gpu [--mode quick|tiny] [--only NAME] [--impl NAME] [--out DIR]

The same as ``python -m benchmarks --device cuda`` (``xlaish bench --device cuda``): the workloads
of :mod:`benchmarks.workloads`, each one spelling, run by xlaish on CUDA (fused and unfused),
CuPy and JAX on the GPU (when installed and seeing a GPU; otherwise reported unavailable with
the reason), with NumPy on the host as the reference and the baseline
(:func:`benchmarks.impls.cuda_impls`). Inputs are moved to the device once, before timing;
each timed sample is a batch of back-to-back calls ended by one synchronisation (the calls are
ordered on the library's stream), interleaved between implementations. GB/s counts the
workload's input and output bytes, and ``% copy`` compares it with a device-to-device copy
measured in the same run. Every result is checked against NumPy's first; a mismatch is
reported, not hidden. It exits non-zero, saying why, when CUDA is unavailable; under
``NUMBA_ENABLE_CUDASIM=1`` it runs on Numba's simulator (to check the harness; the timings mean
nothing). Results: ``benchmarks/results/<machine>-<date>[-quick|-tiny]-cuda.{json,md,png}``.
"""
from __future__ import annotations

import os
import sys

from .runner import main as _main

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")   # JAX: leave memory to the others


def main(argv=None) -> int:
    return _main(argv, prog="python -m benchmarks.gpu", device="cuda")


if __name__ == "__main__":
    sys.exit(main())
