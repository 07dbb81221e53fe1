"""`xlaish inspect MODULE:FUNC --arg ... --stage ...` prints every stage of the pipeline."""
import subprocess
import sys
import textwrap

import pytest


@pytest.fixture()
def module(tmp_path):
    src = tmp_path / "inspect_target.py"
    src.write_text(textwrap.dedent("""
        import numpy as np

        def softplus(x):
            return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)
    """))
    return src


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "xlaish.cli", "inspect", *args], cwd=cwd,
                          capture_output=True, text=True)


@pytest.mark.parametrize("stage,expect", [
    ("traced", "%0 = abs %x : f32[1000]"),
    ("optimized", "fused %x"),
    ("llvm", "define"),
    ("asm", "xl_entry"),
    ("report", "kernel0"),
])
def test_inspect_stages(module, stage, expect):
    out = run("inspect_target:softplus", "--arg", "f32[1000]", "--stage", stage, cwd=module.parent)
    assert out.returncode == 0, out.stderr
    assert expect in out.stdout


def test_inspect_file_path_target_and_bad_spec(module):
    out = run(f"{module}:softplus", "--arg", "float64[3,4]", "--stage", "traced", cwd=module.parent)
    assert out.returncode == 0 and "f64[3,4]" in out.stdout
    bad = run(f"{module}:softplus", "--arg", "f32(3)", cwd=module.parent)
    assert bad.returncode != 0 and "bad argument spec" in bad.stderr
