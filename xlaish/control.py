"""Structured control flow with JAX's signatures: ``cond``, ``while_loop``, ``fori_loop``.

Both branches of ``cond`` and both functions of ``while_loop`` are traced into
regions of one ``cond`` / ``while`` op; values they close over from the
enclosing function become extra operands. Outside ``jit`` (or under
``disable_jit``) they run as plain Python control flow on NumPy values.
"""
from __future__ import annotations

import numpy as np

from .errors import TraceError
from .ir.core import Function, Value
from .ir.opnames import ASTYPE, COND, WHILE
from .trace import context, pytree
from .trace.bind import emit, to_value, wrap
from .trace.tracer import Tracer
from .trace.tracing import leaf_spec


def _leaves_traced(leaves) -> bool:
    return any(isinstance(x, Tracer) for x in leaves)


def _trace_region(fn, name, leaves, tree):
    """Trace ``fn(unflatten(tree, params))`` in a nested trace (closures become captures).

    Returns (the trace, its parameters, result Values, the output tree, output weak types).
    """
    specs = [leaf_spec(x) for x in leaves]
    with context.new_trace(name, nested=True) as tr:
        params = [tr.builder.param(s.type, f"a{i}") for i, s in enumerate(specs)]
        tracers = [Tracer(p, tr, s.weak) for p, s in zip(params, specs)]
        out = fn(pytree.unflatten(tree, tracers))
        out_leaves, out_tree = pytree.flatten(out)
        results = [to_value(o) for o in out_leaves]
        weak = [o.weak if isinstance(o, Tracer) else None for o in out_leaves]
    return tr, params, results, out_tree, weak


def _finish(tr, params, results, all_captures):
    """Region Function whose params are the declared ones then every capture in
    ``all_captures`` (outer Values, in order; those this trace did not use are unused params)."""
    mine = {id(outer): inner for outer, inner in tr.captures}
    cap_params = []
    for outer in all_captures:
        p = mine.get(id(outer))
        if p is None:
            p = Value(outer.type, hint="unused")
        cap_params.append(p)
    return Function(tr.builder.name, list(params) + cap_params, tr.builder.ops, results)


def _merge_captures(*traces):
    seen, out = set(), []
    for tr in traces:
        for outer, _ in tr.captures:
            if id(outer) not in seen:
                seen.add(id(outer))
                out.append(outer)
    return out


def _describe(types):
    return "(" + ", ".join(map(str, types)) + ")"


def cond(pred, true_fun, false_fun, *operands):
    """``true_fun(*operands) if pred else false_fun(*operands)`` with a traced ``pred``."""
    if not isinstance(pred, Tracer):
        if context.current() is None or np.ndim(pred) == 0:
            return true_fun(*operands) if bool(np.asarray(pred)) else false_fun(*operands)
    if pred.shape != ():
        raise context.with_location(TraceError(
            f"cond predicate must be a scalar, got shape {pred.shape}; use xlaish.numpy.where for "
            f"an elementwise choice"))
    leaves, tree = pytree.flatten(tuple(operands))
    leaves = [x for x in leaves]
    t_tr, t_params, t_res, t_tree, t_weak = _trace_region(lambda ops: true_fun(*ops), "then", leaves, tree)
    f_tr, f_params, f_res, f_tree, _ = _trace_region(lambda ops: false_fun(*ops), "else", leaves, tree)
    if t_tree != f_tree:
        raise context.with_location(TraceError(
            f"cond branches return different structures: {t_tree} vs {f_tree}"))
    for k, (a, b) in enumerate(zip(t_res, f_res)):
        if a.type != b.type:
            raise context.with_location(TraceError(
                f"cond branches return different types for output {k}: true branch {a.type}, "
                f"false branch {b.type}"))
    caps = _merge_captures(t_tr, f_tr)
    then_fn = _finish(t_tr, t_params, t_res, caps)
    else_fn = _finish(f_tr, f_params, f_res, caps)
    p = to_value(pred, np.bool_)
    ins = [to_value(x, s.type.dtype) for x, s in zip(leaves, [leaf_spec(x) for x in leaves])]
    outs = emit(COND, [p] + ins + caps, {}, [then_fn, else_fn])
    return pytree.unflatten(t_tree, [wrap(v, w) for v, w in zip(outs, t_weak)])


