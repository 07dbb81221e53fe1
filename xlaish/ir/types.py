"""``TensorType``: the static type of every IR value, ``dtype[shape]``."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes

_MAX_BYTES = (1 << 63) - 1      # NumPy's limit: size * itemsize must fit in npy_intp


class TensorType:
    """An immutable ``(shape, dtype)`` pair; prints as ``f32[4096,1024]`` (``f32[]`` for 0-d)."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        shape = tuple(int(s) for s in shape)
        dtype = dtypes.canonical(dtype)
        if any(s < 0 for s in shape):
            raise ValueError(f"negative dimensions are not allowed: shape {shape}")
        if math.prod(shape) * dtype.itemsize > _MAX_BYTES:
            raise ValueError(f"array is too big: shape {shape} of {dtype} needs "
                             f"{math.prod(shape) * dtype.itemsize} bytes; NumPy's limit is 2**63 - 1")
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "dtype", dtype)

    def __setattr__(self, k, v):
        raise AttributeError("TensorType is immutable")

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def with_dtype(self, dtype) -> TensorType:
        return TensorType(self.shape, dtype)

    def with_shape(self, shape) -> TensorType:
        return TensorType(shape, self.dtype)

    def __reduce__(self):
        return (TensorType, (self.shape, self.dtype.str))

    def __eq__(self, other):
        return isinstance(other, TensorType) and self.shape == other.shape and self.dtype == other.dtype

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __str__(self):
        return f"{dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    __repr__ = __str__

    @staticmethod
    def of(array) -> TensorType:
        a = np.asarray(array)
        return TensorType(a.shape, a.dtype)
