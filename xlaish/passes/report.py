"""The fusion report, computed from the fused IR (never estimated).

For each kernel: its kind, the ops inside, inputs, outputs, bytes read (each
distinct input buffer once, at its real size: a broadcast input counts its
small buffer) and bytes written. Unfused totals count every computing op of
the traced program as its own kernel, reading its operands and writing its
result (views, scalar constants and iota are free, as in NumPy).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir.core import Function
from ..ir.kernel import VIEW_OPS, analyze, slot_sizes
from ..ir.opnames import CONSTANT, FUSED


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


@dataclass
class FusionReport:
    kernels: list = field(default_factory=list)
    unfused_kernels: int = 0
    unfused_bytes_read: int = 0
    unfused_bytes_written: int = 0
    slots: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

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
            rows.append((k.name, k.kind, " ".join(k.ops), ", ".join(k.inputs), ", ".join(k.outputs),
                         _b(k.bytes_read), _b(k.bytes_written)))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        widths[2] = min(widths[2], 60)
        lines = []
        for r in rows:
            cells = [c if i != 2 or len(c) <= 60 else c[:57] + "..." for i, c in enumerate(r)]
            lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
        lines.insert(1, "-" * len(lines[0]))
        lines.append(f"fused:   {self.num_kernels} kernels, read {_b(self.bytes_read)}, "
                     f"written {_b(self.bytes_written)}")
        lines.append(f"unfused: {self.unfused_kernels} kernels, read {_b(self.unfused_bytes_read)}, "
                     f"written {_b(self.unfused_bytes_written)}")
        if self.slots:
            slots = ", ".join(f"slot {s}: {_b(n)}" for s, n in sorted(self.slots.items()))
            writes = "; ".join(f"{k.name} -> {list(k.buffers)}" for k in self.kernels
                               if any(b >= 0 for b in k.buffers))
            lines.append(f"buffer plan: {slots}; kernels write {writes}")
        else:
            lines.append("buffer plan: no intermediate buffers")
        lines.extend(self.notes)
        return "\n".join(lines)


def _b(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return str(n)


def fusion_report(fused: Function, unfused: Function | None = None) -> FusionReport:
    rep = FusionReport()
    for op in fused.ops:
        if op.name != FUSED:
            continue
        body = op.regions[0]
        info = analyze(body)
        inner = [o.name for o in body.ops if o.name not in (CONSTANT,)]
        rep.kernels.append(KernelReport(
            name=body.name, kind=info.kind, ops=inner,
            inputs=[str(v.type) for v in op.operands], outputs=[str(r.type) for r in op.results],
            bytes_read=sum(v.type.nbytes for v in dict.fromkeys(op.operands)),
            bytes_written=sum(r.type.nbytes for r in op.results),
            buffers=tuple(op.attrs.get("buffers", ()))))
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
