"""Reverse mode through ``while`` ops without unrolling: checkpointed carries, backward loops.

A ``while`` op (``fori_loop`` with static or traced bounds, ``while_loop`` with a
traced condition) is differentiated as a loop, so the gradient's IR holds a fixed
number of copies of the body whatever the trip count:

* **Forward.** The primal loop runs as written. When its trip count ``n`` is not
  static, a counting carry is added to it, so ``n`` is known (at run time) once it
  ends (:func:`forward`).
* **Backward.** The body is differentiated once, as a function of (carried, extras)
  -> cotangents of (carried, extras) (``_Loop.vjp_step``), and that VJP runs in a
  ``while`` op in reverse iteration order. Each iteration needs its input carry;
  they come from ``LEVELS`` levels of checkpoint tapes (``_Loop.reverse``): a level
  given a start carry and a length ``L`` runs the body ``L`` times, storing every
  ``s``-th carry (``s = ceil(L / slots)``, so at most ``slots`` checkpoints) in a
  static-size tape array, then walks its segments backwards, handing each
  checkpoint and segment length to the next level. The last level's stride is at
  least ``BOTTOM``; below it, a bottom segment is differentiated step by step from
  its checkpoint, recomputing ``L - 1 - j`` steps before step ``j`` (no tape).
  ``nseg = ceil(L / s) <= slots``, so a tape slot index is always in range.
* **Plan** (:func:`plan`). The structure is the same for every ``n`` (the IR does not
  depend on it). A static ``n`` gets ``slots = ceil(sqrt(n / BOTTOM))`` per level
  (``LEVELS = 2``), so bottom segments have about ``BOTTOM`` steps. A traced ``n`` gets
  ``SLOTS_TOP = 128`` then ``SLOTS = 32`` slots; its bottom segments have
  ``max(BOTTOM, ceil(n / 4096))`` steps.
* **Memory**: the tapes, ``2 * sqrt(n / 4)`` = ``sqrt(n)`` carries for a static ``n``,
  160 carries for a traced one whatever ``n``; plus the cotangents.
* **Time** per iteration: about 4.5 forward evaluations of the body (the primal, one
  recomputation per level, ``(b - 1) / 2`` at the bottom for segments of ``b`` steps)
  and one VJP. Beyond 16,384 iterations of a traced ``n`` the bottom segments grow
  (``b = ceil(n / 4096)``) and so does the recomputation, ``(b - 1) / 2`` per iteration:
  slower, still exact. Tape traffic: a checkpoint write is a ``select`` over the
  whole tape (``_tape_write``, O(slots * carry)), and the tape is a carried value of
  the saving loop (copied once per write by the ``while`` codegen): the last level
  writes once per ``BOTTOM`` iterations, i.e. O(2 * slots * carry / BOTTOM) per
  iteration; the first level O(slots**2 * carry) in all. Reads are a ``gather``
  (O(carry)). In-place dynamic-update-slice writes (and in-place loop carries in the
  codegen) would make a write O(carry).
* Static loops with ``trip_count * body ops <= UNROLL_MAX_OPS`` are unrolled by the
  transform instead (:func:`should_unroll`): cheaper to compile and run when tiny.

Recomputed iterations do not print: ``debug_print`` ops are left out of the body's
copies in the backward pass. Integer and bool carries (loop counters) get no
cotangent but are checkpointed with the others, since the body may read them.
Extras (values the body closes over) get their cotangents summed over iterations.
"""
from __future__ import annotations

import numpy as np

from .. import numpy as xnp
from ..control import fori_loop, while_loop
from ..errors import TraceError
from ..ir.core import Function
from ..ir.opnames import ASTYPE, DEBUG_PRINT, LESS
from ..trace.bind import emit, wrap

UNROLL_MAX_OPS = 256   # a static loop is unrolled when trip_count * (ops in its body) is at most this
LEVELS = 2             # checkpoint levels (tapes) between the loop and the bottom segments
BOTTOM = 4             # the last level's stride is at least this (bottom segments: no tape)
SLOTS_TOP, SLOTS = 128, 32  # traced trip count: slots of the first level, of the others


def _is_float(v) -> bool:
    return v.type.dtype.kind == "f"


