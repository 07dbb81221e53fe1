"""Complex lowering: every op on complex values becomes real ops on their components.

Decision (issue 16). Complex dtypes stay in the traced IR, so the printer, verifier, interpreter
(NumPy) and every pass before this one see them. This pass, run in the canonicalize step (after
:mod:`.canonicalize`, before any optimisation and fusion), rewrites the function so that no op
computes on a complex value: each complex value ``z`` is carried as two real values ``(re, im)``
of the same shape (structure of arrays *inside* the IR, where they are SSA values that fusion
keeps in registers), while complex *memory* keeps NumPy's interleaved layout:

* a complex parameter is read through the views ``complex_part(z, 0)`` / ``complex_part(z, 1)``
  (float element ``2 i + k`` of the same buffer: strides doubled; :mod:`xlaish.ir.ops.complex`),
  so arguments are neither copied nor converted;
* a complex result is ``make_complex(re, im)``, which the kernel that computes ``re`` and
  ``im`` stores as pairs straight into the result buffer;
* ``complex_pairs(z)`` (``np.fft``'s view) of a parameter stays a view; of a computed value it
  reads the materialised ``make_complex``.

Inside ``while``/``cond`` regions a complex carried value becomes two real carried values. So
fusion, buffer planning, the CPU and CUDA backends, dask and AOT only meet real ops plus the two
views and ``make_complex`` (two stores). Autodiff runs this lowering on a traced function before
differentiating it, so the only complex VJPs are those three ops' (JAX's convention; see
:mod:`xlaish.autodiff.rules`).

The arithmetic (written in :mod:`._complex_math`) reproduces NumPy's loops: ``multiply`` is
``(ac - bd, ad + bc)``, ``divide`` is Smith's algorithm as NumPy writes it, ``power`` with a constant
integer exponent of magnitude below 100 multiplies by squaring as ``nc_pow`` does (else
``exp(b log a)``), ``log1p``/``expm1`` are NumPy's ``nc_log1p``/``nc_expm1``,
``sqrt``/``exp``/``log``/``sin``/``cos``/``sinh``/``cosh``/``tanh``/``tan`` give C99's special
values for infinite, NaN and signed-zero parts (NumPy's, signs of zeros included; branch cuts
decided by the sign of a zero imaginary part), ``sign`` is NumPy 2's ``z / |z|``, comparisons and
``maximum``/``minimum`` order lexicographically as NumPy does. The inverse functions use the
textbook identities (``asinh = log(z + sqrt(z^2 + 1))`` by odd symmetry, ``asin``/``acos``/``atan``
through them, ``atanh`` in FreeBSD's log1p form): within a few ulps of NumPy on moderate arguments
(complex64 ~2e-6 relative near 0 for ``asin``), not FreeBSD's special-region algorithms. A branch
not taken never divides by zero (so gradients through the selects stay NaN-free). ``prod``
multiplies pairwise halves; ``sum``, ``cumsum``, shape ops, gather and scatter (set/add) work per
component. An op with complex operands that has no rule here (``max``/``min``/``argmax`` reductions,
``sort``, ``cumprod``, ...) raises UnsupportedError naming it.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..errors import UnsupportedError
from ..ir.core import Function, Value
from ..ir.opnames import (
    ASTYPE,
    BROADCAST_TO,
    COMPLEX_PAIRS,
    COMPLEX_PART,
    CONCATENATE,
    CONSTANT,
    GATHER,
    MAKE_COMPLEX,
    MATMUL,
    RESHAPE,
    SELECT,
    SLICE,
    SUM,
    TRANSPOSE,
)
from ._complex_math import _BINARY, _UNARY, _mul, _nonzero
from ._rewrite import Rewriter


def _is_c(v) -> bool:
    return v.type.dtype.kind == "c"


def has_complex(fn: Function) -> bool:
    """Does any value of ``fn`` (regions included) have a complex dtype?"""
    if any(_is_c(p) for p in fn.params) or any(_is_c(r) for r in fn.results):
        return True
    return any(any(_is_c(r) for r in op.results) or any(_is_c(v) for v in op.operands)
               or any(has_complex(g) for g in op.regions) for op in fn.ops)


def lower_complex(fn: Function) -> Function:
    """``fn`` with every complex op rewritten into real ops (see the module docstring); the
    function's own parameters and results keep their complex types."""
    if not has_complex(fn):
        return fn
    return _Lowering(fn, split=False).run()


