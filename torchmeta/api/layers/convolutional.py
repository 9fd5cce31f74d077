"""``tf.layers`` convolutions: Conv1D/2D/3D, SeparableConv1D/2D, Conv2DTranspose/Conv3DTranspose and
their functions, building TensorFlow's graphs (``conv2d/Conv2D``, ``conv2d/BiasAdd``, ...)."""

from __future__ import annotations

from torchmeta.api import array_ops, nn_ops
from torchmeta.api.layers.base import InputSpec, Layer
from torchmeta.api.layers.core import ZEROS
from torchmeta.framework.tensor_shape import TensorShape

__all__ = [
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "SeparableConv1D",
    "SeparableConv2D",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "conv1d",
    "conv2d",
    "conv3d",
    "separable_conv1d",
    "separable_conv2d",
    "conv2d_transpose",
    "conv3d_transpose",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "SeparableConvolution2D",
    "Convolution2DTranspose",
    "Convolution3DTranspose",
    "convolution1d",
    "convolution2d",
    "convolution3d",
    "separable_convolution2d",
    "convolution2d_transpose",
    "convolution3d_transpose",
]


def normalize_tuple(value, n, name):
    """An int or an n-sequence of ints as an n-tuple (Keras' conv_utils.normalize_tuple).

    Raises:
      ValueError: for anything else, or a non-positive entry.
    """
    if isinstance(value, int):
        value_tuple = (value,) * n
    else:
        try:
            value_tuple = tuple(value)
        except TypeError:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: {value}") from None
        if len(value_tuple) != n:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: {value}")
        for v in value_tuple:
            if not isinstance(v, int):
                raise ValueError(
                    f"The `{name}` argument must be a tuple of {n} integers. Received: {value} including element "
                    f"{v} of type {type(v)}"
                )
    if any(v <= 0 for v in value_tuple):
        raise ValueError(
            f"The `{name}` argument must be a tuple of {n} integers. Received: {value} including "
            f"{{{', '.join(str(v) for v in value_tuple if v <= 0)}}} that does not satisfy the requirement `> 0`."
        )
    return value_tuple


def normalize_padding(value):
    padding = value.lower() if isinstance(value, str) else value
    if padding not in {"valid", "same", "causal"}:
        raise ValueError(
            "The `padding` argument must be a list/tuple or one of "
            f'"valid", "same" (or "causal", only for `Conv1D). Received: {padding}'
        )
    return padding


def normalize_data_format(value):
    data_format = "channels_last" if value is None else value.lower()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError(
            f'The `data_format` argument must be one of "channels_first", "channels_last". Received: {value}'
        )
    return data_format


def convert_data_format(data_format, ndim):
    if data_format == "channels_last":
        return {3: "NWC", 4: "NHWC", 5: "NDHWC"}[ndim]
    return {3: "NCW", 4: "NCHW", 5: "NCDHW"}[ndim]


def conv_output_length(input_length, filter_size, padding, stride, dilation=1):
    if input_length is None:
        return None
    dilated = filter_size + (filter_size - 1) * (dilation - 1)
    if padding in ("same", "causal"):
        length = input_length
    elif padding == "valid":
        length = input_length - dilated + 1
    else:
        length = input_length + dilated - 1
    return (length + stride - 1) // stride


def deconv_output_length(input_length, filter_size, padding, stride=0, dilation=1):
    """The output length of a transposed convolution (Tensors allowed, as TF's graph computes it)."""
    if input_length is None:
        return None
    filter_size = filter_size + (filter_size - 1) * (dilation - 1)
    if padding == "valid":
        return input_length * stride + max(filter_size - stride, 0)
    if padding == "full":
        return input_length * stride - (stride + filter_size - 2)
    return input_length * stride


