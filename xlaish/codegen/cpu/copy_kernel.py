"""Copy kernels: ``concatenate`` writes each operand into its slice of the output."""
from __future__ import annotations

from llvmlite import ir

from ...ir.kernel import contiguous_strides
from ...ir.opnames import CONCATENATE
from . import types as T
from .kernel_base import KernelGen
from .loops import for_range, nest


class CopyKernel(KernelGen):
    def body(self, lo, hi):
        (op,) = [o for o in self.region.ops if o.name == CONCATENATE]
        out = op.result
        axis = op.attrs["axis"]
        nparams = len(self.region.params)
        start = 0
        dom_strides = contiguous_strides(out.type.shape)
        for v in op.operands:
            shape = v.type.shape
            if 0 in shape:
                continue
            acc = self.accesses(shape)
            st = start

            def body(idx, acc=acc, st=st, v=v, shape=shape):
                oidx = list(idx)
                oidx[axis] = self.b.add(idx[axis], ir.Constant(T.I64, st))
                self.store(nparams, out.type.dtype, dom_strides, oidx, self.eval(v, idx, {}, acc, shape))

            def outer(i, shape=shape, body=body):
                nest(self.b, shape[1:], lambda rest: body([i] + rest))
            for_range(self.b, lo, hi, outer, "c") if axis != 0 else \
                for_range(self.b, 0, shape[0], outer, "c")
            start += shape[axis]
        n_outer = out.type.shape[0] if axis != 0 else 1
        return n_outer, max(1, out.type.size // max(n_outer, 1))
