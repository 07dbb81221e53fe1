"""Jitted functions on ``dask.array`` arguments: one dask graph of xlaish kernels, run by Dask.

``f(x)`` for a jitted ``f`` and a dask array ``x`` (any argument leaf may be a dask array) returns
dask arrays, lazily; ``.compute()`` runs it on whatever scheduler is active (threads, or a
``distributed`` cluster). xlaish brings no scheduler of its own. ``import xlaish`` does not import
dask: ``JitFunction.__call__`` tests for dask arguments on its slow path only and imports this
package then.

Design (details in :mod:`.partition` and :mod:`.kernel`):

1. The function is traced **once, at the arrays' full shapes** (a ``ShapeDtype`` per dask leaf;
   nothing is computed). NumPy arguments become one-chunk dask arrays (dask aligns them), Python
   scalars are passed to every block as they are.
2. :func:`.partition.plan` gives each dimension an axis class and splits the program into
   stages: elementwise/broadcasting code and reductions over unchunked axes (row-wise softmax or
   layernorm with rows chunked, matmul with chunked rows) run block by block in one stage; a
   reduction (sum, prod, max, min, any, all -- so also mean, var, std, logsumexp written with them)
   over a chunked axis becomes a per-block stage ending in a partial reduction, combined across
   blocks by ``da.reduction`` (a tree, ``split_every``) with NumPy's same reduction on the
   partials (tiny: one value per block and output element; a jitted combine would cost an LLVM
   compile per distinct group shape on every worker). Whatever needs a whole chunked axis
   (argmax/argmin, matmul's contraction, concatenate/partial slices/reshapes across it, constants
   along it) is **refused** with an error naming the op, its line and the axis to rechunk.
3. Each stage is a :class:`.kernel.BlockKernel` in a ``da.blockwise`` layer: the stage IR is
   retyped per distinct block shape (an uneven last chunk or a chunk of size 0 is one more
   shape) and compiled **in the client** before the graph is built; the object code travels in the
   task (see :mod:`xlaish.serialize`), so workers link it and run LLVM never (unless their CPU or
   versions differ, or a block shape was not foreseen: then once per process and shape).

Multi-result functions run one stage per result (shared work is recomputed per result).
``map_blocks`` is the thin escape hatch: ``dask.array.map_blocks`` with a jitted function.
"""
from __future__ import annotations

import math

import numpy as np

from ..ir.opnames import MATMUL, PROD, SUM
from .kernel import STATS, BlockKernel
from .partition import SplitError

__all__ = ["call_jit", "map_blocks", "SplitError", "BlockKernel", "STATS", "worker_stats"]


def _is_dask(x) -> bool:
    return type(x).__module__.startswith("dask.")


def map_blocks(func, *args, **kwargs):
    """``dask.array.map_blocks`` (same signature) with ``func`` jitted (if it is not already):
    one compiled kernel per distinct block shape per process; the function pickles with the
    object code of the signatures it already has."""
    import dask.array as da

    from ..jit import JitFunction, jit
    f = func if isinstance(func, JitFunction) else jit(func)
    return da.map_blocks(f, *args, **kwargs)


def _product(lists):
    import itertools
    return itertools.product(*lists)


class _Identity:
    def __call__(self, x, axis=None, keepdims=True):
        return x


_UFUNC = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum,
          "any": np.logical_or, "all": np.logical_and}


class _Combine:
    """Combine partials of one reduction (NumPy's reduction of the same op; keeps the dtype)."""

    def __init__(self, name):
        self.name = name

    def __call__(self, x, axis=None, keepdims=True):
        uf = _UFUNC[self.name]
        dt = x.dtype if self.name in (SUM, PROD) else None
        with np.errstate(all="ignore"):
            return uf.reduce(x, axis=axis, keepdims=keepdims, dtype=dt)


