"""tf.* functions of the state_ops family."""

from __future__ import annotations

__all__ = []
