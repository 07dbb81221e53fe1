"""``NativeExecutable``: calls a compiled program's single entry point.

Per call: allocate the result arrays (those of ``results.MIN_BYTES`` or more from the pool of
recycled blocks, :mod:`.results`) and make one native call with the GIL released, on a tuple of
the argument and result arrays: the entry reads their data pointers itself and refuses (``LAYOUT``)
an argument that is not C-contiguous and aligned (see :mod:`xlaish.codegen.cpu.program`). A
refused call, or one whose arguments are not arrays of exactly the traced dtypes, converts them
(an input that is not C-contiguous, aligned, native byte order and the traced dtype is copied;
read-only inputs are read in place) and calls again. One-thread programs are called through a
builtin (:mod:`.fastcall`, tens of nanoseconds), parallel ones through ctypes (their thread count
is read per call). ``matched_runner`` is jit's fast path: nothing but the result allocation and
the call in Python.

Ctrl-C: the executable points the program's interrupt global at the process-wide flag
(:mod:`.interrupt`); a call stopped by it (``INTERRUPTED``) raises ``KeyboardInterrupt`` on the
main thread, or runs again (another thread, or a signal handler that did not raise).
"""
from __future__ import annotations

import ctypes

import numpy as np

from .. import config
from . import interrupt, results
from .executable import Executable, describe_nan

_INTERRUPTED = 3       # codegen.cpu.program.INTERRUPTED (not imported: keeps the import light)
_CALLBACK_FAILED = 5   # codegen.cpu.callback_kernel.CALLBACK_FAILED
_LAYOUT = 4            # codegen.cpu.program.LAYOUT: an input needs converting first
_ENTRY_T = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_int64)
_TUPLE_T = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.py_object, ctypes.c_int64)   # entry_py
_HOOK_T = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.POINTER(ctypes.c_void_p))
try:
    _libc_free = ctypes.CDLL(None).free     # the free the compiled programs' malloc pairs with
    _libc_free.argtypes, _libc_free.restype = [ctypes.c_void_p], None
except (OSError, AttributeError):         # no process symbol table: blocks are left to exit
    _libc_free = None


def _view(ptr, t):
    """A NumPy copy of the buffer at ptr holding one value of TensorType t."""
    if t.nbytes == 0:
        return np.empty(t.shape, t.dtype)
    raw = (ctypes.c_char * t.nbytes).from_address(ptr)
    return np.frombuffer(raw, dtype=t.dtype).reshape(t.shape).copy()
_ndarray = np.ndarray
# NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED: what the entry point needs of an input's memory
# (``ndarray.flags.num`` is the flags word; one bit test per argument on the fast path)
_CA = 0x0001 | 0x0100


def _prepare(a, dt):
    """``a`` as a C-contiguous, aligned ndarray of exactly ``dt`` (native byte order): copied
    only when it is not one already. Read-only inputs are read in place."""
    if type(a) is _ndarray and a.dtype == dt and a.flags.num & _CA == _CA:
        return a
    b = np.ascontiguousarray(a, dtype=dt)
    if isinstance(a, _ndarray) and not b.flags.aligned:     # it keeps an unaligned array as is
        b = b.copy()
    return b


def _offsets_ok() -> bool:
    """Do the object layouts ``entry_py`` reads (see :mod:`xlaish.codegen.cpu.program`) hold in
    this process: a tuple's items, an array's data pointer and flags word?"""
    from ..codegen.cpu.program import ARRAY_DATA_OFFSET, ARRAY_FLAGS_OFFSET, TUPLE_ITEMS_OFFSET
    try:
        a, b = np.zeros(3), np.zeros((4, 4))[:, ::2]
        t = (a, b)
        items = (ctypes.c_void_p * 2).from_address(id(t) + TUPLE_ITEMS_OFFSET)
        return (items[0] == id(a) and items[1] == id(b)
                and all(ctypes.c_void_p.from_address(id(x) + ARRAY_DATA_OFFSET).value == x.ctypes.data
                        and ctypes.c_int32.from_address(id(x) + ARRAY_FLAGS_OFFSET).value == x.flags.num
                        for x in (a, b)))
    except Exception:
        return False


_OFFSETS_OK: list = []


def _entry_py_usable() -> bool:
    if not _OFFSETS_OK:
        _OFFSETS_OK.append(_offsets_ok())
    return _OFFSETS_OK[0]


