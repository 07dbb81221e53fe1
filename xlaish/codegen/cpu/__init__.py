"""The CPU backend: each ``fused`` op becomes an LLVM function; one entry point runs them all.

Where things live:

* :mod:`.program` -- the whole program: one LLVM module, its entry points
  (``entry`` / ``entry_py``), buffers, threads, control flow, debug hooks.
* :mod:`.kernelgen` -- one fused region -> its kernel function(s), by kind:
  :mod:`.map_kernel` (elementwise over a domain), :mod:`.reduce_kernel`
  (row reductions and the deterministic chunked split),
  :mod:`.matmul_kernel` (micro-kernels and the generic row kernel),
  :mod:`.copy_kernel` (concatenate). What they share -- the kernel ABI,
  loads and stores, value evaluation, the ``Cg`` helper -- is
  :mod:`.kernel_base`.
* :mod:`.elementwise` -- the LLVM lowering of every elementwise op (the CPU
  column of the op table); transcendentals call :mod:`.vecmath`.
* :mod:`.vecmath` -- the math library: branch-free, vectorisable exp, log,
  sin, erf, power, ... emitted as LLVM IR (see its docstring for the layout).
* :mod:`.types` (dtype -> LLVM type, loads/stores), :mod:`.loops` (loop
  helpers), :mod:`.halfsupport` (float16 conversions), :mod:`.pool` (the
  worker pool's native code), :mod:`.llvm_target` (target machines, the O3
  pipeline).

Adding a transcendental elementwise op ``f`` (say ``np.f``), CPU side:

1. write the algorithm ``f_f(E, x)`` in the :mod:`.vecmath` module of its
   family (polynomial coefficients in :mod:`.vecmath.coefficients`);
2. add one row to ``FUNCTIONS`` in :mod:`.vecmath.table` (arity, how float32
   is computed, short-range variant if any) -- nothing else in vecmath;
3. declare the op's row in :mod:`xlaish.ir.ops.elementwise` with ``math=True``:
   the CPU and CUDA backends lower every such row through their math-library
   family rule (nothing to add in :mod:`.elementwise`), and autodiff needs its
   VJP line in :mod:`xlaish.autodiff.rules`;
4. ``tests/codegen/test_vecmath.py`` then measures its accuracy and special
   values against NumPy, as for every name in ``vecmath.SUPPORTED``.
"""
