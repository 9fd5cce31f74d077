"""``tf.layers`` pooling: Max/AveragePooling1D/2D/3D and their functions, building TF's graphs."""

from __future__ import annotations

from torchmeta.api import array_ops, nn_ops
from torchmeta.api.layers.base import InputSpec, Layer
from torchmeta.api.layers.convolutional import (
    conv_output_length,
    convert_data_format,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)
from torchmeta.framework.tensor_shape import TensorShape

__all__ = [
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "max_pooling1d",
    "max_pooling2d",
    "max_pooling3d",
    "average_pooling1d",
    "average_pooling2d",
    "average_pooling3d",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
]


class _Pooling(Layer):
    """Keras' pooling base under the TF1 layer rules."""

    rank = 2
    mode = "max"

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if data_format is None:
            data_format = "channels_last"
        if strides is None:
            strides = pool_size
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = normalize_tuple(strides, self.rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def compute_output_shape(self, input_shape):
        dims = TensorShape(input_shape).as_list()
        spatial = dims[2:] if self.data_format == "channels_first" else dims[1:-1]
        out = [conv_output_length(n, self.pool_size[i], self.padding, self.strides[i]) for i, n in enumerate(spatial)]
        if self.data_format == "channels_first":
            return TensorShape(dims[:2] + out)
        return TensorShape([dims[0], *out, dims[-1]])


class _Pooling1D(_Pooling):
    rank = 1

    def call(self, inputs):
        pad_axis = 2 if self.data_format == "channels_last" else 3
        inputs = array_ops.expand_dims(inputs, pad_axis)
        pool_size, strides = (*self.pool_size, 1), (*self.strides, 1)
        fmt = "NHWC" if self.data_format == "channels_last" else "NCHW"
        if self.data_format == "channels_first":
            # Keras' pool2d transposes channels-first inputs to NHWC on the CPU.
            inputs = array_ops.transpose(inputs, (0, 2, 3, 1))
            fmt = "NHWC"
        pool = nn_ops.max_pool if self.mode == "max" else nn_ops.avg_pool
        outputs = pool(inputs, (1, *pool_size, 1), (1, *strides, 1), padding=self.padding.upper(), data_format=fmt)
        if self.data_format == "channels_first":
            outputs = array_ops.transpose(outputs, (0, 3, 1, 2))
        return array_ops.squeeze(outputs, pad_axis)


class _Pooling2D(_Pooling):
    rank = 2

    def call(self, inputs):
        if self.data_format == "channels_last":
            pool_shape, strides = (1, *self.pool_size, 1), (1, *self.strides, 1)
        else:
            pool_shape, strides = (1, 1, *self.pool_size), (1, 1, *self.strides)
        pool = nn_ops.max_pool if self.mode == "max" else nn_ops.avg_pool
        return pool(
            inputs,
            ksize=pool_shape,
            strides=strides,
            padding=self.padding.upper(),
            data_format=convert_data_format(self.data_format, 4),
        )


class _Pooling3D(_Pooling):
    rank = 3

    def call(self, inputs):
        pool_shape, strides = (1, *self.pool_size, 1), (1, *self.strides, 1)
        if self.data_format == "channels_first":
            inputs = array_ops.transpose(inputs, (0, 2, 3, 4, 1))
        pool = nn_ops.max_pool3d if self.mode == "max" else nn_ops.avg_pool3d
        outputs = pool(inputs, ksize=pool_shape, strides=strides, padding=self.padding.upper())
        if self.data_format == "channels_first":
            outputs = array_ops.transpose(outputs, (0, 4, 1, 2, 3))
        return outputs


class MaxPooling1D(_Pooling1D):
    """Max over windows of the width (``[batch, width, channels]``)."""

    mode = "max"

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling1D(_Pooling1D):
    """Mean over windows of the width."""

    mode = "avg"

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling2D(_Pooling2D):
    """Max over windows of height and width."""

    mode = "max"

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling2D(_Pooling2D):
    """Mean over windows of height and width."""

    mode = "avg"

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling3D(_Pooling3D):
    """Max over windows of depth, height and width."""

    mode = "max"

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling3D(_Pooling3D):
    """Mean over windows of depth, height and width."""

    mode = "avg"

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


def _pool_fn(cls, doc):
    def fn(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
        return cls(pool_size=pool_size, strides=strides, padding=padding, data_format=data_format, name=name)(inputs)

    fn.__doc__ = doc
    return fn


max_pooling1d = _pool_fn(MaxPooling1D, "``tf.layers.max_pooling1d``.")
max_pooling2d = _pool_fn(MaxPooling2D, "``tf.layers.max_pooling2d``: ``max_pooling2d/MaxPool``.")
max_pooling3d = _pool_fn(MaxPooling3D, "``tf.layers.max_pooling3d``.")
average_pooling1d = _pool_fn(AveragePooling1D, "``tf.layers.average_pooling1d``.")
average_pooling2d = _pool_fn(AveragePooling2D, "``tf.layers.average_pooling2d``.")
average_pooling3d = _pool_fn(AveragePooling3D, "``tf.layers.average_pooling3d``.")
for _fn, _name in (
    (max_pooling1d, "max_pooling1d"),
    (max_pooling2d, "max_pooling2d"),
    (max_pooling3d, "max_pooling3d"),
    (average_pooling1d, "average_pooling1d"),
    (average_pooling2d, "average_pooling2d"),
    (average_pooling3d, "average_pooling3d"),
):
    _fn.__name__ = _fn.__qualname__ = _name

# TF1's aliases.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