class NativeExecutable(Executable):
    """The :class:`~.executable.Executable` of native code (the CPU JIT, or a loaded library)."""
    backend = "cpu"

    def __init__(self, address: int, layout, keepalive=None, py_address: int | None = None,
                 hook_address: int | None = None, program=None, traced=None,
                 pool_address: int | None = None, scratch: tuple | None = None):
        self.layout = layout
        self.keepalive = keepalive          # the JIT engine or loaded library owning the code
        self.nparams = len(layout.param_types)
        self.nres = len(layout.result_types)
        self.in_dtypes = [t.dtype for t in layout.param_types]
        self.out_specs = [(t.shape, t.dtype) for t in layout.result_types]
        # results of results.MIN_BYTES or more come from the result pool (no page faults)
        self._out_pooled = [(t.shape, t.dtype, t.nbytes if t.nbytes >= results.MIN_BYTES else 0)
                            for t in layout.result_types]
        self._pooled = any(nb for _, _, nb in self._out_pooled)
        self.buf_t = ctypes.c_void_p * max(self.nparams + self.nres, 1)
        self.entry = _ENTRY_T(address)
        # entry_py(tuple of arrays, nthreads); None where this process's object layouts differ
        self.py_entry = _TUPLE_T(py_address) if py_address and _entry_py_usable() else None
        # a one-thread program's entry_py as a builtin, ``vcall(*arrays) -> code``: a call costs
        # what calling a builtin does, not ctypes' argument conversion (see fastcall)
        self._vcall = None
        if self.py_entry is not None and not layout.parallel:
            from .fastcall import caller
            self._vcall = caller(py_address)
        self.parallel = layout.parallel
        if pool_address and self.parallel:      # hand parallel kernels to the persistent pool
            from .pool import run_address
            run = run_address()
            if run:
                ctypes.c_void_p.from_address(pool_address).value = run
        self.traced = traced
        # cells where the program keeps its intermediate buffers between calls (owned here:
        # freed in __del__ without running the module's code, which may be gone by then)
        self._cells = None
        if scratch:
            address, n = scratch
            self._cells = (ctypes.c_void_p * n)()
            ctypes.c_void_p.from_address(address).value = ctypes.addressof(self._cells)
        name = getattr(layout, "interrupt_name", "")
        if name and hasattr(keepalive, "get_global_value_address"):
            slot = keepalive.get_global_value_address(name)
            if slot:
                ctypes.c_void_p.from_address(slot).value = interrupt.ADDRESS
                interrupt.install()
        self._hook = None
        if hook_address and getattr(layout, "prints", None):
            self._hook = _HOOK_T(self._on_print)
            ctypes.c_void_p.from_address(hook_address).value = ctypes.cast(self._hook, ctypes.c_void_p).value

    def call_tuple(self, args: tuple):
        """The path for a tuple of arrays of the traced dtypes: the entry point reads the array
        objects straight out of the tuple and checks their layout itself (no ctypes array built,
        no per-argument check here); anything else takes the converting path."""
        if self.py_entry is None:
            return self(args)
        for a, dt in zip(args, self.in_dtypes):
            if type(a) is not _ndarray or a.dtype != dt:
                return self(args)
        objs = args + self._outs()
        vc = self._vcall
        if vc is not None:
            rc = vc(*objs)
        else:
            rc = self.py_entry(objs, config.num_threads() if self.parallel else 1)
        if rc:
            if rc == _LAYOUT:
                return self(args)
            if rc == _INTERRUPTED:
                interrupt.handle()
                return self(args)
            self._fail(rc, list(args))
        return objs[self.nparams:]

    def _outs(self) -> tuple:
        """New result arrays (those of results.MIN_BYTES or more from the result pool)."""
        if not self._pooled:
            return tuple([np.empty(shape, dt) for shape, dt in self.out_specs])
        pooled = results.empty
        return tuple([pooled(shape, dt, nb) if nb else np.empty(shape, dt)
                      for shape, dt, nb in self._out_pooled])

    def __del__(self):
        cells = getattr(self, "_cells", None)
        if cells is None or _libc_free is None:
            return
        for k, p in enumerate(cells):
            if p:
                cells[k] = None
                _libc_free(p)

    def matched_runner(self, as_tuple: bool = False):
        """A caller for argument tuples already known to be ndarrays of exactly the traced
        dtypes (native byte order) and shapes (the jit fast path keys on them and registers only
        such calls): the entry point checks the memory layout (C-contiguous and aligned) and an
        input that fails it takes the converting path. Returns the result (0-d as a NumPy
        scalar), or with ``as_tuple`` the tuple of results; without ``as_tuple`` only for a
        program with exactly one result. None if the entry cannot read array objects."""
        fe, vc = self.py_entry, self._vcall
        if fe is None or (not as_tuple and len(self.out_specs) != 1):
            return None
        parallel, num_threads, outs, slow = self.parallel, config.num_threads, self._outs, self._slow
        if vc is None:
            def vc(*objs):
                return fe(objs, num_threads() if parallel else 1)
        if as_tuple:
            scalar = [k for k, (shape, _) in enumerate(self.out_specs) if shape == ()]
            first = self.nparams

            def run_tuple(args):
                objs = args + outs()
                rc = vc(*objs)
                if rc:
                    return slow(args, rc, True)
                res = objs[first:]
                if scalar:
                    res = list(res)
                    for k in scalar:
                        res[k] = res[k][()]
                    res = tuple(res)
                return res
            return run_tuple
        (shape, dt, nbytes), = self._out_pooled
        if nbytes:
            pooled = results.empty

            def empty(shape, dt):
                return pooled(shape, dt, nbytes)
        else:
            empty = np.empty
        if shape == ():
            def run0(args):
                out = empty(shape, dt)
                rc = vc(*args, out)
                if rc:
                    return slow(args, rc, False)
                return out[()]
            return run0

        def run(args):          # the common case, kept as short as it can be
            out = empty(shape, dt)
            rc = vc(*args, out)
            if rc:
                return slow(args, rc, False)
            return out
        return run

    def _slow(self, args, rc, as_tuple):
        """A matched runner's call that the entry refused (``LAYOUT``) or that was interrupted:
        run it through the converting path; any other code raises."""
        if rc == _INTERRUPTED:
            interrupt.handle()
        elif rc != _LAYOUT:
            self._fail(rc, list(args))
        outs = self(args)
        outs = [o if o.ndim else o[()] for o in outs]
        return tuple(outs) if as_tuple else outs[0]

    def __call__(self, arrays):
        ins = [_prepare(a, dt) for a, dt in zip(arrays, self.in_dtypes)]
        outs = list(self._outs())
        nt = config.num_threads() if self.parallel else 1
        if self.py_entry is not None:
            rc = self.py_entry((*ins, *outs), nt)
        else:
            rc = self.entry(self.buf_t(*[x.ctypes.data for x in ins + outs]), nt)
        if rc == _INTERRUPTED:
            interrupt.handle()
            return self(arrays)
        if rc != 0:
            self._fail(rc, ins)
        return outs

    def _on_print(self, index, ptrs):
        fmt, types = self.layout.prints[index]
        vals = [_view(ptrs[i], t) for i, t in enumerate(types)]
        print(fmt.format(*[v[()] if v.ndim == 0 else v for v in vals]), flush=True)

    def _fail(self, rc, ins):
        from ..codegen.cpu.program import CHECK_BASE, NAN_BASE
        from ..errors import CheckError
        if rc == _CALLBACK_FAILED:           # a host callback raised: the same exception here
            from ..codegen.cpu.callback_kernel import take_pending
            raise take_pending()
        if rc == 2:
            raise MemoryError("xlaish: the compiled program could not allocate its intermediate buffers")
        if CHECK_BASE <= rc < NAN_BASE and rc - CHECK_BASE < len(self.layout.checks):
            err = CheckError(self.layout.checks[rc - CHECK_BASE])
            if isinstance(err, IndexError):      # an index_check: name the bad value as NumPy does
                from ..ir.ops.indexing import index_error
                raise index_error(self.traced, ins, str(err)) from None
            raise err
        if rc >= NAN_BASE and rc - NAN_BASE < len(self.layout.nan_kernels):
            raise FloatingPointError(self._describe_nan(rc - NAN_BASE, ins))
        raise RuntimeError(f"xlaish: compiled program failed with code {rc}")

    def _describe_nan(self, k, ins):
        kname, ops = self.layout.nan_kernels[k]
        return describe_nan(self.traced, ins, kname, ops)
