"""``TensorType``: the static type of every IR value, ``dtype[shape]``."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes


class TensorType:
    """An immutable ``(shape, dtype)`` pair; prints as ``f32[4096,1024]`` (``f32[]`` for 0-d)."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        object.__setattr__(self, "shape", tuple(int(s) for s in shape))
        object.__setattr__(self, "dtype", dtypes.canonical(dtype))

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

    def with_dtype(self, dtype) -> "TensorType":
        return TensorType(self.shape, dtype)

    def with_shape(self, shape) -> "TensorType":
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
    def of(array) -> "TensorType":
        a = np.asarray(array)
        return TensorType(a.shape, a.dtype)
