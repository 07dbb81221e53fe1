"""``Lowered``: one compiled signature of a jitted function at every stage (``jit(f).lower(x)``).

Its own module so that code handling compiled signatures (``xlaish.serialize``) needs no import
of :mod:`xlaish.jit`.
"""
from __future__ import annotations

from .options import CompileOptions
from .trace.tracing import Traced


class Lowered:
    """One signature of a jitted function at every stage: traced IR, optimised IR, kernels."""

    def __init__(self, traced: Traced, optimized, executable, options: CompileOptions,
                 stats: dict | None = None):
        self.traced = traced
        self.optimized = optimized
        self.executable = executable
        self.options = options
        self._stats = stats

    def compile_stats(self) -> dict:
        """How this signature was compiled: ``function``, ``signature``, ``device``, the seconds
        spent in ``trace_s``, ``passes_s``, ``codegen_s`` (LLVM IR built and parsed),
        ``llvm_optimize_s``, ``llvm_emit_s`` (object code), ``load_s`` (linked into an engine),
        ``backend_s`` (all of the backend's work), ``total_s``, and ``disk_cache``: ``"hit"`` (the
        object code was read from the disk cache: no LLVM stage ran), ``"miss"``, ``"off"``, or
        None (a backend without one). A copy; empty for a signature loaded from a pickle."""
        stats = getattr(self, "_stats", None)
        return dict(stats) if stats else {}

    def as_text(self, stage: str = "optimized") -> str:
        if stage == "traced":
            return str(self.traced.function)
        if stage == "optimized":
            return str(self.optimized)
        raise ValueError(f"unknown stage {stage!r} (traced | optimized)")

    def _artifact(self):
        art = self.executable.artifact
        if art is None:
            raise ValueError(f"no native code for device {self.options.device!r}")
        return art

    def llvm_ir(self, optimized: bool = True) -> str:
        """The program's LLVM IR (after LLVM's O3 pipeline unless optimized=False)."""
        return self._artifact().llvm_ir(optimized)

    def asm(self) -> str:
        """The program's machine code as assembly text, for the host CPU."""
        return self._artifact().asm()

    def cuda_source(self) -> str:
        """The generated Numba CUDA kernel source of this program (device="cuda" only)."""
        src = self.executable.source
        if src is None:
            raise ValueError(f"no CUDA source for device {self.options.device!r} (use device='cuda')")
        return src

    def fusion_report(self):
        from .passes.report import format_bytes, fusion_report
        rep = fusion_report(self.optimized, unfused=self.traced.function)
        t = self.traced
        results = t.function.results[len(t.function.results) - len(t.mutated):]
        for (_, name), v in zip(t.mutated, results):
            size = format_bytes(v.type.nbytes)
            rep.notes.append(f"argument {name} is assigned into: its final value ({size}) "
                             f"is copied into the caller's array after the call")
            rep.write_back_bytes += v.type.nbytes
        return rep

    def __str__(self):
        return self.as_text()
