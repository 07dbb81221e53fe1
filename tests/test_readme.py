"""The README's generated sections (op list, NumPy coverage) equal what the code generates."""
from __future__ import annotations

from pathlib import Path

from xlaish import readme

README = Path(__file__).resolve().parents[1] / "README.md"


def test_generated_sections_are_current():
    text = README.read_text()
    assert readme.render(text) == text, "README is stale: run `python -m xlaish.readme`"
