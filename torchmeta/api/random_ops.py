"""tf.* functions of the random_ops family."""

from __future__ import annotations

__all__ = []
