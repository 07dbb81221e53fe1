"""Export targets: which CPUs the library is compiled for and how it picks the code to run.

A library holds one or more *variants*, each the whole program compiled for one
CPU level. The default, ``"multi"``, holds three: the x86-64 micro-architecture
levels ``"x86-64-v2"`` (SSE4.2, POPCNT; the library's floor), ``"x86-64-v3"``
(AVX, AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE, XSAVE: Haswell 2013 / Zen 1 2017
and later) and ``"x86-64-v4"`` (AVX-512 F/BW/CD/DQ/VL: Skylake-X / Zen 4).
One level (``"x86-64"``, the SSE2 baseline, ``"x86-64-v2"`` ... ``"x86-64-v4"``),
a comma list of levels (``"x86-64-v3,x86-64-v4"``) or ``"host"`` (every
feature of the building CPU, its LLVM CPU name and feature string; one
variant) are accepted too. Each variant has a short name (:data:`SHORT`:
``v1`` ... ``v4``, ``host``; ``generic`` for ``"multi"`` on a non-x86 LLVM,
where the library holds one variant for the triple's generic CPU).

At its first call an x86 library picks the highest variant whose features the
CPU has, checked with ``cpuid`` (and ``xgetbv`` for the operating system's AVX /
AVX-512 register state); ``CPUID_BITS`` says where each checkable LLVM feature
lives. Below the floor it returns ``ERR_CPU`` instead of dying with SIGILL.
The environment variable ``XLAISH_AOT_VARIANT`` (read by the library itself,
documented in :mod:`xlaish.config`) forces one variant; ``XLAISH_AOT_CPU_LEVEL``
makes the choice as on an older CPU (a test hook; see :mod:`.llvmgen`).
With ``"host"``, host features outside that table (cache-control and
system instructions the numeric kernels never emit) are listed as
``unchecked`` in the manifest.

This module is pure Python (no llvmlite): the loader and header writer use it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_TARGET = "multi"
MULTI = ("x86-64-v2", "x86-64-v3", "x86-64-v4")     # the variants of "multi", floor first
ERR_CPU = 1
ERR_ALLOC = 2
ERR_ARGS = 3      # <name>_checked: the buffers do not fit the shapes compiled into the library
ERR_VARIANT = 4   # XLAISH_AOT_VARIANT names no variant of the library

# LLVM feature name -> (cpuid leaf, subleaf, register, bit)
CPUID_BITS: dict[str, tuple[int, int, str, int]] = {
    # leaf 1, edx
    "cx8": (1, 0, "edx", 8), "cmov": (1, 0, "edx", 15), "mmx": (1, 0, "edx", 23),
    "fxsr": (1, 0, "edx", 24), "sse": (1, 0, "edx", 25), "sse2": (1, 0, "edx", 26),
    # leaf 1, ecx
    "sse3": (1, 0, "ecx", 0), "pclmul": (1, 0, "ecx", 1), "ssse3": (1, 0, "ecx", 9),
    "fma": (1, 0, "ecx", 12), "cx16": (1, 0, "ecx", 13), "sse4.1": (1, 0, "ecx", 19),
    "sse4.2": (1, 0, "ecx", 20), "crc32": (1, 0, "ecx", 20), "movbe": (1, 0, "ecx", 22),
    "popcnt": (1, 0, "ecx", 23), "aes": (1, 0, "ecx", 25), "xsave": (1, 0, "ecx", 26),
    "avx": (1, 0, "ecx", 28), "f16c": (1, 0, "ecx", 29), "rdrnd": (1, 0, "ecx", 30),
    # leaf 7.0, ebx
    "fsgsbase": (7, 0, "ebx", 0), "bmi": (7, 0, "ebx", 3), "avx2": (7, 0, "ebx", 5),
    "bmi2": (7, 0, "ebx", 8), "invpcid": (7, 0, "ebx", 10), "avx512f": (7, 0, "ebx", 16),
    "avx512dq": (7, 0, "ebx", 17), "rdseed": (7, 0, "ebx", 18), "adx": (7, 0, "ebx", 19),
    "avx512ifma": (7, 0, "ebx", 21), "clflushopt": (7, 0, "ebx", 23), "clwb": (7, 0, "ebx", 24),
    "avx512cd": (7, 0, "ebx", 28), "sha": (7, 0, "ebx", 29), "avx512bw": (7, 0, "ebx", 30),
    "avx512vl": (7, 0, "ebx", 31),
    # leaf 7.0, ecx
    "avx512vbmi": (7, 0, "ecx", 1), "avx512vbmi2": (7, 0, "ecx", 6), "gfni": (7, 0, "ecx", 8),
    "vaes": (7, 0, "ecx", 9), "vpclmulqdq": (7, 0, "ecx", 10), "avx512vnni": (7, 0, "ecx", 11),
    "avx512bitalg": (7, 0, "ecx", 12), "avx512vpopcntdq": (7, 0, "ecx", 14), "rdpid": (7, 0, "ecx", 22),
    # leaf 7.0, edx
    "avx512vp2intersect": (7, 0, "edx", 8), "avx512fp16": (7, 0, "edx", 23),
    # leaf 7.1, eax
    "avxvnni": (7, 1, "eax", 4), "avx512bf16": (7, 1, "eax", 5),
    # leaf 0xD.1, eax
    "xsaveopt": (0xD, 1, "eax", 0), "xsavec": (0xD, 1, "eax", 1), "xsaves": (0xD, 1, "eax", 3),
    # leaf 0x80000001, ecx
    "sahf": (0x80000001, 0, "ecx", 0), "lzcnt": (0x80000001, 0, "ecx", 5),
    "sse4a": (0x80000001, 0, "ecx", 6), "prfchw": (0x80000001, 0, "ecx", 8),
    "xop": (0x80000001, 0, "ecx", 11), "fma4": (0x80000001, 0, "ecx", 16),
    "tbm": (0x80000001, 0, "ecx", 21),
    # leaf 0x80000008, ebx
    "clzero": (0x80000008, 0, "ebx", 0),
}
OSXSAVE = (1, 0, "ecx", 27)

# features whose registers the OS must save (XCR0): YMM state (bits 1, 2) ...
_YMM = {"avx", "avx2", "fma", "f16c", "fma4", "xop", "vaes", "vpclmulqdq", "avxvnni", "gfni"}
XCR0_YMM = 0x6
XCR0_ZMM = 0xE6          # ... and opmask / ZMM state (bits 5-7) for AVX-512


def _levels():
    base = ["cmov", "cx8", "fxsr", "mmx", "sse", "sse2"]
    v2 = base + ["cx16", "popcnt", "sahf", "sse3", "sse4.1", "sse4.2", "ssse3"]
    v3 = v2 + ["avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave"]
    v4 = v3 + ["avx512bw", "avx512cd", "avx512dq", "avx512f", "avx512vl"]
    return {"x86-64": base, "x86-64-v2": v2, "x86-64-v3": v3, "x86-64-v4": v4}


LEVELS = _levels()
SHORT = {"x86-64": "v1", "x86-64-v2": "v2", "x86-64-v3": "v3", "x86-64-v4": "v4"}
LEVEL_OF = {"v1": 1, "v2": 2, "v3": 3, "v4": 4}
DESCRIPTIONS = {
    "x86-64": "x86-64 baseline (SSE2)",
    "x86-64-v2": "x86-64-v2 (SSE4.2, POPCNT; Nehalem / Jaguar and later)",
    "x86-64-v3": "x86-64-v3 (AVX2, FMA, BMI1/2, F16C; Haswell / Zen 1 and later)",
    "x86-64-v4": "x86-64-v4 (AVX-512 F/BW/CD/DQ/VL; Skylake-X / Zen 4 and later)",
}


@dataclass
class Target:
    """A resolved export target."""
    name: str                      # "x86-64-v3", "host", ...
    cpu: str                       # LLVM CPU name
    llvm_features: str             # LLVM feature string ("" for a named level)
    required: list = field(default_factory=list)    # checked at every call (sorted)
    unchecked: list = field(default_factory=list)   # host features that cannot be checked
    description: str = ""
    x86: bool = True
    variant: str = ""              # short name: "v1" ... "v4", "host", "generic"

    @property
    def level(self) -> int:
        """The x86-64 level (1-4); 0 for "host" and "generic"."""
        return LEVEL_OF.get(self.variant, 0)

    def os_state_mask(self) -> int:
        """XCR0 bits the OS must enable for the required features (0: no check)."""
        if any(f.startswith("avx512") for f in self.required):
            return XCR0_ZMM
        if any(f in _YMM for f in self.required):
            return XCR0_YMM
        return 0


def _parse_features(text: str | None) -> list[tuple[str, bool]]:
    out = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        if item[0] not in "+-":
            item = "+" + item
        out.append((item[1:], item[0] == "+"))
    return out


def resolve(target: str = DEFAULT_TARGET, features: str | None = None, *, triple: str,
            host_cpu: str | None = None, host_features: str | None = None) -> Target:
    """The :class:`Target` for a target name plus extra LLVM features (``"+avx512f,+gfni"``).

    ``triple`` is the LLVM target triple; ``host_cpu`` / ``host_features`` are
    only needed for ``target="host"``.
    """
    x86 = triple.split("-")[0] in ("x86_64", "amd64")
    extra = _parse_features(features)
    if target == "host":
        cpu = host_cpu or "generic"
        feats = _parse_features(host_features)
        on = {f for f, plus in feats if plus}
        if not x86:
            fs = ",".join(f"{'+' if p else '-'}{f}" for f, p in feats + extra)
            return Target("host", cpu, fs, [], sorted(on), f"the building CPU ({cpu})", x86=False,
                          variant="host")
        on |= {f for f, plus in extra if plus}
        on -= {f for f, plus in extra if not plus}
        required = sorted(f for f in on if f in CPUID_BITS)
        unchecked = sorted(f for f in on if f not in CPUID_BITS and f not in ("64bit", "x87"))
        fs = ",".join(f"{'+' if p else '-'}{f}" for f, p in feats + extra)
        return Target("host", cpu, fs, required, unchecked, f"the building CPU ({cpu}, every feature)",
                      variant="host")
    if target not in LEVELS:
        raise ValueError(f"unknown export target {target!r}: use one of "
                         f"{', '.join(sorted(LEVELS))}, a comma list of them, 'multi' or 'host'")
    if not x86:
        raise ValueError(f"target {target!r} is an x86-64 level but this LLVM targets {triple}; "
                         f"use target='host'")
    req = set(LEVELS[target])
    for f, plus in extra:
        if plus and f not in CPUID_BITS:
            raise ValueError(f"feature {f!r} cannot be checked at run time; checkable features: "
                             f"{', '.join(sorted(CPUID_BITS))}")
        if plus:
            req.add(f)
        else:
            req.discard(f)
    fs = ",".join(f"{'+' if p else '-'}{f}" for f, p in extra)
    desc = DESCRIPTIONS[target] + (f" plus {fs}" if fs else "")
    return Target(target, target, fs, sorted(req), [], desc, variant=SHORT[target])


def resolve_variants(target: str = DEFAULT_TARGET, features: str | None = None, *, triple: str,
                     host_cpu: str | None = None, host_features: str | None = None) -> list[Target]:
    """The variants of an export target, floor (lowest level) first: ``"multi"`` (v2, v3, v4 on
    x86-64; the triple's generic CPU elsewhere), a comma list of x86-64 levels, one level or
    ``"host"``. ``features`` applies to every variant (and every variant checks it)."""
    if not isinstance(target, str):
        raise ValueError(f"export target must be a string, got {type(target).__name__}")
    x86 = triple.split("-")[0] in ("x86_64", "amd64")
    if target == "multi" and not x86:
        fs = ",".join(f"{'+' if p else '-'}{f}" for f, p in _parse_features(features))
        return [Target("generic", "generic", fs, [], [], f"the generic CPU of {triple}", x86=False,
                       variant="generic")]
    names = list(MULTI) if target == "multi" else [t.strip() for t in target.split(",")]
    if len(names) > 1:
        bad = [n for n in names if n not in LEVELS]
        if bad:
            raise ValueError(f"unknown export target {bad[0]!r} in {target!r}: a list of targets names "
                             f"x86-64 levels ({', '.join(sorted(LEVELS))})")
        if len(set(names)) != len(names):
            raise ValueError(f"export target {target!r} names a level twice")
    out = [resolve(n, features, triple=triple, host_cpu=host_cpu, host_features=host_features)
           for n in names]
    return sorted(out, key=lambda t: t.level)
