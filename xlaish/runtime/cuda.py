"""Compile and run a fused program on an NVIDIA GPU (or Numba's CUDA simulator).

``compile_cuda(fn)``: generate the module source (:mod:`xlaish.codegen.cuda`),
load it with numba (kernels compile eagerly, one signature each), and wrap
it in a ``CudaExecutable``. numba is imported here only, so the CPU path never
loads it.

Caches. In memory: one loaded module per key, shared by every executable
with the same IR. On disk (:mod:`.cache`, which authenticates every entry):
the generated source, ``<cache_dir>/cuda/<kk>/xl_<key>.py``, a Python file
whose first line (a comment) carries the entry's MAC and header; the key
hashes the optimised IR text, "cuda", the target (compute capability, or
"sim"), and the xlaish, numba, numba-cuda and generator versions. A hit runs
the verified text instead of generating it, and the kernels are compiled with
``cache=True`` so numba keeps their machine code beside it (``__pycache__``;
numba's own files, protected only by the cache directory's permissions). A
bad entry (forged, swapped, truncated, not Python) is ignored and rewritten.

Calling convention, as the CPU executable: ``exe(list of arrays) -> list of
outputs``. An input is a NumPy array (copied to the device) or anything with
``__cuda_array_interface__`` (used in place; copied on the device only when
it is not C-contiguous). Outputs are fresh Numba device arrays (they expose
``__cuda_array_interface__``; ``np.asarray(out)`` copies to the host), left
on the device. Intermediates live in the slots of the buffer plan (the
``buffers`` attrs), allocated once per executable and reused by every call;
calls are serialised by a lock and run on the default stream, in order.
``cond`` predicates and ``while`` conditions are read back to the host.

Mutated arguments (a function that assigns into an argument): the program
returns their final values as extra results; ``xlaish.jit`` copies them into
the caller's arrays, a device array on the device with :func:`write_back`
(strided views included), after refusing device arguments that overlap
(:func:`shares_memory`).
"""
from __future__ import annotations

import contextlib
import sys
import threading
import types
import warnings

import numpy as np

from .. import config
from ..errors import XlaishError
from ..ir.kernel import slot_sizes
from ..ir.opdef import ELEMENTWISE, REDUCTION
from ..ir.opnames import COND, CONSTANT, DEBUG_CHECK, DEBUG_PRINT, FUSED, INDEX_CHECK, WHILE
from . import cache
from .executable import Executable, describe_nan

NO_GPU = ("device='cuda' needs an NVIDIA GPU (none found) or NUMBA_ENABLE_CUDASIM=1 "
          "(Numba's CUDA simulator, set before numba is imported)")
NO_NUMBA = ("device='cuda' needs numba and numba-cuda: pip install numba 'numba-cuda[cu13]' "
            "(or the 'cuda' extra of xlaish)")
MAGIC = "# xlaish-cuda-cache 2 "        # an entry is Python source after one comment line
STATS = {"generated": 0, "disk_hits": 0, "memory_hits": 0, "corrupt": 0, "writes": 0, "loads": 0}
_MODULES: dict[str, types.ModuleType] = {}
_MODULES_LOCK = threading.Lock()


# ---- the device ----------------------------------------------------------------------------------
def _cuda():
    try:
        from numba import cuda
    except ImportError as e:
        raise XlaishError(NO_NUMBA) from e
    return cuda


def simulating() -> bool:
    import numba
    return bool(getattr(numba.config, "ENABLE_CUDASIM", 0))


class DeviceInfo:
    def __init__(self, sim: bool, cc: str, nsm: int, name: str):
        self.sim, self.cc, self.nsm, self.name = sim, cc, nsm, name


def device() -> DeviceInfo:
    """The device kernels will run on; raises XlaishError when there is none."""
    cuda = _cuda()
    if simulating():
        return DeviceInfo(True, "sim", 1, "Numba CUDA simulator")
    try:
        ok = cuda.is_available()
    except Exception:   # a broken driver install reads as "no GPU"
        ok = False
    if not ok:
        raise XlaishError(NO_GPU)
    dev = cuda.get_current_device()
    major, minor = dev.compute_capability
    cc = f"sm_{major}{minor}"
    name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
    return DeviceInfo(False, cc, int(dev.MULTIPROCESSOR_COUNT), name)


# ---- keys and the disk cache (:mod:`.cache`) ----------------------------------------------------
def cache_key(ir_text: str, target, cc: str) -> str:
    import numba

    from .._version import __version__
    from ..codegen import cuda as gen
    runtime = sys.modules[__name__]
    try:
        from importlib.metadata import version
        ncuda = version("numba-cuda")
    except Exception:
        ncuda = "?"
    return cache.key(ir_text, "cuda", cc, repr(target), __version__, numba.__version__, ncuda,
                     cache.fingerprint(gen, runtime))


