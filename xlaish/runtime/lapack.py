"""The LAPACK compiled programs call: which library, which symbol names, which integer width.

The one owner of that fact. xlaish ships no LAPACK; it uses the one NumPy already loads:
NumPy's wheels bundle OpenBLAS (with LAPACK) as ``numpy.libs/libscipy_openblas64_-*.so``, an
ILP64 build (64-bit integers) whose Fortran routines are exported as ``scipy_dgetrf_64_``.
When that library is not there (NumPy built against another BLAS), SciPy's bundled
``scipy.libs/libscipy_openblas-*.so`` (LP64: 32-bit integers, ``scipy_dgetrf_``) is used;
without either, programs that need LAPACK raise UnsupportedError when compiled.

Compiled code never names the library's symbols: kernels call ``xl_lapack<bits>_<routine>``
(``xl_lapack64_dgetrf``: the integer width is part of the name, so object code cached for
one width never binds to a library of the other), and :func:`symbols_for` tells MCJIT's
resolver the addresses (``llvm.add_symbol``) before an object file naming them is loaded. The
Fortran ABI is used: every argument by pointer, a hidden ``size_t`` length after the arguments
per character argument.

Workspace sizes (``lwork``) are asked of the library when the kernel is generated
(:func:`workspace`, LAPACK's ``lwork = -1`` query) and baked into the kernel, as its sizes are
static.
"""
from __future__ import annotations

import ctypes
import glob
import os
import threading

import numpy as np

from ..errors import UnsupportedError

ROUTINES = ("gesv", "getrf", "potrf", "syevd", "gesdd", "geqrf", "orgqr")
PREFIX = "xl_lapack"
_lock = threading.Lock()
_found = None                 # (path, CDLL, real-name(routine) -> str, int bits) once found
_registered = False


def _candidates():
    """(library path, [(prefix, suffix, int bits)]) in order of preference."""
    out = []
    try:
        import numpy
        d = os.path.join(os.path.dirname(os.path.dirname(numpy.__file__)), "numpy.libs")
        for p in sorted(glob.glob(os.path.join(d, "libscipy_openblas64_*.so*"))):
            out.append((p, [("scipy_", "_64_", 64), ("", "_64_", 64)]))
    except Exception:     # noqa: BLE001
        pass
    try:
        import importlib.util
        spec = importlib.util.find_spec("scipy")
        if spec is not None and spec.origin:
            d = os.path.join(os.path.dirname(os.path.dirname(spec.origin)), "scipy.libs")
            for p in sorted(glob.glob(os.path.join(d, "libscipy_openblas*.so*"))):
                ilp = "openblas64" in os.path.basename(p)
                out.append((p, [("scipy_", "_64_", 64), ("", "_64_", 64)] if ilp
                            else [("scipy_", "_", 32), ("", "_", 32)]))
    except Exception:     # noqa: BLE001
        pass
    return out


def find():
    """(path, CDLL, {routine name such as 'dgetrf': real symbol}, int bits); raises
    UnsupportedError when no usable LAPACK is found."""
    global _found
    if _found is not None:
        return _found
    with _lock:
        if _found is not None:
            return _found
        for path, schemes in _candidates():
            try:
                lib = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError:
                continue
            for pre, suf, bits in schemes:
                names = {f"{t}{r}": f"{pre}{t}{r}{suf}" for t in "sd" for r in ROUTINES}
                if all(hasattr(lib, n) for n in names.values()):
                    _found = (path, lib, names, bits)
                    return _found
        raise UnsupportedError("xlaish: np.linalg decompositions on the CPU need LAPACK, and no "
                               "library was found (looked for NumPy's bundled OpenBLAS in numpy.libs "
                               "and SciPy's in scipy.libs)")


def int_bits() -> int:
    return find()[3]


def symbol(routine: str) -> str:
    """The name compiled code calls for ``routine`` ('dgetrf'), bound by :func:`symbols_for`."""
    return f"{PREFIX}{int_bits()}_{routine}"


def library_path() -> str:
    return find()[0]


def real_symbols() -> dict:
    """{name compiled code calls: the library's exported name} (for AOT linking)."""
    _, _, names, bits = find()
    return {f"{PREFIX}{bits}_{r}": n for r, n in names.items()}


