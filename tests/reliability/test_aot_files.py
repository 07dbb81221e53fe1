"""Damaged and modified AOT libraries: a clear error, never a crash or a heap overflow.

* A truncated library used to kill the process with SIGBUS inside ``dlopen``: the loader now
  checks it against the SHA-256 recorded at export (``<name>.sha256``) and, without one, that
  its ELF structure fits in the file, before mapping it.
* A library whose embedded manifest was patched to claim smaller shapes used to be handed
  buffers of those sizes, which its code overflowed: every call now goes through
  ``<name>_checked``, which compares the buffers' sizes with constants in the library's code.

Each load runs in a child process, so a regression (a crash) fails the test instead of
killing pytest."""
from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import xlaish as xl
import xlaish.aot as aot

from ..aot.conftest import find_cc

N = 1000

CHILD = textwrap.dedent('''
    import sys
    import numpy as np
    import xlaish.aot as aot
    try:
        f = aot.load(sys.argv[1])
        r = f(np.arange({n}, dtype=np.float32))
        ok = np.array_equal(r, np.arange({n}, dtype=np.float32) * 2 + 1)
        print("RESULT", "ok" if ok else "wrong")
    except Exception as e:
        print("RAISED", type(e).__name__, e)
''').format(n=N)


def double_plus_one(x):
    return x * 2 + 1


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    if find_cc() is None:
        pytest.skip("no C compiler to link an exported library")
    out = tmp_path_factory.mktemp("aot_files")
    aot.export(double_plus_one, (xl.ShapeDtype((N,), "float32"),), out_dir=str(out), name="dpo")
    return out


def _copy(export_dir, tmp_path, with_record=True):
    for f in ("libdpo.so", "dpo.json", "dpo.h") + (("dpo.sha256",) if with_record else ()):
        shutil.copy(export_dir / f, tmp_path / f)
    return tmp_path / "libdpo.so"


def _load_in_child(lib) -> str:
    env = dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(lib)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, f"the load crashed (status {proc.returncode}): {proc.stderr[-2000:]}"
    return proc.stdout.strip()


def test_intact_library_loads_and_runs(export_dir, tmp_path):
    lib = _copy(export_dir, tmp_path)
    assert (tmp_path / "dpo.sha256").read_text().split()[1] == "libdpo.so"
    assert _load_in_child(lib) == "RESULT ok"


@pytest.mark.parametrize("with_record", [True, False], ids=["sha256-beside", "library-alone"])
@pytest.mark.parametrize("keep", [0.5, 0.9, "-1", "64", "10"])
def test_truncated_library_is_refused_before_dlopen(export_dir, tmp_path, with_record, keep):
    lib = _copy(export_dir, tmp_path, with_record)
    data = lib.read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else \
        (len(data) - 1 if keep == "-1" else int(keep))
    lib.write_bytes(data[:n])
    out = _load_in_child(lib)
    assert out.startswith("RAISED ValueError") and "damaged or was modified" in out, out


def _patch_manifest_shapes(lib):
    """Make the embedded manifest claim shape (10,) for the argument and the result (same length)."""
    data = lib.read_bytes()
    start = data.index(b'{\n  "format"')
    end = data.index(b"\0", start)
    text = data[start:end]
    patched = text.replace(b"\n        %d\n" % N, b"\n        %s\n" % b"10".rjust(len(str(N))))
    assert patched != text and len(patched) == len(text)
    lib.write_bytes(data[:start] + patched + data[end:])


def test_patched_manifest_refused_by_the_recorded_hash(export_dir, tmp_path):
    lib = _copy(export_dir, tmp_path)
    _patch_manifest_shapes(lib)
    out = _load_in_child(lib)
    assert out.startswith("RAISED ValueError") and "SHA-256" in out, out


def test_patched_manifest_refused_by_the_library_itself(export_dir, tmp_path):
    lib = _copy(export_dir, tmp_path, with_record=False)
    _patch_manifest_shapes(lib)
    out = _load_in_child(lib)
    # the loader believed the manifest (it wanted 10 elements), so it raises at the shape check;
    # with the argument it wants, the library refuses the buffers: no heap overflow either way
    assert out.startswith("RAISED ValueError") and "must have shape (10,)" in out, out
    code = textwrap.dedent('''
        import sys
        import numpy as np
        import xlaish.aot as aot
        f = aot.load(sys.argv[1])
        try:
            f(np.arange(10, dtype=np.float32))
            print("RESULT computed")
        except ValueError as e:
            print("RAISED", e)
    ''')
    env = dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code, str(lib)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "refused the call" in proc.stdout and "compiled into its code" in proc.stdout, proc.stdout


def test_checked_entry_compares_sizes_with_compiled_constants(export_dir):
    lib = ctypes.CDLL(str(export_dir / "libdpo.so"))
    f = lib.dpo_checked
    f.restype = ctypes.c_int
    f.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p]
    x = np.arange(N, dtype=np.float32)
    out = np.zeros(N, np.float32)
    bufs = (ctypes.c_void_p * 2)(x.ctypes.data, out.ctypes.data)
    for n, sizes in [(2, (x.nbytes, x.nbytes // 2)), (2, (x.nbytes // 2, x.nbytes)), (1, (x.nbytes, 0)),
                     (3, (x.nbytes, x.nbytes))]:
        assert f(n, bufs, (ctypes.c_int64 * 2)(*sizes)) == 3
        assert not out.any()                   # nothing was computed
    assert f(2, bufs, (ctypes.c_int64 * 2)(x.nbytes, out.nbytes)) == 0
    np.testing.assert_array_equal(out, double_plus_one(x))