def _name(k: str) -> str:
    return f"xl_{k[:40]}.py"


def _ident(k: str) -> str:
    return k       # the key hashes the whole IR text and the target: it is the program's identity


def load_source(k: str) -> str | None:
    """The cached module text for key k, or None (missing, or not an authentic entry for k)."""
    bad = cache.STATS["corrupt"]
    hit = cache.load("cuda", k, _ident(k), name=_name(k), magic=MAGIC.encode())
    if hit is None:
        STATS["corrupt"] += cache.STATS["corrupt"] - bad
        return None
    try:
        text = hit[1].decode("utf-8")
        compile(text, _name(k), "exec")
    except (UnicodeDecodeError, SyntaxError, ValueError):
        STATS["corrupt"] += 1
        return None
    return text


def store_source(k: str, text: str) -> str | None:
    path = cache.store("cuda", k, _ident(k), text.encode("utf-8"), name=_name(k), magic=MAGIC.encode())
    if path is not None:
        STATS["writes"] += 1
    return path


# ---- loading -------------------------------------------------------------------------------------
def _bindings(sim: bool, file_backed: bool):
    cuda = _cuda()
    if sim or not file_backed:
        return {"kernel": lambda sig: cuda.jit(sig), "device": cuda.jit(device=True)}
    # kernels cache their machine code beside the file; device helpers are compiled into them
    return {"kernel": lambda sig: cuda.jit(sig, cache=True), "device": cuda.jit(device=True)}


def _load_module(k: str, text: str, path: str | None, sim: bool) -> types.ModuleType:
    """Run the (generated or authenticated) ``text`` as a module. With a cache entry at ``path``
    the code is compiled under that file name, so numba keeps the kernels' machine code beside
    it; the file itself is never imported (its text was verified before)."""
    name = f"xlaish_cuda_{k[:24]}"
    STATS["loads"] += 1
    module = types.ModuleType(name)
    module.__dict__.update(_bindings(sim, path is not None))
    if path is not None:
        module.__file__ = path
        sys.modules[name] = module
    try:
        exec(compile(text, path or f"<xlaish-cuda {k[:12]}>", "exec"), module.__dict__)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _module_for(fn, target, dev: DeviceInfo, disk_cache: bool = True):
    from ..codegen.cuda import generate
    from ..ir.printer import print_function
    k = cache_key(print_function(fn), target, dev.cc)
    with _MODULES_LOCK:
        hit = _MODULES.get(k)
        if hit is not None:
            STATS["memory_hits"] += 1
            return hit
        with cache.lock("cuda", k, name=_name(k)) if disk_cache else contextlib.nullcontext():
            text = load_source(k) if disk_cache else None
            module = None
            if text is not None:
                try:
                    module = _load_module(k, text, cache.entry_path("cuda", k, name=_name(k)), dev.sim)
                    STATS["disk_hits"] += 1
                except Exception:
                    STATS["corrupt"] += 1
                    module = None
            if module is None:
                text = generate(fn, target).text       # names unsupported ops (UnsupportedError)
                STATS["generated"] += 1
                path = store_source(k, text) if disk_cache else None
                module = _load_module(k, text, path, dev.sim)
        module.XLAISH_SOURCE = text
        module.XLAISH_KEY = k
        _MODULES[k] = module
        return module


def compile_cuda(fn, target=None, traced=None, debug_nans: bool | None = None, disk_cache: bool = True):
    """A CudaExecutable for an optimised (fused, buffer-planned) function.

    ``traced`` (the function before the passes) only sharpens ``debug_nans`` reports
    (None: ``XLAISH_DEBUG_NANS``); ``target`` overrides the launch parameters (tests);
    ``disk_cache=False`` neither reads nor writes the on-disk cache.
    """
    from ..codegen.cuda import GPU, SIM
    dev = device()
    if target is None:
        target = SIM if dev.sim else GPU
    module = _module_for(fn, target, dev, disk_cache)
    nans = config.debug_nans() if debug_nans is None else debug_nans
    return CudaExecutable(fn, module, dev, traced=traced, debug_nans=nans)


# ---- running -------------------------------------------------------------------------------------
def _is_device_array(a) -> bool:
    return type(a) is not np.ndarray and (hasattr(a, "__cuda_array_interface__")
                                          or bool(getattr(a, "__cuda_ndarray__", False)))


