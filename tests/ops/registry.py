"""The registry-driven op harness: which ops, how each is called, its oracle, input domains and
tolerances, all derived from the op registry (no hand-kept op lists).

* ``UNARY`` / ``BINARY``: the registry's elementwise rows (``xlaish.ir.groups``).
* ``user_fn(name)``: what user code calls: NumPy's ufunc (reaching xlaish through
  ``__array_ufunc__``), or ``xlaish.numpy``'s function for rows NumPy lacks (``erf``...).
* ``oracle(name)``: NumPy's ufunc; for rows NumPy lacks, the op's registry ``reference`` on the
  operands cast to the loop dtypes (as the tracer casts them).
* Input domains (``unary_input`` / ``binary_operands``): the few ops whose NumPy result is not
  defined everywhere get their inputs restricted (see each function).
* Tolerances: the per-dtype ones of ``tests.helpers.TOLERANCES`` (the one place they are
  stated), plus ``ABS_EPS``: ops whose O(1) results cross zero also allow that many eps absolute.
"""
from __future__ import annotations

import numpy as np

import xlaish.numpy as xnp
from tests.helpers import eps, make_input
from xlaish.ir import groups
from xlaish.ir.ops import elementwise as ew

UNARY = sorted(groups.UNARY)
BINARY = sorted(groups.BINARY)

# Trigonometric functions: huge arguments (finfo.max) need exact range reduction, which is not what
# these tests are about; keep |x| <= 1000. Their results cross zero, where a relative bound is
# meaningless, so they also allow an absolute error of one eps of the dtype (results are O(1)).
# Rows NumPy lacks (erf, erfc, expit) are compared with a float64 reference rounded once: two eps.
TRIG = {"sin", "cos", "tan"}

def _is_ufunc(name) -> bool:
    return isinstance(ew.ELEMENTWISE_FUNCS[name], np.ufunc)


ABS_EPS = {**{n: 1 for n in TRIG}, **{n: 2 for n in ew.ROWS if not _is_ufunc(n)}}


def user_fn(name):
    fn = ew.ELEMENTWISE_FUNCS[name]
    return fn if _is_ufunc(name) else getattr(xnp, name)


def oracle(name):
    fn = ew.ELEMENTWISE_FUNCS[name]
    if isinstance(fn, np.ufunc):
        return fn

    def ref(*xs):
        loop = ew.loop_dtypes(name, tuple(np.asarray(x).dtype for x in xs))
        with np.errstate(all="ignore"):
            return fn(*(np.asarray(x).astype(d) for x, d in zip(xs, loop)))
    return ref


def atol_for(name, dtype):
    dt = np.dtype(dtype)
    k = ABS_EPS.get(name)
    return k * eps(dt) if k and dt.kind == "f" else None


def unary_input(rng, name, dtype, shape=(96,)):
    x = make_input(rng, shape, dtype)
    if name in TRIG and x.dtype.kind == "f":
        x = np.where(np.abs(x) > 1000, np.float64(1000.0).astype(x.dtype), x).astype(x.dtype)
    elif name in TRIG and x.dtype.kind in "iu":
        x = np.clip(x, -1000 if x.dtype.kind == "i" else 0, 1000).astype(x.dtype)
    if name == "reciprocal" and x.dtype.kind in "iub":
        # integer reciprocal of 0 divides by zero (NumPy's C loop traps): use 1 instead
        x = np.where(x == 0, np.ones((), x.dtype), x).astype(x.dtype)
    if not _is_ufunc(name) and x.dtype.kind in "iu":
        # keep integer inputs where float16/32 results are not all saturated
        x = make_input(rng, shape, dtype, low=-8, high=9)
    return x
