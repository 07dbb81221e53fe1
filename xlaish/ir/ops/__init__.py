"""Every op's definition. Importing this package registers them all.

| module           | ops |
|------------------|-----|
| ``elementwise``  | the unary/binary table (NumPy ufuncs + erf, erfc, expit), ``select``, ``astype`` |
| ``reduction``    | sum, prod, max, min, any, all, argmax, argmin |
| ``shape``        | reshape, transpose, broadcast_to, slice, concatenate |
| ``creation``     | constant, iota |
| ``linalg``       | matmul |
| ``lapack``       | lu_solve, lu_slogdet, cholesky, eigh, svd, svdvals, qr (LAPACK kernels) |
| ``scan``         | scan (cumsum, cumprod, running max/min) |
| ``sort``         | sort, sort_by (argsort, the sort VJP), kth_smallest (median, quantile) |
| ``fft``          | fft (c2c, r2c, c2r transforms along one axis, on (re, im) pairs) |
| ``region``       | fused, cond, while, custom_vjp_call |
| ``debug``        | debug_print, debug_check (side effects) |
| ``indexing``     | gather, scatter, index_check (index arrays) |
| ``rng``          | threefry2x32 (the counter-based bits of ``xlaish.random``) |
| ``complex``      | complex_part, complex_pairs (views), make_complex (the complex/real boundary) |
| ``callback``     | host_callback (pure_callback, io_callback: a call into Python) |
"""
from . import (  # noqa: F401
    callback,
    complex,
    creation,
    debug,
    elementwise,
    fft,
    indexing,
    lapack,
    linalg,
    reduction,
    region,
    rng,
    scan,
    shape,
    sort,
)
