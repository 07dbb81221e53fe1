"""``export``: trace, optimise and compile a function ahead of time.

Writes, into ``out_dir``:

* ``lib<name>.so`` -- the shared library (needs only libc, libm, pthreads),
* ``<name>.h`` -- its C99 header (see :mod:`.header`),
* ``<name>.json`` -- the manifest (see :mod:`.manifest`), also embedded in the library,
* ``<name>.sha256`` -- the library's SHA-256 in ``sha256sum`` format (``sha256sum -c`` reads
  it), which the loader checks before it maps the library (the embedded manifest cannot
  hold it: it would have to hash itself),
* ``<name>.o`` -- the position-independent object code the library is linked from
  (kept: it can be linked statically into a program, or by hand when no C
  compiler was found).

An argument the function assigns into becomes an in/out parameter: the program's
extra last results (its final values, :attr:`xlaish.trace.tracing.Traced.mutated`)
are written back into that argument's buffer by the library (see :mod:`.llvmgen`),
and the manifest marks it ``"inout"``.

Linking runs the system C compiler: ``cc=`` if given, else ``$CC``, else the
first of ``cc``, ``gcc``, ``clang`` on the ``PATH``. Without one,
:class:`~xlaish.aot.errors.LinkError` says so (and how to link) after the
object, header and manifest were written.

llvmlite is imported only when ``export`` runs, never by ``import xlaish``.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass

from .. import config
from ..runtime import lapack as _lapack
from . import header as _header
from . import manifest as _manifest
from . import targets as _targets
from .errors import LinkError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_C_RESERVED = set("""auto break case char const continue default do double else enum extern float for
goto if inline int long register restrict return short signed sizeof static struct switch typedef
union unsigned void volatile while _Bool _Complex _Imaginary bool true false class new delete this
template typename namespace operator private public protected virtual friend try catch throw
main malloc free memcpy sysconf pthread_create pthread_join""".split())


@dataclass(frozen=True)
class ExportPaths:
    """Where :func:`export` wrote its files (``library`` is None when ``link=False``)."""
    library: str | None
    header: str
    manifest: str
    object: str
    name: str

    def __iter__(self):
        return iter((self.library, self.header, self.manifest))


def _library_filename(name: str) -> str:
    return f"lib{name}.dylib" if sys.platform == "darwin" else f"lib{name}.so"


def find_cc(cc: str | None = None) -> tuple[list | None, str]:
    """-> (compiler command or None, what was looked for)."""
    if cc is None:
        cc = config.c_compiler()
    if cc:
        cmd = shlex.split(cc)
        return (cmd if cmd and shutil.which(cmd[0]) else None), f"{cc!r} (from cc= / $CC)"
    for cand in ("cc", "gcc", "clang"):
        if shutil.which(cand):
            return [cand], "cc, gcc, clang"
    return None, "cc, gcc, clang on the PATH ($CC unset)"


def link_command(cc: list, lib: str, obj: str) -> list:
    if sys.platform == "darwin":
        return cc + ["-dynamiclib", "-o", lib, obj, "-lm", "-lpthread"]
    return cc + ["-shared", "-o", lib, obj, "-lm", "-lpthread",
                 f"-Wl,-soname,{os.path.basename(lib)}", "-Wl,-z,noexecstack"]


def _type_text(tree: dict, types: list) -> str:
    it = iter(types)

    def go(t):
        k = t["kind"]
        if k == "leaf":
            return str(next(it))
        if k == "none":
            return "None"
        kids = [go(c) for c in t["children"]]
        if k == "dict":
            return "{" + ", ".join(f"{key!r}: {v}" for key, v in zip(t["keys"], kids)) + "}"
        if k == "list":
            return "[" + ", ".join(kids) + "]"
        return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"

    return go(tree)


def _target_json(target: str, variants: list, triple: str) -> dict:
    """The manifest's ``target``: the floor's requirements at the top level (what the library needs
    to run at all), each variant in ``variants`` (floor first)."""
    floor = variants[0]
    x86 = floor.x86
    checked = x86 and any(t.required for t in variants)
    desc = floor.description if len(variants) == 1 else (
        f"{len(variants)} variants, {', '.join(t.name for t in variants)}: the first call runs the "
        f"highest one this CPU supports")
    return {
        "name": target,
        "description": desc,
        "triple": triple,
        "cpu": floor.cpu,
        "llvm_features": floor.llvm_features,
        "features_required": floor.required,
        "features_unchecked": floor.unchecked,
        "os_state_xcr0": floor.os_state_mask(),
        "floor": floor.name,
        "variants": [{"variant": t.variant, "name": t.name, "description": t.description,
                      "cpu": t.cpu, "llvm_features": t.llvm_features,
                      "features_required": t.required, "features_unchecked": t.unchecked,
                      "os_state_xcr0": t.os_state_mask()} for t in reversed(variants)],
        "cpu_check": ("first call (or <name>_variant()): cpuid/xgetbv pick the highest variant whose "
                      "features are all present, unless $XLAISH_AOT_VARIANT forces one; the choice is "
                      "memoised in one static byte; below the floor every call returns 1")
        if checked else ("none (one variant; $XLAISH_AOT_VARIANT may only name it)"),
    }


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _IDENT.match(name) or name in _C_RESERVED:
        raise ValueError(f"export name {name!r} must be a C identifier that is not a keyword or a "
                         f"libc function (pass name=...)")
    if _process_symbol(name):
        raise ValueError(f"export name {name!r} is already a symbol of the C or math library: the "
                         f"library would take its place in programs linking both (pass name=...)")
    return name


def _process_symbol(name: str) -> bool:
    """Does the C library or libm (as loaded in this process) define ``name``?"""
    import ctypes
    import ctypes.util
    for lib in (None, ctypes.util.find_library("m")):
        try:
            if hasattr(ctypes.CDLL(lib), name):
                return True
        except OSError:
            continue
    return False


def _prepare(fun, args, kwargs, static_argnums, static_argnames, fuse):
    """-> (argspec, dynamic args, static args, Traced, optimised Function)."""
    from ..compiler import optimize
    from ..jit import JitFunction
    from ..trace.tracing import ArgSpec, trace
    if isinstance(fun, JitFunction):
        argspec, options = fun.argspec, dict(fun.options)
    else:
        argspec = ArgSpec(fun, static_argnums, static_argnames)
        options = {"fuse": bool(fuse), "passes": None}
    dyn, static = argspec.split(tuple(args), dict(kwargs or {}))
    traced = trace(argspec, dyn, static)
    return argspec, dyn, static, traced, optimize(traced.function, options)


def export(fun, args=(), kwargs=None, *, out_dir=".", name=None, target=_targets.DEFAULT_TARGET,
           features=None, static_argnums=(), static_argnames=(), fuse=True, cc=None,
           link=True) -> ExportPaths:
    """Compile ``fun`` for the argument shapes/dtypes in ``args`` into a shared library and header.

    ``args`` (and ``kwargs``) are example arrays or :class:`xlaish.ShapeDtype`
    leaves in any pytree; static arguments take their real values.
    ``target``: ``"multi"`` (default: the code compiled for x86-64-v2, v3 and v4 in
    one library, which runs the best one the CPU supports; see :mod:`.targets`),
    one level (``"x86-64"``, ``"x86-64-v2"`` ... ``"x86-64-v4"``), a comma list of
    levels, or ``"host"`` (every feature of this CPU); ``features`` adds LLVM
    features (``"+avx512f"``) to every variant, which the library then also
    checks at call time. Returns :class:`ExportPaths`.
    """
    import numpy as np

    from .._version import __version__
    from ..ir.printer import print_function
    from ..trace.tracing import ShapeDtype
    if isinstance(args, (ShapeDtype, np.ndarray)):
        args = (args,)
    if name is not None:
        _check_name(name)
    argspec, dyn, static, traced, opt = _prepare(fun, args, kwargs, static_argnums,
                                                 static_argnames, fuse)
    if name is None:
        name = _check_name(argspec.name)
    import llvmlite.binding as llvm

    from . import llvmgen
    triple = llvmgen.default_triple()
    host_cpu, host_feats = llvmgen.host_cpu() if target == "host" else (None, None)
    variants = _targets.resolve_variants(target, features, triple=triple, host_cpu=host_cpu,
                                         host_features=host_feats)

    in_tree = _manifest.tree_to_json(traced.in_tree)
    out_tree = _manifest.tree_to_json(traced.out_tree)
    arg_names = list(dyn)
    paths = []
    for key, child in zip(arg_names, in_tree.get("children", [])):
        paths += _manifest.leaf_paths(child, key)
    res_paths = _manifest.leaf_paths(out_tree, "result")
    # an argument the function assigns into is in/out: the program's last results are the final
    # values of those arguments (in this order), which the library writes back into their buffers
    inout = [k for k, _ in traced.mutated]
    nres = len(opt.results) - len(inout)
    if len(paths) != len(opt.params) or len(res_paths) != nres:
        raise AssertionError("pytree leaves do not match the program's parameters/results")
    ranges = {pos: (lo, hi, name) for pos, lo, hi, name in traced.int_bounds}
    arg_entries = [_manifest.leaf_entry(f"arg{k}", p, v.type, s.weak, ranges.get(k), k in inout)
                   for k, (p, v, s) in enumerate(zip(paths, opt.params, traced.in_specs))]
    res_entries = [_manifest.leaf_entry(f"out{k}", p, v.type)
                   for k, (p, v) in enumerate(zip(res_paths, opt.results))]
    ir_text = print_function(opt)
    ptypes, parts, k = [v.type for v in opt.params], [], 0
    for n, child in zip(arg_names, in_tree.get("children", [])):
        nl = _manifest.num_leaves(child)
        parts.append(f"{n}: {_type_text(child, ptypes[k:k + nl])}")
        k += nl
    sig = f"{name}({', '.join(parts)}) -> {_type_text(out_tree, [v.type for v in opt.results[:nres]])}"
    if inout:
        sig += f"; in/out: {', '.join(paths[k] for k in inout)}"

    def make_manifest(layout) -> str:
        checks = [str(c) for c in getattr(layout, "checks", [])]
        sc = llvmgen.sysconf_nprocessors(triple)
        if layout.parallel and sc is not None:
            from ..codegen.cpu.program import PARALLEL_MIN_WORK
            policy = (f"kernels with at least {PARALLEL_MIN_WORK} elements of work are split over "
                      "sysconf(_SC_NPROCESSORS_ONLN) POSIX threads (read on every call, at most 64; "
                      "the calling thread takes a share); smaller ones run on the calling thread.")
        else:
            policy = "every kernel runs on the calling thread (no threads are started)."
        m = {
            "format": _manifest.FORMAT_INOUT if inout else _manifest.FORMAT,
            "name": name,
            "symbol": name,
            "manifest_symbol": f"{name}_manifest",
            "checked_symbol": f"{name}_checked",
            "library": _library_filename(name),
            "header": f"{name}.h",
            "manifest": f"{name}.json",
            "xlaish_version": __version__,
            "llvm_version": ".".join(map(str, llvm.llvm_version_info)),
            "python_function": getattr(argspec.fun, "__qualname__", argspec.name),
            "python_signature": sig,
            "arg_names": arg_names,
            "static_args": {k: repr(v) for k, v in static},
            "target": _target_json(target, variants, triple),
            "threads": {"parallel": bool(layout.parallel), "policy": policy},
            "return_codes": dict(_manifest.RETURN_CODES, **(
                {f"{_manifest.CHECK_BASE}+i": "xl.debug.check number i failed (message: checks[i]); "
                                              "outputs are incomplete"
                                              + ("; in/out arguments are unchanged" if inout else "")}
                if checks else {})),
            "checks": checks,
            "args": arg_entries,
            "results": res_entries,
            "in_tree": in_tree,
            "out_tree": out_tree,
            "kernels": len(layout.kernels),
            "ir_sha256": hashlib.sha256(ir_text.encode()).hexdigest(),
            "lapack": _lapack.manifest_entry(opt),
        }
        return _manifest.to_json(m)

    texts = {}

    def manifest_hook(layout):          # the manifest needs the layout; the module embeds it
        texts["manifest"] = make_manifest(layout)
        return texts["manifest"]

    obj, _ = llvmgen.build_library(opt, name, variants, triple, manifest_hook, inout)
    lapack_link = _lapack.aot_link_args(opt)      # np.linalg kernels: link NumPy's LAPACK by path
    mdict = json.loads(texts["manifest"])
    os.makedirs(out_dir, exist_ok=True)
    p_obj = os.path.join(out_dir, f"{name}.o")
    p_h = os.path.join(out_dir, f"{name}.h")
    p_json = os.path.join(out_dir, f"{name}.json")
    p_lib = os.path.join(out_dir, mdict["library"])
    with open(p_obj, "wb") as f:
        f.write(obj)
    with open(p_h, "w") as f:
        f.write(_header.render(mdict))
    with open(p_json, "w") as f:
        f.write(texts["manifest"])
    if not link:
        return ExportPaths(None, p_h, p_json, p_obj, name)
    ccmd, looked = find_cc(cc)
    if ccmd is None:
        hint = " ".join(link_command(["cc"], p_lib, p_obj) + lapack_link)
        raise LinkError(f"xlaish export: no C compiler found to link {p_lib} (looked for {looked}). "
                        f"The object file {p_obj}, header {p_h} and manifest {p_json} were written; "
                        f"link them with: {hint}", p_obj, p_h, hint)
    cmd = link_command(ccmd, p_lib, p_obj) + lapack_link
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise LinkError(f"xlaish export: could not run the C compiler {ccmd[0]!r}: {e}. "
                        f"{p_obj} and {p_h} were written.", p_obj, p_h, " ".join(cmd)) from None
    if proc.returncode != 0:
        raise LinkError(f"xlaish export: linking failed ({' '.join(cmd)}):\n{proc.stderr.strip()}\n"
                        f"{p_obj} and {p_h} were written.", p_obj, p_h, " ".join(cmd))
    with open(p_lib, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(out_dir, f"{name}.sha256"), "w") as f:
        f.write(f"{digest}  {os.path.basename(p_lib)}\n")
    return ExportPaths(p_lib, p_h, p_json, p_obj, name)
