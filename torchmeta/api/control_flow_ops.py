"""tf.* functions of the control_flow_ops family."""

from __future__ import annotations

__all__ = []