def symbols_for(obj: bytes) -> None:
    """Register the LAPACK addresses with MCJIT's resolver if the object code calls any."""
    global _registered
    if _registered or PREFIX.encode() not in obj:
        return
    import llvmlite.binding as llvm
    _, lib, names, bits = find()
    with _lock:
        if _registered:
            return
        for r, n in names.items():
            llvm.add_symbol(f"{PREFIX}{bits}_{r}", ctypes.cast(getattr(lib, n), ctypes.c_void_p).value)
        _registered = True


def _ref(v, ct):
    return ctypes.byref(ct(v))


def workspace(routine: str, dtype, *dims, jobz="S") -> tuple[int, int]:
    """(lwork, liwork) the library asks for (``lwork = -1`` query), for routine ``syevd``
    (dims: n), ``gesdd`` (m, n; ``jobz``), ``geqrf`` (m, n), ``orgqr`` (m, n, k); liwork is 0 where the
    routine has no integer workspace query."""
    _, lib, names, bits = find()
    it = ctypes.c_int64 if bits == 64 else ctypes.c_int32
    ft = ctypes.c_double if np.dtype(dtype) == np.float64 else ctypes.c_float
    t = "d" if np.dtype(dtype) == np.float64 else "s"
    fn = getattr(lib, names[t + routine])
    work, iwork, info = ft(0), it(0), it(0)
    one = ctypes.c_size_t(1)
    dummy = (ft * 1)()
    m1 = _ref(-1, it)
    if routine == "syevd":
        (n,) = dims
        ld = max(1, n)
        fn(ctypes.c_char_p(b"V"), ctypes.c_char_p(b"U"), _ref(n, it), dummy, _ref(ld, it), dummy,
           ctypes.byref(work), m1, ctypes.byref(iwork), _ref(-1, it), ctypes.byref(info), one, one)
        return max(1, int(work.value)), max(1, int(iwork.value))
    if routine == "gesdd":
        m, n = dims
        fn(ctypes.c_char_p(jobz.encode()), _ref(m, it), _ref(n, it), dummy, _ref(max(1, m), it), dummy,
           dummy, _ref(max(1, m), it), dummy, _ref(max(1, n), it), ctypes.byref(work), m1,
           (it * 1)(), ctypes.byref(info), one)
        return max(1, int(work.value)), 0
    if routine == "geqrf":
        m, n = dims
        fn(_ref(m, it), _ref(n, it), dummy, _ref(max(1, m), it), dummy, ctypes.byref(work), m1,
           ctypes.byref(info))
        return max(1, int(work.value)), 0
    if routine == "orgqr":
        m, n, k = dims
        fn(_ref(m, it), _ref(n, it), _ref(k, it), dummy, _ref(max(1, m), it), dummy,
           ctypes.byref(work), m1, ctypes.byref(info))
        return max(1, int(work.value)), 0
    raise ValueError(routine)


# ---- AOT libraries -------------------------------------------------------------------------------
def uses_lapack(fn) -> bool:
    """Does an optimised function (fused regions included) hold a LAPACK op?"""
    from ..ir.ops.lapack import LAPACK
    stack = [fn]
    while stack:
        f = stack.pop()
        for op in f.ops:
            if op.opdef.has(LAPACK):
                return True
            stack.extend(op.regions)
    return False


def manifest_entry(fn):
    """What an exported library's manifest records about its LAPACK dependency (None: none)."""
    if not uses_lapack(fn):
        return None
    path, _, _, bits = find()
    return {"library": path, "integer_bits": bits, "symbols": sorted(real_symbols().values()),
            "linked": "by path, with an rpath to its directory (the library must stay there)"}


def bind_for_aot(module) -> None:
    """An exported library calls the LAPACK routines by their real names: give each
    ``xl_lapack*`` declaration of the llvmlite ``module`` (one per CPU variant of the library) an
    internal body that calls the library's exported routine (see :func:`aot_link_args`)."""
    from llvmlite import ir
    decls = [f for f in module.functions if f.name.startswith(PREFIX) and f.is_declaration]
    if not decls:
        return
    real = real_symbols()
    for f in decls:
        target = ir.Function(module, f.function_type, name=real[f.name])
        f.linkage = "internal"
        b = ir.IRBuilder(f.append_basic_block("entry"))
        b.call(target, list(f.args))
        b.ret_void()


def aot_link_args(fn) -> list[str]:
    """The linker arguments of an exported library of the program ``fn``: NumPy's LAPACK by path,
    with an rpath to its directory; [] when the program calls no LAPACK."""
    if not uses_lapack(fn):
        return []
    path = library_path()
    return [path, f"-Wl,-rpath,{os.path.dirname(path)}"]
