"""What of NumPy's public API works inside ``xlaish.jit``, computed from the code.

Every public function and ufunc of ``numpy``, ``numpy.linalg`` and ``numpy.fft`` is either
*supported* (``xlaish.numpy`` / ``xlaish.numpy.linalg`` / ``xlaish.numpy.fft`` implement it, or it is a
ufunc with an op or a composition) or listed in ``NOT_SUPPORTED`` under the
reason it is not. ``tests/numpy/test_coverage.py`` fails when a NumPy name is in
neither (so a NumPy upgrade or a removed function shows up), and when the
README's coverage section differs from :func:`markdown` (the README is
generated: ``python -m xlaish.numpy.coverage``).
"""
from __future__ import annotations

import sys

import numpy as np

NOT_SUPPORTED: dict[str, tuple[str, ...]] = {
    "the result's shape depends on the values (use a static alternative: `np.where(mask, x, 0)`)": (
        "argwhere", "flatnonzero", "nonzero", "extract", "unique", "unique_all",
        "unique_counts", "unique_inverse", "unique_values", "intersect1d", "union1d", "setdiff1d",
        "setxor1d", "trim_zeros", "polymul", "polydiv", "real_if_close"),
    "several-dimensional bin counting not written yet (histogram2d/dd: a bin search per axis and "
    "a scatter-add)": (
        "histogram2d", "histogramdd"),
    "bit packing not written yet (the result's last axis is 8 times shorter or longer: a "
    "reshape, shifts and a sum)": (
        "packbits", "unpackbits"),
    "eigenvalues of non-symmetric matrices (complex results: needs complex dtypes and LAPACK's "
    "geev)": (
        "linalg.eig", "linalg.eigvals", "roots", "poly"),
    "not written yet (compositions of solve / inv / lstsq with reshapes)": (
        "linalg.tensorinv", "linalg.tensorsolve", "polyfit"),
    "Hermitian-input transforms not written yet (`hfft` is `irfft` of the conjugate times n, "
    "`ihfft` the conjugate of `rfft` over n)": (
        "fft.hfft", "fft.ihfft"),
    "takes shapes, sizes or dtypes, not arrays: called with Python values it runs as NumPy "
    "while tracing and gives a constant": (
        "indices", "tri", "tril_indices", "triu_indices", "diag_indices", "mask_indices", "bartlett",
        "blackman", "hamming", "hanning", "kaiser", "geomspace", "logspace", "fromfunction",
        "broadcast_shapes", "ix_", "base_repr", "binary_repr", "typename", "mintypecode",
        "min_scalar_type", "promote_types", "issubdtype", "isdtype", "common_type", "einsum_path",
        "iterable", "diag_indices_from", "tril_indices_from", "triu_indices_from"),
    "printing, error state and configuration": (
        "array2string", "array_repr", "array_str", "format_float_positional",
        "format_float_scientific", "printoptions", "set_printoptions", "get_printoptions",
        "getbufsize", "setbufsize", "geterr", "seterr", "geterrcall", "seterrcall", "get_include",
        "show_config", "show_runtime", "info", "test"),
    "files, buffers and memory layout (the compiled code owns layout)": (
        "load", "save", "savez", "savez_compressed", "loadtxt", "savetxt", "genfromtxt", "fromfile",
        "fromregex", "fromstring", "frombuffer", "fromiter", "from_dlpack", "shares_memory",
        "may_share_memory", "nested_iters", "require", "asmatrix", "bmat", "asanyarray",
        "asfortranarray", "asarray_chkfinite", "isfortran"),
    "datetime arrays": (
        "busday_count", "busday_offset", "is_busday", "datetime_as_string", "datetime_data", "isnat"),
    "calls back into arbitrary Python per element or slice": (
        "apply_along_axis", "apply_over_axes", "frompyfunc", "piecewise"),
}


def public_names() -> list[str]:
    """NumPy's public functions and ufuncs (classes excluded), ``linalg.`` prefixed for numpy.linalg,
    ``fft.`` for numpy.fft.
    Top-level names outside ``numpy.__all__`` are not NumPy's (numexpr, once imported, plants
    ``numpy.expm1x``), so the table does not change with what else the process imported."""
    out = []
    for prefix, mod in (("", np), ("linalg.", np.linalg), ("fft.", np.fft)):
        for n in mod.__all__:        # the declared API: dir() also shows attributes imports add
            obj = getattr(mod, n, None)
            if n.startswith("_") or not callable(obj) or isinstance(obj, type):
                continue
            if mod is np and n not in np.__all__:
                continue
            out.append(prefix + n)
    return sorted(out)


def _numpy_object(name):
    if name.startswith("fft."):
        return getattr(np.fft, name[4:])
    return getattr(np.linalg, name[7:]) if name.startswith("linalg.") else getattr(np, name)


def is_supported(name: str) -> bool:
    from . import _GUFUNCS, _MORE_UFUNCS, _UFUNCS, fft, linalg
    obj = _numpy_object(name)
    if isinstance(obj, np.ufunc):
        u = obj.__name__
        return u in _UFUNCS or u in _GUFUNCS or u in _MORE_UFUNCS
    if name.startswith("linalg."):
        return callable(getattr(linalg, name[7:], None))
    if name.startswith("fft."):
        return callable(getattr(fft, name[4:], None))
    return callable(getattr(sys.modules["xlaish.numpy"], name, None))


def classify() -> dict[str, list[str]]:
    """``{"supported": [...], reason: [...], "unclassified": [...]}`` over :func:`public_names`."""
    reason_of = {n: r for r, names in NOT_SUPPORTED.items() for n in names}
    out: dict[str, list[str]] = {"supported": []}
    for r in NOT_SUPPORTED:
        out[r] = []
    out["unclassified"] = []
    for n in public_names():
        if is_supported(n):
            out["supported"].append(n)
        else:
            out[reason_of.get(n, "unclassified")].append(n)
    return out


def markdown() -> str:
    c = classify()
    total = sum(len(v) for v in c.values())
    lines = [f"Of NumPy {np.__version__}'s {total} public functions and ufuncs (`numpy`, "
             f"`numpy.linalg` and `numpy.fft`), **{len(c['supported'])} work inside `jit`**; "
             f"the rest, by reason:", "",
             "| reason | count | functions |", "|---|---|---|"]
    for reason in NOT_SUPPORTED:
        names = c[reason]
        if names:
            lines.append(f"| {reason} | {len(names)} | {', '.join(f'`{n}`' for n in names)} |")
    if c["unclassified"]:
        lines.append(f"| not classified yet | {len(c['unclassified'])} | "
                     f"{', '.join(f'`{n}`' for n in c['unclassified'])} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
