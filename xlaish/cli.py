"""The ``xlaish`` command: ``demo`` (:mod:`.demo`), ``inspect``, ``export`` (:mod:`.aot.cli`), ``bench``.

``inspect`` and ``export`` read their MODULE:FUNCTION target and DTYPE[DIMS]
argument specs with :mod:`.cli_args`; a target that cannot be loaded is one
line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import sys

from .cli_args import TargetError, load_function, parse_arg_spec

__all__ = ["main", "parse_arg_spec", "load_function"]


def _inspect(args) -> int:
    from .jit import jit
    fn = load_function(args.target)
    fn = getattr(fn, "fun", fn)     # an xl.jit function: inspect its Python function with these options
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
    try:
        if args.cmd == "inspect":
            return _inspect(args)
        if args.cmd == "export":
            return aot_cli.run(args)
    except TargetError as e:
        print(f"xlaish {args.cmd}: {e}", file=sys.stderr)
        return 2
    if args.cmd == "demo":
        from .demo import run_demo
        return run_demo(size=args.size)
    if args.cmd == "bench":
        from benchmarks.runner import main as bench_main
        return bench_main(args.rest)
    return 2


if __name__ == "__main__":
    sys.exit(main())
