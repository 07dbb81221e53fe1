"""The LLVM side of an export: the program once per variant plus the C entry points, then object code.

Each variant (:mod:`.targets`: x86-64-v2, v3, v4 by default) is the whole
program of :func:`xlaish.codegen.cpu.program.build_module`, its entry renamed
``xl.aot.entry.<variant>`` and everything else made internal, every function
carrying the variant's ``target-cpu`` / ``target-features`` attributes, and
optimised (O3, vectorisers on) with that variant's target machine
(:func:`_variant_module`). A wrapper module, compiled for the plain x86-64
baseline, is linked with them (internal symbols of equal names are renamed
by LLVM's linker) and emitted as one position-independent object. It has:

* ``int <name>(const T0 *arg0, ..., T *out0, ...)``: picks the variant
  (:func:`_verdict`, memoised) or returns its refusal, packs the pointers into
  the entry's buffer table, picks the thread count (``sysconf(_SC_NPROCESSORS_ONLN)``
  when some kernel is split over threads, else 1) and runs the chosen
  variant's program, which also copies the results it does not write itself
  (a result that is an argument, a constant, or a second copy of another result).
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
* ``const char *<name>_variant(void)``: the chosen variant's target name, or
  the reason every call refuses (below the floor; ``XLAISH_AOT_VARIANT``
  names a variant the CPU cannot run or the library lacks).

The choice (:func:`_select`) reads ``XLAISH_AOT_VARIANT`` and the test hook
``XLAISH_AOT_CPU_LEVEL`` with libc's ``getenv`` at the first call, then checks
each variant's features with ``cpuid`` (and ``xgetbv``) from the highest down.
The checks and the wrappers are compiled for the plain x86-64 baseline
(per-function attributes), so nothing runs an instruction the CPU may lack
before the check has passed; the variants' code sits behind non-inlinable
calls. ``cpuid`` is emitted as inline assembly and ``xgetbv`` as its raw bytes.
"""
from __future__ import annotations

import llvmlite.binding as llvm
from llvmlite import ir

from ..codegen.cpu import llvm_target
from ..codegen.cpu.program import build_module
from ..runtime import lapack as _lapack
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
    """``i1 xl.aot.cpu_ok.<variant>()``: cpuid (and xgetbv) say every required feature is usable."""
    if f"xl.aot.cpu_ok.{target.variant}" in module.globals:
        return module.globals[f"xl.aot.cpu_ok.{target.variant}"]
    fn = ir.Function(module, ir.FunctionType(I1, []), name=f"xl.aot.cpu_ok.{target.variant}")
    fn.linkage = "internal"
    _baseline(fn)
    for a in ("noinline", "cold"):
        fn.attributes.add(a)
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


# the dispatcher's verdicts above the variant numbers (1 + index): refusals, with their return codes
NO_VARIANT = 0x81        # no variant's features are all on this CPU (below the floor): ERR_CPU
BAD_NAME = 0x82          # XLAISH_AOT_VARIANT names no variant of the library: ERR_VARIANT
FORCED_UNFIT = 0x83      # XLAISH_AOT_VARIANT names a variant this CPU cannot run: ERR_CPU
VARIANT_ENV = "XLAISH_AOT_VARIANT"
LEVEL_ENV = "XLAISH_AOT_CPU_LEVEL"


def _cstring(module, name: str, text: str):
    return _global_bytes(module, name, text.encode() + b"\0")