class _Conv(Layer):
    """Keras' Conv base under the TF1 layer rules (kernel ``kernel_size + (in, filters)``, bias ``(filters,)``)."""

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format="channels_last",
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer=None,
        bias_initializer=ZEROS,
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        trainable=True,
        name=None,
        **kwargs,
    ):
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        if isinstance(filters, float):
            filters = int(filters)
        if filters is not None and filters <= 0:
            raise ValueError(
                f"Invalid value for argument `filters`. Expected a strictly positive value. Received filters={filters}."
            )
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=rank + 2)
        self._channels_first = self.data_format == "channels_first"
        self._tf_data_format = convert_data_format(self.data_format, rank + 2)

    def _channel_axis(self):
        return -1 - self.rank if self._channels_first else -1

    def _input_channel(self, input_shape):
        axis = self._channel_axis()
        if input_shape[axis].value is None:
            raise ValueError(
                f"The channel dimension of the inputs should be defined. The input_shape received is {input_shape}, "
                f"where axis {axis} (0-based) is the channel dimension, which found to be `None`."
            )
        return int(input_shape[axis].value)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        input_channel = self._input_channel(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, input_channel, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            trainable=True,
            dtype=self.dtype,
        )
        self.bias = self._add_bias()
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis(): input_channel})
        self.built = True

    def _add_bias(self):
        if not self.use_bias:
            return None
        return self.add_weight(
            name="bias",
            shape=(self.filters,),
            initializer=self.bias_initializer,
            regularizer=self.bias_regularizer,
            constraint=self.bias_constraint,
            trainable=True,
            dtype=self.dtype,
        )

    def _causal_padding(self, inputs):
        left_pad = self.dilation_rate[0] * (self.kernel_size[0] - 1)
        batch_rank = 1 if inputs.shape.rank is None else inputs.shape.rank - 2
        if self.data_format == "channels_last":
            return [[0, 0]] * batch_rank + [[left_pad, 0], [0, 0]]
        return [[0, 0]] * batch_rank + [[0, 0], [left_pad, 0]]

    def call(self, inputs):
        input_shape = inputs.shape
        if self.padding == "causal":
            inputs = array_ops.pad(inputs, self._causal_padding(inputs))
        outputs = nn_ops.convolution(
            inputs,
            self.kernel,
            strides=list(self.strides),
            padding="VALID" if self.padding == "causal" else self.padding.upper(),
            dilations=list(self.dilation_rate),
            data_format=self._tf_data_format,
            name=type(self).__name__,
        )
        if self.use_bias:
            if self.rank == 1 and self._channels_first:
                outputs += array_ops.reshape(self.bias, (1, self.filters, 1))
            else:
                outputs = nn_ops.bias_add(outputs, self.bias, data_format=self._tf_data_format)
        if input_shape.rank:
            outputs.set_shape(self.compute_output_shape(input_shape))
        if self.activation is not None:
            return self.activation(outputs)
        return outputs

    def _spatial_output_shape(self, spatial):
        return [
            conv_output_length(n, self.kernel_size[i], self.padding, self.strides[i], self.dilation_rate[i])
            for i, n in enumerate(spatial)
        ]

    def compute_output_shape(self, input_shape):
        dims = TensorShape(input_shape).as_list()
        batch_rank = len(dims) - self.rank - 1
        if self.data_format == "channels_last":
            out = dims[:batch_rank] + self._spatial_output_shape(dims[batch_rank:-1]) + [self.filters]
        else:
            out = [*dims[:batch_rank], self.filters, *self._spatial_output_shape(dims[batch_rank + 1 :])]
        if any(d is not None and d <= 0 for d in out):
            raise ValueError(
                f"One of the dimensions in the output is <= 0 due to downsampling in {self._name}. Consider "
                f"increasing the input size. Received input shape {TensorShape(input_shape)} which would produce "
                f"output shape with a zero or negative value in a dimension."
            )
        return TensorShape(out)


class Conv1D(_Conv):
    """1-D convolution over ``[batch, width, channels]`` (a Conv2D over an inserted height of 1)."""

    def __init__(
        self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last", dilation_rate=1, **kwargs
    ):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate, **kwargs)


class Conv2D(_Conv):
    """2-D convolution over ``[batch, height, width, channels]`` (or channels first)."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format="channels_last",
        dilation_rate=(1, 1),
        **kwargs,
    ):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate, **kwargs)


class Conv3D(_Conv):
    """3-D convolution over ``[batch, depth, height, width, channels]`` (or channels first)."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1, 1),
        padding="valid",
        data_format="channels_last",
        dilation_rate=(1, 1, 1),
        **kwargs,
    ):
        super().__init__(3, filters, kernel_size, strides, padding, data_format, dilation_rate, **kwargs)


