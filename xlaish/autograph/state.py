"""A converted statement's variables as the leaves of a region, and back.

The rewritten code hands the runtime ``get``/``set`` functions over the statement's *state*: the
names it assigns or writes into, plus the other local names it reads (:mod:`.transform`). A
:class:`Plan` maps them onto region leaves by what each name holds:

* ``root``: an array (a mutable Tracer). Arrays are carried per *root object*: names that are the
  same object, views of one another, or the array and a view of it share one leaf, and inside the
  region the views are rebuilt over the region's root (so ``v = x[1:-1]; v[...] = ...`` in the
  body changes ``x`` there too). If the body keeps the object (writes into it, or only reads it),
  the region's result is written back into the *original* object afterwards (``root._write``):
  in-place updates reach the caller's arrays and every view, as in NumPy. A name the body rebinds
  (``x = x + 1``) is planned again as a ``value``.
* ``value``: a number, NumPy scalar or 0-d result, or a rebound array: one leaf; afterwards the
  name is rebound to the result. A value whose dtype the body changes (``s = 0; s += x[i]``) is
  planned again with the body's dtype.
* ``static``: anything else (a list, a dict, an object): not carried; the body must leave the
  name bound to the same object.
* ``undef``: no value before the statement; ``temp``: not live afterwards (nor carried into the
  next iteration): neither is carried.

:func:`run_region` traces a body under a plan, checks what it did, and raises :class:`Retry`
(plan again) or :class:`NotConvertible` (a message; static loops are then unrolled).
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from ..trace.tracer import Tracer


class NotConvertible(UnsupportedError):
    """This statement cannot become a region (the message says why)."""


class Retry(Exception):
    def __init__(self, separate=(), casts=None):
        super().__init__("retry")
        self.separate = set(separate)
        self.casts = dict(casts or {})


class Undefined:
    """The value of a local variable that has none yet (assigned only inside a branch or loop)."""
    __slots__ = ("name",)

    def __init__(self, name="?"):
        self.name = name

    def __repr__(self):
        return f"<undefined variable {self.name!r}>"

    def _fail(self, *args, **kwargs):
        raise UnboundLocalError(f"cannot access local variable '{self.name}' where it is not "
                                f"associated with a value")

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        self._fail()


for _d in ("__bool__", "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
           "__rtruediv__", "__getitem__", "__setitem__", "__iter__", "__len__", "__call__", "__lt__",
           "__le__", "__gt__", "__ge__", "__neg__", "__array__", "__index__", "__int__", "__float__",
           "__matmul__", "__pow__", "__and__", "__or__", "__xor__", "__floordiv__", "__mod__"):
    setattr(Undefined, _d, Undefined._fail)


def carriable(v) -> bool:
    if isinstance(v, Tracer):
        return True
    if isinstance(v, (bool, int, float, np.generic)):
        return not isinstance(v, (complex, np.complexfloating)) and np.asarray(v).dtype.kind in "biuf"
    return isinstance(v, np.ndarray) and v.dtype.kind in "biuf"


def describe(v) -> str:
    return f"a {type(v).__name__}"


def _spec(v):
    from ..trace.tracing import leaf_spec
    return leaf_spec(v)


def _cast_leaf(v, target):
    """``v`` as the leaf type ``target`` = (dtype, weak type or None)."""
    dtype, weak = target
    if weak is not None:
        return weak(v) if not isinstance(v, Tracer) else v
    if isinstance(v, Tracer):
        return v.astype(dtype)
    return np.dtype(dtype).type(v)


def _root(t):
    return t._root if t._root is not None else t


def _rebuild(v, memo):
    """``v`` (a root or a view) over the region's roots in ``memo`` (id(original) -> region object)."""
    got = memo.get(id(v))
    if got is not None:
        return got
    parent = _rebuild(v._parent, memo)
    t = Tracer(v._val, parent.trace, v.weak)     # _ver -1: re-derived from the base when read
    t._parent, t._step, t._root, t._ver, t._arr0 = parent, v._step, memo[id(_root(v))], -1, v._arr0
    memo[id(v)] = t
    return t


