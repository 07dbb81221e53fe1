"""`ruff check` (configured in pyproject.toml) passes on the whole tree: CI runs it through the
test suite, so `.ci/run` stays exactly the README's test command."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check_is_clean():
    try:
        import ruff  # noqa: F401  (installed by the test extra)
        cmd = [sys.executable, "-m", "ruff"]
    except ImportError:
        exe = shutil.which("ruff")
        if exe is None:
            pytest.fail("ruff is not installed: python -m pip install -e '.[test]' installs it")
        cmd = [exe]
    r = subprocess.run(cmd + ["check", "--no-cache", str(ROOT)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