def _select(module: ir.Module, variants: list) -> ir.Function:
    """``i8 xl.aot.select()``: the variant to run (1 + its index) or a refusal (``NO_VARIANT``,
    ``BAD_NAME``, ``FORCED_UNFIT``).

    ``$XLAISH_AOT_VARIANT`` (``getenv``; unset, empty or ``auto``: no constraint) forces the
    variant of that short or full name (``v3``, ``x86-64-v3``); ``$XLAISH_AOT_CPU_LEVEL``
    (``v1`` ... ``v4``) makes the x86-64 levels above it count as missing from the CPU (a test
    hook: the choice, and the refusal below the floor, as on an older CPU). Otherwise the
    highest variant whose features cpuid reports wins."""
    fn = ir.Function(module, ir.FunctionType(I8, []), name="xl.aot.select")
    fn.linkage = "internal"
    for a in ("noinline", "cold", "nounwind"):
        fn.attributes.add(a)
    if variants[0].x86:
        _baseline(fn)
    getenv = module.globals.get("getenv") or ir.Function(module, ir.FunctionType(PTR, [PTR]), name="getenv")
    strcmp = module.globals.get("strcmp") or ir.Function(module, ir.FunctionType(I32, [PTR, PTR]),
                                                         name="strcmp")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    strings: dict = {}

    def s(text):
        if text not in strings:
            strings[text] = _cstring(module, f"xl.aot.str.{len(strings)}", text).bitcast(PTR)
        return strings[text]

    def env(name):
        """$name, or NULL when unset, empty or "auto"."""
        v = b.call(getenv, [s(name)])
        null = ir.Constant(PTR, None)
        pre = b.block
        with b.if_then(b.icmp_unsigned("!=", v, null)):
            first = b.load(v)
            auto = b.icmp_signed("==", b.call(strcmp, [v, s("auto")]), ir.Constant(I32, 0))
            unset = b.or_(b.icmp_unsigned("==", first, ir.Constant(I8, 0)), auto)
            got = b.select(unset, null, v)
            then = b.block
        phi = b.phi(PTR)
        phi.add_incoming(got, then)
        phi.add_incoming(null, pre)
        return phi

    def is_named(v, names):
        """v (non-NULL) equals one of names."""
        hit = ir.Constant(I1, 0)
        for n in names:
            hit = b.or_(hit, b.icmp_signed("==", b.call(strcmp, [v, s(n)]), ir.Constant(I32, 0)))
        return hit

    # the highest x86-64 level the hook lets through (4: no hook)
    cap_s = env(LEVEL_ENV)
    cap = ir.Constant(I32, 4)
    pre = b.block
    with b.if_then(b.icmp_unsigned("!=", cap_s, ir.Constant(PTR, None))):
        c = ir.Constant(I32, 4)
        for short, lev in sorted(targets.LEVEL_OF.items(), key=lambda kv: -kv[1]):
            full = next(k for k, v in targets.SHORT.items() if v == short)
            c = b.select(is_named(cap_s, [short, full]), ir.Constant(I32, lev), c)
        then = b.block
    capphi = b.phi(I32)
    capphi.add_incoming(c, then)
    capphi.add_incoming(cap, pre)
    cap = capphi

    def fits(t):
        """i1: the CPU runs variant t (and the hook lets its level through)."""
        ok = b.call(_cpu_ok(module, t), []) if t.x86 and t.required else ir.Constant(I1, 1)
        if t.level:
            ok = b.and_(ok, b.icmp_unsigned("<=", ir.Constant(I32, t.level), cap))
        return ok

    forced = env(VARIANT_ENV)
    with b.if_then(b.icmp_unsigned("!=", forced, ir.Constant(PTR, None))):
        for k, t in enumerate(variants):
            with b.if_then(is_named(forced, [t.variant, t.name])):
                b.ret(b.select(fits(t), ir.Constant(I8, 1 + k), ir.Constant(I8, FORCED_UNFIT)))
        b.ret(ir.Constant(I8, BAD_NAME))
    for k in reversed(range(len(variants))):
        with b.if_then(fits(variants[k])):
            b.ret(ir.Constant(I8, 1 + k))
    b.ret(ir.Constant(I8, NO_VARIANT))
    return fn


def _verdict(b: ir.IRBuilder, module: ir.Module, variants: list):
    """The memoised ``xl.aot.select()`` (i8) in the current function.

    ``cpuid`` traps to the hypervisor in virtual machines (measured ~35 us for
    one check in a KVM/Firecracker guest, against ~12 ns for a small call), so
    the verdict is memoised in one internal byte ``xl.aot.cpu_state`` (0 not
    chosen yet) with atomic monotonic loads and stores: every thread computes
    the same value, so a race only repeats the choice. It is the library's only
    writable static datum.
    """
    state = module.globals.get("xl.aot.cpu_state")
    select = module.globals.get("xl.aot.select")
    if state is None:
        state = ir.GlobalVariable(module, I8, name="xl.aot.cpu_state")
        state.linkage = "internal"
        state.initializer = ir.Constant(I8, 0)
        select = _select(module, variants)
    known = b.load_atomic(state, "monotonic", 1)
    pre = b.block
    with b.if_then(b.icmp_unsigned("==", known, ir.Constant(I8, 0)), likely=False):
        fresh = b.call(select, [])
        b.store_atomic(fresh, state, "monotonic", 1)
        then = b.block
    verdict = b.phi(I8)
    verdict.add_incoming(fresh, then)
    verdict.add_incoming(known, pre)
    return verdict


