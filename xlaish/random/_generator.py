"""``xlaish.random.default_rng``: a NumPy-shaped stateful generator over the key API.

See :class:`Generator` for how its state advances inside compiled code (one ``io_callback`` per
draw fetches the next key when the program runs) and its trade-offs (not NumPy's PCG64 stream).
"""
from __future__ import annotations

import threading

import numpy as np

from ..errors import TraceError
from ..trace import context
from ..trace.tracer import Tracer
from ._core import _U32, _shape, _shape_of, exponential, key, normal, randint, split, uniform

__all__ = ["Generator", "default_rng"]


class Generator:
    """A stateful generator with ``numpy.random.Generator``'s method names, over this module's
    keys: for code written as ``rng.normal(size=...)`` that should not pass keys around.

    The state is a key. Every draw splits it: the first half becomes the new state, the second
    draws the numbers (``split``/``uniform``/``normal``/``randint`` above), so a draw is
    reproducible from the seed and the number of draws before it. Outside ``jit`` a draw is
    a NumPy array. Inside ``jit`` the key of each draw is fetched when the compiled program runs,
    by an ``io_callback`` that advances the state on the host (never dropped, run in program
    order), and the numbers are computed in the kernel from it: every call of the compiled
    function draws new numbers, the same ones the same sequence of calls gives outside ``jit``
    (also each iteration of a ``while_loop``/``fori_loop`` body, which fetches a key each time).

    A generator created *inside* a traced function (as ``np.random.default_rng(0)`` would be
    inside a NumPy function) starts from its seed on every call, as in NumPy: its state is then a
    traced value advanced while tracing (no callback; it works on every backend and in AOT
    libraries), and it may draw only in the function that created it (not inside a nested
    ``while_loop``/``cond`` body, nor after that function returned). An unseeded one made inside
    keeps its state on the host like one made outside (new numbers on every call).

    Trade-offs: it does NOT reproduce NumPy's streams (PCG64 and NumPy's own algorithms): the
    same seed gives different numbers than ``np.random.default_rng(seed)``; the state lives in
    Python, so a jitted function using it costs one callback (a few microseconds) per draw and
    cannot run on the CUDA backend or be exported AOT (pass a key argument there, the
    functional API above); methods called from several threads are serialised by a lock, the
    order of their draws is the order the threads take it.
    """

    def __init__(self, seed=None):
        # None: the state lives on the host (made outside a trace, or unseeded: fresh numbers on
        # every call, as an unseeded NumPy generator made inside the function gives)
        self._trace = context.current() if seed is not None else None
        if seed is None:
            seed = int.from_bytes(np.random.SeedSequence().entropy.to_bytes(16, "little")[:8], "little")
        if isinstance(seed, Generator):
            seed = seed._next_key()
        if isinstance(seed, np.ndarray) and seed.shape == (2,) and seed.dtype == _U32:
            self._key = seed.copy()
        elif self._trace is None:          # a host key (key(seed)'s words), even while tracing
            s = int(seed) % 2 ** 64
            self._key = np.array([s >> 32, s & 0xFFFFFFFF], dtype=_U32)
        else:
            self._key = key(int(seed) if not isinstance(seed, Tracer) else seed)
        self._lock = threading.Lock()

    @property
    def key(self):
        """The current state (a copy): ``Generator(rng.key)`` continues this stream."""
        if self._trace is not None:
            return self._key
        with self._lock:
            return self._key.copy()

    def _next_key(self) -> np.ndarray:
        with self._lock:
            new, sub = split(self._key)
            self._key = new
        return sub

    def _draw_key(self):
        cur = context.current()
        if self._trace is not None:           # made while tracing: a traced state, advanced now
            if cur is not self._trace:
                raise context.with_location(TraceError(
                    "a xlaish.random.Generator created inside a traced function draws only in that "
                    "function's own trace, not inside a nested while_loop/cond body or after the "
                    "function returned: create it outside the function (its state then advances "
                    "on every call) or pass keys (xlaish.random.key/split)"))
            ks = split(self._key)
            self._key = ks[0]
            return ks[1]
        if cur is None:
            return self._next_key()
        from ..callback import io_callback
        from ..trace.tracing import ShapeDtype
        return io_callback(_HostState(self), ShapeDtype((2,), _U32))

    @staticmethod
    def _size(size):
        return () if size is None else _shape(size)

    def random(self, size=None, dtype=np.float64):
        """Uniform floats in [0, 1)."""
        return uniform(self._draw_key(), self._size(size), dtype)

    def standard_normal(self, size=None, dtype=np.float64):
        """Standard normal floats."""
        return normal(self._draw_key(), self._size(size), dtype)

    def normal(self, loc=0.0, scale=1.0, size=None):
        """Normal floats (float64) with mean ``loc`` and standard deviation ``scale``."""
        shape = np.broadcast_shapes(_shape_of(loc), _shape_of(scale)) if size is None else self._size(size)
        return loc + scale * normal(self._draw_key(), shape, np.float64)

    def uniform(self, low=0.0, high=1.0, size=None):
        """Uniform floats (float64) in ``[low, high)``: ``low + (high - low) * random()``."""
        shape = np.broadcast_shapes(_shape_of(low), _shape_of(high)) if size is None else self._size(size)
        return low + (high - low) * uniform(self._draw_key(), shape, np.float64)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        """Integers in ``[low, high)`` (``[0, low)`` without ``high``; ``endpoint``: ``[low, high]``)."""
        if high is None:
            low, high = 0, low
        if endpoint:
            high = high + 1
        shape = np.broadcast_shapes(_shape_of(low), _shape_of(high)) if size is None else self._size(size)
        return randint(self._draw_key(), shape, low, high, dtype)

    def exponential(self, scale=1.0, size=None):
        """Exponential floats (float64) with mean ``scale``."""
        shape = _shape_of(scale) if size is None else self._size(size)
        return scale * exponential(self._draw_key(), shape, np.float64)

    def __repr__(self):
        state = "traced" if self._trace is not None else self._key.tolist()
        return f"xlaish.random.Generator(key={state})"


class _HostState:
    """The callback fetching a Generator's next key while the compiled program runs."""

    def __init__(self, gen: Generator):
        self.gen = gen
        self.__qualname__ = ("xlaish.random.Generator: its draws fetch their key from the host; "
                             "where that is impossible pass a key argument (xlaish.random.key/split)")

    def __call__(self):
        return self.gen._next_key()


def default_rng(seed=None) -> Generator:
    """A :class:`Generator` from an integer ``seed`` (fresh OS entropy without one), usable
    inside and outside ``jit``. Not NumPy's PCG64 stream: see :class:`Generator`."""
    return Generator(seed)
