"""RSS growth for N compiles of distinct small functions, and how much returns after dropping them
(the JitFunctions, xlaish.clear_caches(), gc). Usage: python benchmarks/memory.py [N] [--stages]

``--stages`` measures each step of one compile repeated N times on the same program (RSS growth
per repetition, every LLVM object disposed): what stays is held inside llvmlite/LLVM, not by
xlaish. Measured on the 2-core EPYC VM (llvmlite 0.50): building the module 8 KiB, parsing into a
private context 0.6 KiB, the new pass manager's O3 pipeline ~70-100 KiB per optimisation (~29 KiB
of it per ``getModulePassManager``), loading the object code into an engine 0.1 KiB.
"""
import gc
import sys

import numpy as np

import xlaish as xl


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def main(n):
    x = np.ones(8)
    xl.jit(lambda a: a + 0.5)(x)          # runtime and LLVM loaded
    gc.collect()
    base = rss_mib()
    fs = []
    for k in range(n):
        f = xl.jit(lambda a, k=k: a * float(k) + 1.0, disk_cache=False)
        f(x)
        fs.append(f)
    grown = rss_mib()
    del fs, f
    xl.clear_caches()
    gc.collect()
    after = rss_mib()
    import ctypes
    ctypes.CDLL(None).malloc_trim(0)      # glibc: hand freed heap pages back to the OS
    trimmed = rss_mib()
    print(f"{n} compiles: +{grown - base:.1f} MiB; after drop {after - base:+.1f} MiB "
          f"({100 * (grown - after) / max(grown - base, 1e-9):.0f}% returned); "
          f"after malloc_trim {trimmed - base:+.1f} MiB")


def stages(n):
    import llvmlite.binding as llvm

    from xlaish.codegen.cpu import llvm_target
    from xlaish.codegen.cpu.program import build_module
    from xlaish.runtime import cpu
    f = xl.jit(lambda a: a * 3.0 + 1.0, disk_cache=False)
    f(np.ones(8))
    fn = next(iter(f._cache.values())).executable.artifact.fn
    text = str(build_module(fn, cache_scratch=True)[0])
    tm = llvm_target.target_machine()
    obj = tm.emit_object(llvm.parse_assembly(text, context=llvm.create_context()))

    def build():
        build_module(fn, cache_scratch=True)

    def parse():
        llvm.parse_assembly(text, context=llvm.create_context()).verify()

    def optimize():
        llvm_target.optimize(llvm.parse_assembly(text, context=llvm.create_context()), tm)

    def emit():
        tm.emit_object(llvm.parse_assembly(text, context=llvm.create_context()))

    def load():
        cpu._engine_from_object(obj).get_function_address("xl_entry")
    for step in (build, parse, optimize, emit, load):
        gc.collect()
        r0 = rss_mib()
        for _ in range(n):
            step()
        gc.collect()
        print(f"{step.__name__:9s} {(rss_mib() - r0) * 1024 / n:7.1f} KiB kept per repetition")


if __name__ == "__main__":
    count = int(next((a for a in sys.argv[1:] if a.isdigit()), 2000))
    (stages if "--stages" in sys.argv else main)(count)