def should_unroll(op) -> bool:
    """A ``while`` with a small static trip count is unrolled rather than looped."""
    n = op.attrs.get("trip_count")
    return n is not None and n * sum(1 for _ in op.regions[1].walk()) <= UNROLL_MAX_OPS


def loop_name(op) -> str:
    """What the user wrote: ``fori_loop`` (a static trip count, or the ``i < hi`` loop it builds)
    or ``while_loop``."""
    if "trip_count" in op.attrs:
        return "fori_loop"
    cond = op.regions[0]
    n = op.attrs["num_carried"]
    if n >= 2 and cond.ops and cond.ops[-1].name == LESS and \
            all(o.name in (LESS, ASTYPE) for o in cond.ops) and \
            {p for o in cond.ops for p in o.operands} <= {cond.params[0], cond.params[n - 1],
                                                        *(r for o in cond.ops for r in o.results)}:
        return "fori_loop"
    return "while_loop"


def run_region(fn, args):
    """Emit a region's ops into the active trace on ``args`` (Values); its result Values."""
    env = {id(p): a for p, a in zip(fn.params, args)}
    for op in fn.ops:
        outs = emit(op.opdef, [env[id(v)] for v in op.operands], dict(op.attrs), op.regions)
        for old, new in zip(op.results, outs):
            env[id(old)] = new
    return [env[id(r)] for r in fn.results]


def forward(op, ins):
    """The primal loop: (result Values, trip count as a Python int or an int64 Tracer)."""
    n = op.attrs["num_carried"]
    if "trip_count" in op.attrs or not any(_is_float(v) for v in ins[:n]):
        return list(emit(op.opdef, ins, dict(op.attrs), op.regions)), op.attrs.get("trip_count")
    extras = [wrap(v) for v in ins[n:]]
    cond_fn, body_fn = op.regions

    def vals(xs):
        return [x.value for x in xs] + [e.value for e in extras]

    def c(state):
        return wrap(run_region(cond_fn, vals(state[0]))[0])

    def b(state):
        xs, k = state
        return [wrap(v) for v in run_region(body_fn, vals(xs))], k + 1

    xs, count = while_loop(c, b, ([wrap(v) for v in ins[:n]], np.int64(0)))
    return [x.value for x in xs], count


def _quiet(fn: Function) -> Function:
    """``fn`` without its ``debug_print`` ops (nested ones too): the backward pass recomputes
    iterations, and what the loop prints should print once per iteration, as without ``grad``."""
    ops = [op.replace(regions=[_quiet(r) for r in op.regions]) if op.regions else op
           for op in fn.ops if op.name != DEBUG_PRINT]
    return Function(fn.name, fn.params, ops, fn.results)


def _tape_write(tape, k, value):
    """``tape[k] = value`` for a traced slot ``k`` (a select over the tape: O(tape size))."""
    mask = xnp.reshape(xnp.arange(tape.shape[0]) == k, (tape.shape[0],) + (1,) * value.ndim)
    return xnp.where(mask, xnp.reshape(value, (1,) + value.shape), tape)


def _tape_read(tape, k):
    """``tape[k]`` for a traced slot ``k`` (a gather: O(slot size); ``k`` is always in range)."""
    return xnp.take(tape, k, axis=0, mode="clip")


