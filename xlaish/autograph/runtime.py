"""What converted code calls (as ``__ag__``): each statement decides at trace time how it runs.

* ``if_stmt``: a Python (or constant) condition runs the chosen branch as plain Python; a traced
  scalar condition traces both branches into one ``cond`` op whose outputs are the variables the
  branches assign that are live afterwards, plus the arrays they write into (written back into
  the original arrays: :mod:`.state`).
* ``for_stmt``: Python iterables, and ranges / arrays of at most ``config.unroll_max()`` items, run
  as a Python loop (unrolled while tracing, the loop variable a Python int). A longer static range,
  a range with a traced bound, or a long array becomes a ``while`` op (with ``trip_count`` when
  static) over a traced index. If the body cannot be traced that way (it needs the index as a
  Python value -- ``range(i)``, indexing a list --, or changes a Python container...) a static loop
  is unrolled instead, silently; a traced one raises the error, with the user's line.
* ``while_stmt``: iterates as Python while the condition is a Python value; once it is traced the
  rest of the loop becomes a ``while`` op (no fallback: the trip count is unknown).
* ``and_``/``or_``/``not_``/``if_exp``: Python semantics (short circuit) for Python values; a
  traced scalar gives ``logical_and``/``logical_or``/``logical_not``/``where``.
* ``python_test``/``python_iter``: statements the converter left as Python (their body holds a
  ``return``, an ``.append`` ...): the value passes through when static, else a clear error.
"""
from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import config
from ..control import _finish, _merge_captures, _trace_region, _while
from ..errors import ConcretizationError, TraceError
from ..ir.opnames import COND
from ..trace import context, pytree
from ..trace.bind import emit, to_value, wrap
from ..trace.tracer import Tracer
from ..trace.tracing import leaf_spec
from .state import NotConvertible, Plan, Retry, Undefined, check_value, describe, run_region

__all__ = ["Undefined", "ld", "and_", "or_", "not_", "if_exp", "range_", "python_test", "python_iter",
           "if_stmt", "for_stmt", "while_stmt"]

_PLANS = 4      # re-plans of one statement (a rebound array, a changed dtype) before giving up


def _xnp():
    from .. import numpy as xnp
    return xnp


def traced(v) -> bool:
    return isinstance(v, Tracer) and v.concrete() is None


def _scalar(v, loc):
    if v.shape != ():
        raise context.with_location(ValueError(
            f"The truth value of an array with more than one element is ambiguous (a traced array of "
            f"shape {v.shape} used as a condition). Use a.any() or a.all()"), loc)


def ld(f):
    """The value of a local read by a statement, or Undefined when it has none yet."""
    try:
        return f()
    except NameError:
        return Undefined()


# expressions ------------------------------------------------------------------------------------
def _is_bool(v) -> bool:
    return isinstance(v, (bool, np.bool_)) or isinstance(v, Tracer) and v.dtype == np.bool_


def and_(a, b):
    if not traced(a):
        return b() if a else a
    _scalar(a, None)
    rb = b()
    if _is_bool(a) and _is_bool(rb):
        return _xnp().logical_and(a, rb)
    return _xnp().where(a, rb, a)


def or_(a, b):
    if not traced(a):
        return a if a else b()
    _scalar(a, None)
    rb = b()
    if _is_bool(a) and _is_bool(rb):
        return _xnp().logical_or(a, rb)
    return _xnp().where(a, a, rb)


def not_(a):
    if not traced(a):
        return not a
    _scalar(a, None)
    return _xnp().logical_not(a)


def if_exp(c, a, b):
    if not traced(c):
        return a() if c else b()
    _scalar(c, None)
    ra, rb = a(), b()
    if np.shape(ra) != np.shape(rb):
        raise context.with_location(NotConvertible(
            f"`a if c else b` with a traced condition needs a and b of one shape, got {np.shape(ra)} and "
            f"{np.shape(rb)} (both are computed, and np.where picks elementwise)"))
    return _xnp().where(c, ra, rb)


