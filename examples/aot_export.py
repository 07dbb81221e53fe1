"""Ahead-of-time export: compile a function for fixed shapes into a shared
library + C header, call it back from Python with ``xlaish.aot.load``, and
from C (``aot_c/main.c``) when a C compiler is installed.

The same export from the command line:
``xlaish export examples/aot_export.py:chain10 --arg "f32[1000]" --name chain10 -o build/``.
Run: ``python examples/aot_export.py [OUT_DIR]`` (default: ./build).
"""
import os
import shutil
import subprocess
import sys

import numpy as np

import xlaish as xl

HERE = os.path.dirname(os.path.abspath(__file__))


def chain10(x):
    return np.tanh(((x * 1.5 + 2) * x - 0.5) / (1 + x * x)) * 3 + x


def main(out_dir="build"):
    paths = xl.aot.export(chain10, (xl.ShapeDtype((1000,), "float32"),), out_dir=out_dir,
                          name="chain10")
    print("exported:", paths.library, paths.header, paths.manifest, sep="\n  ")

    # 1. back into Python (ctypes + NumPy only: no tracing, no LLVM)
    f = xl.aot.load(paths.library)
    x = np.linspace(-3, 3, 1000, dtype=np.float32)
    err = np.max(np.abs(f(x) - chain10(x)))
    print(f"from Python: max |aot - numpy| = {err:.2e}")
    assert err < 1e-4

    # 2. from C
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        print("no C compiler found: skipping the C program")
        return
    exe = os.path.join(out_dir, "chain10_demo")
    subprocess.run([cc, "-O2", "-I", out_dir, os.path.join(HERE, "aot_c", "main.c"), "-L", out_dir,
                    "-lchain10", f"-Wl,-rpath,{os.path.abspath(out_dir)}", "-lm", "-o", exe],
                   check=True)
    out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    print(out.strip())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build")
