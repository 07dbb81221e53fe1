"""The README's generated sections (op list, NumPy coverage) equal what the code generates."""
from __future__ import annotations

from pathlib import Path

from xlaish import readme

README = Path(__file__).resolve().parents[1] / "README.md"


def test_generated_sections_are_current():
    text = README.read_text()
    assert readme.render(text) == text, "README is stale: run `python -m xlaish.readme`"


def test_every_variable_config_reads_is_documented():
    """config.py is the one reader of the environment, and VARIABLES documents each name it reads."""
    import re

    from xlaish import config
    src = Path(config.__file__).read_text()
    read = set(re.findall(r'"((?:XLAISH_[A-Z_]+)|CC)"', src))
    assert read <= set(config.VARIABLES), f"undocumented: {sorted(read - set(config.VARIABLES))}"