class _SeparableConv(_Conv):
    """A depthwise convolution (``depth_multiplier`` maps per channel) followed by a 1x1 convolution."""

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format="channels_last",
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer=None,
        pointwise_initializer=None,
        bias_initializer=ZEROS,
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        trainable=True,
        name=None,
        **kwargs,
    ):
        super().__init__(
            rank,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            bias_initializer=bias_initializer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            bias_constraint=bias_constraint,
            trainable=trainable,
            name=name,
            **kwargs,
        )
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        axis = self._channel_axis()
        if input_shape[axis].value is None:
            raise ValueError(
                "The channel dimension of the inputs should be defined. Found `None`. Full input shape received: "
                f"input_shape={input_shape}"
            )
        input_dim = int(input_shape[axis].value)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: input_dim})
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel",
            shape=(*self.kernel_size, input_dim, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            trainable=True,
            dtype=self.dtype,
        )
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(*(1,) * self.rank, self.depth_multiplier * input_dim, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
            trainable=True,
            dtype=self.dtype,
        )
        self.bias = self._add_bias()
        self.built = True


class SeparableConv1D(_SeparableConv):
    """Separable 1-D convolution (built as a 2-D one over an inserted height of 1)."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format="channels_last",
        dilation_rate=1,
        depth_multiplier=1,
        **kwargs,
    ):
        super().__init__(
            1, filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier, **kwargs
        )

    def call(self, inputs):
        if self.padding == "causal":
            inputs = array_ops.pad(inputs, self._causal_padding(inputs))
        if self.data_format == "channels_last":
            strides = (1, *self.strides * 2, 1)
            spatial_start_dim = 1
        else:
            strides = (1, 1, *self.strides * 2)
            spatial_start_dim = 2
        inputs = array_ops.expand_dims(inputs, spatial_start_dim)
        depthwise_kernel = array_ops.expand_dims(self.depthwise_kernel, 0)
        pointwise_kernel = array_ops.expand_dims(self.pointwise_kernel, 0)
        dilation_rate = (1, *self.dilation_rate)
        op_padding = "valid" if self.padding == "causal" else self.padding
        fmt = convert_data_format(self.data_format, 4)
        outputs = nn_ops.separable_conv2d(
            inputs,
            depthwise_kernel,
            pointwise_kernel,
            strides=strides,
            padding=op_padding.upper(),
            rate=dilation_rate,
            data_format=fmt,
        )
        if self.use_bias:
            outputs = nn_ops.bias_add(outputs, self.bias, data_format=fmt)
        outputs = array_ops.squeeze(outputs, [spatial_start_dim])
        if self.activation is not None:
            return self.activation(outputs)
        return outputs


class SeparableConv2D(_SeparableConv):
    """Separable 2-D convolution: DepthwiseConv2dNative then a 1x1 Conv2D."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format="channels_last",
        dilation_rate=(1, 1),
        depth_multiplier=1,
        **kwargs,
    ):
        super().__init__(
            2, filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier, **kwargs
        )

    def call(self, inputs):
        if self.data_format == "channels_last":
            strides = (1, *self.strides, 1)
        else:
            strides = (1, 1, *self.strides)
        fmt = convert_data_format(self.data_format, 4)
        outputs = nn_ops.separable_conv2d(
            inputs,
            self.depthwise_kernel,
            self.pointwise_kernel,
            strides=strides,
            padding=self.padding.upper(),
            rate=self.dilation_rate,
            data_format=fmt,
        )
        if self.use_bias:
            outputs = nn_ops.bias_add(outputs, self.bias, data_format=fmt)
        if self.activation is not None:
            return self.activation(outputs)
        return outputs


