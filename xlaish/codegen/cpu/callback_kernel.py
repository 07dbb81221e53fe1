"""The CPU program's ``host_callback`` (:mod:`xlaish.ir.ops.callback`): a call into Python.

The program calls one external function, ``xlaish_host_callback(i64 id, i8** ptrs) -> i32``,
with the callback's id and a table of its operand then result buffers. That symbol is a ctypes
``CFUNCTYPE`` trampoline registered with MCJIT's resolver (``llvm.add_symbol``) when this
module is imported (the CPU program builder imports it; object code loaded from the disk cache
resolves the same name). The compiled entry runs with the GIL released (ctypes drops it); the
trampoline takes it for the duration of the Python call only (ctypes callbacks do).

The trampoline copies the operands into fresh NumPy arrays, runs the target, checks and copies
its results into the result buffers, and returns 0. If the Python function raises, the
exception is kept for the calling thread (:func:`take_pending`) and the trampoline returns
non-zero: the program frees its buffers and returns :data:`CALLBACK_FAILED`, and the runtime
re-raises the same exception, with its traceback, from the call. Callbacks run on the thread
that called the entry point (they are top-level program steps, never inside a parallel kernel).
AOT libraries have no Python to call: :func:`emit` refuses a program built without the JIT's
runtime (``cache_scratch`` false).
"""
from __future__ import annotations

import ctypes
import threading

import numpy as np
from llvmlite import ir

from ...ir.ops.callback import lookup, refusal
from . import types as T

SYMBOL = "xlaish_host_callback"
CALLBACK_FAILED = 5           # entry's return code when a callback raised
_TRAMPOLINE_T = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int64, ctypes.POINTER(ctypes.c_void_p))
_pending = threading.local()


def _array_at(ptr, t):
    if t.nbytes == 0:
        return np.empty(t.shape, t.dtype)
    raw = (ctypes.c_char * t.nbytes).from_address(ptr)
    return np.frombuffer(raw, dtype=t.dtype).reshape(t.shape)


def _trampoline(cid, ptrs):
    try:
        target = lookup(cid)
        in_types = target.in_types
        args = [_array_at(ptrs[k], t).copy() for k, t in enumerate(in_types)]
        outs = target(*args)
        for j, (o, t) in enumerate(zip(outs, target.results)):
            if t.nbytes:
                _array_at(ptrs[len(in_types) + j], t)[...] = o
        return 0
    except BaseException as e:       # noqa: BLE001 -- re-raised by the caller (take_pending)
        _pending.error = e
        return 1


def take_pending() -> BaseException:
    """The exception the last failed callback of this thread raised (cleared)."""
    e = getattr(_pending, "error", None)
    _pending.error = None
    if e is None:
        return RuntimeError("xlaish: a host callback failed without an exception")
    return e


_HOOK = _TRAMPOLINE_T(_trampoline)


def _register_symbol() -> None:
    import llvmlite.binding as llvm
    llvm.add_symbol(SYMBOL, ctypes.cast(_HOOK, ctypes.c_void_p).value)


_register_symbol()


def emit(em, b, op, ins, outs, table, cleanup) -> None:
    """Lower one ``host_callback`` at the program's top level: call the trampoline, and on
    failure free the buffers and return :data:`CALLBACK_FAILED`."""
    if not em.cache_scratch:
        raise refusal(op, "an AOT library")
    cid = op.attrs["callback"]
    fnty = ir.FunctionType(T.I32, [T.I64, T.PTR.as_pointer()])
    fn = em.module.globals.get(SYMBOL) or ir.Function(em.module, fnty, name=SYMBOL)
    rc = b.call(fn, [ir.Constant(T.I64, int(cid)), table(ins + outs)])
    with b.if_then(b.icmp_signed("!=", rc, ir.Constant(T.I32, 0)), likely=False):
        for p in cleanup:
            b.call(em.free, [p])
        b.ret(ir.Constant(T.I32, CALLBACK_FAILED))

