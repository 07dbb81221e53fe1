"""The jit's signature caches and their diagnostics (split from :mod:`xlaish.jit`).

``_Signatures`` is one function's bounded (LRU) cache of compiled signatures with its fast-path
runners; ``_shared_entry`` finds the one every ``jit`` of the same function (and options)
shares, held weakly by the function; the rest turns signatures into text for the explanation
of a recompile (``XLAISH_EXPLAIN_CACHE_MISSES``), the compile log (``XLAISH_LOG_COMPILES``)
and :class:`RecompileWarning`.
"""
from __future__ import annotations

import collections
import functools
import threading
import types
import weakref

from . import config
from .options import CompileOptions
from .trace import pytree


def _type_sig(v):
    """The types inside a static value (tuples walked: static values are hashable), for the
    cache key."""
    if isinstance(v, (tuple, list)):
        return (type(v), tuple(_type_sig(x) for x in v))
    return type(v)


# ---- diagnostics: signatures as text, the explanation of a recompile, the compile log ---------
def _signature_text(names, tree, specs, static) -> str:
    """``x: float32[8], p: (float32[], float32[3]), n=3``: a signature for people."""
    parts, it = [], iter(specs)
    for name, td in zip(names, tree.children):
        paths = pytree.leaf_paths(td, name)
        leaf = [str(next(it)) for _ in paths]
        if td.kind == "leaf":
            parts.append(f"{name}: {leaf[0]}")
        else:
            tree = f"{name}: {_tree_text(td)}"
            parts.append(tree + " of " + ", ".join(leaf) if leaf else tree)
    parts += [f"{n}={v!r}" for n, v in static]
    return ", ".join(parts)


def _tree_text(td) -> str:
    if td.kind == "leaf":
        return "an array"
    if td.kind == "none":
        return "None"
    if td.kind == "dict":
        return f"a dict with keys {list(td.meta)}"
    return f"a {td.kind} of {len(td.children)}"


def _weak_text(spec) -> str:
    return f"a Python {spec.weak.__name__} (weak type)" if spec.weak else "an array (not weak)"


def _arg_leaves(names, tree, specs) -> dict:
    """name -> (its tree, its leaf paths, its leaf specs)."""
    out, i = {}, 0
    for name, td in zip(names, tree.children):
        n = td.num_leaves
        out[name] = (td, pytree.leaf_paths(td, name), specs[i:i + n])
        i += n
    return out


def _key_diffs(old_key, old_names, new_key, new_names) -> list[str]:
    """How the signature ``new_key`` differs from ``old_key``, one phrase per difference."""
    diffs = []
    otree, ospecs, ostatic, otypes, oopts = old_key
    ntree, nspecs, nstatic, ntypes, nopts = new_key
    if old_names is None or len(old_names) != len(otree.children):
        old_names = tuple(f"argument {i}" for i in range(len(otree.children)))
    old, new = _arg_leaves(old_names, otree, ospecs), _arg_leaves(new_names, ntree, nspecs)
    for name in list(new) + [n for n in old if n not in new]:
        if name not in old:
            diffs.append(f"argument '{name}' is passed (it was left at its default before)")
            continue
        if name not in new:
            diffs.append(f"argument '{name}' is left at its default (it was passed before)")
            continue
        (otd, _, osp), (ntd, paths, nsp) = old[name], new[name]
        if otd != ntd:
            diffs.append(f"argument '{name}': pytree structure changed: "
                         f"{_tree_text(otd)} -> {_tree_text(ntd)}"
                         + (f" ({otd} -> {ntd})" if _tree_text(otd) == _tree_text(ntd) else ""))
            continue
        for path, o, n in zip(paths, osp, nsp):
            what = f"argument '{path}'"
            if o.type.shape != n.type.shape:
                diffs.append(f"{what}: shape {o.type.shape} -> {n.type.shape}")
            if o.type.dtype != n.type.dtype:
                diffs.append(f"{what}: dtype {o.type.dtype} -> {n.type.dtype}")
            if o.weak != n.weak:
                diffs.append(f"{what}: weak type: {_weak_text(o)} -> {_weak_text(n)}")
    os_, ns_ = dict(ostatic), dict(nstatic)
    for name in list(ns_) + [n for n in os_ if n not in ns_]:
        if name not in os_ or name not in ns_:
            diffs.append(f"static argument '{name}' is {'passed' if name in ns_ else 'left at its default'} "
                         f"(it was {'passed' if name in os_ else 'left at its default'} before)")
        elif os_[name] != ns_[name] or _type_sig(os_[name]) != _type_sig(ns_[name]):
            o, n = os_[name], ns_[name]
            types = f" ({type(o).__name__} -> {type(n).__name__})" if type(o) is not type(n) else ""
            diffs.append(f"static argument '{name}': value {o!r} -> {n!r}{types}")
    if oopts != nopts:
        changed = [f"{k} {getattr(oopts, k)!r} -> {getattr(nopts, k)!r}" for k in oopts.keys()
                   if getattr(oopts, k) != getattr(nopts, k)]
        diffs.append("compile options changed: " + ", ".join(changed))
    return diffs


def _explain_miss(name, key, names, items) -> str:
    """Why ``key`` compiles: its differences from the closest of the compiled ``items``."""
    best = None
    for k, low in reversed(items):          # most recently used first
        d = _key_diffs(k, getattr(low, "arg_names", None), key, names)
        if best is None or len(d) < len(best):
            best = d
    bound = config.max_signatures()
    full = (f"; the cache is at its bound of {bound} signatures (XLAISH_MAX_SIGNATURES): the "
            f"least recently used is dropped") if len(items) >= bound else ""
    return (f"{name}: compiling a new signature ({len(items)} compiled{full}); against the closest "
            f"compiled one: " + "; ".join(best or ["an equal signature was evicted"]))