# statements left as Python ------------------------------------------------------------------------
def python_test(v, what, loc):
    if traced(v):
        raise context.with_location(ConcretizationError(
            f"the truth value of a traced array {v._value.type} is not known while tracing, and {what} "
            f"cannot be compiled into a cond/while region: make the condition a Python value, move that "
            f"statement out of the branch or loop, or use xlaish.numpy.where(cond, a, b)"), loc)
    return v


class TracedRange:
    """``range(...)`` with a traced bound."""

    def __init__(self, args):
        self.args = args


def range_(r, *args):
    if r is not builtins.range:
        return r(*args)
    if any(traced(a) for a in args):
        for a in args:
            if isinstance(a, Tracer) and a.dtype.kind not in "iu" or isinstance(a, float):
                raise context.with_location(TypeError(
                    f"range() bounds must be integers, got a traced {a.dtype}" if isinstance(a, Tracer)
                    else "'float' object cannot be interpreted as an integer"))
        return TracedRange(args)
    return range(*[operator.index(a) for a in args])


def python_iter(it, what, loc):
    if isinstance(it, TracedRange):
        raise context.with_location(ConcretizationError(
            f"this `for` loop contains {what}, so it cannot be compiled into a loop op, and its range "
            f"has a traced bound (known only when the function runs): make the bound static "
            f"(static_argnums) so the loop is unrolled, or move that statement out of the loop"), loc)
    return it


# if -------------------------------------------------------------------------------------------------
def _noop():
    return None


def _check_mut(plan, mut, loc):
    for n in mut:
        if plan.kind.get(n) in ("static", "temp") and not isinstance(plan.orig[n], Tracer):
            raise NotConvertible(
                f"variable '{n}' holds {describe(plan.orig[n])}, which the body writes into: only "
                f"arrays traced by xlaish can be updated inside a compiled loop or branch (at {loc})")


def _restore(set_, plan):
    set_(tuple(plan.orig[n] for n in plan.all_names))


def if_stmt(test, then, else_, get, set_, names, reads, mut, live, loc, written_in_fn=()):
    if not traced(test):
        (then if test else else_)()
        return
    _scalar(test, loc)
    orig = dict(zip(list(names) + list(reads), get()))
    separate, casts = set(), {}
    for _ in range(_PLANS):
        plan = Plan(names, reads, orig, set(live), separate)
        _check_mut(plan, mut, loc)
        try:
            outs, written, outnames, weaks = _cond(plan, test, then, else_, get, set_, set(live), casts, loc)
            _check_conditional_rebinding(plan, orig, separate, written_in_fn, loc)
        except Retry as r:
            separate |= r.separate
            casts.update(r.casts)
            continue
        finally:
            _restore(set_, plan)
        _apply(plan, set_, outs, written, outnames, weaks)
        return
    raise NotConvertible(f"cannot compile this `if` into a cond (at {loc})")


def _check_conditional_rebinding(plan, orig, separate, written_in_fn, loc):
    """An array rebound in one branch only, and written into in place somewhere in the function: after
    the ``if`` the name would be the caller's array or a new one depending on a traced value, which a
    compiled branch cannot represent (a later ``x[k] = v`` would reach the caller only sometimes)."""
    for n in separate & set(written_in_fn):
        if isinstance(orig[n], Tracer) and orig[n].is_array and len(plan.same.get(n, ())) == 2:
            raise NotConvertible(
                f"variable '{n}' is rebound in one branch of this `if` on a traced value and kept in the "
                f"other, and the function writes into it in place: whether a write reaches the original "
                f"array would depend on the condition. Rebind it in both branches (e.g. `{n} = {n}.copy()`) "
                f"or compute the new value with np.where (at {loc})")


def _join(a, b):
    """The common (dtype, weak) of two branch outputs with different types (NumPy 2 promotion)."""
    (ta, wa), (tb, wb) = a, b
    if wa and not wb:
        return np.result_type(tb.dtype, wa(0)), None
    if wb and not wa:
        return np.result_type(ta.dtype, wb(0)), None
    return np.promote_types(ta.dtype, tb.dtype), (wa if wa == wb else None)


