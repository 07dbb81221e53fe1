"""The implementations: how each library runs a workload, on the CPU or on a CUDA device.

An :class:`Impl` turns a :class:`~benchmarks.workloads.Workload` into a callable
(``build(w)``), moves the inputs where it computes (``prepare``), waits for its result
(``sync``) and reads it back for the check (:func:`to_host`). ``build`` returns None when the
library has no version of the workload (reported ``n/a``, with the reason).

CPU (``device="cpu"``): ``xlaish`` (``xlaish.jit`` of the NumPy spelling), ``xlaish-unfused``
(``fuse=False``), ``numpy`` (the reference), ``numexpr`` and ``numba`` (the separately written
versions of :mod:`benchmarks.baselines`), ``jax`` (``jax.jit`` of the ``jax.numpy`` spelling).
CUDA (``device="cuda"``): ``xlaish-cuda``, ``xlaish-cuda-unfused``, ``numpy`` (on the host, the
reference and the baseline), ``cupy`` (the CuPy spelling), ``jax`` (on the GPU). Device
implementations take device-resident inputs and are synchronised once per timed batch (their
calls are ordered on one stream); CPU implementations are synchronised after every call.
"""
from __future__ import annotations

import importlib.util

import numpy as np

from . import backends

IMPL_NOTES = {
    "xlaish": "`xlaish.jit(f)` of the NumPy spelling: traced, optimised, fused, LLVM; multi-threaded",
    "xlaish-unfused": "`xlaish.jit(f, fuse=False)`: same compiler, one kernel per op",
    "numpy": "the NumPy spelling run by NumPy (single-threaded, except BLAS matmul); training "
             "steps: the backward pass written out by hand",
    "numexpr": "`numexpr.evaluate` (multi-threaded); row-wise and matmul workloads are hybrids with "
               "NumPy reductions / BLAS; no erf, so Black-Scholes uses the A&S 7.1.26 approximation",
    "numba": "`@numba.njit(parallel=True)` explicit loops, no fastmath; matmuls call BLAS via `@`",
    "jax": "`jax.jit` of the `jax.numpy` spelling, timed with `block_until_ready`",
    "xlaish-cuda": "`xlaish.jit(f, device=\"cuda\")`, device-resident inputs",
    "xlaish-cuda-unfused": "`xlaish.jit(f, device=\"cuda\", fuse=False)`",
    "cupy": "the CuPy spelling (`xp=cupy`), device-resident inputs",
}


class Impl:
    """One way of running a workload: ``build(workload) -> callable | None``."""

    def __init__(self, name, build, *, prepare=None, sync=None, sync_each=True, available=True,
                 reason=""):
        self.name = name
        self.build = build
        self.prepare = prepare or (lambda args: args)
        self.sync = sync or (lambda out: out)
        self.sync_each = sync_each     # False: calls are stream-ordered, sync once per batch
        self.available = available
        self.reason = reason


def bind(w, xp):
    """``w.fn`` with ``xp`` fixed, named after the workload (for compile logs and reports); None
    when ``w`` needs what the namespace lacks (autodiff)."""
    if "grad" in w.needs and xp.value_and_grad is None:
        return None
    fn = w.fn

    def f(*args):
        return fn(*args, xp=xp)
    f.__name__ = f.__qualname__ = w.name
    return f


def try_import(name):
    try:
        return __import__(name), None
    except Exception as e:  # ImportError, or a broken install
        return None, f"{name} is not installed" if isinstance(e, ImportError) else f"{name}: {e}"


def _unavailable(name, reason):
    return Impl(name, lambda w: None, available=False, reason=reason)


def _versions_impl(name, versions_fn, module, reason):
    if module is None:
        return _unavailable(name, reason)
    cache = {}

    def build(w):
        if "v" not in cache:
            cache["v"] = versions_fn(module)
        return cache["v"].get(w.kernel)
    return Impl(name, build)


def _numpy_impl():
    return Impl("numpy", lambda w: w.numpy or bind(w, backends.numpy_backend()))


class Unavailable(Exception):
    """Raised by ``build`` when the library turns out to be unusable (reported ``unavailable``)."""


def _jax_impl(device):
    """JAX is imported at its first build, so that listing the implementations starts no JAX
    threads; with ``device="cuda"`` the build says it is unavailable when JAX sees no GPU."""
    if importlib.util.find_spec("jax") is None:
        return _unavailable("jax", "jax is not installed")

    def build(w):
        import jax
        if device == "cuda" and not any(d.platform == "gpu" for d in jax.devices()):
            raise Unavailable("jax has no GPU device")
        impl.prepare = lambda args: tuple(jax.device_put(a) for a in args)
        impl.sync = jax.block_until_ready
        f = bind(w, backends.jax_backend())
        return None if f is None else jax.jit(f)
    impl = Impl("jax", build, sync_each=device != "cuda")
    return impl


def cpu_impls() -> list[Impl]:
    import xlaish as xl

    from . import baselines
    ne, ne_reason = try_import("numexpr")
    nb, nb_reason = try_import("numba")
    xp = backends.xlaish_backend()
    return [
        Impl("xlaish", lambda w: xl.jit(bind(w, xp))),
        Impl("xlaish-unfused", lambda w: xl.jit(bind(w, xp), fuse=False)),
        _numpy_impl(),
        _versions_impl("numexpr", baselines.numexpr_versions, ne, ne_reason),
        _versions_impl("numba", baselines.numba_versions, nb, nb_reason),
        _jax_impl("cpu"),
    ]


def cuda_impls() -> list[Impl]:
    from numba import cuda

    import xlaish as xl
    xp = backends.xlaish_backend()

    def sync(out):
        cuda.synchronize()
        return out

    def to_device(args):
        return tuple(cuda.to_device(a) for a in args)

    def xl_impl(name, fuse):
        return Impl(name, lambda w: xl.jit(bind(w, xp), device="cuda", fuse=fuse), prepare=to_device,
                    sync=sync, sync_each=False)
    impls = [xl_impl("xlaish-cuda", True), xl_impl("xlaish-cuda-unfused", False), _numpy_impl()]
    cp, cp_reason = try_import("cupy")
    if cp is None:
        impls.append(_unavailable("cupy", cp_reason))
    else:
        def cp_sync(out):
            cp.cuda.get_current_stream().synchronize()
            return out
        impls.append(Impl("cupy", lambda w: bind(w, backends.cupy_backend()),
                          prepare=lambda args: tuple(cp.asarray(a) for a in args), sync=cp_sync,
                          sync_each=False))
    impls.append(_jax_impl("cuda"))
    return impls


def make_impls(device: str) -> list[Impl]:
    return cuda_impls() if device == "cuda" else cpu_impls()


def to_host(out) -> list[np.ndarray]:
    """The outputs of any implementation as a list of host NumPy arrays."""
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    res = []
    for o in outs:
        if hasattr(o, "copy_to_host"):          # Numba device array
            o = o.copy_to_host()
        elif type(o).__module__.startswith("cupy"):
            o = o.get()
        res.append(np.asarray(o))
    return res
