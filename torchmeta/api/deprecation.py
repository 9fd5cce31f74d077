"""What TF's python/util/deprecation.py gives the API functions that renamed an argument."""

from __future__ import annotations

__all__ = ["deprecated_argument_lookup"]


def deprecated_argument_lookup(new_name, new_value, old_name, old_value):
    """The argument's value under its new name or its old one (TF1 code passes either), never both: TF's
    ``ValueError("Cannot specify both 'old' and 'new'.")``."""
    if old_value is not None:
        if new_value is not None:
            raise ValueError(f"Cannot specify both '{old_name}' and '{new_name}'.")
        return old_value
    return new_value