def _compile_log_line(stats: dict) -> str:
    ms = {k: 1e3 * v for k, v in stats.items() if k.endswith("_s")}
    disk = stats.get("disk_cache")
    return (f"compiled {stats['function']}({stats['signature']}) for {stats['device']} in "
            f"{ms['total_s']:.1f} ms: trace {ms['trace_s']:.1f}, passes {ms['passes_s']:.1f}, "
            f"codegen {ms['codegen_s']:.1f}, llvm optimise {ms['llvm_optimize_s']:.1f}, "
            f"llvm emit {ms['llvm_emit_s']:.1f}, load {ms['load_s']:.1f} ms"
            + (f"; disk cache {disk}" if disk else ""))


class RecompileWarning(RuntimeWarning):
    """One function has compiled more signatures than ``XLAISH_RECOMPILE_WARNING`` (default 16)."""


class _Signatures:
    """The compiled signatures of one function under one set of jit options, shared by every
    ``JitFunction`` of that function: least recently used first, bounded by
    ``config.max_signatures()``; the fast-path runners; the options as resolved from the
    environment ``env``. A compile holds its key's lock, so racing first calls compile once.
    Holds nothing that references the function (it is held by the function, weakly)."""
    __slots__ = ("cache", "fast", "mutex", "locks", "env", "resolved", "compiles", "warned",
                 "template", "spec_state", "__weakref__")

    def __init__(self, options: CompileOptions):
        self.cache: collections.OrderedDict = collections.OrderedDict()
        self.fast: dict = {}
        self.mutex = threading.Lock()
        self.locks: dict = {}
        self.env = config.compiled_env_stamp()
        self.resolved = options.resolve()
        self.compiles = 0           # since the last clear (the recompile warning counts these)
        self.warned = False
        self.template = None        # a JitFunction's state less the function (cheap construction)
        self.spec_state = None
        _ALL.add(self)

    def clear(self) -> None:
        with self.mutex:
            self.cache.clear()
            self.fast.clear()
            self.compiles = 0


_ALL: weakref.WeakSet[_Signatures] = weakref.WeakSet()      # every signature cache (clear_caches)

# anchors' ids -> (weak references to the anchors, {jit options: _Signatures}); an entry goes
# when any of its anchors dies (the weak references' callbacks remove it)
_SHARED: dict = {}
_SHARED_LOCK = threading.Lock()


def _anchors(fun):
    """The objects whose lifetime a shared signature cache of ``fun`` follows (their identity
    keys it), or None: ``fun`` gets a cache of its own. A function (closures made by one ``def``
    are distinct objects), a ``functools.partial`` object, or a bound method (its function and
    its instance: ``obj.f`` is a new object at every attribute access)."""
    t = type(fun)
    if t is types.FunctionType or t is functools.partial:
        return (fun,)
    if t is types.MethodType:
        return (fun.__func__, fun.__self__)
    return None


def _drop_shared(ids, ref) -> None:
    entry = _SHARED.get(ids)
    if entry is not None and ref in entry[0]:
        _SHARED.pop(ids, None)


def _shared_entry(fun):
    """``fun``'s dict of shared signature caches (by jit options), or None if it has none."""
    if type(fun) is types.FunctionType:       # the common case, first: one anchor, no lists
        entry = _SHARED.get((id(fun),))
        if entry is not None and entry[0][0]() is fun:
            return entry[1]
    anchors = _anchors(fun)
    if anchors is None:
        return None
    ids = tuple([id(a) for a in anchors])
    entry = _SHARED.get(ids)
    if entry is not None and all(r() is a for r, a in zip(entry[0], anchors)):
        return entry[1]
    with _SHARED_LOCK:
        entry = _SHARED.get(ids)
        if entry is not None and all(r() is a for r, a in zip(entry[0], anchors)):
            return entry[1]
        try:
            refs: list = []
            for a in anchors:
                refs.append(weakref.ref(a, lambda r, ids=ids: _drop_shared(ids, r)))
        except TypeError:           # an instance that takes no weak reference: not shared
            return None
        entry = _SHARED[ids] = (tuple(refs), {}, [None, None])
        return entry[1]


def default_signatures(fun):
    """The shared signatures of ``jit(fun)`` with every option at its default, or None: the
    inline ``xl.jit(f)(x)`` path, without hashing an options key (a code object's hash is
    recomputed at every call). Plain functions only; see :func:`remember_default`."""
    entry = _SHARED.get((id(fun),))
    if entry is not None and entry[0][0]() is fun:
        code, sigs = entry[2]
        if code is fun.__code__:
            return sigs
    return None


def remember_default(fun, sigs) -> None:
    """Record ``sigs`` as ``fun``'s default-options signatures (with the code they are for)."""
    entry = _SHARED.get((id(fun),))
    if entry is not None and entry[0][0]() is fun:
        entry[2][:] = [fun.__code__, sigs]


def _options_key(fun, static_argnums, static_argnames, fuse, passes, device, debug_nans, disk_cache,
                 autograph):
    """The jit options (and the function's code, which can be reassigned) as a hashable key, or
    None if they are not hashable."""
    key = (static_argnums, static_argnames, fuse, passes, device, debug_nans, disk_cache, autograph,
           getattr(fun, "__code__", None))
    try:
        hash(key)
    except TypeError:
        key = tuple(tuple(v) if isinstance(v, list) else v for v in key)
        try:
            hash(key)
        except TypeError:
            return None
    return key
