"""A Python builtin function that calls a compiled program's ``entry_py`` without ctypes.

``caller(py_address)`` returns a builtin (``METH_FASTCALL``) whose call ``caller(*arrays)``
releases the GIL, runs ``entry_py`` on the arrays (parameters then results, read straight out of
the vector CPython passes) with one thread, takes the GIL back and returns the entry's code as a
Python int. A ctypes call converts its arguments and goes through libffi, several hundred
nanoseconds; this costs about as much as calling any builtin. The trampoline is one small LLVM
module per process (built on first use, the addresses of ``PyEval_SaveThread``,
``PyEval_RestoreThread`` and ``PyLong_FromLong`` baked in); each program's ``entry_py`` address
travels in the builtin's ``self``, a bytes object. ``entry_py`` takes a tuple and reads its items
at ``TUPLE_ITEMS_OFFSET``: the trampoline hands it the argument vector less that offset (the
address is never read below it). ``caller`` returns None when this process's object layouts
differ from the ones checked here (the runtime then calls through ctypes).
"""
from __future__ import annotations

import ctypes
import sys
import threading

_lock = threading.Lock()
_state: dict = {}
_BYTES_DATA = 32        # offsetof(PyBytesObject, ob_sval) on 64-bit CPython (checked)
METH_FASTCALL = 0x0080


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p),
                ("ml_flags", ctypes.c_int), ("ml_doc", ctypes.c_char_p)]


def _bytes_offset_ok() -> bool:
    b = bytes(range(1, 9))
    return ctypes.string_at(id(b) + _BYTES_DATA, 8) == b


def _build():
    from llvmlite import ir

    from ..codegen.cpu import llvm_target
    from ..codegen.cpu.program import TUPLE_ITEMS_OFFSET
    api = ctypes.pythonapi
    addr = {n: ctypes.cast(getattr(api, n), ctypes.c_void_p).value
            for n in ("PyEval_SaveThread", "PyEval_RestoreThread", "PyLong_FromLong")}
    i8p, i64, i32 = ir.IntType(8).as_pointer(), ir.IntType(64), ir.IntType(32)
    m = ir.Module(name="xlaish_fastcall")
    fn = ir.Function(m, ir.FunctionType(i8p, [i8p, i8p.as_pointer(), i64]), name="xl_fastcall")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    self_, args, _ = fn.args

    def extern(name, ret, params):
        return b.inttoptr(ir.Constant(i64, addr[name]), ir.FunctionType(ret, params).as_pointer())
    entry_t = ir.FunctionType(i32, [i8p, i64]).as_pointer()
    entry = b.load(b.bitcast(b.gep(self_, [ir.Constant(i64, _BYTES_DATA)]), entry_t.as_pointer()))
    tup = b.gep(b.bitcast(args, i8p), [ir.Constant(i64, -TUPLE_ITEMS_OFFSET)])
    ts = b.call(extern("PyEval_SaveThread", i8p, []), [])
    rc = b.call(entry, [tup, ir.Constant(i64, 1)])
    b.call(extern("PyEval_RestoreThread", ir.VoidType(), [i8p]), [ts])
    b.ret(b.call(extern("PyLong_FromLong", i8p, [i64]), [b.sext(rc, i64)]))
    engine, _ = llvm_target.compile_module(str(m))
    mdef = _MethodDef(b"xlaish_entry", engine.get_function_address("xl_fastcall"), METH_FASTCALL,
                      None)
    new = api.PyCFunction_NewEx
    new.argtypes, new.restype = [ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p], ctypes.py_object
    return engine, mdef, new


def caller(py_address: int):
    """A builtin running the ``entry_py`` at ``py_address`` with one thread (see above), or None."""
    if "new" not in _state:
        with _lock:
            if "new" not in _state and not _state.get("failed"):
                try:
                    if not _bytes_offset_ok():
                        raise RuntimeError("unexpected bytes layout")
                    _state["engine"], _state["mdef"], _state["new"] = _build()
                except Exception:
                    _state["failed"] = True
    new = _state.get("new")
    if new is None:
        return None
    self_ = py_address.to_bytes(8, sys.byteorder)
    return new(ctypes.addressof(_state["mdef"]), self_, None)
