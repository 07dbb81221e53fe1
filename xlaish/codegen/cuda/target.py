"""What the generated CUDA source depends on besides the IR: real GPU or Numba's simulator.

The kernel text is the same for both except for two things, both isolated here:

* the *prelude* binding the math names the kernels call (``m_exp``, ...):
  ``math.*`` (libdevice, float32 in -> float32 out) on a GPU; NumPy on the
  simulator, where kernels run as plain Python and ``math`` would raise on
  domain errors (``math.log(-1)``) instead of giving NaN;
* the warp step of block reductions: ``cuda.shfl_down_sync`` on a GPU, a
  shared-memory tree with the same association on the simulator (which has
  no shuffles), so both give bit-identical results;

and launch sizes (threads per block, tile sizes, strategy thresholds), which
are small on the simulator so that tests run fast yet cross warps, blocks and
grid-stride iterations. Nothing here imports numba.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...ir.opnames import ERF, ERFC


@dataclass(frozen=True)
class Target:
    kind: str = "gpu"                 # gpu | sim
    map_tpb: int = 256                # threads per block of map / copy kernels
    map_blocks_per_sm: int = 8        # grid-stride grid: at most this many blocks per SM
    map_unroll: int = 4               # elements per trip of a grid-stride / block-stride loop
    row_tpb_max: int = 512            # block-per-row reductions
    row_tpb_min: int = 32
    row_blocks_per_sm: int = 16
    serial_max_red: int = 16          # reduced extent up to which one thread does a whole row
    serial_min_rows: int = 1024       # ... or a strided (non-innermost) reduction with this many rows
    split_min_red: int = 32768        # two-stage split: long rows ...
    split_max_rows: int = 32          # ... and few of them
    split_max_blocks: int = 1024      # fixed partial count per row (never depends on the device)
    split_min_chunk: int = 4096       # elements per split block at least
    split_tpb: int = 512
    tile: int = 16                    # matmul tile (tile x tile threads)

    @property
    def sim(self) -> bool:
        return self.kind == "sim"

    @property
    def shared_width(self) -> int:
        """Entries of a block-reduction shared array: one per warp, or per thread on the simulator."""
        return 1024 if self.sim else 32

    def row_tpb(self, n_red: int) -> int:
        if self.sim:
            return self.row_tpb_min
        want = max(1, -(-n_red // 8))
        t = self.row_tpb_min
        while t < want and t < self.row_tpb_max:
            t *= 2
        return t

    def split_blocks(self, n_red: int) -> int:
        return max(1, min(self.split_max_blocks, -(-n_red // self.split_min_chunk)))


GPU = Target()
SIM = Target(kind="sim", map_tpb=32, map_blocks_per_sm=2, map_unroll=2, row_tpb_max=64, row_tpb_min=64,
             row_blocks_per_sm=2, serial_max_red=3, serial_min_rows=12, split_min_red=64,
             split_max_rows=2, split_max_blocks=3, split_min_chunk=24, split_tpb=32, tile=4)


# ---- names ---------------------------------------------------------------------------------------
def np_name(dt) -> str:
    """The NumPy scalar constructor naming dtype dt in kernel text (a cast under numba)."""
    dt = np.dtype(dt)
    return "np.bool_" if dt.kind == "b" else f"np.{dt.name}"


def nb_name(dt) -> str:
    """The numba type name of dtype dt (for signatures)."""
    dt = np.dtype(dt)
    return "boolean" if dt.kind == "b" else dt.name


def compute_dtype(dt) -> np.dtype:
    """The dtype a value of dt is held in inside a kernel (float16 computes in float32)."""
    dt = np.dtype(dt)
    return np.dtype(np.float32) if dt == np.float16 else dt


# math names the kernels call: name -> (gpu binding, simulator binding)
MATH = {
    "exp": ("math.exp", "np.exp"), "exp2": ("math.exp2", "np.exp2"), "expm1": ("math.expm1", "np.expm1"),
    "log": ("math.log", "np.log"), "log2": ("math.log2", "np.log2"), "log10": ("math.log10", "np.log10"),
    "log1p": ("math.log1p", "np.log1p"), "sqrt": ("math.sqrt", "np.sqrt"),
    "sin": ("math.sin", "np.sin"), "cos": ("math.cos", "np.cos"), "tan": ("math.tan", "np.tan"),
    "arcsin": ("math.asin", "np.arcsin"), "arccos": ("math.acos", "np.arccos"),
    "arctan": ("math.atan", "np.arctan"), "sinh": ("math.sinh", "np.sinh"),
    "cosh": ("math.cosh", "np.cosh"), "tanh": ("math.tanh", "np.tanh"),
    "arcsinh": ("math.asinh", "np.arcsinh"), "arccosh": ("math.acosh", "np.arccosh"),
    "arctanh": ("math.atanh", "np.arctanh"), "erf": ("math.erf", "_sim_erf"),
    "erfc": ("math.erfc", "_sim_erfc"), "floor": ("math.floor", "np.floor"),
    "ceil": ("math.ceil", "np.ceil"), "trunc": ("math.trunc", "np.trunc"),
    "fabs": ("math.fabs", "np.abs"), "atan2": ("math.atan2", "np.arctan2"),
    "hypot": ("math.hypot", "np.hypot"), "copysign": ("math.copysign", "np.copysign"),
    "fmod": ("math.fmod", "np.fmod"), "pow": ("math.pow", "np.power"), "cbrt": (None, "np.cbrt"),
    "frexp": ("math.frexp", "np.frexp"), "ldexp": ("math.ldexp", "np.ldexp"),
}

_SIM_EXTRA = '''
def _sim_erf(x):
    return math.erf(float(x))


def _sim_erfc(x):
    return math.erfc(float(x))
'''

_GPU_EXTRA = '''
@device
def m_cbrt(x):
    return cuda.cbrt(x)
'''


def prelude(target: Target, used: set) -> str:
    """Bindings of the m_* math names the kernels use."""
    lines = []
    extra = ""
    for name in sorted(used):
        gpu, sim = MATH[name]
        b = sim if target.sim else gpu
        if b is None:
            extra = _GPU_EXTRA
            continue
        lines.append(f"m_{name} = {b}")
    if target.sim and any(n in used for n in (ERF, ERFC)):
        extra += _SIM_EXTRA
    return (extra.strip("\n") + "\n\n" if extra else "") + "\n".join(lines)
