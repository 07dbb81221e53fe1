"""A complex argument and result through an exported library, called from a real C99 program
(``double _Complex`` / ``float _Complex`` in the header: NumPy's interleaved layout)."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

import xlaish as xl
from tests.aot.conftest import find_cc
from xlaish import aot


def mandel_step(z, c):
    w = z * z + c
    return w, np.abs(w), (w * np.conj(c)).astype(np.complex64)


C_SOURCE = r"""
#include <complex.h>
#include <stdio.h>
#include "cstep.h"

int main(int argc, char **argv) {
    (void)argc; (void)argv;
    double _Complex z[4], c[4], w[4];
    double a[4];
    float _Complex p[4];
    for (int i = 0; i < 4; i++) {
        z[i] = (0.5 * i) + (0.25 - 0.5 * i) * I;
        c[i] = (-0.75 + 0.1 * i) + (0.3 * i) * I;
    }
    int rc = cstep(z, c, w, a, p);
    if (rc != 0) return 10 + rc;
    for (int i = 0; i < 4; i++)
        printf("%.17g %.17g %.17g %.9g %.9g\n", creal(w[i]), cimag(w[i]), a[i],
               (double)crealf(p[i]), (double)cimagf(p[i]));
    return 0;
}
"""


def test_c_program_with_complex_arguments(tmp_path):
    cc = find_cc()
    if cc is None:
        pytest.skip("no C compiler on this machine")
    spec = (xl.ShapeDtype((4,), np.complex128), xl.ShapeDtype((4,), np.complex128))
    aot.export(mandel_step, spec, out_dir=str(tmp_path), name="cstep")
    header = (tmp_path / "cstep.h").read_text()
    assert "const double _Complex *" in header and "float _Complex *" in header
    (tmp_path / "prog.c").write_text(C_SOURCE)
    cmd = cc + ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O1", f"-I{tmp_path}",
                str(tmp_path / "prog.c"), f"-L{tmp_path}", "-lcstep", f"-Wl,-rpath,{tmp_path}", "-lm",
                "-o", str(tmp_path / "prog")]
    cp = subprocess.run(cmd, capture_output=True, text=True)
    assert cp.returncode == 0, f"compiling failed:\n{' '.join(cmd)}\n{cp.stderr}"
    run = subprocess.run([str(tmp_path / "prog")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    got = np.array([[float(v) for v in line.split()] for line in run.stdout.strip().splitlines()])
    i = np.arange(4)
    z = (0.5 * i) + 1j * (0.25 - 0.5 * i)
    c = (-0.75 + 0.1 * i) + 1j * (0.3 * i)
    w, a, p = mandel_step(z, c)
    np.testing.assert_allclose(got[:, 0] + 1j * got[:, 1], w, rtol=1e-15)
    np.testing.assert_allclose(got[:, 2], a, rtol=1e-15)
    np.testing.assert_allclose(got[:, 3] + 1j * got[:, 4], p, rtol=1e-6)
