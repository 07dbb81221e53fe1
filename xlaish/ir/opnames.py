"""Op-name constants, one per registered op, generated from the registry.

``from xlaish.ir.opnames import EXP, LESS, CONSTANT`` gives the op names
(``"exp"``, ``"less"``, ``"constant"``): code that tests ``op.name == CONSTANT``
names ops the registry knows, and a misspelled import (``EXPP``) fails when
the module importing it is imported, with the nearest real names in the
message. The constants are the upper-cased op names; ``NAMES`` maps each
constant to its op.
"""
from __future__ import annotations

import difflib

from .opdef import all_ops

NAMES: dict[str, str] = {name.upper(): name for name in all_ops()}
globals().update(NAMES)
__all__ = sorted(NAMES)


def __getattr__(attr: str):
    if attr.startswith("__"):     # the import system asks for __path__ at every from-import
        raise AttributeError(attr)
    near = difflib.get_close_matches(attr, NAMES, n=3)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise AttributeError(f"no op named {attr!r} in the registry{hint}")