def write_back(dst, new) -> None:
    """Copy a mutated argument's final value ``new`` (a device array the program returned) into
    the caller's device array ``dst`` (Numba, or anything with ``__cuda_array_interface__``:
    CuPy, PyTorch), on the device: one device-to-device copy when ``dst`` is C-contiguous,
    Numba's assignment kernel for a strided view (``copy_to_device`` refuses those)."""
    d = dst if getattr(dst, "__cuda_ndarray__", False) else _cuda().as_cuda_array(dst)
    if d.is_c_contiguous():
        d.copy_to_device(new)
    else:
        d[...] = new


def _byte_range(a):
    """[first, last + 1) device addresses an array's elements occupy (None: no elements)."""
    cai = a.__cuda_array_interface__
    shape, itemsize = tuple(cai["shape"]), np.dtype(cai["typestr"]).itemsize
    if any(n == 0 for n in shape):
        return None
    strides = cai.get("strides")
    if strides is None:                      # C-contiguous
        strides, step = [], itemsize
        for n in reversed(shape):
            strides.insert(0, step)
            step *= n
    lo = hi = cai["data"][0]
    for n, st in zip(shape, strides):
        if st < 0:
            lo += st * (n - 1)
        else:
            hi += st * (n - 1)
    return lo, hi + itemsize


def shares_memory(x, y) -> bool:
    """May two device arrays overlap? Simulator arrays wrap NumPy arrays (``np.shares_memory``);
    others are compared by the address ranges they span (conservative: interleaved views of one
    buffer count as overlapping)."""
    ax, ay = getattr(x, "_ary", None), getattr(y, "_ary", None)
    if isinstance(ax, np.ndarray) and isinstance(ay, np.ndarray):
        try:
            return bool(np.shares_memory(ax, ay, max_work=10000))
        except np.exceptions.TooHardError:
            return True
    if not (hasattr(x, "__cuda_array_interface__") and hasattr(y, "__cuda_array_interface__")):
        return False
    rx, ry = _byte_range(x), _byte_range(y)
    return rx is not None and ry is not None and rx[0] < ry[1] and ry[0] < rx[1]


_GATHER: dict[int, object] = {}


def gather_source(nd: int, sig: str | None = None) -> str:
    """Source of a kernel copying an nd-dimensional strided array into a flat contiguous one."""
    idx = ", ".join(f"i{d}" for d in range(nd)) if nd else "0"
    lines = [f"@kernel({sig!r})" if sig else "@kernel(None)", "def gather(src, dst):",
             "    for t in range(cuda.grid(1), dst.size, cuda.gridsize(1)):",
             "        rem = t"]
    for d in reversed(range(nd)):
        lines.append(f"        i{d} = rem % src.shape[{d}]")
        lines.append(f"        rem = rem // src.shape[{d}]")
    lines.append(f"        dst[t] = src[{idx}]")
    return "from numba import cuda\n\n\n" + "\n".join(lines) + "\n"


def _gather_kernel(nd: int):
    k = _GATHER.get(nd)
    if k is None:
        cuda = _cuda()
        ns = {"kernel": lambda sig: cuda.jit}     # lazily specialised per dtype and layout
        exec(gather_source(nd), ns)
        k = _GATHER[nd] = ns["gather"]
    return k


class _Step:
    __slots__ = ("run",)

    def __init__(self, run):
        self.run = run


