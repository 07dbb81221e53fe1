"""Every exception type xlaish raises, in one place.

Tracing errors carry the user's file and line (added by the tracer).
"""


class XlaishError(Exception):
    """Base class of xlaish's own errors."""


class TraceError(XlaishError):
    """A problem found while tracing a function; the message names the user's source line."""


class ConcretizationError(TraceError, TypeError):
    """A traced value was used where a concrete Python value is needed (``if x:``, ``float(x)``)."""


class ShapeError(TraceError, ValueError):
    """Shapes that do not fit together (broadcasting, reshape, matmul, concatenate)."""


class UnsupportedError(TraceError, TypeError):
    """An unsupported NumPy function, dtype or argument."""


class IRError(XlaishError):
    """Malformed IR: a verifier or parser failure."""


class CheckError(XlaishError):
    """A failed ``xl.debug.check`` inside a compiled program."""
