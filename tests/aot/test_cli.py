"""``xlaish export`` writes the same files as ``xl.aot.export``; errors; no C compiler."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import xlaish as xl
import xlaish.aot as aot
from xlaish.cli import main, parse_arg_spec

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read(p):
    with open(p, "rb") as f:
        return f.read()


def test_cli_writes_the_same_files_as_python(exported, tmp_path):
    out = tmp_path / "cli"
    cp = subprocess.run([sys.executable, "-m", "xlaish.cli", "export", "tests.aot.workloads:chain10",
                         "--arg", "f32[1000]", "--name", "chain10", "-o", str(out)],
                        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert cp.returncode == 0, cp.stderr
    py = exported["paths"]["chain10"]
    for f in ("chain10.h", "chain10.json", "libchain10.so", "chain10.o"):
        assert (out / f).exists(), f
        assert str(out / f) in cp.stdout
    assert _read(out / "chain10.h") == _read(py.header)
    assert _read(out / "chain10.json") == _read(py.manifest)
    x = exported["inputs"]["chain10"][0]
    np.testing.assert_array_equal(aot.load(str(out / "libchain10.so"))(x), aot.load(py.library)(x))


def test_cli_numpy_dtype_names_give_the_same_files(exported, tmp_path):
    out = tmp_path / "cli2"
    assert main(["export", "tests.aot.workloads:chain10", "--arg", "float32[1000]", "--name", "chain10",
                 "-o", str(out), "--no-link"]) == 0
    py = exported["paths"]["chain10"]
    assert _read(out / "chain10.h") == _read(py.header)
    assert _read(out / "chain10.json") == _read(py.manifest)
    assert not (out / "libchain10.so").exists() and (out / "chain10.o").exists()


@pytest.mark.parametrize("spec, shape, dtype", [
    ("f32[1000]", (1000,), "float32"), ("f64[3,4]", (3, 4), "float64"), ("i32[]", (), "int32"),
    ("i64[2]", (2,), "int64"), ("u8[5]", (5,), "uint8"), ("bool[2,2]", (2, 2), "bool"),
    ("float32[7]", (7,), "float32"), ("int64[1]", (1,), "int64"), ("float16[3]", (3,), "float16"),
])
def test_arg_spec_spellings(spec, shape, dtype):
    s = parse_arg_spec(spec)
    assert s == xl.ShapeDtype(shape, dtype)


def test_cli_bad_target_and_static(tmp_path, capsys):
    rc = main(["export", "tests.aot.workloads:chain10", "--arg", "f32[4]", "--target", "pentium",
               "-o", str(tmp_path)])
    assert rc == 2
    assert "unknown export target 'pentium'" in capsys.readouterr().err


def add_one(x):
    return x + 1


def test_no_c_compiler_leaves_object_and_header(tmp_path, monkeypatch):
    monkeypatch.setenv("CC", "no-such-c-compiler-for-xlaish")
    with pytest.raises(aot.LinkError, match="no C compiler found") as ei:
        aot.export(add_one, (xl.ShapeDtype((8,), "f32"),), out_dir=str(tmp_path), name="add_one")
    assert "add_one.o" in str(ei.value) and "-shared" in str(ei.value)
    for f in ("add_one.o", "add_one.h", "add_one.json"):
        assert (tmp_path / f).exists()
    assert not (tmp_path / "libadd_one.so").exists()
    assert ei.value.object_path.endswith("add_one.o") and ei.value.header_path.endswith("add_one.h")
    assert main(["export", "tests.aot.test_cli:add_one", "--arg", "f32[8]", "-o", str(tmp_path / "b")]) == 1


def test_export_rejects_bad_names(tmp_path):
    for bad in ("3d", "my-fn", "int", "malloc"):
        with pytest.raises(ValueError, match="C identifier"):
            aot.export(add_one, (xl.ShapeDtype((8,), "f32"),), out_dir=str(tmp_path), name=bad)


def test_export_errors_are_one_line(tmp_path):
    """An unwritable output directory and a name that is a C/libm symbol: one-line errors,
    exit status 2, no traceback."""
    src = tmp_path / "m.py"
    src.write_text("def f(x):\n    return x * 2\n")
    for extra in (["--name", "dbl", "-o", "/proc/nope"], ["--name", "sinf", "-o", str(tmp_path / "o")]):
        r = subprocess.run([sys.executable, "-m", "xlaish", "export", f"{src}:f", "--arg", "f32[4]", *extra],
                           capture_output=True, text=True)
        assert r.returncode == 2, r.stderr
        assert "Traceback" not in r.stderr and r.stderr.startswith("xlaish export:"), r.stderr


# -- the MODULE:FUNCTION loader shared by ``xlaish inspect`` and ``xlaish export`` -----------------

def test_load_function_module_and_file_targets(tmp_path, monkeypatch):
    from xlaish.cli_args import load_function
    jitted = xl.jit(add_one, fuse=False)
    monkeypatch.setattr(sys.modules[__name__], "jitted_add_one", jitted, raising=False)
    assert load_function("tests.aot.test_cli:add_one") is add_one
    assert load_function("tests.aot.test_cli:jitted_add_one") is jitted     # options kept
    (tmp_path / "helper_mod_for_cli.py").write_text("K = 3\n")
    src = tmp_path / "target.py"
    src.write_text("import dataclasses\nfrom helper_mod_for_cli import K\n\n"
                   "@dataclasses.dataclass\nclass P:\n    a: int = 1\n\n"
                   "def f(x):\n    return x * K\n")
    monkeypatch.setattr(sys, "path", list(sys.path))
    f = load_function(f"{src}:f")
    x = np.arange(4, dtype=np.float32)
    np.testing.assert_array_equal(f(x), x * 3)      # the file's neighbours import; dataclasses work
    sys.modules.pop("helper_mod_for_cli", None)


@pytest.mark.parametrize("target, message", [
    ("no_colon_here", "expected MODULE:FUNCTION or path/file.py:FUNCTION, got 'no_colon_here'"),
    ("tests.aot.test_cli:", "expected MODULE:FUNCTION"),
    ("no_such_module_xl:f", "cannot import no_such_module_xl"),
    ("tests.aot.test_cli:nope", "tests.aot.test_cli has no attribute 'nope'"),
    ("tests.aot.test_cli:ROOT", "tests.aot.test_cli:ROOT is a str, not a function"),
    ("/no/such/dir/file.py:f", "no such file: /no/such/dir/file.py"),
])
def test_load_function_errors_name_the_problem(target, message):
    from xlaish.cli_args import TargetError, load_function
    with pytest.raises(TargetError, match=re.escape(message)):
        load_function(target)


@pytest.mark.parametrize("cmd", ["inspect", "export"])
def test_bad_target_is_one_line_and_status_2(cmd, capsys, tmp_path):
    extra = ["-o", str(tmp_path)] if cmd == "export" else []
    assert main([cmd, "tests.aot.test_cli:nope", "--arg", "f32[4]", *extra]) == 2
    err = capsys.readouterr().err
    assert err == f"xlaish {cmd}: tests.aot.test_cli has no attribute 'nope'\n"
