"""A whole fused program -> one LLVM module with one entry point.

``int32 entry(i8** bufs, i64 nthreads)`` runs every kernel (:mod:`.kernelgen`) in program
order, so a call crosses from Python into native code once. ``bufs`` holds the function's
parameters then its results. It returns 0, 2 when an allocation failed, ``INTERRUPTED`` (3) when
the runtime's interrupt flag stopped it (see below), ``CHECK_BASE + i`` when ``debug_check`` (or
``index_check``) i failed, ``NAN_BASE + k`` when kernel k wrote a NaN (``XLAISH_DEBUG_NANS``),
``CALLBACK_FAILED`` (5) when a host callback raised (:mod:`.callback_kernel`; the runtime
re-raises its exception). ``entry_py(PyObject* tuple, i64)`` is the same for the Python runtime,
on a tuple of NumPy arrays: it reads each array's data pointer from the array object
(``PyArrayObject.data``), which saves the slow ``ndarray.ctypes`` round trip on every call, and
returns ``LAYOUT`` (4) when a parameter is not C-contiguous and aligned. Dense constants are
module globals.

The intermediate slots of the buffer plan live in one scratch block per call (a while loop's
state and a kernel's scratch in one block each): ``malloc``/``free`` inside the call (AOT
libraries), or, with ``cache_scratch`` (the JIT), kept between calls in cells the runtime owns
(see ``_ProgramEmitter._scratch``). The module's only mutable globals are the pointers the
runtime sets (:class:`ProgramLayout`: the debug-print hook, the worker-pool hook, the scratch
cells); the code is safe to call from several threads at once.

Interrupts (the JIT only, ``cache_scratch``): the module has one more pointer global,
``xl_interrupt_<tag>``, which the runtime points at a process-wide ``int32`` flag (set on Ctrl-C,
see :mod:`xlaish.runtime.interrupt`). Every while-loop iteration and every ``INTERRUPT_CHUNK``
elements of a long kernel (``INTERRUPT_MIN_WORK`` or more; the outer range is walked in chunks,
also on each thread of a parallel kernel) read it, and a set flag makes the entry free its
buffers and return ``INTERRUPTED``; the results are then undefined. A kernel of one outer
iteration (a whole-array reduction) is not split and runs to its end. AOT libraries have no
such global: no flag, no polling. Kernels with enough work are split over ``nthreads`` threads
(the runtime's worker pool when its hook is set, else POSIX threads; chunks of outer
iterations, the calling thread takes the first); small kernels run inline.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from llvmlite import ir

from ...ir.core import Function
from ...ir.kernel import slot_sizes
from ...ir.opnames import COND, CONSTANT, DEBUG_CHECK, DEBUG_PRINT, FUSED, HOST_CALLBACK, INDEX_CHECK, WHILE
from ...ir.ops.indexing import index_check_message
from . import callback_kernel
from . import types as T
from .kernelgen import build_kernel
from .loops import alloca_at_entry

# elements of work below which a kernel runs on one thread (waking the pool's workers costs tens
# of microseconds on a loaded machine: two threads paid from ~2**18 elements for sin, 2**19 for x*2+1)
PARALLEL_MIN_WORK = 1 << 18


@dataclass
class ProgramLayout:
    """What the runtime needs to call the entry point."""
    param_types: list
    result_types: list            # every result is written by the entry (params, constants and
                                  # repeated values are copied there)
    kernels: list = field(default_factory=list)   # names, for inspection
    parallel: bool = False        # does any kernel split across threads?
    prints: list = field(default_factory=list)    # debug_print: (fmt, [TensorType]) by index
    checks: list = field(default_factory=list)    # debug_check: message by index
    nan_kernels: list = field(default_factory=list)   # XLAISH_DEBUG_NANS: (kernel, [(op, loc)])
    hook_name: str = ""           # global holding the debug_print callback (null: no printing)
    pool_name: str = ""           # global holding the worker pool's run function (null: spawn)
    scratch_name: str = ""        # global the runtime points at its array of scratch cells
    scratch_cells: int = 0        # how many (one per function with intermediate slots)
    interrupt_name: str = ""      # global the runtime points at its interrupt flag (JIT only)


CHECK_BASE = 1000     # entry returns CHECK_BASE + i when debug_check i failed
INTERRUPTED = 3       # entry returns INTERRUPTED when the interrupt flag stopped it
INTERRUPT_MIN_WORK = 1 << 22     # elements of work from which a kernel polls the interrupt flag
INTERRUPT_CHUNK = 1 << 18        # elements of work between two polls
NAN_BASE = 2000       # entry returns NAN_BASE + k when kernel k produced a NaN (XLAISH_DEBUG_NANS)


def _parfor(module: ir.Module, pool_hook) -> ir.Function:
    """parfor(kernel, bufs, n, nthreads): the persistent pool when the runtime installed one
    (``pool_hook``) and it is free, else POSIX threads started and joined here."""
    kty = ir.FunctionType(ir.VoidType(), [T.PTR.as_pointer(), T.I64, T.I64]).as_pointer()
    task_t = ir.LiteralStructType([kty, T.PTR.as_pointer(), T.I64, T.I64])
    # worker trampoline
    worker = ir.Function(module, ir.FunctionType(T.PTR, [T.PTR]), name="xl.worker")
    worker.linkage = "internal"
    b = ir.IRBuilder(worker.append_basic_block("entry"))
    t = b.bitcast(worker.args[0], task_t.as_pointer())
    fields = [b.load(b.gep(t, [ir.Constant(T.I32, 0), ir.Constant(T.I32, k)])) for k in range(4)]
    b.call(fields[0], fields[1:])
    b.ret(ir.Constant(T.PTR, None))
    pc = ir.Function(module, ir.FunctionType(T.I32, [T.I64.as_pointer(), T.PTR, worker.type, T.PTR]),
                     name="pthread_create")
    pj = ir.Function(module, ir.FunctionType(T.I32, [T.I64, T.PTR.as_pointer()]), name="pthread_join")
    maxt = 64
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [kty, T.PTR.as_pointer(), T.I64, T.I64]),
                     name="xl.parfor")
    fn.linkage = "internal"
    kfn, bufs, n, nt = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    from .pool import RUN_T
    hook = b.load(pool_hook)
    with b.if_then(b.icmp_unsigned("!=", hook, ir.Constant(T.PTR, None))):
        rc = b.call(b.bitcast(hook, RUN_T.as_pointer()), [kfn, bufs, n, nt])
        with b.if_then(b.icmp_signed("==", rc, ir.Constant(T.I32, 0))):
            b.ret_void()
    tasks = b.alloca(ir.ArrayType(task_t, maxt))
    tids = b.alloca(ir.ArrayType(T.I64, maxt))
    started = b.alloca(ir.ArrayType(T.I1, maxt))
    # nt = clamp(nt, 1, min(maxt, n))
    one = ir.Constant(T.I64, 1)
    nt = b.select(b.icmp_signed("<", nt, one), one, nt)
    nt = b.select(b.icmp_signed(">", nt, ir.Constant(T.I64, maxt)), ir.Constant(T.I64, maxt), nt)
    nt = b.select(b.icmp_signed(">", nt, n), n, nt)
    nt = b.select(b.icmp_signed("<", nt, one), one, nt)
    from .loops import for_range

    def bounds(k):
        lo = b.sdiv(b.mul(n, k), nt)
        hi = b.sdiv(b.mul(n, b.add(k, one)), nt)
        return lo, hi

    def spawn(k):
        lo, hi = bounds(k)
        tp = b.gep(tasks, [ir.Constant(T.I32, 0), k])
        for idx, val in enumerate((kfn, bufs, lo, hi)):
            b.store(val, b.gep(tp, [ir.Constant(T.I32, 0), ir.Constant(T.I32, idx)]))
        rc = b.call(pc, [b.gep(tids, [ir.Constant(T.I32, 0), k]), ir.Constant(T.PTR, None), worker,
                         b.bitcast(tp, T.PTR)])
        ok = b.icmp_signed("==", rc, ir.Constant(T.I32, 0))
        b.store(ok, b.gep(started, [ir.Constant(T.I32, 0), k]))
        with b.if_then(b.not_(ok)):      # could not start a thread: run its chunk here
            b.call(kfn, [bufs, lo, hi])
    for_range(b, 1, nt, spawn, "spawn")
    lo0, hi0 = bounds(ir.Constant(T.I64, 0))
    b.call(kfn, [bufs, lo0, hi0])

    def join(k):
        with b.if_then(b.load(b.gep(started, [ir.Constant(T.I32, 0), k]))):
            b.call(pj, [b.load(b.gep(tids, [ir.Constant(T.I32, 0), k])),
                        ir.Constant(T.PTR.as_pointer(), None)])
    for_range(b, 1, nt, join, "join")
    b.ret_void()
    return fn


def _global_const(module, name, arr: np.ndarray):
    data = np.ascontiguousarray(arr).tobytes() or b"\0"
    ty = ir.ArrayType(T.I8, len(data))
    g = ir.GlobalVariable(module, ty, name=name)
    g.global_constant = True
    g.linkage = "internal"
    g.align = 64
    g.initializer = ir.Constant(ty, bytearray(data))
    return g


ARRAY_DATA_OFFSET = 16     # offsetof(PyArrayObject_fields, data) on 64-bit CPython (checked at runtime)
ARRAY_FLAGS_OFFSET = 64    # offsetof(PyArrayObject_fields, flags) (checked at runtime)
TUPLE_ITEMS_OFFSET = 24    # offsetof(PyTupleObject, ob_item) (checked at runtime)
ARRAY_CA = 0x0001 | 0x0100     # NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED
LAYOUT = 4            # entry_py returns LAYOUT when an input array is not C-contiguous and aligned


def _python_entry(module, entry, nparams, nbufs, name):
    """``i32 name(PyObject* tuple, i64 nthreads)`` on a tuple of arrays (params, results): reads
    their data pointers; ``LAYOUT`` (runs nothing) when a param is not C-contiguous and aligned."""
    fn = ir.Function(module, ir.FunctionType(T.I32, [T.PTR, T.I64]), name=name)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    tup, nt = fn.args
    objs = b.bitcast(b.gep(tup, [ir.Constant(T.I64, TUPLE_ITEMS_OFFSET)]), T.PTR.as_pointer())
    bufs = b.alloca(T.PTR, size=ir.Constant(T.I64, max(nbufs, 1)))
    ok = ir.Constant(T.I1, 1)
    ca = ir.Constant(T.I32, ARRAY_CA)
    for k in range(nbufs):
        obj = b.load(b.gep(objs, [ir.Constant(T.I64, k)]))
        field = b.bitcast(b.gep(obj, [ir.Constant(T.I64, ARRAY_DATA_OFFSET)]), T.PTR.as_pointer())
        b.store(b.load(field), b.gep(bufs, [ir.Constant(T.I64, k)]))
        if k < nparams:
            flags = b.load(b.bitcast(b.gep(obj, [ir.Constant(T.I64, ARRAY_FLAGS_OFFSET)]),
                                     T.I32.as_pointer()))
            ok = b.and_(ok, b.icmp_unsigned("==", b.and_(flags, ca), ca))
    with b.if_then(b.not_(ok), likely=False):
        b.ret(ir.Constant(T.I32, LAYOUT))
    b.ret(b.call(entry, [bufs, nt]))


class _ProgramEmitter:
    """Emits one LLVM function per program (the top level and each control-flow region)."""

    def __init__(self, module: ir.Module, debug_nans: bool = False, cache_scratch: bool = False):
        self.module = module
        self.debug_nans = debug_nans
        self.cache_scratch = cache_scratch
        self.scratch_cells = 0
        self.scratch_name = ""
        self.scratch_global = None
        self.prints: list = []
        self.checks: list = []
        self.nan_kernels: list = []
        import uuid
        tag = uuid.uuid4().hex[:12]
        self.hook_name = f"xl_debug_hook_{tag}"
        self.hook = ir.GlobalVariable(module, T.PTR, name=self.hook_name)
        self.hook.initializer = ir.Constant(T.PTR, None)
        self.pool_name = f"xl_pool_hook_{tag}"
        self.pool_hook = ir.GlobalVariable(module, T.PTR, name=self.pool_name)
        self.pool_hook.initializer = ir.Constant(T.PTR, None)
        self.parfor = _parfor(module, self.pool_hook)
        self.interrupt_name, self.interrupt = "", None
        if cache_scratch:
            self.interrupt_name = f"xl_interrupt_{tag}"
            self.interrupt = ir.GlobalVariable(module, T.I32.as_pointer(), name=self.interrupt_name)
            self.interrupt.initializer = ir.Constant(T.I32.as_pointer(), None)
        self.malloc = ir.Function(module, ir.FunctionType(T.PTR, [T.I64]), name="malloc")
        self.free = ir.Function(module, ir.FunctionType(ir.VoidType(), [T.PTR]), name="free")
        self.memcpy = module.declare_intrinsic("llvm.memcpy", [T.PTR, T.PTR, T.I64])
        self.kernels: list[str] = []
        self.parallel = False
        self.nconst = 0
        self.names: set[str] = set()

    def _unique(self, name):
        base, k = name, 1
        while name in self.names:
            name, k = f"{base}.{k}", k + 1
        self.names.add(name)
        return name

    def copy(self, b, dst, src, nbytes):
        if nbytes:
            b.call(self.memcpy, [dst, src, ir.Constant(T.I64, nbytes), ir.Constant(T.I1, 0)])

    def emit(self, fn: Function, name: str, linkage: str = "internal") -> ir.Function:
        """``i32 name(i8** bufs, i64 nthreads)`` running fn; bufs = params then results."""
        name = self._unique(name)
        entry = ir.Function(self.module, ir.FunctionType(T.I32, [T.PTR.as_pointer(), T.I64]), name=name)
        entry.linkage = linkage
        b = ir.IRBuilder(entry.append_basic_block("entry"))
        user_bufs, nthreads = entry.args
        nparams, nresults = len(fn.params), len(fn.results)
        ptr: dict[int, ir.Value] = {}
        for k, p in enumerate(fn.params):
            ptr[id(p)] = b.load(b.gep(user_bufs, [ir.Constant(T.I64, k)]))
        result_ptrs = [b.load(b.gep(user_bufs, [ir.Constant(T.I64, nparams + j)])) for j in range(nresults)]
        first_result = {}
        for j, r in enumerate(fn.results):
            first_result.setdefault(id(r), j)
        sizes = slot_sizes(fn)
        block, slot_ptrs, cell = self._scratch(b, name, [max(sizes.get(s, 0), 1)
                                                         for s in range(max(sizes, default=-1) + 1)])
        cleanup = [block] if block is not None else []

        def fail_if_null(ptrs):
            if not ptrs:
                return
            failed = ir.Constant(T.I1, 0)
            for p in ptrs:
                failed = b.or_(failed, b.icmp_unsigned("==", p, ir.Constant(T.PTR, None)))
            with b.if_then(failed, likely=False):
                for p in cleanup:
                    b.call(self.free, [p])
                b.ret(ir.Constant(T.I32, 2))
        fail_if_null(cleanup)

        def check_rc(rc):
            with b.if_then(b.icmp_signed("!=", rc, ir.Constant(T.I32, 0)), likely=False):
                for p in cleanup:
                    b.call(self.free, [p])
                b.ret(rc)

        def table(values):
            arr = b.alloca(ir.ArrayType(T.PTR, max(len(values), 1)))
            for k, v in enumerate(values):
                b.store(v, b.gep(arr, [ir.Constant(T.I32, 0), ir.Constant(T.I32, k)]))
            return b.bitcast(arr, T.PTR.as_pointer())

        for op in fn.ops:
            if op.name == CONSTANT:
                self.nconst += 1
                g = _global_const(self.module, f"{name}.const{self.nconst}", op.attrs["value"])
                ptr[id(op.result)] = b.bitcast(g, T.PTR)
                continue
            assign = op.attrs.get("buffers", (-1,) * len(op.results))
            for r, s in zip(op.results, assign):
                ptr[id(r)] = slot_ptrs[s] if s >= 0 else result_ptrs[first_result[id(r)]]
            ins = [ptr[id(v)] for v in op.operands]
            outs = [ptr[id(r)] for r in op.results]
            if op.name == FUSED:
                self._kernel(b, op, f"{name}.{op.regions[0].name}", ins, outs, nthreads, table,
                             fail_if_null, cleanup)
                if self.debug_nans:
                    self._nan_scan(b, op, outs, cleanup, f"{name}.{op.regions[0].name}")
            elif op.name == COND:
                then_fn = self.emit(op.regions[0], f"{name}.then")
                else_fn = self.emit(op.regions[1], f"{name}.else")
                pred = b.icmp_unsigned("!=", b.load(ins[0]), ir.Constant(T.I8, 0))
                args = table(ins[1:] + outs)
                with b.if_else(pred) as (then, other):
                    with then:
                        rc_t = b.call(then_fn, [args, nthreads])
                        check_rc(rc_t)
                    with other:
                        rc_e = b.call(else_fn, [args, nthreads])
                        check_rc(rc_e)
            elif op.name == WHILE:
                self._while(b, op, name, ins, outs, nthreads, table, check_rc, cleanup)
            elif op.name == DEBUG_PRINT:
                self.prints.append((op.attrs["fmt"], [v.type for v in op.operands]))
                hook = b.load(self.hook)
                cb_t = ir.FunctionType(ir.VoidType(), [T.I64, T.PTR.as_pointer()])
                with b.if_then(b.icmp_unsigned("!=", hook, ir.Constant(T.PTR, None))):
                    b.call(b.bitcast(hook, cb_t.as_pointer()),
                           [ir.Constant(T.I64, len(self.prints) - 1), table(ins)])
            elif op.name == HOST_CALLBACK:     # a call into Python (pure_callback, io_callback)
                callback_kernel.emit(self, b, op, ins, outs, table, cleanup)
            elif op.name == DEBUG_CHECK:
                self.checks.append(op.attrs["msg"])
                bad = self._any_byte(b, ins[0], op.operands[0].type.size, lambda v: b.icmp_unsigned(
                    "==", v, ir.Constant(T.I8, 0)), T.I8)
                with b.if_then(bad, likely=False):
                    for p in cleanup:
                        b.call(self.free, [p])
                    b.ret(ir.Constant(T.I32, CHECK_BASE + len(self.checks) - 1))
            elif op.name == INDEX_CHECK:       # an index array's bounds: a check like the above
                self.checks.append(index_check_message(op))
                size = op.attrs["size"]
                bad = self._any_byte(b, ins[0], op.operands[0].type.size, lambda v, size=size: b.or_(
                    b.icmp_signed("<", v, ir.Constant(T.I64, -size)),
                    b.icmp_signed(">=", v, ir.Constant(T.I64, size))), T.I64)
                with b.if_then(bad, likely=False):
                    for p in cleanup:
                        b.call(self.free, [p])
                    b.ret(ir.Constant(T.I32, CHECK_BASE + len(self.checks) - 1))
            else:
                raise AssertionError(f"unexpected top-level op {op.name} after fusion")
        # results not written by an op of their own: params, constants, repeated values
        for j, r in enumerate(fn.results):
            if first_result[id(r)] == j and id(r) in {id(x) for o in fn.ops if o.name != CONSTANT
                                                      for x in o.results}:
                continue
            self.copy(b, result_ptrs[j], ptr[id(r)], r.type.nbytes)
        if block is not None:
            self._scratch_done(b, block, cell)
        b.ret(ir.Constant(T.I32, 0))
        return entry

    def _scratch(self, b, name, sizes):
        """One block for the intermediate slots of the buffer plan, a while loop's state or a
        kernel's scratch (64-byte aligned offsets):
        (block or None, slot pointers, its cell for ``_scratch_done``). With ``cache_scratch`` (the
        JIT) the runtime points a global at cells it owns, one per function; the block of the last
        call waits in its
        cell and is taken back with an atomic exchange, so a program called again runs on warm
        memory instead of page-faulting fresh pages (a concurrent call finds the cell empty and
        allocates its own; the runtime frees what the cells hold when it drops the program,
        without running code of the module). Without it, or while the global is null,
        malloc/free per call (AOT libraries keep no such state)."""
        if not sizes:
            return None, [], None
        offsets, total = [], 0
        for n in sizes:
            offsets.append(total)
            total += -(-n // 64) * 64
        size = ir.Constant(T.I64, total)
        null = ir.Constant(T.PTR, None)
        cell = None
        if not self.cache_scratch:
            block = b.call(self.malloc, [size])
        else:
            if self.scratch_global is None:
                self.scratch_name = self.hook_name.replace("xl_debug_hook_", "xl_scratch_")
                self.scratch_global = ir.GlobalVariable(self.module, T.PTR.as_pointer(),
                                                        name=self.scratch_name)
                self.scratch_global.initializer = ir.Constant(T.PTR.as_pointer(), None)
            cells = b.load(self.scratch_global)
            have = b.icmp_unsigned("!=", cells, ir.Constant(T.PTR.as_pointer(), None))
            cell = (have, b.gep(cells, [ir.Constant(T.I64, self.scratch_cells)]))
            self.scratch_cells += 1
            slot = b.alloca(T.PTR)
            b.store(null, slot)
            with b.if_then(have):
                b.store(b.atomic_rmw("xchg", cell[1], null, "acq_rel"), slot)
            with b.if_then(b.icmp_unsigned("==", b.load(slot), null), likely=False):
                b.store(b.call(self.malloc, [size]), slot)
            block = b.load(slot)
        return block, [b.gep(block, [ir.Constant(T.I64, o)]) for o in offsets], cell

    def _scratch_done(self, b, block, cell):
        """Put the block back in its cell (freeing whatever a concurrent call left there), or
        free it."""
        if cell is None:
            b.call(self.free, [block])
            return
        have, cell = cell
        with b.if_else(have) as (keep, drop):
            with keep:
                old = b.atomic_rmw("xchg", cell, block, "acq_rel")
                with b.if_then(b.icmp_unsigned("!=", old, ir.Constant(T.PTR, None)), likely=False):
                    b.call(self.free, [old])
            with drop:
                b.call(self.free, [block])

    def _any_byte(self, b, ptr, n, pred, ty):
        """Emit: does pred hold for any of the n elements of type ty at ptr?"""
        flag = b.alloca(T.I1)
        b.store(ir.Constant(T.I1, 0), flag)
        p = b.bitcast(ptr, ty.as_pointer())
        from .loops import for_range

        def body(i):
            hit = pred(b.load(b.gep(p, [i])))
            b.store(b.or_(b.load(flag), hit), flag)
        for_range(b, 0, n, body, "scan")
        return b.load(flag)

    def _nan_scan(self, b, op, outs, cleanup, kname):
        """XLAISH_DEBUG_NANS: stop with NAN_BASE + k if kernel k wrote a NaN to a float output."""
        body = op.regions[0]
        self.nan_kernels.append((kname, [(o.name, o.loc) for o in body.ops if o.name != CONSTANT]))
        k = len(self.nan_kernels) - 1
        for r, p in zip(op.results, outs):
            if r.type.dtype.kind != "f" or r.type.size == 0:
                continue
            ty = T.storage(r.type.dtype)
            bad = self._any_byte(b, p, r.type.size, lambda v: b.fcmp_unordered("uno", v, v), ty)
            with b.if_then(bad, likely=False):
                for q in cleanup:
                    b.call(self.free, [q])
                b.ret(ir.Constant(T.I32, NAN_BASE + k))

    def _flag_set(self, b):
        """Emit: is the interrupt flag set? (i1; false while the runtime has not set the global)."""
        p = b.load(self.interrupt)
        slot = alloca_at_entry(b, T.I1)
        b.store(ir.Constant(T.I1, 0), slot)
        with b.if_then(b.icmp_unsigned("!=", p, ir.Constant(p.type, None))):
            v = b.load_atomic(p, "monotonic", 4)
            b.store(b.icmp_signed("!=", v, ir.Constant(T.I32, 0)), slot)
        return b.load(slot)

    def _check_interrupt(self, b, cleanup):
        """Emit: if the interrupt flag is set, free ``cleanup`` and return INTERRUPTED."""
        if self.interrupt is not None:
            self._stop_if(b, self._flag_set(b), cleanup)

    def _stop_if(self, b, stop, cleanup):
        with b.if_then(stop, likely=False):
            for p in cleanup:
                b.call(self.free, [p])
            b.ret(ir.Constant(T.I32, INTERRUPTED))

    def _polling(self, kfn, work):
        """``kfn.poll(bufs, lo, hi)``: kfn over [lo, hi) in chunks of about INTERRUPT_CHUNK
        elements, stopping early when the interrupt flag is set (same ABI as kfn)."""
        step = ir.Constant(T.I64, max(1, INTERRUPT_CHUNK // max(work, 1)))
        fn = ir.Function(self.module, kfn.function_type, name=self._unique(f"{kfn.name}.poll"))
        fn.linkage = "internal"
        bufs, lo, hi = fn.args
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        head, body, done = (fn.append_basic_block(n) for n in ("head", "body", "done"))
        b.branch(head)
        b.position_at_end(head)
        s = b.phi(T.I64)
        s.add_incoming(lo, fn.entry_basic_block)
        more = b.icmp_signed("<", s, hi)
        b.cbranch(b.and_(more, b.not_(self._flag_set(b))), body, done)
        b.position_at_end(body)
        e = b.add(s, step)
        e = b.select(b.icmp_signed(">", e, hi), hi, e)
        b.call(kfn, [bufs, s, e])
        s.add_incoming(e, b.block)
        b.branch(head)
        b.position_at_end(done)
        b.ret_void()
        return fn

    def _kernel(self, b, op, kname, ins, outs, nthreads, table, fail_if_null, cleanup):
        launches, scratch = build_kernel(self.module, op.regions[0], kname)
        self.kernels.append(kname)
        vals = ins + outs
        block = None
        if scratch:          # the kernel's own scratch: kept between calls like the intermediates
            block, ptrs, cell = self._scratch(b, kname, [scratch])
            fail_if_null([block])
            vals = vals + ptrs
        kb = table(vals)
        polled = False
        for kfn, n_outer, work in launches:
            kfn.linkage = "internal"
            if self.interrupt is not None and n_outer >= 2 and n_outer * work >= INTERRUPT_MIN_WORK:
                kfn, polled = self._polling(kfn, work), True
            if n_outer >= 2 and n_outer * work >= PARALLEL_MIN_WORK:
                b.call(self.parfor, [kfn, kb, ir.Constant(T.I64, n_outer), nthreads])
                self.parallel = True
            elif n_outer >= 1:
                b.call(kfn, [kb, ir.Constant(T.I64, 0), ir.Constant(T.I64, n_outer)])
        if block is not None:
            self._scratch_done(b, block, cell)
        if polled:
            self._check_interrupt(b, cleanup)

    def _while(self, b, op, name, ins, outs, nthreads, table, check_rc, cleanup):
        """The loop: the carried values are double-buffered (the body reads the ``cur`` buffers
        and writes the ``nxt`` ones, swapped after each iteration), except a value the body
        updates in place (:func:`_inplace_carried`): its ``nxt`` is its ``cur``."""
        n = op.attrs["num_carried"]
        carried_types = [v.type for v in op.operands[:n]]
        cond_fn = self.emit(op.regions[0], f"{name}.cond")
        body_fn = self.emit(op.regions[1], f"{name}.body")
        extras = ins[n:]
        alias = _inplace_carried(op.regions[1], n)
        # two state sets, swapped after each iteration, in one block kept between calls (JIT)
        block, ptrs, cell = self._scratch(b, name, [1 if s and k in alias else max(t.nbytes, 1)
                                                    for s in range(2) for k, t in enumerate(carried_types)])
        state = [ptrs[:n], ptrs[n:]]
        if block is not None:
            with b.if_then(b.icmp_unsigned("==", block, ir.Constant(T.PTR, None)), likely=False):
                for p in cleanup:
                    b.call(self.free, [p])
                b.ret(ir.Constant(T.I32, 2))
            cleanup.append(block)
        cur = [b.alloca(T.PTR) for _ in range(n)]
        nxt = [b.alloca(T.PTR) for _ in range(n)]
        for k, t in enumerate(carried_types):
            self.copy(b, state[0][k], ins[k], t.nbytes)
            b.store(state[0][k], cur[k])
            b.store(state[0][k] if k in alias else state[1][k], nxt[k])
        pred_buf = b.alloca(T.I8)
        head = b.append_basic_block(f"{name}.while.head")
        body = b.append_basic_block(f"{name}.while.body")
        done = b.append_basic_block(f"{name}.while.done")
        b.branch(head)
        b.position_at_end(head)
        self._check_interrupt(b, cleanup)     # Ctrl-C: every iteration
        cur_ptrs = [b.load(c) for c in cur]
        rc = b.call(cond_fn, [table(cur_ptrs + extras + [pred_buf]), nthreads])
        check_rc(rc)
        go = b.icmp_unsigned("!=", b.load(pred_buf), ir.Constant(T.I8, 0))
        b.cbranch(go, body, done)
        b.position_at_end(body)
        cur_ptrs = [b.load(c) for c in cur]
        nxt_ptrs = [b.load(x) for x in nxt]
        rc = b.call(body_fn, [table(cur_ptrs + extras + nxt_ptrs), nthreads])
        check_rc(rc)
        for c, x, cp, xp in zip(cur, nxt, cur_ptrs, nxt_ptrs):
            b.store(xp, c)
            b.store(cp, x)
        b.branch(head)
        b.position_at_end(done)
        for k, t in enumerate(carried_types):
            self.copy(b, outs[k], b.load(cur[k]), t.nbytes)
        if block is not None:
            self._scratch_done(b, block, cell)
            cleanup.remove(block)


def _inplace_carried(body: Function, n: int) -> set:
    """The carried values ``k`` a while body updates in place (the aliasing rule of
    :mod:`xlaish.passes.buffers`): body result ``k`` is made by a kernel that may write into its
    operand's buffer, that operand is body parameter ``k``, nothing in the body reads the
    parameter after that kernel, and neither value is returned elsewhere. The loop then passes
    ``cur[k]`` as ``nxt[k]``."""
    from ...passes.buffers import inplace_operand
    last: dict[int, int] = {}
    made: dict[int, tuple] = {}
    for i, o in enumerate(body.ops):
        for v in o.operands:
            last[id(v)] = i
        for r in o.results:
            made[id(r)] = (i, o)
    ids = [id(r) for r in body.results]
    out = set()
    for k in range(n):
        r, p = body.results[k], body.params[k]
        if ids.count(id(r)) != 1 or id(r) not in made or id(p) in ids:
            continue
        i, o = made[id(r)]
        j = inplace_operand(o, lambda v, i=i: last.get(id(v), -1) > i)
        if j is not None and o.operands[j] is p:
            out.add(k)
    return out


def build_module(fn: Function, entry_name: str = "xl_entry", debug_nans: bool = False,
                 cache_scratch: bool = False) -> tuple[ir.Module, ProgramLayout]:
    """LLVM module and calling layout for a fused, buffer-planned function. ``cache_scratch``:
    keep intermediate buffers between calls (see ``_ProgramEmitter._scratch``)."""
    module = ir.Module(name=fn.name)
    em = _ProgramEmitter(module, debug_nans, cache_scratch)
    entry = em.emit(fn, entry_name, linkage="external")
    _python_entry(module, entry, len(fn.params), len(fn.params) + len(fn.results), entry_name + "_py")
    layout = ProgramLayout(
        param_types=[p.type for p in fn.params], result_types=[r.type for r in fn.results],
        kernels=em.kernels,
        parallel=em.parallel, prints=em.prints, checks=em.checks, nan_kernels=em.nan_kernels,
        hook_name=em.hook_name, pool_name=em.pool_name, scratch_name=em.scratch_name,
        scratch_cells=em.scratch_cells, interrupt_name=em.interrupt_name)
    return module, layout
