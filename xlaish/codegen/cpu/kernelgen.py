"""One ``fused`` region -> its LLVM kernel function(s), by kernel kind.

The kinds (see :func:`xlaish.ir.kernel.analyze`) each have a module:

* map (:mod:`.map_kernel`): elementwise work over a domain, contiguous
  dimensions collapsed into one loop.
* reduce (:mod:`.reduce_kernel`): row by row over the kept index space, or a
  deterministic chunked split for full reductions of large inputs.
* matmul (:mod:`.matmul_kernel`): packed, cache-blocked micro-kernels for float32/float64
  (:mod:`.matmul_packed`), streaming matrix-vector paths (:mod:`.matmul_vector`) or a generic
  row kernel, with the fused epilogue.
* copy (:mod:`.copy_kernel`): concatenate.
* scatter (:mod:`.gather_kernel`): one scatter, sequential over its updates, or a strided
  write split over threads for static distinct positions (gathers are indirect loads inside
  map/reduce kernels, also there).
* scan (:mod:`.scan_kernel`): running sums/products/max/min, row by row.
* sort (:mod:`.sort_kernel`): a stable LSD radix sort per row.
* lapack (:mod:`.lapack_kernel`): one LAPACK op, a library call per matrix of the batch.
* fft (:mod:`.fft_kernel`): a Stockham (or Bluestein) FFT per row.

What they share (the kernel ABI, loads/stores, value evaluation, the helper
handed to the elementwise lowerings) is :mod:`.kernel_base`.
"""
from __future__ import annotations

from llvmlite import ir

from ...ir.kernel import analyze
from .copy_kernel import CopyKernel
from .fft_kernel import FftKernel
from .gather_kernel import ScatterKernel
from .lapack_kernel import LapackKernel
from .map_kernel import MapKernel
from .matmul_kernel import MatmulKernel
from .reduce_kernel import ReduceKernel
from .scan_kernel import ScanKernel
from .sort_kernel import SortKernel

KERNELS = {"map": MapKernel, "reduce": ReduceKernel, "matmul": MatmulKernel, "copy": CopyKernel,
           "scatter": ScatterKernel, "scan": ScanKernel, "sort": SortKernel,
           "lapack": LapackKernel, "fft": FftKernel}


def build_kernel(module: ir.Module, region, name: str):
    """Emit the kernel(s) of one fused region into *module*. Returns (launches, scratch bytes):
    launches are ``(ABI function, number of outer iterations, work per outer iteration)`` run in
    order; a non-zero scratch size asks the caller for a scratch buffer passed after the outputs."""
    info = analyze(region)
    return KERNELS[info.kind](module, region, name, info).build()
