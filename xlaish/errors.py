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


# Errors NumPy raises from the values, which a compiled program finds only when it runs: xlaish
# traces an ``xl.debug.check`` with one of these messages, and its failure is then also a
# ValueError, as NumPy's is (see CheckError.__new__).
NEGATIVE_INT_POWER = "Integers to negative integer powers are not allowed."
INVALID_CHOICE = "invalid entry in choice array"     # np.choose(a, ...) with a out of range
ALL_NAN_SLICE = "All-NaN slice encountered"          # np.nanargmin / nanargmax
INVALID_COORDINATES = "invalid entry in coordinates array"     # np.ravel_multi_index
EMPTY_PLACE = "Cannot insert from an empty array!"    # np.place with no values and a True mask
NOT_MONOTONIC_BINS = "bins must be monotonically increasing or decreasing"      # np.digitize
RANGE_NOT_FINITE = "autodetected range is not finite"      # np.histogram_bin_edges (NaN or inf data)
# numpy.linalg.LinAlgError messages (a failed check with one of these is also a LinAlgError)
SINGULAR = "Singular matrix"
NOT_POSITIVE_DEFINITE = "Matrix is not positive definite"
EIG_NO_CONVERGENCE = "Eigenvalues did not converge"
SVD_NO_CONVERGENCE = "SVD did not converge"
LINALG_ERRORS = frozenset({SINGULAR, NOT_POSITIVE_DEFINITE, EIG_NO_CONVERGENCE, SVD_NO_CONVERGENCE})
NUMPY_VALUE_ERRORS = frozenset({NEGATIVE_INT_POWER, INVALID_CHOICE, ALL_NAN_SLICE, INVALID_COORDINATES,
                                EMPTY_PLACE, NOT_MONOTONIC_BINS, RANGE_NOT_FINITE})
# np.unravel_index's out-of-range index (a ValueError in NumPy): the message starts with this
UNRAVEL_PREFIX = "index is out of bounds for array with size"
# a failed bounds check of an index array (``index_check``) whose backend cannot name the bad
# value: its CheckError is also an IndexError, as NumPy's is
INDEX_CHECK_PREFIX = "index out of bounds"


class CheckError(XlaishError):
    """A failed ``xl.debug.check`` inside a compiled program.

    ``CheckError(msg)`` with a message of ``NUMPY_VALUE_ERRORS`` is a :class:`NumpyValueError`
    (also a ``ValueError``): every backend raises ``CheckError(msg)`` for a failed check."""

    def __new__(cls, *args, **kwargs):
        if cls is CheckError and args and (args[0] in NUMPY_VALUE_ERRORS
                                           or str(args[0]).startswith(UNRAVEL_PREFIX)):
            cls = NumpyValueError
        elif cls is CheckError and args and str(args[0]).startswith(INDEX_CHECK_PREFIX):
            cls = NumpyIndexError
        elif cls is CheckError and args and args[0] in LINALG_ERRORS:
            cls = _linalg_error_class()
        return super().__new__(cls, *args, **kwargs)


class NumpyIndexError(CheckError, IndexError):
    """An out-of-range index found by the compiled program when it ran (see ``index_check``)."""


_LINALG_ERROR = []


def _linalg_error_class():
    """``NumpyLinAlgError(CheckError, numpy.linalg.LinAlgError)``, made on first use (this module
    does not import NumPy at import time)."""
    if not _LINALG_ERROR:
        import numpy as np
        _LINALG_ERROR.append(type("NumpyLinAlgError", (CheckError, np.linalg.LinAlgError), {
            "__doc__": "numpy.linalg.LinAlgError found by the compiled program when it ran "
                       "(singular matrix, not positive definite, no convergence)",
            "__module__": __name__}))
    return _LINALG_ERROR[0]


class NumpyValueError(CheckError, ValueError):
    """A ValueError NumPy raises for these values (integer to a negative integer power), found by
    the compiled program when it ran."""
