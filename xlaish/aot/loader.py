"""``load``: call an exported library from Python with ctypes, NumPy and json only.

No tracing and no LLVM: the loader reads the manifest embedded in the library
(``<name>_manifest()``), checks each argument against it, makes inputs
C-contiguous (copying only when needed), allocates the outputs, makes one
native call (ctypes releases the GIL, and the library is thread-safe) and
rebuilds the result pytree. 0-d results come back as NumPy scalars, as from
``xl.jit``.

Argument rules: NumPy arrays and scalars must have exactly the exported
dtype (``TypeError`` otherwise); Python ``bool``/``int``/``float`` scalars are
accepted for arguments of a matching kind (bool; integer or float; float);
other array-likes are converted when NumPy's ``same_kind`` casting allows.
Every shape must match exactly (``ValueError``). Error messages name the
argument by its Python path (``x``, ``params['w']``, ``batch[1]``).

In/out arguments (the exported function assigns into them; ``"inout"`` in the
manifest) behave as under ``xl.jit``: the caller's array holds NumPy's result
after the call. It must be a writeable NumPy array of exactly the exported
dtype and shape (a read-only array, a scalar, a list or another dtype raises a
``ValueError``/``TypeError`` naming it) that shares no memory with another
argument. A C-contiguous one is passed to the library itself (which writes
it only after a successful run); another layout goes through a contiguous
copy, copied back after the call.

Damaged and modified files. Before the library is mapped (``dlopen``; a
truncated library mapped into the process dies with SIGBUS on first touch):

* if the export's ``<name>.sha256`` is beside it, the library's SHA-256 must
  match it (``ValueError`` otherwise: truncated, modified or replaced);
* the library's ELF structure must fit in the file (header, program headers
  and every segment's bytes, section headers): this catches truncation also
  when no manifest file is beside it.

Then every call goes through ``<name>_checked``, which compares the number
and byte sizes of the buffers it is given (those of the arrays really passed)
with constants in the library's code: a manifest patched to claim smaller
outputs gets an error, never a heap overflow. What is not protected: someone
who can rewrite both the library and its ``.sha256`` (or the library alone,
when no ``.sha256`` is beside it) can make the library do anything at all;
loading a library runs its code, as importing a Python module does.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import struct
import sys

import numpy as np

from .. import config
from . import manifest as _manifest
from .errors import CpuFeatureError


def _guess_name(path: str) -> str:
    base = os.path.basename(path).split(".")[0]
    return base[3:] if base.startswith("lib") else base


_SUFFIX = ".dylib" if sys.platform == "darwin" else ".so"


def _resolve(path: str, name: str | None) -> str:
    """The library file for ``path``: itself, the ``lib<name>.so`` beside a manifest
    (``<name>.json``), or the one export in a directory (``name`` picks among several)."""
    if path.endswith(".json") and os.path.isfile(path):
        lib = os.path.join(os.path.dirname(path), f"lib{_guess_name(path)}{_SUFFIX}")
        return lib if os.path.exists(lib) else path
    if not os.path.isdir(path):
        return path
    if name is not None:
        return os.path.join(path, f"lib{name}{_SUFFIX}")
    libs = sorted(f for f in os.listdir(path) if f.startswith("lib") and f.endswith(_SUFFIX))
    if len(libs) == 1:
        return os.path.join(path, libs[0])
    raise ValueError(f"xlaish.aot.load: {path} is a directory with "
                     + (f"several exports ({', '.join(libs)}): pass name=" if libs else "no lib*.so export"))


def _damaged(path: str, why: str) -> ValueError:
    return ValueError(f"xlaish.aot.load: {path} is damaged or was modified ({why}); not loaded. "
                      f"Export it again.")


def _check_recorded(path: str) -> None:
    """The library has the SHA-256 that the export recorded beside it (``<name>.sha256``)."""
    rpath = os.path.join(os.path.dirname(path), f"{_guess_name(path)}.sha256")
    if not os.path.isfile(rpath):
        return                          # exported before the record existed, or linked by hand
    with open(rpath) as f:
        want = f.read().split()
    if len(want) != 2 or len(want[0]) != 64 or want[1].lstrip("*") != os.path.basename(path):
        raise ValueError(f"xlaish.aot.load: {rpath} is not the sha256sum line of "
                         f"{os.path.basename(path)}")
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if h.hexdigest() != want[0].lower():
        raise _damaged(path, f"{os.path.getsize(path)} bytes whose SHA-256 differs from the one "
                             f"recorded at export in {os.path.basename(rpath)}")


def _check_elf(path: str) -> None:
    """The ELF header, program headers, every segment's file bytes and the section headers lie
    inside the file (what ``dlopen`` maps; a truncated file would fault when touched)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or len(head) < 52 or head[4] not in (1, 2) or head[5] not in (1, 2):
            raise _damaged(path, f"not an ELF shared library ({size} bytes)")
        end = "<" if head[5] == 1 else ">"
        if head[4] == 2:
            if len(head) < 64:
                raise _damaged(path, f"ELF header cut short ({size} bytes)")
            phoff, shoff = struct.unpack_from(end + "QQ", head, 32)
            phentsize, phnum, shentsize, shnum = struct.unpack_from(end + "HHHH", head, 54)
            ph_fmt, ph_fields = end + "IIQQQQQQ", (2, 5)        # p_offset, p_filesz
        else:
            phoff, shoff = struct.unpack_from(end + "II", head, 28)
            phentsize, phnum, shentsize, shnum = struct.unpack_from(end + "HHHH", head, 42)
            ph_fmt, ph_fields = end + "IIIIIIII", (1, 4)
        if phoff + phnum * phentsize > size:
            raise _damaged(path, f"{size} bytes: its program headers end at byte {phoff + phnum * phentsize}")
        if shoff and shoff + shnum * shentsize > size:
            raise _damaged(path, f"{size} bytes: its section headers end at byte {shoff + shnum * shentsize}")
        need = struct.calcsize(ph_fmt)
        for k in range(phnum):
            f.seek(phoff + k * phentsize)
            raw = f.read(need)
            if len(raw) < need:
                raise _damaged(path, f"program header {k} cut short")
            vals = struct.unpack(ph_fmt, raw)
            off, filesz = vals[ph_fields[0]], vals[ph_fields[1]]
            if off + filesz > size:
                raise _damaged(path, f"{size} bytes: segment {k} needs bytes up to {off + filesz}")


