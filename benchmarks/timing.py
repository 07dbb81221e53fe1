"""Timing and machine facts for the benchmark runner.

``measure_interleaved`` times several implementations of one workload in
rounds: each round takes one sample of every implementation still sampling,
in an order rotated from round to round, so that a change in machine load
falls on all of them alike. A sample is a batch of calls (so that it lasts at
least ``target_sample_s`` even for microsecond calls) ended by the
implementation's ``finish`` (a device synchronisation, or nothing), divided by
the batch size. An implementation samples until it has ``min_samples`` and has
spent its own ``budget_s`` (or has ``max_samples``); the garbage collector is
off throughout. Per-call statistics come back per implementation: the median
is the headline number, the minimum is reported beside it. ``measure`` is the
same for one callable. ``copy_bandwidth`` measures ``np.copyto`` of a
large float32 array (bytes read + written / time), the yardstick for the
"effective GB/s" column.
"""
from __future__ import annotations

import gc
import json
import os
import platform
import re
import socket
import statistics
import time
from dataclasses import asdict, dataclass

import numpy as np

ENV_PREFIXES = ("OPENBLAS_", "OMP_", "MKL_", "GOTO", "BLIS_", "XLAISH_", "NUMEXPR_", "NUMBA_",
                "JAX_", "XLA_", "CUDA_VISIBLE_DEVICES", "PYTHONHASHSEED")


@dataclass
class Stats:
    median_s: float
    min_s: float
    mean_s: float
    stdev_s: float
    samples: int
    calls_per_sample: int

    def as_dict(self):
        return asdict(self)


def _sample(call, finish, inner) -> float:
    t0 = time.perf_counter()
    out = None
    for _ in range(inner):
        out = call()
    finish(out)
    return (time.perf_counter() - t0) / inner


def _stats(samples, inner) -> Stats:
    return Stats(statistics.median(samples), min(samples), statistics.fmean(samples),
                 statistics.stdev(samples) if len(samples) > 1 else 0.0, len(samples), inner)


def measure_interleaved(calls: dict, *, budget_s: float, min_samples: int, max_samples: int,
                        target_sample_s: float = 2e-3) -> dict:
    """``{name: (call, finish)}`` -> ``{name: Stats}``; every call already warmed up."""
    inner, samples, spent = {}, {}, {}
    for name, (call, finish) in calls.items():
        one = _sample(call, finish, 1)
        inner[name] = 1 if one >= target_sample_s else min(100_000, int(target_sample_s / max(one, 1e-8)) + 1)
        samples[name], spent[name] = [], 0.0
    names = list(calls)
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        rnd = 0
        while True:
            active = [n for n in names if len(samples[n]) < max_samples
                      and (len(samples[n]) < min_samples or spent[n] < budget_s)]
            if not active:
                break
            k = rnd % len(active)
            for name in active[k:] + active[:k]:
                call, finish = calls[name]
                t0 = time.perf_counter()
                samples[name].append(_sample(call, finish, inner[name]))
                spent[name] += time.perf_counter() - t0
            rnd += 1
    finally:
        if gc_was_on:
            gc.enable()
    return {n: _stats(samples[n], inner[n]) for n in names}


def measure(call, *, budget_s: float, min_samples: int, max_samples: int,
            target_sample_s: float = 2e-3, finish=None) -> Stats:
    """Per-call statistics of ``call()`` (already warmed up by the caller)."""
    return measure_interleaved({"": (call, finish or (lambda out: out))}, budget_s=budget_s,
                               min_samples=min_samples, max_samples=max_samples,
                               target_sample_s=target_sample_s)[""]


def copy_bandwidth(nbytes: int = 256 << 20, budget_s: float = 1.0, min_samples: int = 5,
                   max_samples: int = 200) -> dict:
    """GB/s of ``np.copyto`` between two float32 arrays of ``nbytes`` (counting read + write)."""
    n = nbytes // 4
    src = np.random.default_rng(1).standard_normal(n, dtype=np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    st = measure(lambda: np.copyto(dst, src), budget_s=budget_s, min_samples=min_samples,
                 max_samples=max_samples)
    return {"bytes": 2 * src.nbytes, "array_mib": src.nbytes / 2**20, "median_s": st.median_s,
            "gbs": 2 * src.nbytes / st.median_s / 1e9, "best_gbs": 2 * src.nbytes / st.min_s / 1e9}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _mem_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        return None


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def machine_name() -> str:
    """A short file-name-safe name: host, CPU model, core count (e.g. ``vm-amd-epyc-2c``)."""
    host = socket.gethostname().split(".")[0] or "host"
    cpu = re.sub(r"\(r\)|\(tm\)|cpu|processor|\d+-core|@.*$", "", _cpu_model().lower())
    cpu = "-".join(cpu.split()[:3])
    name = f"{host}-{cpu}-{cpu_count()}c"
    return re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-")


def versions() -> dict:
    import importlib.metadata as md
    out = {"python": platform.python_version()}
    for pkg in ("xlaish", "numpy", "llvmlite", "numexpr", "numba", "jax", "jaxlib", "scipy",
                "matplotlib"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


def blas_info():
    """BLAS libraries in use (threadpoolctl when installed, else NumPy's build configuration)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        try:
            cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
            return [{k: cfg.get(k) for k in ("name", "version", "openblas configuration")}]
        except Exception:
            return None
    return [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture",
                                    "threading_layer")} for p in threadpool_info()]


def save_results(out_dir: str, tag: str, md: str, data: dict) -> str:
    """Write a standalone study's ``<machine>-<date>-<tag>.md`` and ``.json`` (``data["date"]``)
    under ``out_dir``; returns the path without its extension."""
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, f"{machine_name()}-{data['date']}-{tag}")
    with open(base + ".md", "w") as f:
        f.write(md)
    with open(base + ".json", "w") as f:
        json.dump(data, f, indent=1, default=str)
    return base


def loadavg():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def machine_info() -> dict:
    flags = _cpu_flags()
    simd = [f for f in ("avx512f", "avx2", "avx", "sse4_2", "neon", "asimd") if f in flags]
    return {
        "hostname": socket.gethostname(),
        "cpu": _cpu_model(),
        "cores": cpu_count(),
        "simd": simd,
        "memory_gib": _mem_gib(),
        "platform": platform.platform(),
        "versions": versions(),
        "env": {k: v for k, v in sorted(os.environ.items()) if k.startswith(ENV_PREFIXES)},
        "blas": blas_info(),
    }
