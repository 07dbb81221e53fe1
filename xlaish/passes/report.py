"""The fusion report, computed from the fused IR (never estimated).

For each kernel: its kind, the ops inside, inputs, outputs, bytes read (each
distinct input buffer once, at its real size: a broadcast input counts its
small buffer) and bytes written. A scatter kernel that the buffer plan lets
write into its operand's buffer (the aliasing rule of :mod:`.buffers`) is
marked ``in place``: it writes only its updates (the written region) and reads
the operand only if something besides the scatter reads it, which is what a
stencil's ``B[1:-1] = ...`` costs. Unfused totals count every computing op of
the traced program as its own kernel, reading its operands and writing its
result (views, scalar constants and iota are free, as in NumPy).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir.core import Function
from ..ir.kernel import VIEW_OPS, analyze, slot_sizes
from ..ir.opnames import CONSTANT, FUSED, SCATTER
from .buffers import inplace_param, updates_read_operand


@dataclass
class KernelReport:
    name: str
    kind: str
    ops: list
    inputs: list
    outputs: list
    bytes_read: int
    bytes_written: int
    buffers: tuple = ()
    in_place: bool = False          # writes its updates into its operand's buffer (no copy)


@dataclass
class FusionReport:
    kernels: list = field(default_factory=list)
    unfused_kernels: int = 0
    unfused_bytes_read: int = 0
    unfused_bytes_written: int = 0
    slots: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    write_back_bytes: int = 0      # copied into mutated arguments after the call (see Lowered)

    @property
    def num_kernels(self) -> int:
        return len(self.kernels)

    @property
    def bytes_read(self) -> int:
        return sum(k.bytes_read for k in self.kernels)

    @property
    def bytes_written(self) -> int:
        return sum(k.bytes_written for k in self.kernels)

    @property
    def intermediate_bytes(self) -> int:
        return sum(self.slots.values())

    def __str__(self):
        rows = [("kernel", "kind", "ops", "inputs", "outputs", "read", "written")]
        for k in self.kernels:
            kind = k.kind + " (in place)" if k.in_place else k.kind
            rows.append((k.name, kind, " ".join(k.ops), ", ".join(k.inputs), ", ".join(k.outputs),
                         format_bytes(k.bytes_read), format_bytes(k.bytes_written)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        widths[2] = min(widths[2], 60)
        lines = []
        for r in rows:
            cells = [c if i != 2 or len(c) <= 60 else c[:57] + "..." for i, c in enumerate(r)]
            lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
        lines.insert(1, "-" * len(lines[0]))
        lines.append(f"fused:   {self.num_kernels} kernels, read {format_bytes(self.bytes_read)}, "
                     f"written {format_bytes(self.bytes_written)}")
        lines.append(f"unfused: {self.unfused_kernels} kernels, "
                     f"read {format_bytes(self.unfused_bytes_read)}, "
                     f"written {format_bytes(self.unfused_bytes_written)}")
        if self.slots:
            slots = ", ".join(f"slot {s}: {format_bytes(n)}" for s, n in sorted(self.slots.items()))
            writes = "; ".join(f"{k.name} -> {list(k.buffers)}" for k in self.kernels
                               if any(b >= 0 for b in k.buffers))
            lines.append(f"buffer plan: {slots}; kernels write {writes}")
        else:
            lines.append("buffer plan: no intermediate buffers")
        lines.extend(self.notes)
        return "\n".join(lines)


def format_bytes(n: int) -> str:
    """A byte count for people: ``512 B``, ``15.02 KiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return str(n)


def _in_place(op, slot_of) -> int | None:
    """The operand index a kernel updates in its own buffer under the plan, else None."""
    j = inplace_param(op.regions[0])
    buffers = op.attrs.get("buffers", ())
    if j is None or len(buffers) != 1 or buffers[0] < 0:
        return None
    return j if slot_of.get(id(op.operands[j])) == buffers[0] else None


def fusion_report(fused: Function, unfused: Function | None = None) -> FusionReport:
    rep = FusionReport()
    slot_of: dict[int, int] = {}
    for op in fused.ops:
        if op.name != FUSED:
            continue
        body = op.regions[0]
        info = analyze(body)
        inner = [o.name for o in body.ops if o.name not in (CONSTANT,)]
        reads = list(dict.fromkeys(op.operands))
        written = sum(r.type.nbytes for r in op.results)
        j = _in_place(op, slot_of)
        if j is not None:
            (sc,) = [o for o in body.ops if o.name == SCATTER]
            written = sc.operands[2].type.nbytes
            if not updates_read_operand(body, j):
                reads = [v for v in reads if v is not op.operands[j]]
        rep.kernels.append(KernelReport(
            name=body.name, kind=info.kind, ops=inner,
            inputs=[str(v.type) for v in op.operands], outputs=[str(r.type) for r in op.results],
            bytes_read=sum(v.type.nbytes for v in reads), bytes_written=written,
            buffers=tuple(op.attrs.get("buffers", ())), in_place=j is not None))
        slot_of.update((id(r), b) for r, b in zip(op.results, op.attrs.get("buffers", ())) if b >= 0)
        if info.kind == "reduce" and info.num_phases > 1:
            rep.notes.append(f"{body.name}: {info.num_phases} passes over each row of the reduced "
                             f"axes {list(info.axes)} in one kernel (reductions feed later passes)")
    rep.slots = slot_sizes(fused)
    if unfused is not None:
        free = {"constant", "iota"} | VIEW_OPS
        for op in unfused.ops:
            if op.name in free:
                continue
            rep.unfused_kernels += 1
            rep.unfused_bytes_read += sum(v.type.nbytes for v in dict.fromkeys(op.operands))
            rep.unfused_bytes_written += sum(r.type.nbytes for r in op.results)
    return rep
