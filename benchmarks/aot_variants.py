"""AOT export targets on the MLP forward (``benchmarks.workloads.mlp2``, full size): the default
multi-variant library (x86-64-v2/v3/v4, the best one runs), single-level libraries
(x86-64-v3, x86-64-v4), ``target="host"`` and the jitted call.

Interleaved rounds (each round calls every candidate once, in a rotating order), medians of
wall time and of process CPU time per call (the CPU time is less disturbed by other processes
on a shared machine: the library's threads are all counted); ``uptime``'s load first.

    PYTHONPATH=$PWD python -m benchmarks.aot_variants [--rounds 30] [--size full|quick]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np

from .workloads import _mlp_inputs, mlp2

SIZES = {"full": (256, 1024, 1024, 256), "quick": (64, 256, 256, 64)}
TARGETS = ("multi", "x86-64-v3", "x86-64-v4", "host")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--size", choices=SIZES, default="full")
    a = ap.parse_args(argv)
    import xlaish as xl
    import xlaish.aot as aot
    args = _mlp_inputs(np.random.default_rng(0), *SIZES[a.size])
    ref = mlp2(*args)
    fns = {}
    with tempfile.TemporaryDirectory() as d:
        for k, tgt in enumerate(TARGETS):
            g = aot.load(aot.export(mlp2, args, out_dir=d, name=f"mlp{k}", target=tgt).library)
            fns[f"aot {tgt} ({g.variant})"] = g
        fns["jit"] = xl.jit(mlp2)
        for name, f in fns.items():
            np.testing.assert_allclose(f(*args), ref, rtol=1e-3, atol=1e-3, err_msg=name)
        wall = {k: [] for k in fns}
        cpu = {k: [] for k in fns}
        names = list(fns)
        print("before:", os.popen("uptime").read().strip())
        for r in range(a.rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                t0, c0 = time.perf_counter(), time.process_time()
                fns[name](*args)
                wall[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
        print("after: ", os.popen("uptime").read().strip())
    print(f"mlp2 {a.size} {SIZES[a.size]}, {a.rounds} interleaved rounds, median ms per call")
    print(f"{'':40s} {'wall':>8s} {'cpu':>8s}")
    for name in names:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"{name:40s} {w * 1e3:8.2f} {c * 1e3:8.2f}")


if __name__ == "__main__":
    main()
