"""``host_callback``: a call from the compiled program back into a Python function.

``host_callback {callback, results, pure, ordered}`` passes its operands (NumPy arrays) to a
Python function and returns that function's arrays, whose shapes and dtypes ``results`` fixes
(a tuple of ``(shape, dtype)``). The user API is :func:`xlaish.pure_callback` /
:func:`xlaish.io_callback` (:mod:`xlaish.callback`).

The Python function is held by a :class:`CallbackTarget`; the attr ``callback`` is a
:class:`CallbackId`, an ``int`` (what the IR prints and the CPU program passes to the host
trampoline, :mod:`xlaish.codegen.cpu.callback_kernel`) that keeps its target alive as long as
the IR holding it lives. Ids are random per process plus a counter, so a compiled program
never names another process's callback (a foreign or forgotten id is a clear error).

Traits: a side effect (``SIDE_EFFECT``) for both kinds, so the passes never merge, fold, fuse
or reorder it: every callback runs in program order (``ordered`` is recorded, and holds either
way). ``pure`` ones (``pure_callback``) may be dropped by dead-code elimination when nothing
uses their results (:func:`removable`), as JAX allows; ``io_callback`` never is. A gradient
flowing into one is refused with an error (its VJP raises; compose with ``custom_vjp`` for a
gradient), never silently stopped. Backends: the interpreter calls
the function (``lower["interp"]``); the CPU program calls it through the trampoline with the GIL
taken only for the call; CUDA and AOT libraries refuse it (:func:`refuse`).
"""
from __future__ import annotations

import itertools
import secrets
import threading
import weakref

import numpy as np

from ...errors import IRError, TraceError, UnsupportedError
from ..opdef import SIDE_EFFECT, OpDef, register
from ..types import TensorType

_NAME = "host_callback"
_TARGETS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_BASE = secrets.randbits(40) << 20          # per process: ids never collide across processes
_COUNTER = itertools.count(1)
_LOCK = threading.Lock()


class CallbackTarget:
    """The Python side of one traced callback: ``fn(*arrays) -> sequence of arrays`` and the
    result types it must produce."""

    def __init__(self, fn, in_types: tuple, results: tuple, name: str, pure: bool):
        self.fn = fn
        self.in_types = tuple(in_types)
        self.results = tuple(TensorType(tuple(s), np.dtype(d)) for s, d in results)
        self.name = name
        self.pure = pure

    def __call__(self, *arrays):
        """Run the function; its results checked against the declared types and converted."""
        outs = self.fn(*arrays)
        outs = [] if outs is None else list(outs)
        if len(outs) != len(self.results):
            raise TypeError(f"{self.name}: the callback returned {len(outs)} arrays, "
                            f"result_shape_dtypes declares {len(self.results)}")
        fixed = []
        for k, (o, t) in enumerate(zip(outs, self.results)):
            a = np.asarray(o)
            if a.shape != t.shape:
                raise TypeError(f"{self.name}: result {k} of the callback has shape {a.shape}, "
                                f"result_shape_dtypes declares {t.shape}")
            if a.dtype != t.dtype:
                if not np.can_cast(a.dtype, t.dtype, casting="same_kind"):
                    raise TypeError(f"{self.name}: result {k} of the callback has dtype {a.dtype}, "
                                    f"result_shape_dtypes declares {t.dtype}")
                a = a.astype(t.dtype)
            fixed.append(np.ascontiguousarray(a))
        return fixed


class CallbackId(int):
    """The ``callback`` attr: an int naming a registered target, holding it alive."""

    target: CallbackTarget


def register_target(target: CallbackTarget) -> CallbackId:
    with _LOCK:
        cid = CallbackId(_BASE + next(_COUNTER))
    cid.target = target
    _TARGETS[int(cid)] = target
    return cid


def lookup(cid: int) -> CallbackTarget:
    t = _TARGETS.get(int(cid))
    if t is None:
        raise RuntimeError(f"xlaish: host callback {cid} is not registered in this process (a "
                           f"compiled program was loaded without the Python function it calls)")
    return t


def _rule(in_types, attrs, regions):
    t = attrs["callback"]
    if not isinstance(t, CallbackId):
        raise IRError("host_callback: attr callback must be a CallbackId (xlaish.callback makes it)")
    return tuple(TensorType(tuple(s), np.dtype(d)) for s, d in attrs["results"])


def _interp(op, args, interpret):
    return tuple(lookup(op.attrs["callback"])(*[np.array(a) for a in args]))


def removable(op) -> bool:
    """May dead-code elimination drop this op when its results are unused (pure_callback)?"""
    return op.name == _NAME and bool(op.attrs.get("pure"))


def walk(fn):
    for op in fn.ops:
        yield op
        for r in op.regions:
            yield from walk(r)


def refusal(op, where: str) -> UnsupportedError:
    """The error for a callback ``op`` compiled for ``where``, which has no Python to call."""
    t = _TARGETS.get(int(op.attrs["callback"]))
    name = t.name if t is not None else "host_callback"
    at = f" (at {op.loc})" if op.loc else ""
    return UnsupportedError(
        f"{name}{at}: {where} cannot call back into Python; host callbacks run on the CPU "
        f"backend (xlaish.jit(..., device='cpu')) and in the interpreter")


def refuse(fn, where: str) -> None:
    """Raise UnsupportedError if ``fn`` (or a region of it) calls back into Python: ``where``
    (the CUDA backend, an AOT library) has no Python to call."""
    for op in walk(fn):
        if op.name == _NAME:
            raise refusal(op, where)


def has_callbacks(fn) -> bool:
    return any(op.name == _NAME for op in walk(fn))


def _no_gradient(gs, op, ins, outs):
    """The VJP: refused (a gradient that silently stopped here would be wrong)."""
    t = _TARGETS.get(int(op.attrs["callback"]))
    name = t.name if t is not None else "a host callback"
    raise TraceError(f"{name} is not differentiable (xlaish cannot see into the Python function); "
                     f"wrap the function calling it in xlaish.custom_vjp and give its gradient")


register(OpDef(name=_NAME, arity=None, dtype_rule=None, shape_rule=None, reference=None,
               region_rule=_rule, traits=frozenset({SIDE_EFFECT}), lower={"interp": _interp},
               differentiable=True, vjp=_no_gradient,
               doc="call a Python function on the operands (pure_callback, io_callback)"))
