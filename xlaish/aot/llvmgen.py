"""The LLVM side of an export: the program module plus its C entry points, then object code.

On top of :func:`xlaish.codegen.cpu.program.build_module` (whose entry point
becomes internal) the library module gets:

* ``int <name>(const T0 *arg0, ..., T *out0, ...)``: checks the CPU
  (``xl.aot.cpu_ok``, memoised, see :func:`_check_cpu`), packs the pointers into the entry's buffer table,
  picks the thread count (``sysconf(_SC_NPROCESSORS_ONLN)`` when some kernel
  is split over threads, else 1), runs the program and copies the results
  the program does not write itself (a result that is an argument, a
  constant, or a second copy of another result).
  An in/out argument (``T *argK``, assigned into by the Python function)
  is read by the program like any argument; its final value, one of the
  program's last results, is computed into a buffer malloc'd per call and
  copied into the argument after a successful run (then freed), so the
  argument is unchanged after an error.
* ``int <name>_checked(int64_t n, void *const *bufs, const int64_t *nbytes)``:
  the same call with the buffers in a table, each with its size in bytes;
  it returns ``ERR_ARGS`` without computing anything unless ``n`` and every
  size equal the ones the program's code was generated for (constants in
  the code, not the manifest, which is data a user can edit). The loader
  calls this one, with the sizes of the arrays it really passes.
* ``const char *<name>_manifest(void)``: the manifest text.

The CPU check and the wrapper are compiled for the plain x86-64 baseline
(per-function ``target-cpu`` / ``target-features`` attributes), so nothing
runs an instruction the CPU may lack before the check has passed; the
kernels, behind a non-inlinable call, use the target's features. ``cpuid``
is emitted as inline assembly and ``xgetbv`` as its raw bytes.
"""
from __future__ import annotations

import llvmlite.binding as llvm
from llvmlite import ir

from ..codegen.cpu import llvm_target
from ..codegen.cpu.program import build_module
from . import targets

I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
PTR = I8.as_pointer()
ENTRY = "xl.aot.entry"
BASELINE_ATTRS = ('"target-cpu"="x86-64"', '"target-features"="+cx8,+cmov,+fxsr,+mmx,+sse,+sse2,+x87"')
_REGS = {"eax": 0, "ebx": 1, "ecx": 2, "edx": 3}
# _SC_NPROCESSORS_ONLN per OS (the value is part of each libc's ABI)
_SC_NPROCESSORS_ONLN = {"linux": 84, "darwin": 58, "macosx": 58, "freebsd": 58}


def sysconf_nprocessors(triple: str) -> int | None:
    os_part = triple.split("-")[2] if triple.count("-") >= 2 else ""
    for k, v in _SC_NPROCESSORS_ONLN.items():
        if os_part.startswith(k):
            return v
    return None


def _baseline(fn: ir.Function) -> None:
    for a in BASELINE_ATTRS:
        set.add(fn.attributes, a)       # string attributes: llvmlite only whitelists enum ones