class _Program:
    """The kernels of one function (the top level or a control-flow region) over a buffer table.

    Table: the function's params, its results, then buffers it owns for good
    (slot views, constants, scratch). ``run(ins, outs)`` launches in order.
    """

    def __init__(self, exe: CudaExecutable, fn, plan_iter):
        cuda = exe.cuda
        self.exe = exe
        np_, nr = len(fn.params), len(fn.results)
        self.fixed: list = []
        base = np_ + nr
        index: dict[int, int] = {}
        for k, p in enumerate(fn.params):
            index[id(p)] = k
        first_result: dict[int, int] = {}
        for j, r in enumerate(fn.results):
            first_result.setdefault(id(r), j)

        def own(buf) -> int:
            self.fixed.append(buf)
            return base + len(self.fixed) - 1

        sizes = slot_sizes(fn)
        slots = {s: cuda.device_array(max(n, 1), np.uint8) for s, n in sizes.items()}
        steps: list = []
        produced: set[int] = set()
        for op in fn.ops:
            if op.name == CONSTANT:
                val = np.ascontiguousarray(np.asarray(op.attrs["value"])).reshape(-1)
                index[id(op.result)] = own(cuda.to_device(val) if val.size else
                                           cuda.device_array(0, val.dtype))
                continue
            assign = op.attrs.get("buffers", (-1,) * len(op.results))
            for r, s in zip(op.results, assign):
                if s >= 0:
                    n = r.type.nbytes
                    index[id(r)] = own(slots[s][:n].view(r.type.dtype) if n else
                                       cuda.device_array(0, r.type.dtype))
                elif id(r) in first_result:
                    index[id(r)] = np_ + first_result[id(r)]
                    produced.add(np_ + first_result[id(r)])
                else:   # an output nobody reads (DCE normally drops these)
                    index[id(r)] = own(cuda.device_array(max(r.type.size, 1), r.type.dtype))
            ins = [index[id(v)] for v in op.operands]
            outs = [index[id(r)] for r in op.results]
            if op.name == FUSED:
                steps += self._fused(next(plan_iter), ins, outs, own)
                if exe.debug_nans:
                    steps.append(self._nan_scan(op, outs))
            elif op.name == COND:
                then = _Program(exe, op.regions[0], plan_iter)
                other = _Program(exe, op.regions[1], plan_iter)
                steps.append(self._cond(ins, outs, then, other))
            elif op.name == WHILE:
                cond = _Program(exe, op.regions[0], plan_iter)
                body = _Program(exe, op.regions[1], plan_iter)
                steps.append(self._while(op, ins, outs, cond, body))
            elif op.name in (DEBUG_PRINT, DEBUG_CHECK, INDEX_CHECK):
                steps.append(self._debug(op, ins))
            else:
                raise AssertionError(op.name)
        for j, r in enumerate(fn.results):
            dst = np_ + j
            if dst in produced and first_result[id(r)] == j:
                continue
            src = index[id(r)]
            if r.type.size:
                steps.append(_Step(lambda tab, d=dst, s=src: tab[d].copy_to_device(tab[s])))
        self.steps = [s.run for s in steps]

    def _fused(self, entry, ins, outs, own):
        cuda = self.exe.cuda
        scratch = [own(cuda.device_array(n, np.dtype(dt))) for dt, n in entry["scratch"]]
        args = tuple(ins + outs + scratch)
        steps = []
        for kname, grid, block in entry["launches"]:
            launcher = getattr(self.exe.module, kname)[self.exe.grid(grid), tuple(block)]

            def run(tab, L=launcher, a=args):
                L(*[tab[i] for i in a])
            steps.append(_Step(run))
        return steps

    def _cond(self, ins, outs, then, other):
        p, args = ins[0], ins[1:]

        def run(tab):
            pred = bool(np.asarray(tab[p])[0])
            (then if pred else other).run([tab[i] for i in args], [tab[i] for i in outs])
        return _Step(run)

    def _while(self, op, ins, outs, cond, body):
        cuda = self.exe.cuda
        n = op.attrs["num_carried"]
        types_ = [v.type for v in op.operands[:n]]
        state = [[cuda.device_array(max(t.size, 1), t.dtype)[:t.size] for t in types_] for _ in range(2)]
        pred = cuda.device_array(1, np.bool_)

        def copy(dst, src):
            if dst.size:
                dst.copy_to_device(src)

        def run(tab):
            cur, nxt = state
            for k in range(n):
                copy(cur[k], tab[ins[k]])
            extras = [tab[i] for i in ins[n:]]
            while True:
                cond.run(cur + extras, [pred])
                if not bool(np.asarray(pred)[0]):
                    break
                body.run(cur + extras, nxt)
                cur, nxt = nxt, cur
            for k in range(n):
                copy(tab[outs[k]], cur[k])
        return _Step(run)

    def _nan_scan(self, op, outs):
        """XLAISH_DEBUG_NANS: a kernel's float outputs copied back and scanned."""
        region = op.regions[0]
        floats = [i for i, r in zip(outs, op.results) if r.type.dtype.kind == "f"]
        names = [(o.name, o.loc) for o in region.ops if o.opdef.has(ELEMENTWISE) or o.opdef.has(REDUCTION)]

        def run(tab):
            for i in floats:
                if np.isnan(np.asarray(tab[i])).any():
                    raise FloatingPointError(self.exe.describe_nan(region.name, names))
        return _Step(run)

    def _debug(self, op, ins):
        """debug_print / debug_check: operands copied to the host, then as the interpreter does."""
        shapes = [v.type.shape for v in op.operands]

        def host(tab):
            return [np.asarray(tab[i]).reshape(s) for i, s in zip(ins, shapes)]
        if op.name == DEBUG_PRINT:
            fmt = op.attrs["fmt"]

            def run(tab):
                print(fmt.format(*[a[()] if a.ndim == 0 else a for a in host(tab)]))
        elif op.name == INDEX_CHECK:      # NumPy's IndexError, naming the bad value
            def run(tab):
                op.opdef.lower["interp"](op, host(tab), None)
        else:
            msg = op.attrs["msg"]

            def run(tab):
                if not bool(np.all(host(tab)[0])):
                    from ..errors import CheckError
                    raise CheckError(msg)
        return _Step(run)

    def run(self, ins, outs):
        tab = ins + outs + self.fixed
        for step in self.steps:
            step(tab)


