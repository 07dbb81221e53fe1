"""A jitted layernorm + softmax over a chunked dask array, run by a ``distributed`` cluster.

    python examples/dask_pipeline.py                  # 64 MiB, a LocalCluster of 2 processes
    python examples/dask_pipeline.py --gb 20          # 20 GB, never held in memory at once
    python examples/dask_pipeline.py --gb 20 --scheduler tcp://scheduler-host:8786   # a real cluster

The input is virtual: each 64 MiB block is generated on the worker that needs it (from its block
index), so 20 GB never exists at once; what comes back is one number per row block. ``xl.jit``
traces ``pipeline`` once at the full shape and compiles one fused kernel per distinct block shape
here in the client; the workers receive the object code inside the tasks and run it without LLVM.
On a real cluster the workers need xlaish installed (and this file importable, e.g. run it from
a shared directory, or ``client.upload_file(__file__)``).
"""
from __future__ import annotations

import argparse
import time

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, progress

import xlaish as xl

COLS = 1024


def pipeline(x, g):
    m = x.mean(axis=-1, keepdims=True)
    v = ((x - m) ** 2).mean(axis=-1, keepdims=True)
    y = (x - m) / np.sqrt(v + 1e-5) * g
    e = np.exp(y - y.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@xl.jit
def summary(x, g):
    """Per row: the softmax's largest probability; over rows: its mean (a split reduction)."""
    return pipeline(x, g).max(axis=-1).mean()


def make_block(block_info=None):
    info = block_info[None]
    rows, k = info["chunk-shape"][0], info["chunk-location"][0]
    return np.random.default_rng(k).standard_normal((rows, COLS), dtype=np.float32)


def virtual_array(gb: float, chunk_mib: float):
    rows_per = int(chunk_mib * 2**20 // (4 * COLS))
    rows = int(gb * 1e9 // (4 * COLS))
    chunks = (rows_per,) * (rows // rows_per) + ((rows % rows_per,) if rows % rows_per else ())
    return da.map_blocks(make_block, chunks=(chunks, (COLS,)), dtype=np.float32,
                         meta=np.empty((0, 0), np.float32))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=0.064, help="virtual input size in GB (default 0.064)")
    ap.add_argument("--chunk-mib", type=float, default=8.0)
    ap.add_argument("--scheduler", default=None, help="address of a running scheduler (tcp://host:8786)")
    a = ap.parse_args()
    if a.scheduler:
        client = Client(a.scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=40)
        client = Client(cluster)
    try:
        x = virtual_array(a.gb, a.chunk_mib)
        g = np.linspace(0.5, 1.5, COLS, dtype=np.float32)
        print(f"input: {x.nbytes / 1e9:.3f} GB, {x.numblocks[0]} blocks of up to {x.chunksize}")
        t = time.perf_counter()
        result = summary(x, g)                 # a lazy dask array: traced and compiled, not run
        print(f"graph built (traced + compiled in the client) in {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        fut = client.compute(result)
        progress(fut)
        value = float(fut.result(timeout=24 * 3600))
        dt = time.perf_counter() - t
        print(f"\nmean max-probability per row: {value:.6f}  ({x.nbytes / dt / 1e9:.2f} GB/s)")
        # check: the first block through xlaish on the cluster against NumPy here
        first = x.blocks[0]
        got = client.compute(xl.jit(pipeline)(first, g)).result(timeout=600)
        ref = pipeline(first.compute(), g)
        print(f"first block vs NumPy: max abs difference {np.abs(got - ref).max():.2e}")
        assert np.allclose(got, ref, rtol=1e-5, atol=1e-6)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    main()