def _refuse(b: ir.IRBuilder, verdict) -> None:
    """Return the refusal's code (ERR_CPU, ERR_VARIANT) from the current function."""
    with b.if_then(b.icmp_unsigned(">=", verdict, ir.Constant(I8, 0x80)), likely=False):
        code = b.select(b.icmp_unsigned("==", verdict, ir.Constant(I8, BAD_NAME)),
                        ir.Constant(I32, targets.ERR_VARIANT), ir.Constant(I32, targets.ERR_CPU))
        b.ret(code)


def _call_variant(b: ir.IRBuilder, verdict, entries: list, args: list):
    """Call the entry the (non-refusing) verdict chose with ``args``: -> its i32 return code."""
    if len(entries) == 1:
        return b.call(entries[0], args)
    fn = b.function
    blocks = [fn.append_basic_block(f"run.{k}") for k in range(len(entries))]
    done = fn.append_basic_block("ran")
    sw = b.switch(verdict, blocks[-1])
    rcs = []
    for k, (blk, e) in enumerate(zip(blocks, entries)):
        sw.add_case(ir.Constant(I8, 1 + k), blk)
        b.position_at_end(blk)
        rcs.append((b.call(e, args), blk))
        b.branch(done)
    b.position_at_end(done)
    rc = b.phi(I32)
    for v, blk in rcs:
        rc.add_incoming(v, blk)
    return rc


def _variant_text(module: ir.Module, name: str, variants: list) -> None:
    """``const char *<name>_variant(void)``: the chosen variant's target name, or why none runs."""
    fn = ir.Function(module, ir.FunctionType(PTR, []), name=f"{name}_variant")
    set.add(fn.attributes, "nounwind")
    if variants[0].x86:
        _baseline(fn)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    verdict = _verdict(b, module, variants)
    floor = variants[0]
    names = ", ".join(f"{t.variant} ({t.name})" for t in variants)
    texts = {NO_VARIANT: f"{name}: this CPU is below the library's floor {floor.name} (it lacks one of "
                         f"{', '.join(floor.required) or 'the required features'}, or "
                         f"{LEVEL_ENV} hides it): no variant of {names} runs here",
             BAD_NAME: f"{name}: {VARIANT_ENV} names no variant of this library (auto, or one of "
                       f"{names})",
             FORCED_UNFIT: f"{name}: {VARIANT_ENV} forces a variant this CPU cannot run (it lacks one "
                           f"of its features, or {LEVEL_ENV} hides it; variants: {names})"}
    texts.update({1 + k: t.name for k, t in enumerate(variants)})
    ptrs = {k: b.bitcast(_cstring(module, f"xl.aot.verdict.{k}", v), PTR) for k, v in texts.items()}
    out = ptrs[NO_VARIANT]
    for k, p in ptrs.items():
        out = b.select(b.icmp_unsigned("==", verdict, ir.Constant(I8, k)), p, out)
    b.ret(out)


def _global_bytes(module, name, data: bytes):
    ty = ir.ArrayType(I8, len(data))
    g = ir.GlobalVariable(module, ty, name=name)
    g.global_constant = True
    g.linkage = "internal"
    g.initializer = ir.Constant(ty, bytearray(data))
    return g


