"""Measure the fft kernel's error against NumPy's pocketfft over many lengths (not a test: run
``python -m tests.fft.accuracy_sweep [out.json]``; it takes hours for every length 1..4096 on a
slow machine, so lengths go in this order, the file is rewritten after each batch and a rerun
continues where the file stops: 1..48, some large ones (2^16, 2^20, 3^10, 5^7, the prime 65537:
Bluestein), a seeded random sample of 100 lengths of 257..4096 with the largest powers and primes,
49..256, then the rest of 257..4096). Error = max |ours - numpy| / max |numpy| per row (c2c
forward, complex input of standard normal parts), the max over lengths kept per dtype.

``--o0`` compiles at LLVM ``O0`` (several times faster to compile): the kernel uses no fast-math
flags, so optimisation does not change a single result bit (``check_o0`` compares both on a few
lengths first and refuses to continue if they differ)."""
from __future__ import annotations

import json
import sys
import time

import numpy as np

import xlaish as xl
from xlaish.codegen.cpu.fft_kernel import REL_ERROR
from xlaish.numpy import fft as xf

from ._util import crandn, pairs, rel_error, unpairs


def order():
    large = [1 << 16, 1 << 20, 3 ** 10, 5 ** 7, 65537]
    rest = list(range(257, 4097))
    rng = np.random.default_rng(0)
    picked = [4096, 4093, 4095, 4091, 3125, 2187, 2048, 4079, 1024, 729]
    sample = picked + sorted(set(rng.choice(rest, 100, replace=False).tolist()) - set(picked))
    head = list(range(1, 49)) + large + sample + list(range(49, 257))
    return head + [n for n in rest if n not in set(head)]


def check_o0(sizes=(7, 12, 97, 256, 1000)):
    """The O0 and O3 kernels give bit-identical results (run before patching the level)."""
    rng = np.random.default_rng(2)
    for dt in (np.float32, np.float64):
        zs = tuple(pairs(crandn(rng, (2, n), dt)) for n in sizes)
        f = lambda xs: tuple(xf.pairs_fft(x) for x in xs)      # noqa: E731
        a = xl.jit(f, disk_cache=False)(zs)
        _use_o0()
        b = xl.jit(f, disk_cache=False)(zs)
        _use_o0(False)
        for u, v in zip(a, b):
            assert np.array_equal(u, v), "O0 and O3 kernels differ: the O0 sweep would not measure O3"


_OPT = []


def _use_o0(on=True):
    from xlaish.codegen.cpu import llvm_target
    if not _OPT:
        _OPT.append(llvm_target.optimize)
    llvm_target.optimize = (lambda mod, tm=None, level=3: _OPT[0](mod, tm, 0)) if on else _OPT[0]


def main(out="fft_accuracy.json", batch=8):
    rng = np.random.default_rng(1)
    res = {"sizes_done": 0, "max": {}, "worst_n": {}, "bound": {str(k): v for k, v in REL_ERROR.items()},
           "per_size": {}}
    try:
        with open(out) as fh:
            res = json.load(fh)
    except (OSError, ValueError):
        pass
    done = {int(n) for n in res["per_size"].get("float64", {})}
    todo = [n for n in order() if n not in done]
    f = xl.jit(lambda xs: tuple(xf.pairs_fft(x) for x in xs), disk_cache=False)
    t0 = time.time()
    for i in range(0, len(todo), batch):
        sizes = todo[i:i + batch]
        for dt in (np.float32, np.float64):
            zs = [crandn(rng, (1, n) if n > 4096 else (2, n), dt) for n in sizes]
            got = f(tuple(pairs(z) for z in zs))
            for n, z, g in zip(sizes, zs, got):
                e = rel_error(unpairs(g), np.fft.fft(z))
                key = np.dtype(dt).name
                res["per_size"].setdefault(key, {})[str(n)] = e
                if e >= res["max"].get(key, -1.0):
                    res["max"][key], res["worst_n"][key] = e, n
        res["sizes_done"] = len(res["per_size"]["float64"])
        res["seconds"] = res.get("seconds", 0.0) + time.time() - t0
        t0 = time.time()
        with open(out, "w") as fh:
            json.dump(res, fh)
        print(res["sizes_done"], res["max"], res["worst_n"], flush=True)


if __name__ == "__main__":
    if "--o0" in sys.argv:
        check_o0()
        _use_o0()
    main(*[a for a in sys.argv[1:] if a != "--o0"][:1])