class Conv2DTranspose(Conv2D):
    """Transposed 2-D convolution (Conv2DBackpropInput); kernel ``kernel_size + (filters, in)``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last", **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format, **kwargs)
        self.input_spec = InputSpec(ndim=4)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"Inputs should have rank {self.rank + 2}. Received input_shape={input_shape}")
        axis = self._channel_axis()
        if input_shape[axis].value is None:
            raise ValueError(
                "The channel dimension of the inputs to `Conv2DTranspose` should be defined. The input_shape "
                f"received is {input_shape}, where axis {axis} (0-based) is the channel dimension, which found to "
                "be `None`."
            )
        input_dim = int(input_shape[axis].value)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: input_dim})
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, self.filters, input_dim),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            trainable=True,
            dtype=self.dtype,
        )
        self.bias = self._add_bias()
        self.built = True

    def call(self, inputs):
        inputs_shape = array_ops.shape(inputs)
        batch_size = inputs_shape[0]
        h_axis, w_axis = (2, 3) if self._channels_first else (1, 2)
        height = width = None
        if inputs.shape.rank is not None:
            dims = inputs.shape.as_list()
            height, width = dims[h_axis], dims[w_axis]
        height = height if height is not None else inputs_shape[h_axis]
        width = width if width is not None else inputs_shape[w_axis]
        kernel_h, kernel_w = self.kernel_size
        stride_h, stride_w = self.strides
        out_height = deconv_output_length(height, kernel_h, self.padding, stride_h, self.dilation_rate[0])
        out_width = deconv_output_length(width, kernel_w, self.padding, stride_w, self.dilation_rate[1])
        if self._channels_first:
            output_shape = (batch_size, self.filters, out_height, out_width)
        else:
            output_shape = (batch_size, out_height, out_width, self.filters)
        output_shape_tensor = array_ops.stack(output_shape)
        outputs = self._conv_transpose(inputs, output_shape_tensor)
        if inputs.shape.rank:
            outputs.set_shape(self.compute_output_shape(inputs.shape))
        if self.use_bias:
            outputs = nn_ops.bias_add(outputs, self.bias, data_format=convert_data_format(self.data_format, 4))
        if self.activation is not None:
            return self.activation(outputs)
        return outputs

    def _conv_transpose(self, x, output_shape):
        """Keras' backend.conv2d_transpose: channels-first inputs are transposed to NHWC on the CPU."""
        if self._channels_first:
            x = array_ops.transpose(x, (0, 2, 3, 1))
            output_shape = array_ops.stack([output_shape[0], output_shape[2], output_shape[3], output_shape[1]])
        # Keras indexes the shape tensor here (for a None batch size it never has); TF keeps that slice.
        _ = output_shape[0]
        if self.dilation_rate != (1, 1):
            raise ValueError(
                "tf.layers.Conv2DTranspose with a dilation_rate builds atrous_conv2d_transpose, which torchmeta "
                "does not provide"
            )
        outputs = nn_ops.conv2d_transpose(
            x, self.kernel, output_shape, (1, *self.strides, 1), padding=self.padding.upper(), data_format="NHWC"
        )
        if self._channels_first:
            outputs = array_ops.transpose(outputs, (0, 3, 1, 2))
        return outputs

    def compute_output_shape(self, input_shape):
        output_shape = TensorShape(input_shape).as_list()
        c_axis, h_axis, w_axis = (1, 2, 3) if self._channels_first else (3, 1, 2)
        output_shape[c_axis] = self.filters
        for axis, i in ((h_axis, 0), (w_axis, 1)):
            output_shape[axis] = deconv_output_length(
                output_shape[axis], self.kernel_size[i], self.padding, self.strides[i], self.dilation_rate[i]
            )
        return TensorShape(output_shape)


class Conv3DTranspose(Conv3D):
    """Transposed 3-D convolution (Conv3DBackpropInputV2); kernel ``kernel_size + (filters, in)``."""

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format="channels_last", **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format, **kwargs)
        self.input_spec = InputSpec(ndim=5)

    build = Conv2DTranspose.build

    def call(self, inputs):
        inputs_shape = array_ops.shape(inputs)
        batch_size = inputs_shape[0]
        axes = (2, 3, 4) if self._channels_first else (1, 2, 3)
        sizes = [inputs_shape[a] for a in axes]
        outs = [deconv_output_length(n, k, self.padding, s) for n, k, s in zip(sizes, self.kernel_size, self.strides)]
        if self._channels_first:
            output_shape = (batch_size, self.filters, *outs)
            strides = (1, 1, *self.strides)
        else:
            output_shape = (batch_size, *outs, self.filters)
            strides = (1, *self.strides, 1)
        output_shape_tensor = array_ops.stack(output_shape)
        outputs = nn_ops.conv3d_transpose(
            inputs,
            self.kernel,
            output_shape_tensor,
            strides,
            data_format=convert_data_format(self.data_format, 5),
            padding=self.padding.upper(),
        )
        if inputs.shape.rank:
            outputs.set_shape(self.compute_output_shape(inputs.shape))
        if self.use_bias:
            outputs = nn_ops.bias_add(outputs, self.bias, data_format=convert_data_format(self.data_format, 4))
        if self.activation is not None:
            return self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        output_shape = TensorShape(input_shape).as_list()
        c_axis, d_axis, h_axis, w_axis = (1, 2, 3, 4) if self._channels_first else (4, 1, 2, 3)
        output_shape[c_axis] = self.filters
        for axis, i in ((d_axis, 0), (h_axis, 1), (w_axis, 2)):
            output_shape[axis] = deconv_output_length(
                output_shape[axis], self.kernel_size[i], self.padding, self.strides[i]
            )
        return TensorShape(output_shape)


