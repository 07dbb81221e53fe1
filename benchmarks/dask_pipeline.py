"""Layernorm + softmax over a chunked dask array on a ``distributed.LocalCluster``: xlaish vs dask.

``python -m benchmarks.dask_pipeline [--gib 4] [--chunk-mib 64] [--workers 1 2] [--reps 2]``

The input (float32, 1024 columns, rows chunked into ``--chunk-mib`` blocks) is virtual: each block
is made on its worker from its block index (a cached random block plus the index: one cheap pass),
so memory stays bounded and nothing crosses the network but a one-element-per-block sink. Three
graphs run on the same input:

* ``generate``: the input blocks and the sink only (the floor both pipelines include);
* ``dask``: ``dask.array`` running the NumPy code of :func:`pipeline` (dask's own NumPy path);
* ``xlaish``: ``xl.jit(pipeline)`` on the dask array (one fused kernel per block, compiled in
  the client, shipped as object code).

Reported per worker count (worker processes of 1 thread, ``XLAISH_NUM_THREADS=1``): throughput in
GB/s of input processed (best of ``--reps`` after a warm-up run that starts the workers and loads
the kernels), the 1 -> 2 worker scaling, xlaish compiles per worker (LLVM runs and kernels loaded
from tasks), client compiles, and the per-task overhead measured on many tiny blocks. On a 2-core
machine 2 workers is the ceiling. Results go to ``benchmarks/results/dask_pipeline.{json,md}``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

COLS = 1024
_BASE: dict = {}


def pipeline(x, g):
    """Row-wise layernorm then softmax: plain NumPy code."""
    m = x.mean(axis=-1, keepdims=True)
    v = ((x - m) ** 2).mean(axis=-1, keepdims=True)
    y = (x - m) / np.sqrt(v + 1e-5) * g
    e = np.exp(y - y.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _block(block_info=None):
    """One virtual input block: a per-process cached random block of this shape + the block index."""
    info = block_info[None]
    shape, k = tuple(info["chunk-shape"]), info["chunk-location"][0]
    base = _BASE.get(shape)
    if base is None:
        base = _BASE[shape] = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    return base + np.float32(k % 7)


def _first(b):
    return np.ascontiguousarray(b[:1, :1])


def virtual_input(gib: float, chunk_mib: float, cols: int = COLS):
    import dask.array as da
    rows_per = max(int(chunk_mib * 2**20 // (4 * cols)), 1)
    rows = int(gib * 2**30 // (4 * cols))
    chunks = (rows_per,) * (rows // rows_per) + ((rows % rows_per,) if rows % rows_per else ())
    return da.map_blocks(_block, chunks=(chunks, (cols,)), dtype=np.float32,
                         meta=np.empty((0, 0), np.float32))


def sink(y):
    """One element per block: forces every block without moving the data."""
    return y.map_blocks(_first, chunks=((1,) * y.numblocks[0], (1,)), dtype=y.dtype)


def _gamma():
    return np.linspace(0.5, 1.5, COLS, dtype=np.float32)


def _graph(mode, x):
    if mode == "generate":
        return sink(x)
    if mode == "dask":
        return sink(pipeline(x, _gamma()))
    import xlaish as xl
    return sink(xl.jit(pipeline)(x, _gamma()))


def _timed(client, graph, reps):
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        client.compute(graph).result(timeout=1800)
        best = min(best, time.perf_counter() - t)
    return best


def run(gib=4.0, chunk_mib=64.0, workers=(1, 2), reps=2, tiny_tasks=2000):
    from distributed import Client, LocalCluster

    import xlaish.dask as xd
    out = {"gib": gib, "chunk_mib": chunk_mib, "cols": COLS, "reps": reps, "machine": platform.machine(),
           "cpus": os.cpu_count(), "python": platform.python_version(), "runs": {},
           "loadavg_before": os.getloadavg()}
    nbytes = gib * 2**30
    for w in workers:
        cluster = LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=40, env={"XLAISH_NUM_THREADS": "1"})
        client = Client(cluster)
        try:
            x = virtual_input(gib, chunk_mib)
            res = {"tasks_per_graph": int(x.numblocks[0])}
            for mode in ("generate", "dask", "xlaish"):
                before = xd.STATS["client_compiles"]
                t0 = time.perf_counter()
                graph = _graph(mode, x)
                build = time.perf_counter() - t0
                warm = virtual_input(chunk_mib * 2 * w / 1024, chunk_mib)   # same block shape, 2/worker
                t0 = time.perf_counter()
                client.compute(_graph(mode, warm)).result(timeout=1800)
                first = time.perf_counter() - t0
                sec = _timed(client, graph, reps)
                res[mode] = {"seconds": sec, "GBps": nbytes / sec / 1e9, "graph_build_s": build,
                             "warmup_s": first, "client_compiles": xd.STATS["client_compiles"] - before}
            res["worker_stats"] = {str(k): v for k, v in xd.worker_stats(client).items()}
            tiny = virtual_input(tiny_tasks * 8 * COLS * 4 / 2**30, 8 * COLS * 4 / 2**20)
            res["tiny_tasks"] = int(tiny.numblocks[0])
            for mode in ("generate", "dask", "xlaish"):
                g = _graph(mode, tiny)
                client.compute(g).result(timeout=600)
                res[mode]["per_task_ms_tiny_blocks"] = _timed(client, g, reps) / tiny.numblocks[0] * w * 1e3
            out["runs"][str(w)] = res
        finally:
            client.close()
            cluster.close()
    out["loadavg_after"] = os.getloadavg()
    runs = out["runs"]
    if "1" in runs and "2" in runs:
        out["scaling_1_to_2"] = {m: runs["2"][m]["GBps"] / runs["1"][m]["GBps"] for m in ("dask", "xlaish")}
    for r in runs.values():
        r["xlaish_vs_dask"] = r["xlaish"]["GBps"] / r["dask"]["GBps"]
    return out


def markdown(res) -> str:
    lines = [f"# Dask pipeline: layernorm + softmax, {res['gib']} GiB float32, {res['chunk_mib']} MiB chunks",
             "", f"{res['cpus']} CPUs ({res['machine']}), LocalCluster worker processes x 1 thread, "
             f"best of {res['reps']} after a warm-up. Input generated on the workers (see `generate`). "
             f"Load average before/after (other jobs share the machine): {res['loadavg_before'][0]:.1f} / "
             f"{res['loadavg_after'][0]:.1f}. Per-task ms = worker-milliseconds per task, "
             f"{res['runs'][next(iter(res['runs']))]['tiny_tasks']} tasks of 8x1024 float32.", "",
             "| workers | generate GB/s | dask.array (NumPy) GB/s | xlaish GB/s | xlaish / dask | "
             "per-task ms (gen / dask / xlaish, tiny blocks) |", "|---|---|---|---|---|---|"]
    for w, r in res["runs"].items():
        gb = " | ".join(f"{r[m]['GBps']:.2f}" for m in ("generate", "dask", "xlaish"))
        per = " / ".join(f"{r[m]['per_task_ms_tiny_blocks']:.2f}" for m in ("generate", "dask", "xlaish"))
        lines.append(f"| {w} | {gb} | {r['xlaish_vs_dask']:.2f}x | {per} |")
    if "scaling_1_to_2" in res:
        s = res["scaling_1_to_2"]
        lines += ["", f"Scaling 1 -> 2 workers: dask.array {s['dask']:.2f}x, xlaish {s['xlaish']:.2f}x "
                      "(2 workers on 2 cores is this machine's ceiling)."]
    lines += ["", "Compiles (xlaish): client compiles per graph, and per worker: LLVM program compiles, "
              "kernels compiled on the worker, object code loaded from tasks.", ""]
    for w, r in res["runs"].items():
        per = "; ".join(f"{k.split(':')[-1]}: llvm={v['llvm_compiles']}, "
                        f"worker_compiles={v['worker_compiles']}, loads={v['object_loads']}, "
                        f"numba={v['numba_imported']}"
                        for k, v in r["worker_stats"].items())
        cc = r["xlaish"]["client_compiles"]
        lines.append(f"- {w} worker(s): client compiles {cc} (the timed graph and the warm-up graph, one "
                     f"block shape each); {per}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gib", type=float, default=4.0)
    ap.add_argument("--chunk-mib", type=float, default=64.0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--tiny-tasks", type=int, default=2000)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "dask_pipeline"))
    a = ap.parse_args(argv)
    res = run(a.gib, a.chunk_mib, tuple(a.workers), a.reps, a.tiny_tasks)
    md = markdown(res)
    print(md)
    if a.out:
        with open(a.out + ".json", "w") as f:
            json.dump(res, f, indent=2, default=str)
        with open(a.out + ".md", "w") as f:
            f.write(md)
    return 0


if __name__ == "__main__":
    # run the importable module's main, so the block functions pickle by reference (as
    # benchmarks.dask_pipeline) and the workers keep their per-process block cache
    from benchmarks.dask_pipeline import main as _main
    raise SystemExit(_main())
