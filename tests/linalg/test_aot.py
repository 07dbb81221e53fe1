"""An exported library whose kernels call LAPACK: linked against NumPy's OpenBLAS by path (see
:func:`xlaish.runtime.lapack.aot_link_args`), its manifest names the dependency, and a C program
calling it gets NumPy's results, and the check's return code for a singular matrix."""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

import xlaish as xl
import xlaish.aot as aot
from xlaish.runtime import lapack

from ..aot.conftest import find_cc
from ..aot.workloads import C_PRELUDE

N, B = 6, 3


def solve_det(a, b):
    return np.linalg.solve(a, b), np.linalg.det(a)


C_SOURCE = C_PRELUDE + r"""
#include "solve_det.h"

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    dir = argv[1];
    const double *a = load("a.bin", SOLVE_DET_ARG0_SIZE * sizeof(double));
    const double *b = load("b.bin", SOLVE_DET_ARG1_SIZE * sizeof(double));
    double *x = malloc(SOLVE_DET_OUT0_SIZE * sizeof(double));
    double *d = malloc(SOLVE_DET_OUT1_SIZE * sizeof(double));
    check("solve_det", solve_det(a, b, x, d));
    save("x.bin", x, SOLVE_DET_OUT0_SIZE * sizeof(double));
    save("d.bin", d, SOLVE_DET_OUT1_SIZE * sizeof(double));
    const double *s = load("singular.bin", SOLVE_DET_ARG0_SIZE * sizeof(double));
    printf("%d\n", solve_det(s, b, x, d));
    return 0;
}
"""


def test_exported_library_calls_lapack_from_c(tmp_path):
    cc = find_cc()
    if cc is None:
        pytest.skip("no C compiler on this machine")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((B, N, N)) + N * np.eye(N)
    b = rng.standard_normal((B, N, 2))
    singular = a.copy()
    singular[1, -1] = singular[1, 0]
    p = aot.export(solve_det, (xl.ShapeDtype(a.shape, "float64"), xl.ShapeDtype(b.shape, "float64")),
                   out_dir=str(tmp_path), name="solve_det")
    m = json.loads(open(p.manifest).read())
    assert m["lapack"]["library"] == lapack.library_path()
    assert m["checks"] == ["Singular matrix"]
    a.tofile(tmp_path / "a.bin")
    b.tofile(tmp_path / "b.bin")
    singular.tofile(tmp_path / "singular.bin")
    (tmp_path / "prog.c").write_text(C_SOURCE)
    cmd = cc + ["-std=c99", "-O1", f"-I{tmp_path}", str(tmp_path / "prog.c"), str(p.library),
                f"-Wl,-rpath,{tmp_path}", "-o", str(tmp_path / "prog")]
    cp = subprocess.run(cmd, capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    run = subprocess.run([str(tmp_path / "prog"), str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    x = np.fromfile(tmp_path / "x.bin").reshape(B, N, 2)
    d = np.fromfile(tmp_path / "d.bin")
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d, np.linalg.det(a), rtol=1e-10)
    from xlaish.aot.manifest import CHECK_BASE
    assert int(run.stdout.strip()) == CHECK_BASE       # check 0 ("Singular matrix") failed