def _cpu_ok(module: ir.Module, target: targets.Target) -> ir.Function:
    """``i1 xl.aot.cpu_ok()``: cpuid (and xgetbv) say every required feature is usable."""
    fn = ir.Function(module, ir.FunctionType(I1, []), name="xl.aot.cpu_ok")
    fn.linkage = "internal"
    _baseline(fn)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    regs_t = ir.LiteralStructType([I32] * 4)
    cpuid_t = ir.FunctionType(regs_t, [I32, I32])
    cons = "={ax},={bx},={cx},={dx},{ax},{cx},~{dirflag},~{fpsr},~{flags}"

    def cpuid(leaf, sub):
        return b.asm(cpuid_t, "cpuid", cons, [ir.Constant(I32, leaf), ir.Constant(I32, sub)], True)

    def guarded(leaf, sub, maxv):
        """cpuid(leaf, sub), or zeros when the leaf is above the CPU's maximum."""
        ok = b.icmp_unsigned("<=", ir.Constant(I32, leaf), maxv)
        pre = b.block
        with b.if_then(ok):
            r = cpuid(leaf, sub)
            then = b.block
        phi = b.phi(regs_t)
        phi.add_incoming(r, then)
        phi.add_incoming(ir.Constant(regs_t, None), pre)
        return phi

    maxes = {0: b.extract_value(cpuid(0, 0), 0)}
    needed = [targets.CPUID_BITS[f] for f in target.required]
    mask = target.os_state_mask()
    if mask:
        needed.append(targets.OSXSAVE)
    if any(leaf >= 0x80000000 for leaf, *_ in needed):
        maxes[0x80000000] = b.extract_value(cpuid(0x80000000, 0), 0)
    leaves: dict = {}      # (leaf, subleaf) -> the four registers
    masks: dict = {}       # (leaf, subleaf, register) -> bits that must be set
    for leaf, sub, reg, bit in sorted(set(needed)):
        if (leaf, sub) not in leaves:
            leaves[(leaf, sub)] = guarded(leaf, sub, maxes[leaf & 0x80000000])
        masks[(leaf, sub, reg)] = masks.get((leaf, sub, reg), 0) | (1 << bit)
    ok = ir.Constant(I1, 1)
    for (leaf, sub, reg), m in masks.items():
        word = b.extract_value(leaves[(leaf, sub)], _REGS[reg])
        bits = ir.Constant(I32, m - (1 << 32) if m >= 1 << 31 else m)
        ok = b.and_(ok, b.icmp_unsigned("==", b.and_(word, bits), bits))
    if mask:      # the OS saves the vector registers: XCR0 (xgetbv needs OSXSAVE, checked above)
        pre = b.block
        with b.if_then(ok):
            xgetbv_t = ir.FunctionType(ir.LiteralStructType([I32, I32]), [I32])
            xcr0 = b.extract_value(b.asm(xgetbv_t, ".byte 0x0f, 0x01, 0xd0", "={ax},={dx},{cx}",
                                         [ir.Constant(I32, 0)], True), 0)
            os_ok = b.icmp_unsigned("==", b.and_(xcr0, ir.Constant(I32, mask)), ir.Constant(I32, mask))
            then = b.block
        phi = b.phi(I1)
        phi.add_incoming(os_ok, then)
        phi.add_incoming(ir.Constant(I1, 0), pre)
        ok = phi
    b.ret(ok)
    return fn


def _check_cpu(b: ir.IRBuilder, module: ir.Module, target: targets.Target) -> None:
    """Return ERR_CPU from the current function unless the CPU check passes.

    ``cpuid`` traps to the hypervisor in virtual machines (measured ~35 us for
    the whole check in a KVM/Firecracker guest, against ~12 ns for a small
    call), so the verdict is memoised in one internal byte
    ``xl.aot.cpu_state`` (0 unknown, 1 ok, 2 missing features) with atomic
    monotonic loads and stores: every thread computes the same value, so a race
    only repeats the check. It is the library's only writable static datum.
    """
    state = ir.GlobalVariable(module, I8, name="xl.aot.cpu_state")
    state.linkage = "internal"
    state.initializer = ir.Constant(I8, 0)
    check = _cpu_ok(module, target)
    for a in ("noinline", "cold"):
        check.attributes.add(a)
    known = b.load_atomic(state, "monotonic", 1)
    pre = b.block
    with b.if_then(b.icmp_unsigned("==", known, ir.Constant(I8, 0)), likely=False):
        ok = b.call(check, [])
        fresh = b.select(ok, ir.Constant(I8, 1), ir.Constant(I8, 2))
        b.store_atomic(fresh, state, "monotonic", 1)
        then = b.block
    verdict = b.phi(I8)
    verdict.add_incoming(fresh, then)
    verdict.add_incoming(known, pre)
    with b.if_then(b.icmp_unsigned("!=", verdict, ir.Constant(I8, 1)), likely=False):
        b.ret(ir.Constant(I32, targets.ERR_CPU))


