"""tf.* functions of the nn_ops family."""

from __future__ import annotations

__all__ = []