def _variant_module(fn, t: targets.Target, triple: str):
    """-> (optimised llvm.ModuleRef, ProgramLayout): the program for variant ``t``, its entry
    ``xl.aot.entry.<variant>`` the one external definition, every function stamped with the
    variant's ``target-cpu`` / ``target-features`` (the codegen of the merged library module
    compiles each function for its own variant)."""
    entry_name = f"{ENTRY}.{t.variant}"
    module, layout = build_module(fn, entry_name)
    _lapack.bind_for_aot(module)      # np.linalg kernels call LAPACK by its real names
    for g in module.global_values:
        defined = g.blocks if isinstance(g, ir.Function) else g.initializer is not None
        if defined and g.name != entry_name:
            g.linkage = "internal"    # the debug hook, pool slot, kernels ...: private to the variant
        if isinstance(g, ir.Function) and g.blocks:
            set.add(g.attributes, f'"target-cpu"="{t.cpu}"')
            if t.llvm_features:
                set.add(g.attributes, f'"target-features"="{t.llvm_features}"')
    set.add(module.get_global(entry_name).attributes, "noinline")
    ref = llvm.parse_assembly(str(module))
    ref.verify()
    llvm_target.optimize(ref, _machine(t.cpu, t.llvm_features, triple), 3)
    return ref, layout


def _machine(cpu: str, features: str, triple: str):
    llvm_target.initialize()
    return llvm.Target.from_triple(triple).create_target_machine(
        cpu=cpu, features=features, opt=3, reloc="pic", codemodel="default")


def build_library(fn, name: str, variants: list, triple: str, make_manifest, inout=()):
    """-> (object code bytes, ProgramLayout) of the whole library.

    ``variants``: :class:`~.targets.Target` s, floor first; the program is compiled once per
    variant (:func:`_variant_module`) and the wrapper module, compiled for the baseline, is
    linked with them. ``make_manifest(layout) -> str`` gives the manifest text to embed.
    ``inout``: the positions of the in/out parameters, in order; the program's last
    ``len(inout)`` results are their final values (see :func:`_inout_buffers`).
    """
    parts = [_variant_module(fn, t, triple) for t in variants]
    layout = parts[0][1]
    module = ir.Module(name=name)
    module.triple = triple
    entry_ty = ir.FunctionType(I32, [PTR.as_pointer(), I64])
    entries = [ir.Function(module, entry_ty, name=f"{ENTRY}.{t.variant}") for t in variants]
    ir.Function(module, ir.FunctionType(PTR, [I64]), name="malloc")
    ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR]), name="free")
    _wrappers(module, entries, name, variants, triple, layout, make_manifest(layout), inout)
    x86 = variants[0].x86
    base = _machine("x86-64" if x86 else "generic", "", triple)
    ref = llvm.parse_assembly(str(module))
    ref.verify()
    llvm_target.optimize(ref, base, 3)
    for part, _ in parts:
        ref.link_in(part)
    for t in variants:          # external only to be linked: internal in the library
        ref.get_function(f"{ENTRY}.{t.variant}").linkage = "internal"
    ref.verify()
    return base.emit_object(ref), layout


def _wrappers(module, entries, name: str, variants: list, triple: str, layout, manifest_text: str,
              inout) -> None:
    """The library's C entry points (see the module docstring) in ``module``."""
    nin, nall = len(layout.param_types), len(layout.result_types)
    nout = nall - len(inout)         # results the caller passes buffers for
    x86 = variants[0].x86

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
    if x86:
        _baseline(w)
    verdict = _verdict(b, module, variants)
    _refuse(b, verdict)
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
    rc = _call_variant(b, verdict, entries, [b.bitcast(table, PTR.as_pointer()), nt])
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
    _checked_entry(module, w, name, layout, x86, nin + nout)
    _variant_text(module, name, variants)


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


def _checked_entry(module, w: ir.Function, name: str, layout, x86: bool, nbufs: int) -> None:
    """``int <name>_checked(int64_t n, void *const *bufs, const int64_t *nbytes)``: the first
    ``nbufs`` buffers of the program (in/out arguments among the inputs; not their private
    copies, which the wrapper allocates)."""
    sizes = buffer_nbytes(layout)[:nbufs]
    fn = ir.Function(module, ir.FunctionType(I32, [I64, PTR.as_pointer(), I64.as_pointer()]),
                     name=f"{name}_checked")
    set.add(fn.attributes, "nounwind")
    if x86:
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
