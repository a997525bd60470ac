"""COPY text for PostgreSQL built with numpy, a whole chunk of rows at a time.

Every field of a row is given a fixed width, so a chunk is one structured array whose bytes are
the COPY payload: no Python object per row or per value. A price column is written as fixed-point
decimal text when that is exact (see :func:`fixed_point`); ``numeric`` input takes leading zeros,
so ``0042.50`` and ``1234.56`` share a width. A column that cannot be written this way (a NULL, a
negative or a value with more decimals than :data:`MAX_DECIMALS`) gives ``None`` and the caller
formats that batch with ``repr`` instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MAX_DECIMALS = 10  # the scale of the Money columns: more decimals would be rounded anyway
EXACT_LIMIT = 2**52  # below this, one k-decimal at most lies within a float's rounding interval


def fixed_point(values: np.ndarray) -> tuple[np.ndarray, int] | None:
    """``(n, k)`` with ``n / 10**k == values`` exactly (int64 ``n``, the fewest decimals ``k``),
    or ``None`` if there is no such ``k`` up to :data:`MAX_DECIMALS` (or a value is NaN or
    negative).

    ``n / 10**k`` is the correctly rounded float of the decimal ``n·10⁻ᵏ``, so equality means that
    decimal reads back as the value; below :data:`EXACT_LIMIT` it is the only such decimal with
    ``k`` places, so it is the value of ``repr(value)`` (the shortest such decimal): the stored
    ``numeric`` is the same as from ``repr``.
    """
    import numpy as np

    if len(values) == 0 or not np.isfinite(values).all() or (values < 0).any():
        return None
    for places in range(MAX_DECIMALS + 1):
        scale = 10.0**places
        scaled = np.rint(values * scale)
        if scaled.max() >= EXACT_LIMIT:
            return None
        if np.array_equal(scaled / scale, values):
            return scaled.astype(np.int64), places
    return None


def _digits(numbers: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative int64 ``numbers`` as an (n, width) uint8 array."""
    import numpy as np

    out = np.empty((len(numbers), width), dtype=np.uint8)
    rest = numbers.copy()
    for column in range(width - 1, -1, -1):
        rest, digit = np.divmod(rest, 10)
        out[:, column] = digit + ord("0")
    return out


def decimal_text(numbers: np.ndarray, places: int, integer_width: int) -> np.ndarray:
    """``n·10⁻ᵏ`` as fixed-width ASCII (``S``): ``integer_width`` digits, ``.``, ``places``."""
    import numpy as np

    scale = 10**places
    whole, fraction = np.divmod(numbers, scale)
    parts = [_digits(whole, integer_width)]
    if places:
        parts.append(np.full((len(numbers), 1), ord("."), dtype=np.uint8))
        parts.append(_digits(fraction, places))
    joined = np.ascontiguousarray(np.concatenate(parts, axis=1))
    return joined.view(f"S{joined.shape[1]}").ravel()


def integer_width(numbers: np.ndarray, places: int) -> int:
    return len(str(int(numbers.max()) // 10**places))


def rows(fields: list[np.ndarray | bytes], count: int) -> bytes:
    """Lay out ``count`` rows: each field is an ``S`` array (one value a row) or constant bytes
    (tabs, newlines, constant columns), in line order."""
    import numpy as np

    layout = []
    for index, field in enumerate(fields):
        width = len(field) if isinstance(field, bytes) else field.dtype.itemsize
        layout.append((f"f{index}", f"S{width}"))
    out = np.empty(count, dtype=layout)
    for index, field in enumerate(fields):
        out[f"f{index}"] = field
    return out.tobytes()
