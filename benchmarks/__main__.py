"""``python -m benchmarks``: the same as ``xlaish bench``.

With ``--device cuda``, the same as ``python -m benchmarks.gpu``.
"""
import sys

from .runner import main

if __name__ == "__main__":
    sys.exit(main())