def _apply(cls, inputs, name, reuse, *args, **kwargs):
    return cls(*args, name=name, _reuse=reuse, _scope=name, **kwargs)(inputs)


def _conv_fn(cls, default_strides, default_dilation, doc):
    def fn(
        inputs,
        filters,
        kernel_size,
        strides=default_strides,
        padding="valid",
        data_format="channels_last",
        dilation_rate=default_dilation,
        activation=None,
        use_bias=True,
        kernel_initializer=None,
        bias_initializer=ZEROS,
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        trainable=True,
        name=None,
        reuse=None,
    ):
        return _apply(
            cls,
            inputs,
            name,
            reuse,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            trainable=trainable,
        )

    fn.__doc__ = doc
    return fn


conv1d = _conv_fn(Conv1D, 1, 1, "``tf.layers.conv1d``: a Conv1D layer applied once (``conv1d/kernel``, ...).")
conv2d = _conv_fn(Conv2D, (1, 1), (1, 1), "``tf.layers.conv2d``: a Conv2D layer applied once (``conv2d/kernel``, ...).")
conv3d = _conv_fn(
    Conv3D, (1, 1, 1), (1, 1, 1), "``tf.layers.conv3d``: a Conv3D layer applied once (``conv3d/kernel``, ...)."
)
for _fn, _name in ((conv1d, "conv1d"), (conv2d, "conv2d"), (conv3d, "conv3d")):
    _fn.__name__ = _fn.__qualname__ = _name


def _separable_fn(cls, default_strides, default_dilation, doc):
    def fn(
        inputs,
        filters,
        kernel_size,
        strides=default_strides,
        padding="valid",
        data_format="channels_last",
        dilation_rate=default_dilation,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer=None,
        pointwise_initializer=None,
        bias_initializer=ZEROS,
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        trainable=True,
        name=None,
        reuse=None,
    ):
        return _apply(
            cls,
            inputs,
            name,
            reuse,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            depth_multiplier=depth_multiplier,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint,
            bias_constraint=bias_constraint,
            trainable=trainable,
        )

    fn.__doc__ = doc
    return fn


separable_conv1d = _separable_fn(SeparableConv1D, 1, 1, "``tf.layers.separable_conv1d``.")
separable_conv2d = _separable_fn(SeparableConv2D, (1, 1), (1, 1), "``tf.layers.separable_conv2d``.")
for _fn, _name in ((separable_conv1d, "separable_conv1d"), (separable_conv2d, "separable_conv2d")):
    _fn.__name__ = _fn.__qualname__ = _name


def _transpose_fn(cls, default_strides, doc):
    def fn(
        inputs,
        filters,
        kernel_size,
        strides=default_strides,
        padding="valid",
        data_format="channels_last",
        activation=None,
        use_bias=True,
        kernel_initializer=None,
        bias_initializer=ZEROS,
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        trainable=True,
        name=None,
        reuse=None,
    ):
        return _apply(
            cls,
            inputs,
            name,
            reuse,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            trainable=trainable,
        )

    fn.__doc__ = doc
    return fn


conv2d_transpose = _transpose_fn(Conv2DTranspose, (1, 1), "``tf.layers.conv2d_transpose``.")
conv3d_transpose = _transpose_fn(Conv3DTranspose, (1, 1, 1), "``tf.layers.conv3d_transpose``.")
for _fn, _name in ((conv2d_transpose, "conv2d_transpose"), (conv3d_transpose, "conv3d_transpose")):
    _fn.__name__ = _fn.__qualname__ = _name

# TF1's aliases.
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
SeparableConvolution2D = SeparableConv2D
Convolution2DTranspose = Deconvolution2D = Conv2DTranspose
Convolution3DTranspose = Deconvolution3D = Conv3DTranspose
convolution1d, convolution2d, convolution3d = conv1d, conv2d, conv3d
separable_convolution2d = separable_conv2d
convolution2d_transpose = deconvolution2d = conv2d_transpose
convolution3d_transpose = deconvolution3d = conv3d_transpose