def _global_bytes(module, name, data: bytes):
    ty = ir.ArrayType(I8, len(data))
    g = ir.GlobalVariable(module, ty, name=name)
    g.global_constant = True
    g.linkage = "internal"
    g.initializer = ir.Constant(ty, bytearray(data))
    return g


def build_library_module(fn, name: str, target: targets.Target, triple: str, make_manifest,
                         inout=()):
    """-> (llvmlite ir.Module, ProgramLayout) of the whole library.

    ``make_manifest(layout) -> str`` gives the manifest text to embed. ``inout``: the
    positions of the in/out parameters, in order; the program's last ``len(inout)`` results
    are their final values (see :func:`_inout_buffers`).
    """
    module, layout = build_module(fn, ENTRY)
    manifest_text = make_manifest(layout)
    entry = module.get_global(ENTRY)
    entry.linkage = "internal"
    set.add(entry.attributes, "noinline")
    module.get_global(ENTRY + "_py").linkage = "internal"     # unused here: LLVM drops it
    hook = getattr(layout, "hook_name", "")
    if hook:    # the debug.print callback slot: never set in a library, so prints compile away
        module.get_global(hook).linkage = "internal"
    pool = getattr(layout, "pool_name", "")
    if pool:    # the JIT's worker-pool slot: never set in a library, which starts its own threads
        module.get_global(pool).linkage = "internal"
    nin, nall = len(layout.param_types), len(layout.result_types)
    nout = nall - len(inout)         # results the caller passes buffers for

    # const char *<name>_manifest(void)
    mg = _global_bytes(module, "xl.aot.manifest", manifest_text.encode() + b"\0")
    mf = ir.Function(module, ir.FunctionType(PTR, []), name=f"{name}_manifest")
    set.add(mf.attributes, "nounwind")
    b = ir.IRBuilder(mf.append_basic_block("entry"))
    b.ret(b.bitcast(mg, PTR))

    # int <name>(args..., outs...)
    fnty = ir.FunctionType(I32, [PTR] * (nin + nout))
    w = ir.Function(module, fnty, name=name)
    set.add(w.attributes, "nounwind")
    for k, a in enumerate(w.args):
        a.name = f"arg{k}" if k < nin else f"out{k - nin}"
    b = ir.IRBuilder(w.append_basic_block("entry"))
    table = b.alloca(ir.ArrayType(PTR, max(nin + nall, 1)), name="bufs")
    if target.x86:
        _baseline(w)
        if target.required:
            _check_cpu(b, module, target)
    for k, a in enumerate(w.args):
        b.store(a, b.gep(table, [ir.Constant(I32, 0), ir.Constant(I32, k)]))
    sizes = buffer_nbytes(layout)
    private = _inout_buffers(b, module, table, [sizes[k] for k in inout], nin + nout)
    sc = sysconf_nprocessors(triple)
    if layout.parallel and sc is not None:
        sysconf = ir.Function(module, ir.FunctionType(I64, [I32]), name="sysconf")
        n = b.call(sysconf, [ir.Constant(I32, sc)])
        nt = b.select(b.icmp_signed("<", n, ir.Constant(I64, 1)), ir.Constant(I64, 1), n)
    else:
        nt = ir.Constant(I64, 1)
    rc = b.call(entry, [b.bitcast(table, PTR.as_pointer()), nt])
    if inout:
        memcpy = module.declare_intrinsic("llvm.memcpy", [PTR, PTR, I64])
        with b.if_then(b.icmp_signed("==", rc, ir.Constant(I32, 0))):
            for k, p in zip(inout, private):
                if sizes[k]:
                    b.call(memcpy, [w.args[k], p, ir.Constant(I64, sizes[k]), ir.Constant(I1, 0)])
        free = module.get_global("free")
        for p in private:
            b.call(free, [p])
    with b.if_then(b.icmp_signed("!=", rc, ir.Constant(I32, 0)), likely=False):
        b.ret(rc)
    b.ret(ir.Constant(I32, 0))
    _checked_entry(module, w, name, layout, target, nin + nout)
    return module, layout