def _cond(plan, test, then, else_, get, set_, live, casts, loc):
    outnames = [n for n in plan.names if plan.kind[n] in ("value", "undef") and n in live]
    leaves, tree = pytree.flatten(tuple(plan.leaves))
    info = {}

    def branch(fn, key):
        def run(ops):
            _, new_roots, final, written = run_region(plan, fn, list(ops), get, set_, live, set(), loc)
            vals = []
            for n in outnames:
                f = final[n]
                info.setdefault(n, {})[key] = not isinstance(f, Undefined)
                if isinstance(f, Undefined):
                    f = False
                elif n in casts:
                    f = _cast(f, casts[n])
                if not isinstance(f, (Tracer, bool, int, float, np.generic, np.ndarray)):
                    raise NotConvertible(f"variable '{n}' becomes {describe(f)} in a branch of this `if` on "
                                         f"a traced value: only arrays and numbers can be outputs (at {loc})")
                info[n][key + "weak"] = leaf_spec(f).weak
                if n in plan.values:
                    plan.same.setdefault(n, set()).add(f is ops[len(plan.roots) + plan.values.index(n)])
                vals.append(f)
            info[key + "w"] = written
            return tuple(new_roots) + tuple(vals)
        return run

    t_tr, t_params, t_res, _, t_weak = _trace_region(branch(then, "t"), "then", leaves, tree)
    f_tr, f_params, f_res, _, f_weak = _trace_region(branch(else_, "f"), "else", leaves, tree)
    nr = len(plan.roots)
    for j, n in enumerate(outnames):
        d = info[n]
        if d["t"] != d["f"]:
            raise NotConvertible(
                f"variable '{n}' is assigned in only one branch of this `if` on a traced value and is "
                f"used after it: give it a value before the `if` (at {loc})")
        a, b = t_res[nr + j], f_res[nr + j]
        if a.type.shape != b.type.shape:
            raise NotConvertible(f"variable '{n}' has shape {a.type.shape} in one branch of this `if` on "
                                 f"a traced value and {b.type.shape} in the other (at {loc})")
        t_weak[nr + j], f_weak[nr + j] = d.get("tweak"), d.get("fweak")
        if a.type.dtype != b.type.dtype:
            raise Retry(casts={n: _join((a.type, t_weak[nr + j]), (b.type, f_weak[nr + j]))})
    caps = _merge_captures(t_tr, f_tr)
    then_fn = _finish(t_tr, t_params, t_res, caps)
    else_fn = _finish(f_tr, f_params, f_res, caps)
    ins = [to_value(x, leaf_spec(x).type.dtype) for x in leaves]
    outs = emit(COND, [to_value(test, np.bool_)] + ins + caps, {}, [then_fn, else_fn])
    weaks = [a if a == b else None for a, b in zip(t_weak, f_weak)]
    written = set(info["tw"]) | set(info["fw"])
    outnames = [n if info[n]["t"] else None for n in outnames]     # None: undefined in both
    return outs, written, outnames, weaks


def _cast(f, target):
    dtype, weak = target
    if weak is not None and not isinstance(f, Tracer):
        return weak(f)
    if isinstance(f, Tracer):
        return f.astype(dtype) if f.dtype != dtype else f
    return np.dtype(dtype).type(f)


def _apply(plan, set_, outs, written, outnames, weaks):
    """After the region op: write roots back into the original arrays, rebind value names."""
    nr = len(plan.roots)
    for k, r in enumerate(plan.roots):
        if k in written:
            r._write(outs[k])
    new = dict(plan.orig)
    for j, n in enumerate(outnames):
        if n is not None:
            new[n] = wrap(outs[nr + j], weaks[nr + j] if weaks else None)
    set_(tuple(new[n] for n in plan.all_names))


# loops ------------------------------------------------------------------------------------------------
def _python_for(it, extra, body, get, set_, names, reads, mut, live, loc):
    for v in it:
        if extra is not None:
            t = extra()
            if traced(t):
                if_stmt(t, lambda v=v: body(v), _noop, get, set_, names, reads, mut, live, loc)
                continue
            if not t:
                break
        body(v)


