"""RSS growth for N compiles of distinct small functions, and how much returns after dropping them
(the JitFunctions, xlaish.clear_caches(), gc). Usage: python benchmarks/memory.py [N]"""
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


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