class AotFunction:
    """A callable for one exported library (see :func:`load`)."""

    def __init__(self, path: str, name: str | None = None):
        path = _resolve(path, name)
        self.path = os.path.abspath(path)
        if not os.path.isfile(self.path):
            raise OSError(f"xlaish.aot.load: cannot load {path}: no such file")
        _check_recorded(self.path)
        if sys.platform.startswith("linux"):
            _check_elf(self.path)
        try:
            self._lib = ctypes.CDLL(self.path)
        except OSError as e:
            raise OSError(f"xlaish.aot.load: cannot load {path}: {e}") from None
        name = name or _guess_name(path)
        try:
            mf = getattr(self._lib, f"{name}_manifest")
        except AttributeError:
            raise ValueError(f"xlaish.aot.load: {path} has no symbol {name}_manifest; is it an "
                             f"xlaish export? (pass name= if the file was renamed)") from None
        mf.restype = ctypes.c_char_p
        mf.argtypes = []
        self.manifest = m = json.loads(mf().decode())
        if m.get("format") not in _manifest.FORMATS:
            raise ValueError(f"xlaish.aot.load: {path} has manifest format {m.get('format')!r}, "
                             f"this xlaish reads {' and '.join(map(repr, _manifest.FORMATS))}")
        self.__name__ = self.name = m["name"]
        self.arg_names = list(m["arg_names"])
        self._trees = list(m["in_tree"].get("children", []))
        self._args = [(e["path"], tuple(e["shape"]), np.dtype(e["dtype"])) for e in m["args"]]
        self._ranges = {k: e["int_range"] for k, e in enumerate(m["args"]) if "int_range" in e}
        self._inout = [k for k, e in enumerate(m["args"]) if e.get("inout")]
        self._outs = [(tuple(e["shape"]), np.dtype(e["dtype"])) for e in m["results"]]
        self._fn = getattr(self._lib, m["symbol"])
        self._fn.restype = ctypes.c_int
        self._fn.argtypes = [ctypes.c_void_p] * (len(self._args) + len(self._outs))
        self._variant = getattr(self._lib, f"{m['symbol']}_variant", None)
        if self._variant is not None:
            self._variant.restype = ctypes.c_char_p
            self._variant.argtypes = []
        self._checked = getattr(self._lib, m.get("checked_symbol", f"{m['symbol']}_checked"), None)
        if self._checked is not None:
            self._checked.restype = ctypes.c_int
            self._checked.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]

    @property
    def variant(self) -> str | None:
        """The target name of the variant the library runs (``"x86-64-v4"``; chosen at its first call,
        or by this), or its message saying why it refuses to run; None for a library exported before
        variants existed."""
        return None if self._variant is None else self._variant().decode()

    @property
    def signature(self) -> str:
        return self.manifest["python_signature"]

    def __repr__(self):
        return f"<xlaish.aot function {self.signature} from {self.path}>"

    # ---------------------------------------------------------------- arguments
    def _bind(self, args, kwargs) -> list:
        names = self.arg_names
        if len(args) > len(names):
            raise TypeError(f"{self.name}() takes {len(names)} argument{'s' * (len(names) != 1)} "
                            f"({', '.join(names)}) but {len(args)} were given")
        values = list(args)
        kwargs = dict(kwargs)
        for n in names[:len(args)]:
            if n in kwargs:
                raise TypeError(f"{self.name}() got multiple values for argument {n!r}")
        missing = []
        for n in names[len(args):]:
            if n in kwargs:
                values.append(kwargs.pop(n))
            else:
                missing.append(n)
        if missing:
            raise TypeError(f"{self.name}() missing {len(missing)} required argument"
                            f"{'s' * (len(missing) != 1)}: {', '.join(map(repr, missing))} "
                            f"(takes {', '.join(names)})")
        if kwargs:
            raise TypeError(f"{self.name}() got an unexpected keyword argument {next(iter(kwargs))!r}")
        leaves = []
        for n, tree, v in zip(names, self._trees, values):
            leaves += _manifest.flatten_as(tree, v, n)
        return leaves

    def _convert(self, path, shape, dt, x) -> np.ndarray:
        where = f"{self.name}(): argument {path}"
        if isinstance(x, (np.ndarray, np.generic)):
            if x.dtype != dt:
                raise TypeError(f"{where} must have dtype {dt}, got {x.dtype} (convert it with "
                                f".astype(np.{dt.name}))")
            a = np.asarray(x)
        elif isinstance(x, (bool, int, float)):
            ok = {"b": (bool,), "i": (int,), "u": (int,), "f": (int, float)}[dt.kind]
            if not isinstance(x, ok) or (dt.kind != "b" and isinstance(x, bool)):
                raise TypeError(f"{where} must be {dt}, got a Python {type(x).__name__}")
            try:
                a = np.asarray(x, dtype=dt)
            except OverflowError:
                raise ValueError(f"{where}: {x} does not fit in {dt}") from None
        else:
            try:
                a = np.asarray(x)
            except Exception as e:
                raise TypeError(f"{where} is not array-like ({type(x).__name__}): {e}") from None
            if a.dtype != dt:
                if a.dtype.kind not in "biuf" or not np.can_cast(a.dtype, dt, "same_kind"):
                    raise TypeError(f"{where} must have dtype {dt}, got {type(x).__name__} of "
                                    f"{a.dtype}")
                a = a.astype(dt)
        if a.shape != shape:
            raise ValueError(f"{where} must have shape {shape}, got {a.shape}")
        return a if a.flags.c_contiguous else np.ascontiguousarray(a)

    # -------------------------------------------------------------------- call
    def __call__(self, *args, **kwargs):
        leaves = self._bind(args, kwargs)
        for k, (lo, hi, name) in self._ranges.items():
            x = leaves[k][1]
            if isinstance(x, int) and not isinstance(x, bool) and not lo <= x <= hi:
                raise OverflowError(f"{self.name}(): argument {self._args[k][0]}: Python integer "
                                    f"{x} out of bounds for {name}")
        if self._inout:
            self._check_inout(leaves)
        ins = [self._convert(p, s, d, x) for (p, s, d), (_, x) in zip(self._args, leaves)]
        outs = [np.empty(s, d) for s, d in self._outs]
        bufs = ins + outs
        if self._checked is not None:     # the library compares the sizes with its own constants
            n = len(bufs)
            rc = self._checked(n, (ctypes.c_void_p * max(n, 1))(*[a.ctypes.data for a in bufs]),
                               (ctypes.c_int64 * max(n, 1))(*[a.nbytes for a in bufs]))
        else:                             # a library exported before <name>_checked existed
            rc = self._fn(*[a.ctypes.data for a in bufs])
        if rc != 0:
            self._raise(rc)
        for k in self._inout:              # a non-contiguous argument went through a copy
            dst = leaves[k][1]
            if ins[k] is not dst:
                np.copyto(dst, ins[k])
        res = [o[()] if o.ndim == 0 else o for o in outs]
        return _manifest.unflatten(self.manifest["out_tree"], res)

    def _check_inout(self, leaves) -> None:
        """An in/out argument must be memory the caller sees and the library may write: a writeable
        ndarray of exactly the exported dtype (``_convert`` checks the shape), overlapping no
        other argument."""
        for k in self._inout:
            path, x = leaves[k]
            _, shape, dt = self._args[k]
            where = f"{self.name}(): argument {path} is assigned into (in/out)"
            if not isinstance(x, np.ndarray):
                raise TypeError(f"{where}, but a {type(x).__name__} was passed: pass a NumPy array of "
                                f"{dt}{list(shape)}")
            if x.dtype != dt:
                raise TypeError(f"{where}, so it must have dtype {dt} exactly, got {x.dtype} (a "
                                f"converted copy would leave the caller's array unchanged)")
            if not x.flags.writeable:
                raise ValueError(f"{where}, but the array passed is read-only (NumPy: assignment "
                                 f"destination is read-only)")
            for j, (other, y) in enumerate(leaves):
                if j == k or not isinstance(y, np.ndarray):
                    continue
                try:
                    shared = np.shares_memory(x, y, max_work=10000)
                except np.exceptions.TooHardError:
                    shared = True
                if shared:
                    raise ValueError(f"{where} and shares memory with argument {other} (the same "
                                     f"array passed twice, or overlapping views): the compiled "
                                     f"function cannot honour the aliasing; pass a copy")

    def _raise(self, rc):
        t = self.manifest["target"]
        if rc in (1, 4) and self._variant is not None:
            why = self.variant
            forced = config.aot_variant()
            env = "" if forced == "auto" else f" (XLAISH_AOT_VARIANT={forced})"
            names = ", ".join(v["variant"] for v in t.get("variants", ()))
            if rc == 4:
                raise ValueError(f"{why}{env}: unset it or use one of auto, {names}")
            raise CpuFeatureError(f"{why}{env}. Re-export with an older target, e.g. "
                                  f"target='x86-64-v2', or target='host' on this machine.")
        if rc == 1:
            raise CpuFeatureError(
                f"{self.name}: this CPU lacks a feature {os.path.basename(self.path)} was built for "
                f"(target {t['name']}: {t['description']}; requires "
                f"{', '.join(t['features_required'])}). Re-export with an older target, e.g. "
                f"target='x86-64-v2', or target='host' on this machine.")
        checks = self.manifest.get("checks", [])
        if _manifest.CHECK_BASE <= rc < _manifest.CHECK_BASE + len(checks):
            from ..errors import CheckError
            raise CheckError(checks[rc - _manifest.CHECK_BASE])
        if rc == 3:
            raise ValueError(f"{self.name}: {os.path.basename(self.path)} refused the call: the shapes "
                             f"in its manifest differ from those compiled into its code (the manifest "
                             f"was modified or belongs to another build); nothing was computed")
        if rc == 2:
            raise MemoryError(f"{self.name}: the library could not allocate its intermediate buffers")
        raise RuntimeError(f"{self.name}: the library returned error code {rc}")


def load(path: str, name: str | None = None) -> AotFunction:
    """A Python callable for the exported library at ``path``: the ``lib<name>.so`` file, its
    ``<name>.json`` manifest, or the directory it was exported to.

    ``name`` is the export name; by default it is read off the file name.
    """
    return AotFunction(path, name)