def for_stmt(it, extra, body, get, set_, names, reads, mut, live, loc):
    limit = config.unroll_max()
    static = True
    if isinstance(it, TracedRange):
        static, counter = False, _range_counter(it.args, loc)
    elif isinstance(it, range) and len(it) > limit:
        counter = (it.start, it.stop, it.step, len(it), None)
    elif isinstance(it, Tracer) and it.ndim and it.shape[0] > limit:
        counter = (0, it.shape[0], 1, it.shape[0], it.__getitem__)
    else:
        _python_for(it, extra, body, get, set_, names, reads, mut, live, loc)
        return
    try:
        _loop(get, set_, names, reads, mut, live, loc, body=body, extra=extra, counter=counter)
    except TraceError:
        if not static:
            raise
        _python_for(it, extra, body, get, set_, names, reads, mut, live, loc)


def _range_counter(args, loc):
    lo, hi, step = (0, args[0], 1) if len(args) == 1 else (args[0], args[1], args[2] if len(args) > 2 else 1)
    if traced(step):
        raise context.with_location(ConcretizationError(
            "the step of a range() with a traced bound must be a Python int (its sign decides the "
            "loop test)"), loc)
    step = operator.index(step)
    if step == 0:
        raise context.with_location(ValueError("range() arg 3 must not be zero"), loc)
    dts = [a.dtype for a in (lo, hi) if isinstance(a, Tracer)]
    if not isinstance(lo, Tracer):
        lo = np.dtype(np.result_type(*dts)).type(operator.index(lo))
    return lo, hi, step, None, None


def while_stmt(test, body, get, set_, names, reads, mut, live, loc):
    while True:
        t = test()
        if traced(t):
            break
        if not t:
            return
        body()
    _scalar(t, loc)
    _loop(get, set_, names, reads, mut, live, loc, body=body, test=test)


def _loop(get, set_, names, reads, mut, live, loc, body, test=None, extra=None, counter=None):
    orig = dict(zip(list(names) + list(reads), get()))
    separate, casts = set(), {}
    for _ in range(_PLANS):
        plan = Plan(names, reads, orig, set(live), separate, casts)
        _check_mut(plan, mut, loc)
        try:
            outs, written = _while_op(plan, get, set_, set(live), loc, body, test, extra, counter)
        except Retry as r:
            separate |= r.separate
            casts.update(r.casts)
            continue
        finally:
            _restore(set_, plan)
        vals = [o._value for o in outs]
        _apply(plan, set_, vals, written, plan.values, [o.weak for o in outs])
        return
    raise NotConvertible(f"cannot compile this loop into a loop op: its variables keep changing type "
                         f"(at {loc})")


def _while_op(plan, get, set_, live, loc, body, test, extra, counter):
    info = {}
    init = tuple(plan.leaves)
    if counter is not None:
        lo, hi, step, trip, item = counter
        init = (lo,) + init

    def split(state):
        return (state[0], list(state[1:])) if counter is not None else (None, list(state))

    def cond_fun(state):
        i, leaves = split(state)
        c = None
        if counter is not None:
            c = i < hi if step > 0 else i > hi
        t = extra if counter is not None else test
        if t is not None:
            r, *_ = run_region(plan, t, leaves, get, set_, live, set(), loc)
            _restore(set_, plan)
            c = r if c is None else _xnp().logical_and(c, r)
        return c

    def body_fun(state):
        i, leaves = split(state)
        fn = body if counter is None else (lambda: body(item(i) if item is not None else i))
        _, new_roots, final, written = run_region(plan, fn, leaves, get, set_, live, live, loc)
        _restore(set_, plan)
        info["written"] = written
        retry = {}
        for n in plan.values:
            c = check_value(plan, n, final[n], loc)
            if c is not None:
                retry[n] = c
        if retry:
            raise Retry(casts=retry)
        outs = tuple(new_roots) + tuple(final[n] for n in plan.values)
        return outs if counter is None else (i + step,) + outs

    attrs = {"trip_count": counter[3]} if counter is not None and counter[3] is not None else {}
    outs = _while(cond_fun, body_fun, init, attrs)
    if counter is not None:
        outs = outs[1:]
    return list(outs), set(info.get("written", ()))
