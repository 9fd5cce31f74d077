"""``tf.random_crop`` / ``tf.image.random_crop`` as TensorFlow builds it (python/ops/random_crop_ops.py): an Assert
that the crop fits, an offset drawn by RandomUniformInt modulo the room left, and a Slice."""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.api import array_ops, math_ops, random_ops
from torchmeta.api.control_flow_assert import Assert
from torchmeta.api.control_flow_ops import with_dependencies
from torchmeta.framework.graph import convert_to_tensor, name_scope

__all__ = ["random_crop"]


def random_crop(value, size, seed=None, name=None):
    """``tf.random_crop``: the ``size`` portion of ``value`` at a uniformly drawn offset (TF's numbers when
    seeded); an InvalidArgumentError naming the shapes when ``value`` is smaller than ``size``.

    Args:
      value: the tensor to crop.
      size: 1-D int32, one size per dimension of ``value`` (its full size where it is not cropped).
      seed: the op seed (with the graph seed, as ``tf.set_random_seed`` describes).
      name: the name scope (default ``random_crop``).

    Returns:
      The crop, of shape ``size``.

    Example:
      ``patch = tf.random_crop(image, [24, 24, 3], seed=1)``
    """
    with name_scope(name, "random_crop", [value, size]) as name:
        value = convert_to_tensor(value, name="value")
        size = convert_to_tensor(size, dtype=dtypes.DType.int32, name="size")
        shape = array_ops.shape(value)
        check = Assert(
            math_ops.reduce_all(shape >= size), ["Need value.shape >= size, got ", shape, size], summarize=1000
        )
        shape = with_dependencies([check], shape)
        limit = shape - size + 1
        offset = (
            random_ops.random_uniform(array_ops.shape(shape), dtype=size.dtype, maxval=size.dtype.max, seed=seed)
            % limit
        )
        return array_ops.slice(value, offset, size, name=name)
