"""Reverse-mode automatic differentiation on the IR: ``grad``, ``value_and_grad``, ``custom_vjp``.

``grad(f)(*args)`` traces ``f`` into a function, inlines it into the trace
being built (or a fresh one, compiled with ``jit``, when called on concrete
arrays), and walks its ops backwards applying each op's VJP rule
(:mod:`.rules`). The rules emit ordinary traced ops, so gradients are
programs like any other: fused, compiled, differentiable again.

Control flow: ``cond`` is differentiated branch-wise (the VJP is itself a
``cond``); a ``while`` op (``fori_loop`` with static or traced bounds,
``while_loop``) is differentiated as a loop: the backward pass is a loop running
the body's VJP in reverse order over checkpointed carries (:mod:`.loops`, which
gives the scheme and its memory and time cost); only a loop with a small static
trip count is unrolled.
"""
from __future__ import annotations

import functools
import itertools

from .. import numpy as xnp
from ..errors import TraceError
from ..ir.core import Function
from ..ir.opnames import COND, CUSTOM_VJP_CALL, WHILE
from ..trace import context, pytree
from ..trace.bind import emit, to_value, wrap
from ..trace.tracer import Tracer
from ..trace.tracing import leaf_spec
from . import loops
from .rules import NON_DIFFERENTIABLE, VJP

_CUSTOM: dict[int, tuple] = {}
_ids = itertools.count(1)


def _is_float(v) -> bool:
    return v.type.dtype.kind in "fc"


class _Tape:
    """Ops inlined into the current trace, in order, for the backward walk."""

    def __init__(self):
        self.ops = []      # (op, new operand Values, new result Values, a while op's trip count)

    def inline(self, fn: Function, args):
        """Emit fn's ops into the current trace; returns the Values of its results."""
        env = {id(p): a for p, a in zip(fn.params, args)}
        for op in fn.ops:
            ins = [env[id(v)] for v in op.operands]
            if op.name == WHILE and loops.should_unroll(op):
                outs = self._unroll(op, ins)
            elif op.name == WHILE:
                outs, count = loops.forward(op, ins)
                self.ops.append((op, ins, outs, count))
            else:
                outs = emit(op.opdef, ins, dict(op.attrs), op.regions)
                self.ops.append((op, ins, list(outs), None))
            for old, new in zip(op.results, outs):
                env[id(old)] = new
        return [env[id(r)] for r in fn.results]

    def _unroll(self, op, ins):
        n = op.attrs["num_carried"]
        carried, extras = list(ins[:n]), list(ins[n:])
        for _ in range(op.attrs["trip_count"]):
            carried = self.inline(op.regions[1], carried + extras)
        return carried

    def backward(self, cts: dict):
        for op, ins, outs, count in reversed(self.ops):
            gs = [cts.get(id(o)) for o in outs]
            if all(g is None for g in gs):
                continue
            if op.name == COND:
                new = _cond_vjp(op, ins, outs, gs)
            elif op.name == CUSTOM_VJP_CALL:
                new = _custom_vjp_backward(op, ins, gs)
            elif op.name == WHILE:
                new = loops.while_vjp(op, ins, gs, count, _Tape)
            elif op.name in NON_DIFFERENTIABLE:
                continue
            else:
                rule = VJP.get(op.name)
                if rule is None:
                    raise TraceError(f"no gradient rule for op '{op.name}'")
                gs = [g if g is not None else xnp.zeros_like(wrap(o)) for g, o in zip(gs, outs)]
                new = rule(gs, op, [wrap(v) for v in ins], [wrap(v) for v in outs])
            for v, g in zip(ins, new):
                if g is None or not _is_float(v):
                    continue
                prev = cts.get(id(v))
                cts[id(v)] = g if prev is None else prev + g


def _trace_fn(fun, leaves, tree, kwargs, name):
    """fun(*args) as a closed Function: its params are the leaves then the captured values."""
    from ..control import _finish, _trace_region
    tr, params, results, out_tree, _ = _trace_region(lambda ops: fun(*ops, **kwargs), name, leaves, tree)
    caps = [outer for outer, _ in tr.captures]
    return _finish(tr, params, results, caps), out_tree, caps


def _vjp_of(fun, args, kwargs, name="vjp"):
    """Inline fun(*args) into the current trace; return (outputs as Values, out_tree, tape, in Values)."""
    leaves, tree = pytree.flatten(tuple(args))
    fn, out_tree, cap_outer = _trace_fn(fun, leaves, tree, kwargs, name)
    from ..passes.complex import lower_complex  # (lazy: loading an AOT library imports no pass)
    fn = lower_complex(fn)       # complex ops -> real ops: the complex VJPs are the boundary's three
    in_vals = [to_value(x, leaf_spec(x).type.dtype) for x in leaves]
    tape = _Tape()
    outs = tape.inline(fn, in_vals + cap_outer)
    return outs, out_tree, tape, in_vals, tree


def _concrete_call(wrapper, args, kwargs, cache):
    from ..jit import JitFunction, _disabled
    key = "compiled"
    jf = cache.get(key)
    if jf is None:
        jf = cache[key] = JitFunction(wrapper)
    prev = getattr(_disabled, "on", False)
    _disabled.on = False
    try:
        return jf(*args, **kwargs)
    finally:
        _disabled.on = prev


