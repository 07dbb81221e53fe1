"""Host callbacks with JAX's API: ``pure_callback`` and ``io_callback``.

``pure_callback(fn, result_shape_dtypes, *args, **kwargs)`` calls ``fn(*args, **kwargs)`` with
NumPy arrays in place of the traced values, when the compiled program runs, and returns arrays
of the shapes and dtypes ``result_shape_dtypes`` declares (a pytree of objects with ``shape``
and ``dtype``: :class:`xlaish.ShapeDtype`, NumPy arrays, ``jax.ShapeDtypeStruct``). ``fn`` should
be free of side effects: a call whose results are unused may be removed. ``io_callback`` is the
same for functions with side effects: never removed, never merged with another. Both run in
program order (``ordered`` is accepted; every callback is kept in order, ordered or not).

Under ``jit`` each call is one ``host_callback`` op (:mod:`xlaish.ir.ops.callback`); on the CPU
the compiled program calls into Python with the GIL taken only for the callback. An exception
raised by ``fn`` is raised from the jitted call, the same exception with its traceback. Inside
``cond`` and ``while_loop`` bodies the callback runs each time its branch or iteration does.
Outside ``jit`` ``fn`` is called directly (results checked the same way). The CUDA backend and
AOT export refuse programs with callbacks (an ``UnsupportedError`` naming the callback).
Callbacks are not differentiable: ``grad`` through one raises a TraceError; wrap the function
calling it in ``xlaish.custom_vjp`` for a gradient.
"""
from __future__ import annotations

import numpy as np

from .autodiff.rules import VJP
from .ir.opdef import get as _opdef
from .ir.opnames import HOST_CALLBACK
from .ir.ops.callback import CallbackTarget, register_target
from .trace import context, pytree
from .trace.bind import emit, to_value, wrap
from .trace.tracer import Tracer

__all__ = ["pure_callback", "io_callback"]

# the tape looks VJPs up in the rules' table: the op's refusing VJP (from its record) goes there too
VJP.setdefault(HOST_CALLBACK, _opdef(HOST_CALLBACK).vjp)


def _specs(what, result_shape_dtypes):
    leaves, tree = pytree.flatten(result_shape_dtypes)
    specs = []
    for leaf in leaves:
        try:
            specs.append((tuple(int(d) for d in leaf.shape), np.dtype(leaf.dtype)))
        except (AttributeError, TypeError) as e:
            raise TypeError(f"{what}: result_shape_dtypes must be a pytree of objects with shape and "
                            f"dtype (xlaish.ShapeDtype, arrays), got {leaf!r}") from e
    return specs, tree


def _callback(what, callback, result_shape_dtypes, args, kwargs, pure, ordered):
    if not callable(callback):
        raise TypeError(f"{what}: the callback must be callable, got {callback!r}")
    specs, out_tree = _specs(what, result_shape_dtypes)
    leaves, in_tree = pytree.flatten((args, kwargs))
    name = f"{what}({getattr(callback, '__qualname__', None) or type(callback).__name__})"

    def flat(*arrays):
        a, kw = pytree.unflatten(in_tree, list(arrays))
        out_leaves, tree = pytree.flatten(callback(*a, **kw))
        if tree != out_tree and not (out_tree.kind == "leaf" and len(out_leaves) == 1):
            raise TypeError(f"{name}: the callback returned a {tree.kind} of {len(out_leaves)} arrays, "
                            f"result_shape_dtypes declares {out_tree.kind} of {len(specs)}")
        return out_leaves

    if context.current() is None and not any(isinstance(x, Tracer) for x in leaves):
        target = CallbackTarget(flat, (), specs, name, pure)
        return pytree.unflatten(out_tree, target(*[np.asarray(x) for x in leaves]))
    vals = [to_value(x) for x in leaves]
    target = CallbackTarget(flat, tuple(v.type for v in vals), specs, name, pure)
    res = emit(HOST_CALLBACK, vals, {"callback": register_target(target),
                                     "results": tuple(specs), "pure": pure, "ordered": ordered})
    return pytree.unflatten(out_tree, [wrap(r) for r in res])


def pure_callback(callback, result_shape_dtypes, *args, sharding=None, vmap_method=None, **kwargs):
    """``callback(*args, **kwargs)`` on NumPy arrays, at run time; its results have the shapes
    and dtypes of ``result_shape_dtypes``. May be removed when its results are unused."""
    return _callback("pure_callback", callback, result_shape_dtypes, args, kwargs, True, False)


def io_callback(callback, result_shape_dtypes, *args, sharding=None, ordered=False, **kwargs):
    """Like :func:`pure_callback` for a callback with side effects: never removed or merged,
    run in program order. ``result_shape_dtypes`` may be ``None`` (no results)."""
    return _callback("io_callback", callback, result_shape_dtypes, args, kwargs, False, bool(ordered))
