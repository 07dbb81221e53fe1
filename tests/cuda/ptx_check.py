"""Compile generated CUDA modules to PTX for cc 9.0 (run as a script, without the simulator).

``python -m tests.cuda.ptx_check DIR [JOBS]``: every ``*.py`` module in DIR is
compiled with ``numba.cuda.compile_ptx`` (through
:func:`xlaish.codegen.cuda.ptx.compile_module_ptx`); prints a JSON summary.
Modules named ``nof64_*`` must also be free of float64 instructions (float32
math must stay float32).
Exit status 0: all compiled; 1: some failed (the summary names them); 77: the
real numba.cuda or NVVM is not available here (the caller skips).
"""
from __future__ import annotations

import json
import os
import sys
import time


def _compile(path):
    from xlaish.codegen.cuda.ptx import compile_module_ptx
    with open(path, encoding="utf-8") as f:
        text = f.read()
    t = time.time()
    try:
        ptx = compile_module_ptx(text, cc=(9, 0))
    except Exception as e:    # report, do not stop
        return path, None, f"{type(e).__name__}: {str(e)[:3000]}", time.time() - t
    bad = [k for k, p in ptx.items() if ".entry" not in p]
    if bad:
        return path, len(ptx), f"no .entry in {bad}", time.time() - t
    if os.path.basename(path).startswith("nof64_"):      # float32 programs: no float64 anywhere
        f64 = {k: [ln.strip() for ln in p.splitlines() if ".f64" in ln][:3] for k, p in ptx.items()}
        f64 = {k: v for k, v in f64.items() if v}
        if f64:
            return path, len(ptx), f"float64 instructions in float32 kernels: {f64}", time.time() - t
    return path, len(ptx), None, time.time() - t


def main(argv):
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        print(json.dumps({"skip": "NUMBA_ENABLE_CUDASIM is set"}))
        return 77
    try:
        from numba.cuda.cudadrv import nvvm
        if not nvvm.is_available():
            raise RuntimeError("NVVM not found")
    except Exception as e:
        print(json.dumps({"skip": f"numba-cuda with NVVM is not installed ({e}); "
                                  "pip install 'numba-cuda[cu13]'"}))
        return 77
    d = argv[0]
    jobs = int(argv[1]) if len(argv) > 1 else 1
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".py"))
    if jobs > 1 and len(files) > 1:
        import multiprocessing as mp
        with mp.get_context("fork").Pool(jobs) as pool:
            results = pool.map(_compile, files, chunksize=1)
    else:
        results = [_compile(f) for f in files]
    failures = {os.path.basename(p): err for p, _, err, _ in results if err}
    summary = {"modules": len(files), "kernels": sum(n or 0 for _, n, _, _ in results),
               "seconds": round(sum(t for *_, t in results), 2), "failures": failures}
    print(json.dumps(summary))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
