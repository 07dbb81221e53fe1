"""A checker for buffer plans: simulate the planned program slot by slot."""
from __future__ import annotations

from xlaish.passes.buffers import slot_sizes


def check_plan(fn) -> dict:
    """Simulate ``fn``'s buffer plan; return counts. Fails when the plan is inconsistent:

    * every top-level op is ``constant`` or a planned ``fused`` op (one entry per result);
    * a kernel's output slots are distinct and never among the slots of its own inputs;
    * a value read from a slot is still the value held there (not overwritten since written);
    * values the function returns are fresh arrays (-1), every other kernel result read later
      has a slot, and each slot is at least as large as every value it holds.
    """
    returned = {id(r) for r in fn.results}
    readers: dict[int, int] = {}
    for op in fn.ops:
        for v in op.operands:
            readers[id(v)] = readers.get(id(v), 0) + 1
    sizes = slot_sizes(fn)
    holder: dict[int, int] = {}      # slot -> id of the value it holds now
    slot_of: dict[int, int] = {}
    intermediates = 0
    for i, op in enumerate(fn.ops):
        if op.name == "constant":
            continue
        assert op.name == "fused", f"op #{i} is {op.name}; after fusion only kernels remain"
        bufs = tuple(op.attrs["buffers"])
        assert len(bufs) == len(op.results), f"op #{i}: buffers {bufs} for {len(op.results)} results"
        in_slots = set()
        for v in op.operands:
            if id(v) in slot_of:
                s = slot_of[id(v)]
                assert holder.get(s) == id(v), f"op #{i} reads slot {s} after it was overwritten"
                in_slots.add(s)
        outs = [s for s in bufs if s >= 0]
        assert len(set(outs)) == len(outs), f"op #{i} writes two results to one slot: {bufs}"
        assert not set(outs) & in_slots, f"op #{i} reads and writes slot(s) {set(outs) & in_slots}"
        for r, s in zip(op.results, bufs):
            if id(r) in returned:
                assert s == -1, f"op #{i}: a returned value is planned into slot {s}"
                continue
            if id(r) in readers:
                intermediates += 1
                assert s >= 0, f"op #{i}: an intermediate read later has no slot"
            if s >= 0:
                assert sizes[s] >= r.type.nbytes
                holder[s] = id(r)
                slot_of[id(r)] = s
    return {"intermediates": intermediates, "slots": len(sizes), "bytes": sum(sizes.values())}
