"""``python -m xlaish`` is the ``xlaish`` command."""
import sys

from .cli import main

sys.exit(main())