def call_jit(jf, args, kwargs):
    """``jf(*args, **kwargs)`` with dask arrays among the leaves -> dask arrays (same pytree)."""
    import dask.array as da

    from ..trace import pytree
    from ..trace.tracing import ShapeDtype, trace
    from . import partition

    if jf.options["device"] == "cuda":
        raise NotImplementedError("xlaish.dask: device='cuda' on dask arrays is not supported yet "
                                  "(blocks are NumPy arrays; use device='cpu')")
    dyn, static = jf.argspec.split(args, kwargs)
    leaves, tree = pytree.flatten(tuple(dyn.values()))
    names = []
    for key, td in zip(dyn, tree.children):
        names += pytree.leaf_paths(td, key)
    abstract, values = [], []
    for x, nm in zip(leaves, names):
        if _is_dask(x):
            if not isinstance(x, da.Array):
                raise TypeError(f"xlaish.dask: argument '{nm}' is a {type(x).__name__}; only dask.array "
                                f"arrays are supported")
            if any(math.isnan(n) for n in x.shape):
                raise ValueError(f"xlaish.dask: argument '{nm}' has unknown chunk sizes {x.chunks}; "
                                 f"call x.compute_chunk_sizes() first")
            abstract.append(ShapeDtype(tuple(int(n) for n in x.shape), x.dtype))
            values.append(x)
        elif isinstance(x, np.ndarray) or (isinstance(x, (list, tuple)) and x):
            a = np.asarray(x)
            abstract.append(ShapeDtype(a.shape, a.dtype))
            values.append(da.from_array(a, chunks=a.shape if a.ndim else ()))
        else:
            abstract.append(x)        # a scalar: traced as one, passed to every block as is
            values.append(x)
    traced = trace(jf.argspec, dict(zip(dyn, pytree.unflatten(tree, abstract))), static)
    fn = traced.function
    param_name = dict(zip(fn.params, names))
    value = dict(zip(fn.params, values))
    chunked = {p: [d for d, c in enumerate(v.chunks) if len(c) > 1]
               for p, v in value.items() if isinstance(v, da.Array)}
    plan = partition.plan(fn, chunked,
                          lambda p, d: f"axis {d} of argument '{param_name.get(p, '?')}'")
    an = plan.an

    def index(v):
        return tuple(f"x{an.cls(v, d)}" for d in range(len(v.shape)))

    def run_stage(stage, adjust=None, out_ind=None):
        pairs = []
        for v in stage.inputs:
            a = value[v]
            pairs.append((a, index(v)) if isinstance(a, da.Array) else (a, None))
        arrays = [(a, i) for a, i in pairs if i is not None]
        out_ind = out_ind or index(stage.output)
        if not arrays:       # nothing chunked feeds this result: run it here, once
            k = BlockKernel.from_function(stage.fn, jf.options, [tuple(np.shape(a) for a, _ in pairs)])
            return da.from_array(k(*[a for a, _ in pairs]))
        flat = [x for a, i in arrays for x in (a, i)]
        chunkss, _ = da.core.unify_chunks(*flat)
        letters = sorted({ix for _, i in arrays for ix in i})
        sizes = [sorted(set(chunkss[ix])) if ix in out_ind else [sum(chunkss[ix])] for ix in letters]
        combos = []
        for pick in _product(sizes):      # one combination of block sizes per distinct block
            size = dict(zip(letters, pick))
            combos.append(tuple(np.shape(a) if i is None else tuple(size[ix] for ix in i) for a, i in pairs))
        kernel = BlockKernel.from_function(stage.fn, jf.options, combos)
        res = stage.fn.results[0]
        args = [x for a, i in pairs for x in (a, i)]
        new_axes = {ix: n for ix, n in zip(out_ind, res.shape) if ix not in chunkss}   # broadcast-made
        return da.blockwise(kernel, out_ind, *args, dtype=res.dtype, adjust_chunks=adjust, new_axes=new_axes,
                            meta=np.empty((0,) * len(res.shape), res.dtype), concatenate=True)

    for op, stage, creds in plan.splits:
        if op.name == MATMUL:      # partial products, one per contraction block, summed
            kx = f"x{creds[0]}"
            partial = run_stage(stage, {kx: 1}, index(op.result) + (kx,))
            red = da.reduction(partial, _Identity(), _Combine("sum"), combine=_Combine("sum"),
                               axis=(partial.ndim - 1,), keepdims=False, dtype=partial.dtype,
                               concatenate=True, meta=np.empty((0,) * (partial.ndim - 1), partial.dtype))
            value[op.result] = red
            continue
        target = stage.output
        axes = list(op.attrs["axes"])
        adjust = {index(target)[d]: 1 for d in axes}
        partial = run_stage(stage, adjust)
        split_axes = tuple(d for d in axes if an.cls(target, d) in creds)
        comb = _Combine(op.name)
        red = da.reduction(partial, _Identity(), comb, combine=comb, axis=split_axes, keepdims=True,
                           dtype=partial.dtype, concatenate=True,
                           meta=np.empty((0,) * partial.ndim, partial.dtype))
        if not op.attrs["keepdims"]:
            red = da.squeeze(red, axis=tuple(axes))
        value[op.result] = red
    outs = []
    for r in plan.results:
        if isinstance(r, partition.Stage):
            outs.append(run_stage(r))
        else:
            v = value[r]
            outs.append(v if isinstance(v, da.Array) else da.from_array(np.asarray(v)))
    return pytree.unflatten(traced.out_tree, outs)


def worker_stats(client) -> dict:
    """Per worker: xlaish compiles (LLVM program compiles, block kernels compiled there, object
    code loaded from tasks), whether the runtime's thread-pool module was compiled there (a
    one-off per process, for programs with a parallel kernel) and whether numba was imported --
    for tests and benchmarks."""
    return client.run(_stats)


def _stats():
    import sys

    from .. import serialize
    from ..runtime import cpu, pool
    return {"llvm_compiles": cpu.STATS["llvm_compiles"], "worker_compiles": STATS["worker_compiles"],
            "object_loads": serialize.STATS["loaded"], "numba_imported": "numba" in sys.modules,
            "thread_pool_compiled": "engine" in pool._state}
