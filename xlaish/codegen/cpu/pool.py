"""A persistent worker pool for the JIT runtime, written in LLVM IR (one small module per process).

``xl_pool_start(W)`` starts W POSIX threads that sleep on a condition
variable. ``xl_pool_run(kernel, bufs, n, nt)`` hands a kernel's outer range
to them: chunk 0 runs on the caller, chunk k on worker k (workers without a chunk only wake),
and the call returns when every chunk is done (0); with ``nt <= 1`` the caller runs the whole
range and wakes nobody. It returns 1 without running anything
when it cannot serve the call (another thread is using the pool, or this is
a forked child whose workers do not exist); the caller then starts threads
of its own, so the pool can never deadlock a call. Programs find the pool
through a function-pointer global that the runtime fills in
(:mod:`xlaish.runtime.pool`); AOT libraries leave it null and always start
their own threads, keeping them free of global state.

Every job field is read and written under one mutex; pthread mutexes and
condition variables are zero-initialised globals (glibc's static
initialisers are all zeros) of 64 bytes, larger than glibc's 40 and 48.
"""
from __future__ import annotations

from llvmlite import ir

from . import types as T
from .loops import for_range

KERNEL_T = ir.FunctionType(ir.VoidType(), [T.PTR.as_pointer(), T.I64, T.I64]).as_pointer()
RUN_T = ir.FunctionType(T.I32, [KERNEL_T, T.PTR.as_pointer(), T.I64, T.I64])


def _global(module, name, ty, init=None):
    g = ir.GlobalVariable(module, ty, name=name)
    g.linkage = "internal"
    g.align = 64
    g.initializer = init if init is not None else ir.Constant(ty, None)
    return g