def while_loop(cond_fun, body_fun, init_val):
    """``val = init_val; while cond_fun(val): val = body_fun(val); return val``."""
    leaves, tree = pytree.flatten(init_val)
    if context.current() is None and not _leaves_traced(leaves):
        val = init_val
        while bool(np.asarray(cond_fun(val))):
            val = body_fun(val)
        return val
    return _while(cond_fun, body_fun, init_val, {})


def _while(cond_fun, body_fun, init_val, attrs):
    leaves, tree = pytree.flatten(init_val)
    specs = [leaf_spec(x) for x in leaves]
    c_tr, c_params, c_res, c_tree, _ = _trace_region(lambda v: cond_fun(v), "cond", leaves, tree)
    if c_tree.kind != "leaf" or c_res[0].type.shape != ():
        raise context.with_location(TraceError(
            f"while_loop cond_fun must return a scalar boolean, got "
            f"{_describe([r.type for r in c_res])}"))
    b_tr, b_params, b_res, b_tree, b_weak = _trace_region(lambda v: body_fun(v), "body", leaves, tree)
    if b_tree != tree:
        raise context.with_location(TraceError(
            f"while_loop body_fun must return the structure of init_val: {tree} vs {b_tree}"))
    for k, (s, r) in enumerate(zip(specs, b_res)):
        if s.type != r.type:
            raise context.with_location(TraceError(
                f"while_loop body_fun changes loop value {k} from {s.type} to {r.type}; loop-carried "
                f"values must keep their shape and dtype (cast with .astype)"))
    caps = _merge_captures(c_tr, b_tr)
    # the cond region must return bool
    if c_res[0].type.dtype != np.bool_:
        from .ir.core import Op
        from .ir.opdef import get
        cast = Value(c_res[0].type.with_dtype(np.bool_))
        c_tr.builder.ops.append(Op(get(ASTYPE), [c_res[0]], {"dtype": np.dtype(np.bool_)}, [cast]))
        c_res = [cast]
    cond_fn = _finish(c_tr, c_params, c_res, caps)
    body_fn = _finish(b_tr, b_params, b_res, caps)
    ins = [to_value(x, s.type.dtype) for x, s in zip(leaves, specs)]
    outs = emit(WHILE, ins + caps, dict(attrs, num_carried=len(ins)), [cond_fn, body_fn])
    return pytree.unflatten(tree, [wrap(v, s.weak) for v, s in zip(outs, specs)])


def fori_loop(lower, upper, body_fun, init_val):
    """``for i in range(lower, upper): val = body_fun(i, val)``."""
    leaves, _ = pytree.flatten(init_val)
    traced = context.current() is not None or _leaves_traced(leaves) or \
        isinstance(lower, Tracer) or isinstance(upper, Tracer)
    if not traced:
        val = init_val
        for i in range(int(lower), int(upper)):
            val = body_fun(i, val)
        return val
    attrs = {}
    if not isinstance(lower, Tracer) and not isinstance(upper, Tracer):
        attrs["trip_count"] = max(int(upper) - int(lower), 0)
    # Python int bounds give a weak int64 index, as the Python int i of the untraced loop
    # (``v + i * y`` keeps y's float32 under jit exactly as under disable_jit)
    lo = lower if isinstance(lower, Tracer) else int(lower)
    hi = upper if isinstance(upper, Tracer) else int(upper)

    def c(state):
        i, _, h = state
        return i < h

    def b(state):
        i, v, h = state
        return i + 1, body_fun(i, v), h

    _, out, _ = _while(c, b, (lo, init_val, hi), attrs)
    return out
