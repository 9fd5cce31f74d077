"""``tf.compat.v1``: the same TF1 surface as ``torchmeta`` itself (torchmeta always has TF1 semantics)."""

from __future__ import annotations

import torchmeta as _tm


def disable_v2_behavior() -> None:
    """Accepted for compatibility: torchmeta always behaves like TF1 graph mode."""


def disable_eager_execution() -> None:
    """Accepted for compatibility: torchmeta is graph mode only."""


def enable_v2_behavior() -> None:
    raise NotImplementedError("torchmeta implements TensorFlow 1.x graph mode only")


def executing_eagerly() -> bool:
    return False


def __getattr__(name: str):
    return getattr(_tm, name)


def __dir__():
    return sorted(set(dir(_tm)) | {"disable_v2_behavior", "disable_eager_execution", "executing_eagerly"})