class Plan:
    def __init__(self, names, reads, orig, live, separate=frozenset(), casts=None):
        self.names, self.reads, self.orig = list(names), list(reads), orig
        self.kind = {}
        self.same = {}              # value name -> {whether a branch left it the object it was given}
        self.roots = []             # original root Tracers, one leaf each
        self.values = []            # names carried as one leaf each
        casts = casts or {}
        seen = {}
        for n in self.names:
            v = orig[n]
            if isinstance(v, Undefined):
                k = "undef"
            elif isinstance(v, Tracer) and v.is_array and n not in separate:
                k = "root"
                r = _root(v)
                if id(r) not in seen:
                    seen[id(r)] = len(self.roots)
                    self.roots.append(r)
            elif n not in live:
                k = "temp"
            elif carriable(v):
                k = "value"
                self.values.append(n)
            else:
                k = "static"
            self.kind[n] = k
        for n in self.reads:            # a read of an array the statement writes through another name
            v = orig[n]
            alias = isinstance(v, Tracer) and v.is_array and id(_root(v)) in seen
            self.kind[n] = "root" if alias else "ignore"
        self.leaves = list(self.roots) + [
            _cast_leaf(orig[n], casts[n]) if n in casts else orig[n] for n in self.values]

    @property
    def all_names(self):
        return self.names + self.reads

    def objects(self, params):
        """The region's object for every name, from the region's parameter Tracers."""
        memo = {}
        for r, p in zip(self.roots, params):
            p._arr0 = r._arr0 or bool(r.shape)
            memo[id(r)] = p
        objs = {}
        nr = len(self.roots)
        for n in self.all_names:
            k = self.kind[n]
            if k == "root":
                objs[n] = _rebuild(self.orig[n], memo)
            elif k == "value":
                p = params[nr + self.values.index(n)]
                v = self.orig[n]
                if isinstance(v, Tracer):
                    p._arr0 = v._arr0
                objs[n] = p
            else:
                objs[n] = self.orig[n]
        return objs, memo


def run_region(plan: Plan, fn, params, get, set_, live, out_names, loc):
    """Install the region objects, run ``fn`` (a body or a test), check what it did to the state.

    Returns (root objects of the region, final values by name, roots it wrote into). Raises
    :class:`Retry` when a root-kind name was rebound or a value changed dtype."""
    objs, memo = plan.objects(params)
    set_(tuple(objs[n] for n in plan.all_names))
    result = fn()
    final = dict(zip(plan.all_names, get()))
    new_roots = [memo[id(r)] for r in plan.roots]
    rebound = [n for n in plan.names if plan.kind[n] == "root" and final[n] is not objs[n]]
    if rebound:
        raise Retry(separate=rebound)
    for n in plan.names:
        k, f = plan.kind[n], final[n]
        if k == "static" and f is not plan.orig[n]:
            raise NotConvertible(
                f"variable '{n}' holds {describe(plan.orig[n])}, which the body rebinds: only arrays "
                f"and numbers can be carried through a compiled loop or branch (at {loc})")
        if k == "undef" and n in out_names and not isinstance(f, Undefined):
            raise NotConvertible(
                f"variable '{n}' is first assigned inside this loop on a traced value and is used "
                f"after it (or in the next iteration): give it a value before the loop (at {loc})")
        if k == "value" and isinstance(plan.orig[n], Tracer) and plan.orig[n].is_array \
                and isinstance(f, Tracer) and f is not objs[n] and objs[n]._ver:
            raise NotConvertible(
                f"variable '{n}' is written into in place and then rebound in the body: the array it "
                f"held before cannot be updated by a compiled loop or branch (at {loc})")
    written = [k for k, t in enumerate(new_roots) if t._ver]
    return result, new_roots, final, written


def check_value(plan, n, f, loc, what="loop"):
    """The leaf of value-name ``n`` after the body: same type as before, or a Retry with a cast."""
    if isinstance(f, Undefined):
        raise NotConvertible(f"variable '{n}' has no value after the {what} body (at {loc})")
    if not carriable(f):
        raise NotConvertible(f"variable '{n}' becomes {describe(f)} in the {what} body: only arrays "
                             f"and numbers can be carried (at {loc})")
    a, b = _spec(plan.leaves[len(plan.roots) + plan.values.index(n)]), _spec(f)
    if a.type.shape != b.type.shape:
        raise NotConvertible(f"variable '{n}' changes shape in the {what} body, from {a.type.shape} to "
                             f"{b.type.shape}: a compiled loop carries values of a fixed shape (at {loc})")
    if a.type.dtype != b.type.dtype or a.weak != b.weak:
        return (b.type.dtype, b.weak)
    return None
