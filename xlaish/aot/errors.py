"""The errors of ahead-of-time export and of loading an exported library."""
from __future__ import annotations

from ..errors import XlaishError


class LinkError(XlaishError, RuntimeError):
    """The shared library could not be linked (no C compiler, or it failed).

    The object file and the header were written anyway: ``object_path`` and
    ``header_path`` say where, ``command`` is the link command to run by hand.
    """

    def __init__(self, message, object_path=None, header_path=None, command=None):
        super().__init__(message)
        self.object_path = object_path
        self.header_path = header_path
        self.command = command


class CpuFeatureError(XlaishError, RuntimeError):
    """The exported library was built for CPU features this machine lacks."""
