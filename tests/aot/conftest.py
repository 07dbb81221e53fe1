"""Fixtures of the AOT tests: the system C compiler and the three exported workloads.

``exported`` exports chain10, softmax and black_scholes once per session into
a temporary directory (about a second each) and writes their deterministic
inputs (raw little-endian binaries, read by the C test program) and NumPy
references next to them.
"""
from __future__ import annotations

import os
import shlex
import shutil

import numpy as np
import pytest

import xlaish as xl
import xlaish.aot as aot

from . import workloads

SPECS = {
    "chain10": (xl.ShapeDtype((1000,), "float32"),),
    "softmax": (xl.ShapeDtype((512, 256), "float32"),),
    "black_scholes": tuple(xl.ShapeDtype((100_000,), workloads.BS_DTYPE) for _ in range(5)),
}


def find_cc():
    cc = os.environ.get("CC")
    cmd = shlex.split(cc) if cc else ["cc"]
    if shutil.which(cmd[0]):
        return cmd
    for cand in ("gcc", "clang"):
        if shutil.which(cand):
            return [cand]
    return None


@pytest.fixture(scope="session")
def cc():
    cmd = find_cc()
    if cmd is None:
        pytest.skip("no C compiler (cc / $CC / gcc / clang) on this machine: cannot link or "
                    "compile C programs against the exported library")
    return cmd


@pytest.fixture(scope="session")
def exported(cc, tmp_path_factory):
    out = tmp_path_factory.mktemp("aot_build")
    ins = workloads.inputs()
    refs = workloads.references(ins)
    paths = {}
    for name, spec in SPECS.items():
        paths[name] = aot.export(getattr(workloads, name), spec, out_dir=str(out), name=name)
        for k, a in enumerate(ins[name]):
            np.ascontiguousarray(a).tofile(out / f"{name}_in{k}.bin")
    return {"dir": out, "paths": paths, "inputs": ins, "refs": refs}
