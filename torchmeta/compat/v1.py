"""``tf.compat.v1``: the same TF1 surface as ``torchmeta`` itself (torchmeta always has TF1 semantics)."""

from __future__ import annotations

from torchmeta.api.variable_scope import disable_resource_variables


def disable_v2_behavior() -> None:
    """torchmeta always behaves like TF1 graph mode; as TF's, this also turns resource variables off again
    (``disable_resource_variables``)."""
    disable_resource_variables()


def disable_eager_execution() -> None:
    """Accepted for compatibility: torchmeta is graph mode only."""


def enable_v2_behavior() -> None:
    raise NotImplementedError("torchmeta implements TensorFlow 1.x graph mode only")


def executing_eagerly() -> bool:
    return False


def __getattr__(name: str):
    import torchmeta  # import-cycle: tf.compat.v1 is torchmeta's own surface, which imports this module

    return getattr(torchmeta, name)


def __dir__():
    import torchmeta  # import-cycle: tf.compat.v1 is torchmeta's own surface, which imports this module

    return sorted(set(dir(torchmeta)) | {"disable_v2_behavior", "disable_eager_execution", "executing_eagerly"})