def _cdiv(a, b):
    return -(-a // b)


class _Loop:
    """One ``while`` op being differentiated: its body, extras (Tracers of the trace the
    backward pass starts in; nested loops capture them), which carries/extras are float."""

    def __init__(self, op, ins, tape_cls, count):
        self.body = _quiet(op.regions[1])
        n = op.attrs["num_carried"]
        self.types = [v.type for v in ins[:n]]
        self.extras = [wrap(v) for v in ins[n:]]
        self.fx = [k for k, v in enumerate(ins[:n]) if _is_float(v)]
        self.fe = [k for k, v in enumerate(ins[n:]) if _is_float(v)]
        self.tape_cls = tape_cls
        self.slots = plan(count)

    def _args(self, xs):
        return [x.value for x in xs] + [e.value for e in self.extras]

    def step(self, xs):
        return [wrap(v) for v in run_region(self.body, self._args(xs))]

    def steps(self, xs, count):
        return fori_loop(0, count, lambda _, x: self.step(x), xs)

    def vjp_step(self, xs, ct_x):
        """Cotangents of (float carries, float extras) of one body step at input carry ``xs``."""
        tape = self.tape_cls()
        args = self._args(xs)
        outs = tape.inline(self.body, args)
        cts: dict = {}
        for k, g in zip(self.fx, ct_x):
            o = outs[k]
            cts[id(o)] = g if id(o) not in cts else cts[id(o)] + g
        tape.backward(cts)
        n = len(xs)

        def ct(v):
            g = cts.get(id(v))
            if g is None:
                return xnp.zeros(v.type.shape, v.type.dtype)
            return g if g.dtype == v.type.dtype else g.astype(v.type.dtype)
        return [ct(args[k]) for k in self.fx], [ct(args[n + k]) for k in self.fe]

    def reverse(self, level, x0, length, ct_x, ct_e):
        """Cotangents at the start of ``length`` steps from carry ``x0``, given those at the end."""
        if level == len(self.slots):
            # the bottom: before step j (counting from the end) recompute it from x0
            def bottom(j, state):
                cx, ce = state
                dx, de = self.vjp_step(self.steps(x0, length - 1 - j), cx)
                return dx, [a + b for a, b in zip(ce, de)]
            return fori_loop(0, length, bottom, (ct_x, ct_e))
        slots = self.slots[level]
        least = BOTTOM if level == len(self.slots) - 1 else 1
        seg = _cdiv(length, slots)                     # nseg = ceil(length / seg) <= slots
        seg = max(seg, least) if isinstance(seg, int) else xnp.maximum(seg, least)
        nseg = _cdiv(length, seg)
        tapes = [xnp.zeros((slots,) + t.shape, t.dtype) for t in self.types]

        def save(k, state):
            tp, xs = state
            tp = [_tape_write(t, k, x) for t, x in zip(tp, xs)]
            # the carry after the last segment is not needed
            return tp, self.steps(xs, xnp.where(k == nseg - 1, 0, xnp.minimum(seg, length - k * seg)))
        tapes, _ = fori_loop(0, nseg, save, (tapes, list(x0)))

        def back(j, state):
            k = nseg - 1 - j
            xs = [_tape_read(t, k) for t in tapes]
            return self.reverse(level + 1, xs, xnp.minimum(seg, length - k * seg), *state)
        return fori_loop(0, nseg, back, (ct_x, ct_e))


def plan(count):
    """Slots per checkpoint level for a trip count (a Python int, or traced)."""
    if not isinstance(count, int):
        return [SLOTS_TOP] + [SLOTS] * (LEVELS - 1)
    need = max(_cdiv(count, BOTTOM), 1)
    s = max(int(need ** (1.0 / LEVELS)), 1)
    while s ** LEVELS < need:
        s += 1
    return [s] * LEVELS


def while_vjp(op, ins, gs, count, tape_cls):
    """Cotangents of a ``while`` op's operands (None for non-float ones and unused paths)."""
    n = op.attrs["num_carried"]
    loop = _Loop(op, ins, tape_cls, count)
    if not loop.fx:
        return [None] * len(ins)
    ct_x = []
    for k in loop.fx:
        t = loop.types[k]
        g = gs[k]
        if g is None:
            g = xnp.zeros(t.shape, t.dtype)
        ct_x.append(g if g.dtype == t.dtype else g.astype(t.dtype))
    ct_e = [xnp.zeros(loop.extras[k].shape, loop.extras[k].dtype) for k in loop.fe]
    try:
        ct_x, ct_e = loop.reverse(0, [wrap(v) for v in ins[:n]], count, ct_x, ct_e)
    except TraceError as e:
        prefix = "reverse-mode differentiation of "
        if str(e).startswith(prefix):
            raise
        where = f" at {op.loc}" if op.loc else ""
        raise type(e)(f"{prefix}the {loop_name(op)}{where}: {e}") from None
    out = [None] * len(ins)
    for k, g in zip(loop.fx, ct_x):
        out[k] = g
    for k, g in zip(loop.fe, ct_e):
        out[n + k] = g
    return out