def _inout_buffers(b: ir.IRBuilder, module: ir.Module, table, sizes, first: int) -> list:
    """malloc one private buffer per in/out argument (``sizes`` bytes) into ``table[first:]``:
    the program computes an argument's final value there, reading the argument itself unchanged,
    and the wrapper copies it into the argument after a successful run. (Writing straight into
    the argument's buffer is wrong whenever the program reads it after writing part of it, e.g.
    ``x[1:] = x[:-1]``.) Returns ERR_ALLOC, having freed them all, if one cannot be allocated."""
    if not sizes:
        return []
    malloc, free = module.get_global("malloc"), module.get_global("free")
    ptrs, bad = [], ir.Constant(I1, 0)
    for j, size in enumerate(sizes):
        p = b.call(malloc, [ir.Constant(I64, max(size, 1))])
        bad = b.or_(bad, b.icmp_unsigned("==", p, ir.Constant(PTR, None)))
        b.store(p, b.gep(table, [ir.Constant(I32, 0), ir.Constant(I32, first + j)]))
        ptrs.append(p)
    with b.if_then(bad, likely=False):
        for p in ptrs:
            b.call(free, [p])
        b.ret(ir.Constant(I32, targets.ERR_ALLOC))
    return ptrs


def buffer_nbytes(layout) -> list[int]:
    """Size in bytes of each buffer of the call (inputs, then outputs), from the program's types."""
    import numpy as np
    out = []
    for t in list(layout.param_types) + list(layout.result_types):
        n = 1
        for d in t.shape:
            n *= int(d)
        out.append(n * np.dtype(t.dtype).itemsize)
    return out


def _checked_entry(module, w: ir.Function, name: str, layout, target: targets.Target,
                   nbufs: int) -> None:
    """``int <name>_checked(int64_t n, void *const *bufs, const int64_t *nbytes)``: the first
    ``nbufs`` buffers of the program (in/out arguments among the inputs; not their private
    copies, which the wrapper allocates)."""
    sizes = buffer_nbytes(layout)[:nbufs]
    fn = ir.Function(module, ir.FunctionType(I32, [I64, PTR.as_pointer(), I64.as_pointer()]),
                     name=f"{name}_checked")
    set.add(fn.attributes, "nounwind")
    if target.x86:
        _baseline(fn)
    n, bufs, nbytes = fn.args
    n.name, bufs.name, nbytes.name = "n", "bufs", "nbytes"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    with b.if_then(b.icmp_signed("!=", n, ir.Constant(I64, len(sizes))), likely=False):
        b.ret(ir.Constant(I32, targets.ERR_ARGS))
    bad = ir.Constant(I1, 0)
    for k, size in enumerate(sizes):
        got = b.load(b.gep(nbytes, [ir.Constant(I64, k)]))
        bad = b.or_(bad, b.icmp_signed("!=", got, ir.Constant(I64, size)))
    with b.if_then(bad, likely=False):
        b.ret(ir.Constant(I32, targets.ERR_ARGS))
    ptrs = [b.load(b.gep(bufs, [ir.Constant(I64, k)])) for k in range(len(sizes))]
    b.ret(b.call(w, ptrs))


def host_cpu() -> tuple[str, str]:
    llvm_target.initialize()
    return llvm.get_host_cpu_name(), llvm_target._host_features()


def default_triple() -> str:
    llvm_target.initialize()
    return llvm.get_default_triple()


def compile_object(module: ir.Module, target: targets.Target, triple: str) -> bytes:
    """Verify, optimise (O3, vectorisers on) and emit position-independent object code."""
    llvm_target.initialize()
    tm = llvm.Target.from_triple(triple).create_target_machine(
        cpu=target.cpu, features=target.llvm_features, opt=3, reloc="pic", codemodel="default")
    ref = llvm.parse_assembly(str(module))
    ref.verify()
    llvm_target.optimize(ref, tm, 3)
    ref.verify()
    return tm.emit_object(ref)
