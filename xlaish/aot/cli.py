"""``xlaish export MODULE:FUNCTION --arg f32[1000] [--arg ...] --name NAME -o DIR``.

Same files as :func:`xlaish.aot.export` (byte-identical header and manifest):
``DIR/lib<NAME>.so``, ``DIR/<NAME>.h``, ``DIR/<NAME>.json``, ``DIR/<NAME>.o``.
``--arg`` takes one spec per (array) argument in order: ``f32[1000]``,
``float64[3,4]``, ``i64[]``; dtypes f16/f32/f64, i8-i64, u8-u64, bool or
their NumPy names. ``--static NAME=VALUE`` passes a static argument (a
Python literal). The function is loaded by :func:`xlaish.cli_args.load_function`
(the same as ``xlaish inspect``). Exit status: 0, 1 when linking failed (object
and header are still written), 2 for bad arguments (a target that cannot be
loaded included) or a function that does not compile.
"""
from __future__ import annotations

import ast
import sys

from ..cli_args import load_function, parse_arg_spec
from .targets import DEFAULT_TARGET


def _static(text: str):
    import argparse
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"bad --static {text!r}: expected NAME=VALUE")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value          # a bare word: a string


def configure(parser):
    parser.add_argument("function", metavar="MODULE:FUNCTION",
                        help="package.module:function or path/file.py:function")
    parser.add_argument("--arg", action="append", type=parse_arg_spec, default=[], metavar="SPEC",
                        help="one per array argument, in order: DTYPE[DIMS], e.g. f32[1000], "
                             "float64[3,4], i64[]")
    parser.add_argument("--static", action="append", type=_static, default=[], metavar="NAME=VALUE",
                        help="a static (compile-time) argument, as a Python literal")
    parser.add_argument("--name", default=None, help="library / symbol name (default: the function's)")
    parser.add_argument("-o", "--out-dir", default=".", help="output directory (default: .)")
    parser.add_argument("--target", dest="cpu_target", default=DEFAULT_TARGET,
                        help=f"multi | x86-64 | x86-64-v2 | x86-64-v3 | x86-64-v4 | a comma list of "
                             f"levels | host (default {DEFAULT_TARGET}: v2, v3 and v4 in one library, "
                             f"the best one runs)")
    parser.add_argument("--features", default=None,
                        help="extra LLVM CPU features, e.g. +avx512f (checked at call time)")
    parser.add_argument("--no-fuse", action="store_true", help="one kernel per op")
    parser.add_argument("--no-link", action="store_true",
                        help="write the object file, header and manifest only")


def run(args) -> int:
    from ..errors import XlaishError
    from .errors import LinkError
    from .exporter import export
    fn = load_function(args.function)     # an xl.jit function keeps its static_argnums / fuse
    static = dict(args.static)
    try:
        paths = export(fn, tuple(args.arg), static, out_dir=args.out_dir, name=args.name,
                       target=args.cpu_target, features=args.features,
                       static_argnames=tuple(static), fuse=not args.no_fuse,
                       link=not args.no_link)
    except LinkError as e:
        print(str(e), file=sys.stderr)
        return 1
    except (XlaishError, ValueError, TypeError) as e:
        print(f"xlaish export: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    except OSError as e:             # the output directory cannot be created or written
        print(f"xlaish export: cannot write to {args.out_dir!r}: {e.strerror or e}", file=sys.stderr)
        return 2
    for p in (paths.library, paths.header, paths.manifest, paths.object):
        if p:
            print(p)
    return 0