class CudaExecutable(Executable):
    """The :class:`~.executable.Executable` of the CUDA backend (no fast path: ``call_tuple``
    and ``matched_runner`` are the interface's defaults; ``source`` is the generated module)."""
    backend = "cuda"

    def __init__(self, fn, module, dev: DeviceInfo, traced=None, debug_nans=False):
        from ..codegen.cuda import fused_ops
        self.cuda = _cuda()
        self.fn, self.module, self.device = fn, module, dev
        self.traced, self.debug_nans = traced, debug_nans
        self._args = None
        self.source = module.XLAISH_SOURCE
        self.key = module.XLAISH_KEY
        self.plan = module.PLAN
        if len(self.plan) != len(fused_ops(fn)):
            raise XlaishError("cached CUDA module does not match the program (stale cache entry)")
        self.in_types = [p.type for p in fn.params]
        self.out_types = [r.type for r in fn.results]
        self._lock = threading.Lock()
        self.main = _Program(self, fn, iter(self.plan))

    def grid(self, g):
        if isinstance(g, tuple) and g and g[0] == "cap":
            _, items, per_block, per_sm = g
            return max(1, min(-(-items // per_block), self.device.nsm * per_sm))
        return tuple(int(x) for x in g)

    def _input(self, a, t):
        cuda = self.cuda
        if _is_device_array(a):
            d = a if getattr(a, "__cuda_ndarray__", False) else cuda.as_cuda_array(a)
            if np.dtype(d.dtype) != t.dtype or tuple(d.shape) != tuple(t.shape):
                raise TypeError(f"device array of {np.dtype(d.dtype)}{list(d.shape)} passed where the "
                                f"program was traced for {t}")
            if not d.is_c_contiguous():
                flat = cuda.device_array(t.size, t.dtype)
                if t.size:
                    k = _gather_kernel(len(t.shape))
                    k[self.grid(("cap", t.size, 128, 8)), 128](d, flat)
                return flat
            return d.reshape(t.size)
        h = np.ascontiguousarray(a, dtype=t.dtype).reshape(-1)
        return cuda.to_device(h) if h.size else cuda.device_array(0, t.dtype)

    def _output(self, o, t):
        if not _is_device_array(o):
            raise TypeError("out= takes device arrays")
        d = o if getattr(o, "__cuda_ndarray__", False) else self.cuda.as_cuda_array(o)
        if np.dtype(d.dtype) != t.dtype or tuple(d.shape) != tuple(t.shape) or not d.is_c_contiguous():
            raise TypeError(f"out= array of {np.dtype(d.dtype)}{list(d.shape)} where a C-contiguous "
                            f"{t} is needed")
        return o, d

    def __call__(self, arrays, out=None):
        """Run on ``arrays``; ``out`` (optional): C-contiguous device arrays to write the results
        into instead of fresh ones (no allocation per call; they are returned)."""
        cuda = self.cuda
        with self._lock, warnings.catch_warnings():
            if self.device.sim:   # kernels run as Python on NumPy scalars: wraparound warns there
                warnings.simplefilter("ignore", RuntimeWarning)
            self._args = arrays if self.debug_nans else None
            ins = [self._input(a, t) for a, t in zip(arrays, self.in_types)]
            if out is None:
                outs = [cuda.device_array(t.shape, t.dtype) for t in self.out_types]
                devs = outs
            else:
                pairs = [self._output(o, t) for o, t in zip(out, self.out_types)]
                outs, devs = [p[0] for p in pairs], [p[1] for p in pairs]
            self.main.run(ins, [d.reshape(d.size) if d.ndim != 1 else d for d in devs])
            self._args = None
        return outs

    def describe_nan(self, kname, ops) -> str:
        """Which op turned NaN-free inputs into a NaN (re-running the traced IR on the host)."""
        return describe_nan(self.traced, self._args, kname, ops)

    def kernels(self) -> list[str]:
        return [name for entry in self.plan for name, _, _ in entry["launches"]]

