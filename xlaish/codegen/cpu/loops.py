"""Small LLVM IR building blocks: counted loops and strided addresses."""
from __future__ import annotations

from llvmlite import ir

from . import types as T


def for_range(b: ir.IRBuilder, lo, hi, body, name="i"):
    """Emit ``for i in range(lo, hi): body(i)``; leaves the builder after the loop."""
    lo = lo if isinstance(lo, ir.Value) else ir.Constant(T.I64, lo)
    hi = hi if isinstance(hi, ir.Value) else ir.Constant(T.I64, hi)
    pre = b.block
    header = b.append_basic_block(f"{name}.head")
    loop = b.append_basic_block(f"{name}.body")
    done = b.append_basic_block(f"{name}.done")
    b.branch(header)
    b.position_at_end(header)
    i = b.phi(T.I64, name=name)
    i.add_incoming(lo, pre)
    b.cbranch(b.icmp_signed("<", i, hi), loop, done)
    b.position_at_end(loop)
    body(i)
    nxt = b.add(i, ir.Constant(T.I64, 1), name=f"{name}.next")
    i.add_incoming(nxt, b.block)
    latch = b.branch(header)
    if isinstance(lo, ir.Constant) and isinstance(hi, ir.Constant):
        n = hi.constant - lo.constant
        if n % PREDICATE_WIDTH and n <= PREDICATE_MAX_TRIP:
            latch.set_metadata("llvm.loop", _predicated_loop_id(b.module))
    b.position_at_end(done)


# A short loop of constant trip count that is not a multiple of the vector width (a stencil row
# of 38 float64) spends most of its time in the scalar remainder the vectoriser leaves (6 of 38
# elements here take as many instructions as the 32 in vectors). Such loops ask LLVM to fold the
# tail into masked vector iterations instead (AVX-512 masks; elsewhere LLVM decides whether it
# can): heat_3d 40^3 ran ~20% faster. Only these: a tail-folded loop is not interleaved, which
# would slow long reductions down.
PREDICATE_WIDTH = 8
PREDICATE_MAX_TRIP = 512


def _predicated_loop_id(module: ir.Module):
    """A fresh loop ID ``!k = !{!k, !{"llvm.loop.vectorize.predicate.enable", i1 true}}``
    (self-referential, so distinct per loop)."""
    hint = module.add_metadata([ir.MetaDataString(module, "llvm.loop.vectorize.predicate.enable"),
                                ir.Constant(ir.IntType(1), 1)])
    # a placeholder with a unique string (add_metadata shares equal nodes), then made to refer to itself
    loop_id = module.add_metadata([ir.MetaDataString(module, f"xlaish.loop.{len(module.metadata)}")])
    loop_id.operands = (loop_id, hint)
    return loop_id


def nest(b, extents, body, prefix="d", starts=None):
    """Nested loops over ``extents`` (outermost first); body(list of index values). Loop ``k``
    runs over ``[starts[k], extents[k])`` when ``starts`` is given (ints or i64 values)."""
    idx: list = []

    def level(k):
        if k == len(extents):
            body(list(idx))
            return

        def inner(i):
            idx.append(i)
            level(k + 1)
            idx.pop()
        for_range(b, 0 if starts is None else starts[k], extents[k], inner, f"{prefix}{k}")
    level(0)


def offset(b, idx, strides, base: int = 0):
    """base + sum(idx[d] * strides[d]) as an i64 value (constant strides folded)."""
    acc = ir.Constant(T.I64, base)
    for i, s in zip(idx, strides):
        if s == 0 or i is None:
            continue
        term = i if s == 1 else b.mul(i, ir.Constant(T.I64, s))
        acc = term if (isinstance(acc, ir.Constant) and acc.constant == 0) else b.add(acc, term)
    return acc


def unravel(b: ir.IRBuilder, k, dims, exts, ndim: int) -> list:
    """Coordinates (length ``ndim``) of the flat row index ``k`` over the axes ``dims`` of
    extents ``exts`` (C order; an extent-1 axis is coordinate 0); other axes stay None."""
    coords = [None] * ndim
    rem = k
    for d, ext in zip(reversed(dims), reversed(exts)):
        e = ir.Constant(T.I64, ext)
        coords[d] = b.urem(rem, e) if ext > 1 else ir.Constant(T.I64, 0)
        rem = b.udiv(rem, e) if ext > 1 else rem
    return coords


def alloca_at_entry(b: ir.IRBuilder, ty, name=""):
    """An alloca in the function's entry block (so mem2reg promotes it)."""
    fn = b.function
    entry = fn.entry_basic_block
    cur = b.block
    with b.goto_block(entry):
        if entry.instructions:
            b.position_before(entry.instructions[0])
        slot = b.alloca(ty, name=name)
    b.position_at_end(cur)
    return slot
