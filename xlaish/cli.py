"""The ``xlaish`` command: ``demo``, ``inspect``, ``export``, ``bench``."""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import re
import sys

from . import dtypes

_SPEC = re.compile(r"^\s*([A-Za-z0-9_]+)\s*\[([0-9,\s]*)\]\s*$")


def parse_arg_spec(text: str):
    """``"f32[1000]"``, ``"float64[3,4]"``, ``"bool[]"`` -> ShapeDtype."""
    from .trace.tracing import ShapeDtype
    m = _SPEC.match(text)
    if not m:
        raise argparse.ArgumentTypeError(
            f"bad argument spec {text!r}: expected DTYPE[DIMS], e.g. f32[1000] or float64[3,4]")
    dims = [d for d in m.group(2).replace(" ", "").split(",") if d]
    try:
        return ShapeDtype(tuple(int(d) for d in dims), dtypes.canonical(m.group(1)))
    except Exception as e:
        raise argparse.ArgumentTypeError(f"bad argument spec {text!r}: {e}") from None


def load_function(target: str):
    """``package.module:function`` (or a ``path/to/file.py:function``) -> the function."""
    if ":" not in target:
        raise SystemExit(f"xlaish: expected MODULE:FUNCTION, got {target!r}")
    mod_name, fn_name = target.rsplit(":", 1)
    if mod_name.endswith(".py"):
        spec = importlib.util.spec_from_file_location("_xlaish_target", mod_name)
        if spec is None:
            raise SystemExit(f"xlaish: cannot load {mod_name}")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    else:
        sys.path.insert(0, "")
        mod = importlib.import_module(mod_name)
    fn = getattr(mod, fn_name, None)
    if fn is None:
        raise SystemExit(f"xlaish: {mod_name} has no attribute {fn_name!r}")
    return getattr(fn, "fun", fn)     # accept an already-jitted function


def _inspect(args) -> int:
    from .jit import jit
    fn = load_function(args.target)
    low = jit(fn, fuse=not args.no_fuse).lower(*args.arg)
    if args.stage in ("traced", "optimized"):
        print(low.as_text(args.stage))
    elif args.stage == "llvm":
        print(low.llvm_ir())
    elif args.stage == "asm":
        print(low.asm())
    elif args.stage == "report":
        print(low.fusion_report())
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:          # the runner parses its own options (--quick, --only, ...)
        from benchmarks.runner import main as bench_main
        return bench_main(argv[1:])
    p = argparse.ArgumentParser(prog="xlaish", description="xlaish: a tracing compiler for NumPy code")
    sub = p.add_subparsers(dest="cmd", required=True)

    d = sub.add_parser("demo", help="trace, optimise, fuse and time a small function")
    d.add_argument("--size", type=int, default=1 << 22, help="elements of the demo input")

    i = sub.add_parser("inspect", help="print a function's IR, LLVM IR, assembly or fusion report")
    i.add_argument("target", help="MODULE:FUNCTION or path/file.py:FUNCTION")
    i.add_argument("--arg", action="append", type=parse_arg_spec, default=[],
                   help="one per argument, e.g. f32[1000]")
    i.add_argument("--stage", choices=["traced", "optimized", "llvm", "asm", "report"], default="optimized")
    i.add_argument("--no-fuse", action="store_true", help="one kernel per op")

    e = sub.add_parser("export", help="compile ahead of time to a shared library and a C header")
    from .aot import cli as aot_cli
    aot_cli.configure(e)

    b = sub.add_parser("bench", help="run the fused-vs-unfused benchmark suite")
    b.add_argument("rest", nargs=argparse.REMAINDER, help="options for the benchmark runner")

    args = p.parse_args(argv)
    if args.cmd == "inspect":
        return _inspect(args)
    if args.cmd == "export":
        return aot_cli.run(args)
    if args.cmd == "demo":
        from .demo import run_demo
        return run_demo(size=args.size)
    if args.cmd == "bench":
        from benchmarks.runner import main as bench_main
        return bench_main(args.rest)
    return 2


if __name__ == "__main__":
    sys.exit(main())
