"""The generated sections of README.md: the IR op list, the NumPy coverage table, the
environment variables (from ``xlaish.config.VARIABLES``).

Each section sits between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``
in the README; ``python -m xlaish.readme`` rewrites them from the code (the op
registry, :mod:`xlaish.numpy.coverage`), and ``tests/test_readme.py`` fails when
the README differs from what this module generates, so the lists cannot go stale.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from .ir.opdef import CREATION, ELEMENTWISE, REDUCTION, REGION, SHAPE, SIDE_EFFECT, all_ops
from .ir.ops.fft import FFT
from .ir.ops.scan import SCAN
from .ir.ops.sort import SORT

_NOTES = {
    "reductions": "`mean`, `var`, `std`, `nansum`, `ptp`, ... decompose into these",
    "shape / data movement": "`stack`, `expand_dims`, `x[1:, ::2]`, `x[:, None]`, `pad`, `roll`, "
                             "`tile`, ... decompose into these",
    "creation": "`zeros`, `ones`, `full`, `arange`, `linspace`, `eye`",
    "linear algebra": "`@`, `dot`, `inner`, `outer`, `vdot`, `einsum`, `tensordot`, `kron`",
    "side effects (debugging, host callbacks)": "`xl.debug.print`, `xl.debug.check`, "
                                                "`xl.pure_callback`, `xl.io_callback`",
    "scans and sorts": "`cumsum`, `cumprod`, `np.maximum.accumulate`, `argsort` (`sort_by` of an iota), "
                       "`partition`, `searchsorted`, `median`, `quantile`, ... build on these",
    "Fourier transforms": "every `np.fft` transform (`fft`, `ifft`, `rfft`, `irfft`, `fft2`, `fftn`, ...) "
                          "is this op along one axis at a time",
}


def _group(od) -> str:
    if od.has(ELEMENTWISE):
        return {1: "elementwise, unary", 2: "elementwise, binary", 3: "elementwise, ternary"}[od.arity]
    for trait, name in ((REDUCTION, "reductions"), (SHAPE, "shape / data movement"),
                        (CREATION, "creation"), (SCAN, "scans and sorts"), (SORT, "scans and sorts"),
                        (FFT, "Fourier transforms"),
                        (REGION, "regions"),
                        (SIDE_EFFECT, "side effects (debugging, host callbacks)")):
        if od.has(trait):
            return name
    return "linear algebra"


def ops_markdown() -> str:
    groups: dict[str, list[str]] = {}
    ops = all_ops()
    for name, od in ops.items():
        groups.setdefault(_group(od), []).append(name)
    lines = [f"IR ops (from the op registry, `xlaish.ir.all_ops()`: {len(ops)} ops):", ""]
    for g, names in groups.items():
        note = f" ({_NOTES[g]})" if g in _NOTES else ""
        lines.append(f"- **{g}** ({len(names)}): {', '.join(f'`{n}`' for n in names)}{note}")
    return "\n".join(lines) + "\n"


def env_markdown() -> str:
    from .config import VARIABLES
    rows = [f"| `{k}` | {v} |" for k, v in VARIABLES.items()]
    return "\n".join(["| variable | effect |", "|---|---|", *rows]) + "\n"


def sections() -> dict[str, str]:
    from .numpy.coverage import markdown
    return {"ops": ops_markdown(), "numpy-coverage": markdown(), "env": env_markdown()}


def render(text: str) -> str:
    """``text`` (the README) with every generated section replaced by its current content."""
    for name, body in sections().items():
        pat = re.compile(rf"(<!-- generated: {re.escape(name)} -->\n).*?(<!-- end: {re.escape(name)} -->)",
                         re.S)
        if not pat.search(text):
            raise ValueError(f"README has no generated section {name!r}")
        text = pat.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    return text


def main(argv=None) -> int:
    path = Path(argv[0] if argv else "README.md")
    old = path.read_text()
    new = render(old)
    if new != old:
        path.write_text(new)
        print(f"{path}: generated sections rewritten")
    else:
        print(f"{path}: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
