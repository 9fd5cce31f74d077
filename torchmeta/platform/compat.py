"""``tf.compat``'s string and number helpers (TF's python/util/compat.py) and ``forward_compatible``."""

from __future__ import annotations

import codecs
import contextlib
import datetime
import numbers
import os

from torchmeta.platform import tf_logging

__all__ = [
    "as_bytes",
    "as_text",
    "as_str",
    "as_str_any",
    "path_to_str",
    "path_to_bytes",
    "integral_types",
    "real_types",
    "complex_types",
    "bytes_or_text_types",
    "forward_compatible",
    "forward_compatibility_horizon",
    "FORWARD_COMPATIBILITY_HORIZON",
]


def as_bytes(bytes_or_text, encoding="utf-8"):
    """``bytes_or_text`` as bytes (text encoded with ``encoding``).

    Raises:
      TypeError: if it is neither bytes, bytearray nor str.
    """
    encoding = codecs.lookup(encoding).name
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8"):
    """``bytes_or_text`` as str (bytes decoded with ``encoding``).

    Raises:
      TypeError: if it is neither bytes nor str.
    """
    encoding = codecs.lookup(encoding).name
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError("Expected binary or unicode string, got %r" % bytes_or_text)  # noqa: UP031 - TF's % (a tuple fails)


as_str = as_text


def as_str_any(value, encoding="utf-8"):
    """``str(value)``, except that bytes are decoded."""
    if isinstance(value, bytes):
        return as_str(value, encoding=encoding)
    return str(value)


def path_to_str(path):
    """A ``PathLike``'s ``__fspath__()`` as str; anything else unchanged."""
    if hasattr(path, "__fspath__"):
        path = as_str_any(path.__fspath__())
    return path


def path_to_bytes(path):
    """A ``PathLike`` or str as bytes."""
    if hasattr(path, "__fspath__"):
        path = path.__fspath__()
    return as_bytes(path)


# numpy registers its scalar types with these abstract classes, so isinstance answers as TF's tuples do.
integral_types = (numbers.Integral,)
real_types = (numbers.Real,)
complex_types = (numbers.Complex,)
bytes_or_text_types = (bytes, str)

# TF 2.21's horizon (the release whose formats torchmeta writes), moved by TF's environment variable.
FORWARD_COMPATIBILITY_HORIZON = datetime.date(2026, 1, 16)
_date_number = 0


def _update_forward_compatibility_date_number(date_to_override=None):
    """TF's: the horizon (plus ``TF_FORWARD_COMPATIBILITY_DELTA_DAYS``, read now) or ``date_to_override``; a
    date before the horizon is ignored with TF's warning."""
    global _date_number
    if date_to_override:
        date = date_to_override
    else:
        date = FORWARD_COMPATIBILITY_HORIZON
        delta_days = os.getenv("TF_FORWARD_COMPATIBILITY_DELTA_DAYS")
        if delta_days:
            date += datetime.timedelta(days=int(delta_days))
    if date < FORWARD_COMPATIBILITY_HORIZON:
        tf_logging.warning(
            f"Trying to set the forward compatibility date to the past date {date}. This will be ignored by TensorFlow."
        )
        return
    _date_number = (date.year << 9) | (date.month << 5) | date.day


_update_forward_compatibility_date_number()


def forward_compatible(year, month, day):
    """``tf.compat.forward_compatible``: whether the forward-compatibility window of a change made on that date
    has expired (TF 2.21's answer, read at import as TF does)."""
    return _date_number > ((year << 9) | (month << 5) | day)


@contextlib.contextmanager
def forward_compatibility_horizon(year, month, day):
    """``tf.compat.forward_compatibility_horizon``: ``forward_compatible`` answers as of that date inside."""
    try:
        _update_forward_compatibility_date_number(datetime.date(year, month, day))
        yield
    finally:
        _update_forward_compatibility_date_number()