def value_and_grad(fun, argnums=0, has_aux=False):
    """``(f(*args), df/dargs[argnums])``; f must return a scalar float (or ``(scalar, aux)``).

    The same ``fun``, ``argnums`` and ``has_aux`` give the same function object (kept in an
    attribute of ``fun`` where it takes one), so ``xl.grad(f)(x)`` written inline in a loop
    compiles once: the compiled versions belong to that object."""
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    memo = getattr(fun, "__dict__", None)
    memo_key = (nums, single, bool(has_aux))
    # (functools.wraps copies a function's __dict__ into its wrappers: an entry counts only if
    # it wraps this very function)
    mine = memo.get("__xlaish_vg__") if isinstance(memo, dict) else None
    if mine is not None and getattr(mine.get(memo_key), "__wrapped__", None) is fun:
        return mine[memo_key]
    cache: dict = {}

    @functools.wraps(fun)
    def vg(*args, **kwargs):
        leaves, _ = pytree.flatten(tuple(args))
        if context.current() is None and not any(isinstance(x, Tracer) for x in leaves):
            return _concrete_call(vg, args, kwargs, cache)
        for i in nums:
            if i >= len(args):
                raise TypeError(f"argnums {i} is out of range for {len(args)} positional arguments")
        from ..autograph import convert_like_trace
        outs, out_tree, tape, in_vals, tree = _vjp_of(convert_like_trace(fun), args, kwargs)
        flat_out = pytree.unflatten(out_tree, [wrap(v) for v in outs])
        value, aux = (flat_out if has_aux else (flat_out, None))
        if has_aux and not (isinstance(flat_out, tuple) and len(flat_out) == 2):
            raise TraceError("has_aux=True needs the function to return (value, aux)")
        if not isinstance(value, Tracer) or value.shape != () or value.dtype.kind != "f":
            desc = f"{value.dtype}{list(value.shape)}" if isinstance(value, Tracer) else type(value).__name__
            raise context.with_location(TypeError(
                f"grad requires a function returning a scalar float, got {desc}"))
        cts = {id(value._value): xnp.ones_like(value)}
        tape.backward(cts)
        # gradient per requested argument, in its pytree structure
        per_arg = []
        pos = 0
        arg_trees = []
        for a in args:
            lv, td = pytree.flatten(a)
            arg_trees.append((pos, len(lv), td))
            pos += len(lv)
        for i in nums:
            start, n, td = arg_trees[i]
            gl = []
            for v in in_vals[start:start + n]:
                if not _is_float(v):
                    raise context.with_location(TypeError(
                        f"grad requires float inputs; argument {i} has dtype {v.type.dtype}"))
                g = cts.get(id(v))
                gl.append(g.astype(v.type.dtype) if g is not None else xnp.zeros_like(wrap(v)))
            per_arg.append(pytree.unflatten(td, gl))
        grads = per_arg[0] if single else tuple(per_arg)
        return ((value, aux), grads) if has_aux else (value, grads)

    if isinstance(memo, dict):
        if mine is None or any(v.__wrapped__ is not fun for v in mine.values()):
            mine = memo["__xlaish_vg__"] = {}
        mine[memo_key] = vg
    return vg


def grad(fun, argnums=0, has_aux=False):
    """The gradient of a scalar-valued ``fun`` with respect to ``args[argnums]``."""
    vg = value_and_grad(fun, argnums, has_aux)

    @functools.wraps(fun)
    def g(*args, **kwargs):
        out = vg(*args, **kwargs)
        if has_aux:
            (_, aux), gr = out
            return gr, aux
        return out[1]
    return g


def _cond_vjp(op, ins, outs, gs):
    """The VJP of cond is a cond of the branches' VJPs (predicate gets none)."""
    from ..control import cond
    pred, args = ins[0], ins[1:]
    gts = [g if g is not None else xnp.zeros_like(wrap(o)) for g, o in zip(gs, outs)]

    def branch(region):
        def run(*arg_tracers):
            tape = _Tape()
            res = tape.inline(region, [t.value for t in arg_tracers])
            cts = {id(r): g for r, g in zip(res, gts) if _is_float(r)}
            tape.backward(cts)
            return tuple(cts[id(v.value)] if id(v.value) in cts and _is_float(v.value)
                         else xnp.zeros_like(v) for v in arg_tracers)
        return run

    res = cond(wrap(pred), branch(op.regions[0]), branch(op.regions[1]), *[wrap(a) for a in args])
    return [None] + list(res)


class custom_vjp:
    """A function with a hand-written reverse rule (JAX's ``custom_vjp``).

    ``f.defvjp(fwd, bwd)``: ``fwd(*args) -> (out, residuals)``, ``bwd(residuals, g) -> tuple``
    of one cotangent per positional argument.
    """

    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fwd = self.bwd = None
        self.key = next(_ids)

    def defvjp(self, fwd, bwd):
        self.fwd, self.bwd = fwd, bwd
        _CUSTOM[self.key] = (self, fwd, bwd)
        return self

    def __call__(self, *args):
        if context.current() is None and not any(isinstance(a, Tracer) for a in args):
            return self.fun(*args)
        if self.fwd is None:
            raise TraceError(f"custom_vjp function {self.fun.__name__} has no rule: call defvjp(fwd, bwd)")
        leaves, tree = pytree.flatten(tuple(args))
        fn, out_tree, caps = _trace_fn(self.fun, leaves, tree, {}, self.fun.__name__)
        if out_tree.kind != "leaf":
            raise TraceError("custom_vjp functions must return one array")
        ins = [to_value(x, leaf_spec(x).type.dtype) for x in leaves] + caps
        (out,) = emit(CUSTOM_VJP_CALL, ins, {"rule": self.key, "nargs": len(leaves)}, [fn])
        return wrap(out)


def _custom_vjp_backward(op, ins, gs):
    _, fwd, bwd = _CUSTOM[op.attrs["rule"]]
    n = op.attrs["nargs"]
    args = [wrap(v) for v in ins[:n]]
    _, res = fwd(*args)
    cts = bwd(res, gs[0])
    if not isinstance(cts, (tuple, list)):
        cts = (cts,)
    return list(cts) + [None] * (len(ins) - n)