class _Lowering:
    """One function. ``split``: a region, whose complex parameters and results become two real
    ones each (re then im, in place of the complex one)."""

    def __init__(self, fn: Function, split: bool):
        self.fn, self.split = fn, split
        self.rw = Rewriter(fn)
        self.pair: dict[int, tuple] = {}     # id(old complex value) -> (re, im) new Values
        self.home: dict[int, Value] = {}     # id(old complex value) -> a complex Value holding it
        self.params = []
        self.loc = None

    # -- emission helpers ------------------------------------------------------------------
    def e(self, name, *operands, **attrs):
        return self.rw.emit1(name, list(operands), attrs, loc=self.loc)

    def c(self, value, dt):
        return self.e(CONSTANT, value=np.asarray(value, dtype=dt))

    def run(self) -> Function:
        fn = self.fn
        if self.split:
            for p in fn.params:
                if _is_c(p):
                    ft = dtypes.real_dtype(p.type.dtype)
                    re, im = Value(p.type.with_dtype(ft)), Value(p.type.with_dtype(ft))
                    self.params += [re, im]
                    self.pair[id(p)] = (re, im)
                else:
                    self.params.append(p)
        else:
            self.params = list(fn.params)
            for p in fn.params:
                if _is_c(p):
                    self.pair[id(p)] = (self.e(COMPLEX_PART, p, part=0), self.e(COMPLEX_PART, p, part=1))
                    self.home[id(p)] = p
        for op in fn.ops:
            self.loc = op.loc
            if not (any(_is_c(v) for v in op.operands) or any(_is_c(r) for r in op.results)
                    or any(has_complex(g) for g in op.regions)):
                self.rw.keep(op)
                continue
            self.lower(op)
        results = []
        for r in fn.results:
            if not _is_c(r):
                results.append(self.rw[r])
            elif self.split:
                results += list(self.pair[id(r)])
            else:
                results.append(self.complex_value(r))
        out = Function(fn.name, self.params, self.rw.ops, results)
        return out

    # -- values -----------------------------------------------------------------------------
    def parts(self, v):
        """(re, im) new Values of old complex value ``v``."""
        return self.pair[id(v)]

    def new(self, v):
        """The new Value of an old real value."""
        return self.rw[v]

    def complex_value(self, v):
        """A complex new Value holding old value ``v`` (its home, or ``make_complex``)."""
        h = self.home.get(id(v))
        if h is None:
            re, im = self.parts(v)
            h = self.e(MAKE_COMPLEX, re, im)
            self.home[id(v)] = h
        return h

    def set(self, old, re, im=None):
        if _is_c(old):
            self.pair[id(old)] = (re, im)
        else:
            self.rw.set(old, re)

    # -- the rules ---------------------------------------------------------------------------
    def lower(self, op):
        n = op.name
        rule = getattr(self, "op_" + n, None)
        if rule is not None:
            return rule(op)
        if n in _UNARY:
            re, im = self.parts(op.operands[0])
            out = _UNARY[n](self, re, im, op.results[0])
            self.set(op.results[0], *(out if isinstance(out, tuple) else (out,)))
            return
        if n in _BINARY:
            (a, b), (c, d) = self.parts(op.operands[0]), self.parts(op.operands[1])
            out = _BINARY[n](self, a, b, c, d, op)
            self.set(op.results[0], *(out if isinstance(out, tuple) else (out,)))
            return
        if n in _COMPONENTWISE:
            self._componentwise(op)
            return
        kinds = ", ".join(str(v.type) for v in op.operands)
        raise UnsupportedError(f"'{n}' on complex operands ({kinds}) is not supported by xlaish"
                               + (f" ({op.loc})" if op.loc else ""))

    def _componentwise(self, op):
        """Shape ops and sum: the same op on each component (other operands unchanged)."""
        outs = []
        for k in (0, 1):
            ins = [self.parts(v)[k] if _is_c(v) else self.new(v) for v in op.operands]
            outs.append(self.e(op.opdef, *ins, **op.attrs))
        self.set(op.results[0], *outs)

    def op_constant(self, op):
        v = np.asarray(op.attrs["value"])
        ft = dtypes.real_dtype(v.dtype)
        self.set(op.results[0], self.c(v.real, ft), self.c(v.imag, ft))

    def op_complex_part(self, op):
        self.rw.set(op.results[0], self.parts(op.operands[0])[op.attrs["part"]])

    def op_complex_pairs(self, op):
        self.rw.set(op.results[0], self.e(COMPLEX_PAIRS, self.complex_value(op.operands[0])))

    def op_make_complex(self, op):
        re, im = (self.new(v) for v in op.operands)
        shape = op.results[0].type.shape
        if re.type.shape != shape:
            re = self.e(BROADCAST_TO, re, shape=shape)
        if im.type.shape != shape:
            im = self.e(BROADCAST_TO, im, shape=shape)
        self.set(op.results[0], re, im)

    def op_astype(self, op):
        (x,), (r,) = op.operands, op.results
        to = r.type.dtype
        if _is_c(x) and _is_c(r):
            ft = dtypes.real_dtype(to)
            re, im = self.parts(x)
            self.set(r, self.e(ASTYPE, re, dtype=ft), self.e(ASTYPE, im, dtype=ft))
        elif _is_c(x):
            re, im = self.parts(x)
            if to.kind == "b":
                self.set(r, _nonzero(self, re, im))
            else:     # NumPy drops the imaginary part (ComplexWarning, given while tracing)
                self.set(r, self.e(ASTYPE, re, dtype=to) if re.type.dtype != to else re)
        else:
            ft = dtypes.real_dtype(to)
            v = self.new(x)
            re = self.e(ASTYPE, v, dtype=ft) if v.type.dtype != ft else v
            self.set(r, re, self.e(BROADCAST_TO, self.c(0, ft), shape=r.type.shape))

    def op_select(self, op):
        cnd = self.new(op.operands[0])
        (a, b), (c, d) = self.parts(op.operands[1]), self.parts(op.operands[2])
        self.set(op.results[0], self.e(SELECT, cnd, a, c), self.e(SELECT, cnd, b, d))

    def op_scatter(self, op):
        if op.attrs["mode"] not in ("set", "add"):
            raise UnsupportedError(f"scatter mode '{op.attrs['mode']}' on complex arrays is not supported")
        self._componentwise(op)

    def op_gather(self, op):
        """Each component gathered with the same indices; a splat component (the zero imaginary
        part of a cast real array) stays a splat (kernels gather only from buffers)."""
        x, idx = op.operands
        defs = {id(r): o for o in self.rw.ops for r in o.results}
        outs = []
        for v in self.parts(x):
            s = v
            while id(s) in defs and defs[id(s)].name in (BROADCAST_TO, RESHAPE, TRANSPOSE, SLICE):
                s = defs[id(s)].operands[0]
            if s.type.ndim == 0 and id(s) in defs and defs[id(s)].name == CONSTANT:
                outs.append(self.e(BROADCAST_TO, s, shape=op.results[0].type.shape))
            else:
                outs.append(self.e(GATHER, v, self.new(idx), **op.attrs))
        self.set(op.results[0], *outs)

    def op_scan(self, op):
        if op.attrs["kind"] != "add":
            raise UnsupportedError(f"running '{op.attrs['kind']}' (cumprod, running max/min) of complex "
                                   f"arrays is not supported" + (f" ({op.loc})" if op.loc else ""))
        self._componentwise(op)

    def op_matmul(self, op):
        (a, b), (c, d) = self.parts(op.operands[0]), self.parts(op.operands[1])
        ac, bd, ad, bc = (self.e(MATMUL, x, y) for x, y in ((a, c), (b, d), (a, d), (b, c)))
        self.set(op.results[0], self.e("subtract", ac, bd), self.e("add", ad, bc))

    def op_prod(self, op):
        """Complex product over ``axes`` (keepdims): the reduced axes moved last and flattened,
        then halved pairwise (padding with 1) with complex multiplies."""
        x, r = op.operands[0], op.results[0]
        axes = tuple(op.attrs["axes"])
        shape = x.type.shape
        keep = [i for i in range(len(shape)) if i not in axes]
        perm = tuple(keep) + axes
        outer = tuple(shape[i] for i in keep)
        n = math.prod(shape[i] for i in axes)
        ft = dtypes.real_dtype(x.type.dtype)
        parts = []
        for v in self.parts(x):
            if perm != tuple(range(len(shape))):
                v = self.e(TRANSPOSE, v, perm=perm)
            parts.append(self.e(RESHAPE, v, shape=outer + (n,)))
        re, im = parts
        if n == 0:
            re = self.e(BROADCAST_TO, self.c(1, ft), shape=outer + (1,))
            im = self.e(BROADCAST_TO, self.c(0, ft), shape=outer + (1,))
            n = 1
        while n > 1:
            h = n // 2
            lo = dict(start=(0,) * len(outer) + (0,), stop=outer + (h,), step=(1,) * (len(outer) + 1))
            hi = dict(start=(0,) * len(outer) + (h,), stop=outer + (2 * h,), step=(1,) * (len(outer) + 1))
            a, b = self.e(SLICE, re, **lo), self.e(SLICE, im, **lo)
            c, d = self.e(SLICE, re, **hi), self.e(SLICE, im, **hi)
            pr, pi = _mul(self, a, b, c, d)
            if n % 2:
                last = dict(start=(0,) * len(outer) + (n - 1,), stop=outer + (n,),
                            step=(1,) * (len(outer) + 1))
                pr = self.e(CONCATENATE, pr, self.e(SLICE, re, **last), axis=len(outer))
                pi = self.e(CONCATENATE, pi, self.e(SLICE, im, **last), axis=len(outer))
                h += 1
            re, im, n = pr, pi, h
        self.set(r, self.e(RESHAPE, re, shape=r.type.shape), self.e(RESHAPE, im, shape=r.type.shape))

    def op_while(self, op):
        n = op.attrs["num_carried"]
        cond, body = (_Lowering(g, split=True).run() for g in op.regions)
        ins = self._split_operands(op.operands)
        carried = len(self._split_operands(op.operands[:n]))
        outs = self.rw.emit(op.opdef, ins, dict(op.attrs, num_carried=carried), (cond, body), loc=op.loc)
        self._join_results(op.results, outs)

    def op_cond(self, op):
        then, other = (_Lowering(g, split=True).run() for g in op.regions)
        ins = [self.new(op.operands[0])] + self._split_operands(op.operands[1:])
        outs = self.rw.emit(op.opdef, ins, dict(op.attrs), (then, other), loc=op.loc)
        self._join_results(op.results, outs)

    def _split_operands(self, vals):
        out = []
        for v in vals:
            out += list(self.parts(v)) if _is_c(v) else [self.new(v)]
        return out

    def _join_results(self, results, outs):
        k = 0
        for r in results:
            if _is_c(r):
                self.set(r, outs[k], outs[k + 1])
                k += 2
            else:
                self.set(r, outs[k])
                k += 1


_COMPONENTWISE = {RESHAPE, TRANSPOSE, BROADCAST_TO, SLICE, CONCATENATE, SUM, "rint", "positive"}
