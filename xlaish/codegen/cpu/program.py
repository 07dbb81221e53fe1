"""A whole fused program -> one LLVM module with one entry point.

``int32 entry(i8** bufs, i64 nthreads)`` runs every kernel in program order,
so a call crosses from Python into native code once. ``bufs`` holds the
function's parameters then its results; the intermediate slots of the buffer
plan are allocated (``malloc``) and freed inside the call, so the code keeps
no global state and is safe to call from several threads at once. It returns
0, or 2 when an allocation failed. ``entry_py(PyObject** arrays, i64)`` is the
same for the Python runtime: it reads each NumPy array's data pointer from
the array object (``PyArrayObject.data``), which saves the slow
``ndarray.ctypes`` round trip on every call. Dense constants are module globals. Kernels with enough
work are split over ``nthreads`` POSIX threads (chunks of outer iterations,
the calling thread takes the first); small kernels run inline.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from llvmlite import ir

from ...ir.core import Function
from . import types as T
from .kernelgen import KernelGen

PARALLEL_MIN_WORK = 1 << 16      # elements of work below which a kernel runs on one thread


@dataclass
class ProgramLayout:
    """What the runtime needs to call the entry point."""
    param_types: list
    result_types: list
    slot_sizes: list
    result_sources: list          # per result: ("buf", None) | ("param", k) | ("const", array) | ("alias", j)
    kernels: list = field(default_factory=list)   # names, for inspection
    parallel: bool = False        # does any kernel split across threads?


def _parfor(module: ir.Module) -> ir.Function:
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
            b.call(pj, [b.load(b.gep(tids, [ir.Constant(T.I32, 0), k])), ir.Constant(T.PTR.as_pointer(), None)])
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


def _python_entry(module, entry, nbufs, name):
    fn = ir.Function(module, ir.FunctionType(T.I32, [T.PTR.as_pointer(), T.I64]), name=name)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    objs, nt = fn.args
    bufs = b.alloca(T.PTR, size=ir.Constant(T.I64, max(nbufs, 1)))
    for k in range(nbufs):
        obj = b.load(b.gep(objs, [ir.Constant(T.I64, k)]))
        field = b.bitcast(b.gep(obj, [ir.Constant(T.I64, ARRAY_DATA_OFFSET)]), T.PTR.as_pointer())
        b.store(b.load(field), b.gep(bufs, [ir.Constant(T.I64, k)]))
    b.ret(b.call(entry, [bufs, nt]))


def _count_slots(fn):
    return max((s for op in fn.ops for s in op.attrs.get("buffers", ()) if s >= 0), default=-1) + 1


def _slot_bytes(fn):
    """Bytes per slot, read off the ``buffers`` attrs the buffer planner wrote."""
    sizes: dict[int, int] = {}
    for op in fn.ops:
        for r, s in zip(op.results, op.attrs.get("buffers", ())):
            if s >= 0:
                sizes[s] = max(sizes.get(s, 0), r.type.nbytes)
    return sizes


def build_module(fn: Function, entry_name: str = "xl_entry") -> tuple[ir.Module, ProgramLayout]:
    """LLVM module and calling layout for a fused, buffer-planned function."""
    module = ir.Module(name=fn.name)
    parfor = _parfor(module)
    params = {id(p): k for k, p in enumerate(fn.params)}
    nparams, nresults = len(fn.params), len(fn.results)
    result_index: dict[int, int] = {}
    sources = []
    for j, r in enumerate(fn.results):
        if id(r) in result_index:
            sources.append(("alias", result_index[id(r)]))
        else:
            result_index[id(r)] = j
            sources.append(("buf", None))
    loc: dict[int, tuple] = {}       # value id -> ("buf", index) | ("global", gv)
    for p in fn.params:
        loc[id(p)] = ("buf", params[id(p)])
    consts: dict[int, np.ndarray] = {}
    kernels = []
    parallel = False
    entry = ir.Function(module, ir.FunctionType(T.I32, [T.PTR.as_pointer(), T.I64]), name=entry_name)
    b = ir.IRBuilder(entry.append_basic_block("entry"))
    user_bufs, nthreads = entry.args
    # slot pointers live after the user's buffers in a local table
    nslots = _count_slots(fn)
    bufs = b.alloca(T.PTR, size=ir.Constant(T.I64, max(nparams + nresults + nslots, 1)))
    for k in range(nparams + nresults):
        b.store(b.load(b.gep(user_bufs, [ir.Constant(T.I64, k)])), b.gep(bufs, [ir.Constant(T.I64, k)]))
    sizes = _slot_bytes(fn)
    malloc = ir.Function(module, ir.FunctionType(T.PTR, [T.I64]), name="malloc")
    free = ir.Function(module, ir.FunctionType(ir.VoidType(), [T.PTR]), name="free")
    slot_ptrs = []
    for s in range(nslots):
        p = b.call(malloc, [ir.Constant(T.I64, max(sizes.get(s, 0), 1))])
        slot_ptrs.append(p)
        b.store(p, b.gep(bufs, [ir.Constant(T.I64, nparams + nresults + s)]))
    if slot_ptrs:
        failed = ir.Constant(T.I1, 0)
        for p in slot_ptrs:
            failed = b.or_(failed, b.icmp_unsigned("==", p, ir.Constant(T.PTR, None)))
        with b.if_then(failed, likely=False):
            for p in slot_ptrs:
                b.call(free, [p])
            b.ret(ir.Constant(T.I32, 2))
    for op in fn.ops:
        if op.name == "constant":
            consts[id(op.result)] = np.asarray(op.attrs["value"])
            loc[id(op.result)] = ("global", _global_const(module, f"const{len(consts)}", op.attrs["value"]))
            continue
        if op.name != "fused":
            raise AssertionError(f"unexpected top-level op {op.name} after fusion")
        assign = op.attrs.get("buffers", (-1,) * len(op.results))
        for r, s in zip(op.results, assign):
            if s >= 0:
                loc[id(r)] = ("buf", nparams + nresults + s)
            else:
                loc[id(r)] = ("buf", nparams + result_index[id(r)])
        kname = f"{fn.name}.{op.regions[0].name}"
        launches, scratch = KernelGen(module, op.regions[0], kname).build()
        kernels.append(kname)
        vals = list(op.operands) + list(op.results)
        arr = b.alloca(ir.ArrayType(T.PTR, len(vals) + (1 if scratch else 0)))
        for k, v in enumerate(vals):
            kind, where = loc[id(v)]
            if kind == "buf":
                p = b.load(b.gep(bufs, [ir.Constant(T.I64, where)]))
            else:
                p = b.bitcast(where, T.PTR)
            b.store(p, b.gep(arr, [ir.Constant(T.I32, 0), ir.Constant(T.I32, k)]))
        scratch_ptr = None
        if scratch:
            scratch_ptr = b.call(malloc, [ir.Constant(T.I64, scratch)])
            with b.if_then(b.icmp_unsigned("==", scratch_ptr, ir.Constant(T.PTR, None)), likely=False):
                for p in slot_ptrs:
                    b.call(free, [p])
                b.ret(ir.Constant(T.I32, 2))
            b.store(scratch_ptr, b.gep(arr, [ir.Constant(T.I32, 0), ir.Constant(T.I32, len(vals))]))
        kb = b.bitcast(arr, T.PTR.as_pointer())
        for kfn, n_outer, work in launches:
            kfn.linkage = "internal"
            if n_outer >= 2 and n_outer * work >= PARALLEL_MIN_WORK:
                b.call(parfor, [kfn, kb, ir.Constant(T.I64, n_outer), nthreads])
                parallel = True
            elif n_outer >= 1:
                b.call(kfn, [kb, ir.Constant(T.I64, 0), ir.Constant(T.I64, n_outer)])
        if scratch_ptr is not None:
            b.call(free, [scratch_ptr])
    for p in slot_ptrs:
        b.call(free, [p])
    b.ret(ir.Constant(T.I32, 0))
    _python_entry(module, entry, nparams + nresults, entry_name + "_py")
    for j, r in enumerate(fn.results):
        if sources[j][0] == "alias":
            continue
        if id(r) in params:
            sources[j] = ("param", params[id(r)])
        elif id(r) in consts:
            sources[j] = ("const", consts[id(r)])
    layout = ProgramLayout(
        param_types=[p.type for p in fn.params], result_types=[r.type for r in fn.results],
        slot_sizes=[],
        result_sources=sources, kernels=kernels, parallel=parallel)
    return module, layout