def build_pool_module() -> ir.Module:
    m = ir.Module(name="xlaish_pool")
    blob = ir.ArrayType(T.I8, 64)
    mutex, submit, c_work, c_done = (_global(m, n, blob) for n in ("mutex", "submit", "c_work", "c_done"))
    job_fn = _global(m, "job_fn", KERNEL_T)
    job_bufs = _global(m, "job_bufs", T.PTR.as_pointer())
    job_n, job_nt, gen, remaining, nworkers = (_global(m, n, T.I64, ir.Constant(T.I64, 0))
                                               for n in ("job_n", "job_nt", "gen", "remaining", "nworkers"))
    owner = _global(m, "owner", T.I32, ir.Constant(T.I32, 0))

    def fn(name, ret, args):
        return ir.Function(m, ir.FunctionType(ret, args), name=name)
    lock = fn("pthread_mutex_lock", T.I32, [T.PTR])
    trylock = fn("pthread_mutex_trylock", T.I32, [T.PTR])
    unlock = fn("pthread_mutex_unlock", T.I32, [T.PTR])
    wait = fn("pthread_cond_wait", T.I32, [T.PTR, T.PTR])
    signal = fn("pthread_cond_signal", T.I32, [T.PTR])
    broadcast = fn("pthread_cond_broadcast", T.I32, [T.PTR])
    getpid = fn("getpid", T.I32, [])
    worker = ir.Function(m, ir.FunctionType(T.PTR, [T.PTR]), name="xl_pool_worker")
    worker.linkage = "internal"
    create = fn("pthread_create", T.I32, [T.I64.as_pointer(), T.PTR, worker.type, T.PTR])
    detach = fn("pthread_detach", T.I32, [T.I64])

    def ptr(b, g):
        return b.bitcast(g, T.PTR)

    one = ir.Constant(T.I64, 1)

    # worker(k): wait for a new generation, run chunk k of it, report done; forever
    b = ir.IRBuilder(worker.append_basic_block("entry"))
    k = b.ptrtoint(worker.args[0], T.I64)
    mine = b.alloca(T.I64)
    b.store(ir.Constant(T.I64, 0), mine)   # workers start before any job (generation 0)
    loop = b.append_basic_block("loop")
    b.branch(loop)
    b.position_at_end(loop)
    b.call(lock, [ptr(b, mutex)])
    w_head = b.append_basic_block("wait.head")
    w_body = b.append_basic_block("wait.body")
    w_done = b.append_basic_block("wait.done")
    b.branch(w_head)
    b.position_at_end(w_head)
    b.cbranch(b.icmp_signed("==", b.load(gen), b.load(mine)), w_body, w_done)
    b.position_at_end(w_body)
    b.call(wait, [ptr(b, c_work), ptr(b, mutex)])
    b.branch(w_head)
    b.position_at_end(w_done)
    b.store(b.load(gen), mine)
    f, bufs, n, nt = b.load(job_fn), b.load(job_bufs), b.load(job_n), b.load(job_nt)
    b.call(unlock, [ptr(b, mutex)])
    with b.if_then(b.icmp_signed("<", k, nt)):      # a worker with no chunk reports nothing
        lo = b.sdiv(b.mul(n, k), nt)
        hi = b.sdiv(b.mul(n, b.add(k, one)), nt)
        b.call(f, [bufs, lo, hi])
        b.call(lock, [ptr(b, mutex)])
        left = b.sub(b.load(remaining), one)
        b.store(left, remaining)
        with b.if_then(b.icmp_signed("==", left, ir.Constant(T.I64, 0))):
            b.call(signal, [ptr(b, c_done)])
        b.call(unlock, [ptr(b, mutex)])
    b.branch(loop)

    # xl_pool_start(W): start W detached workers; call once, before any xl_pool_run
    start = fn("xl_pool_start", T.I64, [T.I64])
    b = ir.IRBuilder(start.append_basic_block("entry"))
    b.store(b.call(getpid, []), owner)
    count = b.alloca(T.I64)
    b.store(ir.Constant(T.I64, 0), count)
    tid = b.alloca(T.I64)

    def spawn(i):
        # number the workers 1..started with no gap, even if a start fails
        k_next = b.add(b.load(count), one)
        rc = b.call(create, [tid, ir.Constant(T.PTR, None), worker, b.inttoptr(k_next, T.PTR)])
        with b.if_then(b.icmp_signed("==", rc, ir.Constant(T.I32, 0))):
            b.call(detach, [b.load(tid)])
            b.store(b.add(b.load(count), one), count)
    for_range(b, 0, start.args[0], spawn, "spawn")
    # workers are numbered 1..started; a failed start only shrinks the pool
    b.store(b.load(count), nworkers)
    b.ret(b.load(count))

    # xl_pool_run(kernel, bufs, n, nt) -> 0 (ran) | 1 (not available: caller spawns its own)
    run = ir.Function(m, RUN_T, name="xl_pool_run")
    kfn, kbufs, kn, knt = run.args
    b = ir.IRBuilder(run.append_basic_block("entry"))
    with b.if_then(b.icmp_signed("<=", knt, one), likely=False):     # one thread: no hand-off
        b.call(kfn, [kbufs, ir.Constant(T.I64, 0), kn])
        b.ret(ir.Constant(T.I32, 0))
    busy = b.icmp_signed("!=", b.call(trylock, [ptr(b, submit)]), ir.Constant(T.I32, 0))
    with b.if_then(busy, likely=False):
        b.ret(ir.Constant(T.I32, 1))
    foreign = b.icmp_signed("!=", b.call(getpid, []), b.load(owner))
    with b.if_then(foreign, likely=False):
        b.call(unlock, [ptr(b, submit)])
        b.ret(ir.Constant(T.I32, 1))
    w = b.load(nworkers)
    cap = b.add(w, one)
    nt = b.select(b.icmp_signed(">", knt, cap), cap, knt)
    nt = b.select(b.icmp_signed(">", nt, kn), kn, nt)
    nt = b.select(b.icmp_signed("<", nt, one), one, nt)
    b.call(lock, [ptr(b, mutex)])
    b.store(kfn, job_fn)
    b.store(kbufs, job_bufs)
    b.store(kn, job_n)
    b.store(nt, job_nt)
    b.store(b.sub(nt, one), remaining)     # the workers with a chunk (1 .. nt-1) report
    b.store(b.add(b.load(gen), one), gen)
    b.call(broadcast, [ptr(b, c_work)])
    b.call(unlock, [ptr(b, mutex)])
    b.call(kfn, [kbufs, ir.Constant(T.I64, 0), b.sdiv(kn, nt)])      # chunk 0 here
    b.call(lock, [ptr(b, mutex)])
    d_head = b.append_basic_block("done.head")
    d_body = b.append_basic_block("done.body")
    d_exit = b.append_basic_block("done.exit")
    b.branch(d_head)
    b.position_at_end(d_head)
    b.cbranch(b.icmp_signed(">", b.load(remaining), ir.Constant(T.I64, 0)), d_body, d_exit)
    b.position_at_end(d_body)
    b.call(wait, [ptr(b, c_done), ptr(b, mutex)])
    b.branch(d_head)
    b.position_at_end(d_exit)
    b.call(unlock, [ptr(b, mutex)])
    b.call(unlock, [ptr(b, submit)])
    b.ret(ir.Constant(T.I32, 0))
    return m
