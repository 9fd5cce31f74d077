"""``tf.nn``'s convolution gradients, transposed convolutions and pooling variants beyond ``nn_ops``
(TF's python/ops/nn_ops.py, split off for size)."""

from __future__ import annotations

from collections.abc import Sized

import numpy as np

from torchmeta import dtypes
from torchmeta.api import array_ops
from torchmeta.api.deprecation import deprecated_argument_lookup
from torchmeta.api.nn_ops import (
    avg_pool,
    avg_pool3d,
    conv2d_transpose,
    conv3d_transpose,
    convert_padding,
    get_sequence,
    max_pool,
    max_pool3d,
    with_space_to_batch,
)
from torchmeta.framework import tensor_util
from torchmeta.framework.graph import convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import apply_op, raw_op, raw_op_result
from torchmeta.framework.tensor_shape import TensorShape

__all__ = [
    "atrous_conv2d_transpose",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool_v2",
    "conv1d_transpose",
    "conv2d_backprop_filter",
    "conv2d_backprop_input",
    "conv3d_backprop_filter",
    "conv3d_backprop_filter_v2",
    "conv_transpose",
    "depthwise_conv2d_backprop_filter",
    "depthwise_conv2d_backprop_input",
    "depthwise_conv2d_native_backprop_filter",
    "depthwise_conv2d_native_backprop_input",
    "fractional_avg_pool",
    "fractional_max_pool",
    "max_pool1d",
    "max_pool2d",
    "max_pool_v2",
    "max_pool_with_argmax",
    "pool",
]


# ---------------------------------------------------------------------------------------------
# Convolution gradients (the TF1 names of the gradient ops, used by old deconvolution code)


def conv2d_backprop_filter(
    input,
    filter_sizes,
    out_backprop,
    strides,
    padding,
    use_cudnn_on_gpu=True,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
):
    """``tf.nn.conv2d_backprop_filter``: Conv2DBackpropFilter (``padding`` may be a list of pairs)."""
    padding, explicit = convert_padding(padding)
    return raw_op(
        "Conv2DBackpropFilter",
        input=input,
        filter_sizes=filter_sizes,
        out_backprop=out_backprop,
        strides=strides,
        padding=padding,
        use_cudnn_on_gpu=use_cudnn_on_gpu,
        explicit_paddings=explicit,
        data_format=data_format,
        dilations=list(dilations),
        name=name,
    )


def conv2d_backprop_input(
    input_sizes,
    filter=None,
    out_backprop=None,
    strides=None,
    padding=None,
    use_cudnn_on_gpu=True,
    data_format="NHWC",
    dilations=(1, 1, 1, 1),
    name=None,
    filters=None,
):
    """``tf.nn.conv2d_backprop_input``: Conv2DBackpropInput (``padding`` may be a list of pairs)."""
    filter = deprecated_argument_lookup("filters", filters, "filter", filter)
    padding, explicit = convert_padding(padding)
    return raw_op(
        "Conv2DBackpropInput",
        input_sizes=input_sizes,
        filter=filter,
        out_backprop=out_backprop,
        strides=strides,
        padding=padding,
        use_cudnn_on_gpu=use_cudnn_on_gpu,
        explicit_paddings=explicit,
        data_format=data_format,
        dilations=list(dilations),
        name=name,
    )


def conv3d_backprop_filter_v2(
    input, filter_sizes, out_backprop, strides, padding, data_format="NDHWC", dilations=(1, 1, 1, 1, 1), name=None
):
    """``tf.nn.conv3d_backprop_filter`` (and ``_v2``): Conv3DBackpropFilterV2, as TF exports both names."""
    return raw_op(
        "Conv3DBackpropFilterV2",
        input=input,
        filter_sizes=filter_sizes,
        out_backprop=out_backprop,
        strides=strides,
        padding=padding,
        data_format=data_format,
        dilations=list(dilations),
        name=name,
    )


conv3d_backprop_filter = conv3d_backprop_filter_v2


def depthwise_conv2d_native_backprop_input(
    input_sizes, filter, out_backprop, strides, padding, data_format="NHWC", dilations=(1, 1, 1, 1), name=None
):
    """``tf.nn.depthwise_conv2d_native_backprop_input``: DepthwiseConv2dNativeBackpropInput."""
    padding, explicit = convert_padding(padding)
    return raw_op(
        "DepthwiseConv2dNativeBackpropInput",
        input_sizes=input_sizes,
        filter=filter,
        out_backprop=out_backprop,
        strides=strides,
        padding=padding,
        explicit_paddings=explicit,
        data_format=data_format,
        dilations=list(dilations),
        name=name,
    )


def depthwise_conv2d_native_backprop_filter(
    input, filter_sizes, out_backprop, strides, padding, data_format="NHWC", dilations=(1, 1, 1, 1), name=None
):
    """``tf.nn.depthwise_conv2d_native_backprop_filter``: DepthwiseConv2dNativeBackpropFilter."""
    padding, explicit = convert_padding(padding)
    return raw_op(
        "DepthwiseConv2dNativeBackpropFilter",
        input=input,
        filter_sizes=filter_sizes,
        out_backprop=out_backprop,
        strides=strides,
        padding=padding,
        explicit_paddings=explicit,
        data_format=data_format,
        dilations=list(dilations),
        name=name,
    )


depthwise_conv2d_backprop_input = depthwise_conv2d_native_backprop_input
depthwise_conv2d_backprop_filter = depthwise_conv2d_native_backprop_filter


# ---------------------------------------------------------------------------------------------
# Transposed convolutions


def conv1d_transpose(
    input, filters, output_shape, strides, padding="SAME", data_format="NWC", dilations=None, name=None
):
    """``tf.nn.conv1d_transpose``: a 2-D Conv2DBackpropInput over an inserted unit height.

    Raises:
      ValueError: for a data format other than NWC and NCW.
    """
    with name_scope(name, "conv1d_transpose", [input, filters, output_shape]) as name:
        if data_format is None or data_format == "NWC":
            data_format, spatial_start_dim, channel_index = "NHWC", 1, 2
        elif data_format == "NCW":
            data_format, spatial_start_dim, channel_index = "NCHW", 2, 1
        else:
            raise ValueError(f"`data_format` must be 'NWC' or 'NCW'. Received: data_format={data_format}")
        strides = [1, *get_sequence(strides, 1, channel_index, "stride")]
        dilations = [1, *get_sequence(dilations, 1, channel_index, "dilations")]
        input = array_ops.expand_dims(input, spatial_start_dim)
        filters = array_ops.expand_dims(filters, 0)
        if not tensor_util.is_tf_type(output_shape):
            output_shape = list(output_shape)
        output_shape = array_ops.concat([output_shape[:spatial_start_dim], [1], output_shape[spatial_start_dim:]], 0)
        result = raw_op(
            "Conv2DBackpropInput",
            input_sizes=output_shape,
            filter=filters,
            out_backprop=input,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilations=dilations,
            name=name,
        )
        return array_ops.squeeze(result, spatial_start_dim)


def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None, dilations=None, name=None):
    """``tf.nn.conv_transpose``: conv1d/2d/3d_transpose by the length of ``output_shape``.

    Raises:
      ValueError: for an ``output_shape`` that is not sized or not of length 3, 4 or 5.
    """
    with name_scope(name, "conv_transpose", [input, filters, output_shape]) as name:
        if tensor_util.is_tf_type(output_shape):
            n = output_shape.shape[0] - 2
        elif isinstance(output_shape, Sized):
            n = len(output_shape) - 2
        else:
            raise ValueError(
                f"`output_shape` must be a tensor or sized collection. Received: output_shape={output_shape}"
            )
        if not 1 <= n <= 3:
            raise ValueError(
                f"`output_shape` must be of length 3, 4 or 5. Received: output_shape={output_shape} of length {n + 2}."
            )
        if n == 1:
            return conv1d_transpose(
                input,
                filters,
                output_shape,
                strides,
                padding=padding,
                data_format=data_format,
                dilations=dilations,
                name=name,
            )
        transpose = conv2d_transpose if n == 2 else conv3d_transpose
        return transpose(
            input,
            filters,
            output_shape,
            strides,
            padding=padding,
            data_format=data_format,
            dilations=dilations,
            name=name,
        )


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    """``tf.nn.atrous_conv2d_transpose``: Conv2DBackpropInput between SpaceToBatch and BatchToSpace.

    Raises:
      ValueError: for incompatible channel counts, ``rate`` < 1, an ``output_shape`` not of shape (4,)
        or a padding other than SAME and VALID (TF's messages).
    """
    with name_scope(name, "atrous_conv2d_transpose", [value, filters, output_shape]) as name:
        value = convert_to_tensor(value, name="value")
        filters = convert_to_tensor(filters, name="filters")
        if not value.shape.dims[3].is_compatible_with(filters.shape[3]):
            raise ValueError(
                "`value` channel count must be compatible with `filters` input channel count. "
                f"Received: value.shape={value.shape} with channel count {value.shape[3]} and "
                f"filters.shape={filters.shape} with input channel count {filters.shape[3]}."
            )
        if rate < 1:
            raise ValueError(f"`rate` cannot be less than one. Received: rate={rate}")
        if rate == 1:
            return conv2d_transpose(
                value, filters, output_shape, strides=[1, 1, 1, 1], padding=padding, data_format="NHWC"
            )
        output_shape_ = convert_to_tensor(output_shape, name="output_shape")
        if not output_shape_.shape.is_compatible_with(TensorShape([4])):
            raise ValueError(f"`output_shape` must have shape (4,). Received: output_shape={output_shape_.shape}")
        if isinstance(output_shape, tuple):
            output_shape = list(output_shape)
        if isinstance(output_shape, (list, np.ndarray)) and not filters.shape.dims[2].is_compatible_with(
            output_shape[3]
        ):
            raise ValueError(
                "`output_shape` channel count must be compatible with `filters` output channel count. "
                f"Received: output_shape={output_shape} with channel count {output_shape[3]} and "
                f"filters.shape={filters.shape} with output channel count {filters.shape[3]}."
            )
        if padding == "SAME":
            if filters.shape.is_fully_defined():
                filter_shape = filters.shape.as_list()
            else:
                filter_shape = array_ops.shape(filters)
            filter_height, filter_width = filter_shape[0], filter_shape[1]
            pad_height = filter_height + (filter_height - 1) * (rate - 1) - 1
            pad_width = filter_width + (filter_width - 1) * (rate - 1) - 1
            pad_top = pad_height // 2
            pad_bottom = pad_height - pad_top
            pad_left = pad_width // 2
            pad_right = pad_width - pad_left
        elif padding == "VALID":
            pad_top = pad_bottom = pad_left = pad_right = 0
        else:
            raise ValueError(f"`padding` must be either 'VALID' or 'SAME'. Received: padding={padding}")
        in_height = output_shape[1] + pad_top + pad_bottom
        in_width = output_shape[2] + pad_left + pad_right
        pad_bottom_extra = (rate - in_height % rate) % rate
        pad_right_extra = (rate - in_width % rate) % rate
        value = array_ops.space_to_batch(
            input=value, paddings=[[0, pad_bottom_extra], [0, pad_right_extra]], block_size=rate
        )
        input_sizes = [
            rate * rate * output_shape[0],
            (in_height + pad_bottom_extra) // rate,
            (in_width + pad_right_extra) // rate,
            output_shape[3],
        ]
        value = raw_op(
            "Conv2DBackpropInput",
            input_sizes=input_sizes,
            filter=filters,
            out_backprop=value,
            strides=[1, 1, 1, 1],
            padding="VALID",
            data_format="NHWC",
        )
        crops = [[pad_top, pad_bottom + pad_bottom_extra], [pad_left, pad_right + pad_right_extra]]
        return array_ops.batch_to_space(input=value, crops=crops, block_size=rate)


# ---------------------------------------------------------------------------------------------
# Pooling


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """``tf.nn.max_pool1d``: a MaxPool over an inserted unit height."""
    with name_scope(name, "MaxPool1d", [input]) as name:
        if isinstance(padding, (list, tuple)) and data_format == "NCHW_VECT_C":
            raise ValueError(
                f"`data_format='NCHW_VECT_C'` is not supported with explicit padding. Received: padding={padding}"
            )
        if data_format is None:
            data_format = "NWC"
        channel_index = 1 if data_format.startswith("NC") else 2
        ksize = [1, *get_sequence(ksize, 1, channel_index, "ksize")]
        strides = [1, *get_sequence(strides, 1, channel_index, "strides")]
        padding, explicit = convert_padding(padding, 3)
        if padding == "EXPLICIT":
            explicit = [0, 0, *explicit]
        expanding_dim = 1 if data_format == "NWC" else 2
        data_format = "NHWC" if data_format == "NWC" else "NCHW"
        input = array_ops.expand_dims(input, expanding_dim)
        result = raw_op(
            "MaxPool",
            input=input,
            ksize=ksize,
            strides=strides,
            padding=padding,
            explicit_paddings=explicit,
            data_format=data_format,
            name=name,
        )
        return array_ops.squeeze(result, expanding_dim)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """``tf.nn.max_pool2d``: MaxPool under TF's "MaxPool2d" default name."""
    with name_scope(name, "MaxPool2d", [input]) as name:
        if data_format is None:
            data_format = "NHWC"
        channel_index = 1 if data_format.startswith("NC") else 3
        ksize = get_sequence(ksize, 2, channel_index, "ksize")
        strides = get_sequence(strides, 2, channel_index, "strides")
        if isinstance(padding, (list, tuple)) and data_format == "NCHW_VECT_C":
            raise ValueError(
                f"`data_format='NCHW_VECT_C'` is not supported with explicit padding. Received: padding={padding}"
            )
        padding, explicit = convert_padding(padding)
        return raw_op(
            "MaxPool",
            input=input,
            ksize=ksize,
            strides=strides,
            padding=padding,
            explicit_paddings=explicit,
            data_format=data_format,
            name=name,
        )


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """``tf.nn.avg_pool1d``: an AvgPool over an inserted unit height."""
    with name_scope(name, "AvgPool1D", [input]) as name:
        if data_format is None:
            data_format = "NWC"
        channel_index = 1 if data_format.startswith("NC") else 2
        ksize = [1, *get_sequence(ksize, 1, channel_index, "ksize")]
        strides = [1, *get_sequence(strides, 1, channel_index, "strides")]
        expanding_dim = 1 if data_format == "NWC" else 2
        data_format = "NHWC" if data_format == "NWC" else "NCHW"
        input = array_ops.expand_dims(input, expanding_dim)
        result = raw_op(
            "AvgPool", value=input, ksize=ksize, strides=strides, padding=padding, data_format=data_format, name=name
        )
        return array_ops.squeeze(result, expanding_dim)


# TF1 exports tf.nn.avg_pool2d as tf.nn.avg_pool itself.
avg_pool2d = avg_pool


def _pool_rank(input, data_format):
    """The number of spatial dims of ``max_pool_v2``/``avg_pool_v2``'s input, as TF tells it."""
    if input.shape is not None:
        n = len(input.shape) - 2
    elif data_format is not None:
        n = len(data_format) - 2
    else:
        raise ValueError(
            "`input` must have a static shape or `data_format` must be given. "
            f"Received: input.shape={input.shape} and data_format={data_format}"
        )
    if not 1 <= n <= 3:
        raise ValueError(f"`input.shape.rank` must be 3, 4 or 5. Received: input.shape={input.shape} of rank {n + 2}.")
    channel_index = n + 1 if data_format is None else (1 if data_format.startswith("NC") else n + 1)
    return n, channel_index


def max_pool_v2(input, ksize, strides, padding, data_format=None, name=None):
    """``tf.nn.max_pool_v2`` (TF2's ``tf.nn.max_pool``): max_pool1d, max_pool2d or MaxPool3D by the input's rank."""
    n, channel_index = _pool_rank(input, data_format)
    if isinstance(padding, (list, tuple)) and data_format == "NCHW_VECT_C":
        raise ValueError(
            f"`data_format='NCHW_VECT_C'` is not supported with explicit padding. Received: padding={padding}"
        )
    ksize = get_sequence(ksize, n, channel_index, "ksize")
    strides = get_sequence(strides, n, channel_index, "strides")
    if isinstance(padding, (list, tuple)) and n == 3:
        raise ValueError(
            f"Explicit padding is not supported with an input tensor of rank 5. Received: padding={padding}"
        )
    if n == 3:
        return raw_op(
            "MaxPool3D",
            input=input,
            ksize=ksize,
            strides=strides,
            padding=padding,
            data_format=data_format or "NDHWC",
            name=name,
        )
    op = max_pool1d if n == 1 else max_pool2d
    return op(input, ksize=ksize, strides=strides, padding=padding, data_format=data_format, name=name)


def avg_pool_v2(input, ksize, strides, padding, data_format=None, name=None):
    """``tf.nn.avg_pool_v2`` (TF2's ``tf.nn.avg_pool``): avg_pool1d, AvgPool or AvgPool3D by the input's rank."""
    n, channel_index = _pool_rank(input, data_format)
    ksize = get_sequence(ksize, n, channel_index, "ksize")
    strides = get_sequence(strides, n, channel_index, "strides")
    if n == 1:
        return avg_pool1d(input, ksize=ksize, strides=strides, padding=padding, data_format=data_format, name=name)
    if n == 2:
        return raw_op(
            "AvgPool",
            value=input,
            ksize=ksize,
            strides=strides,
            padding=padding,
            data_format=data_format or "NHWC",
            name=name,
        )
    return raw_op(
        "AvgPool3D",
        input=input,
        ksize=ksize,
        strides=strides,
        padding=padding,
        data_format=data_format or "NDHWC",
        name=name,
    )


def _get_strides_and_dilation_rate(num_spatial_dims, strides, dilation_rate):
    """TF's helper of the same name: both as int32 arrays, validated."""
    if dilation_rate is None:
        dilation_rate = [1] * num_spatial_dims
    elif len(dilation_rate) != num_spatial_dims:
        raise ValueError(
            f"`len(dilation_rate)` should be {num_spatial_dims}. Received: dilation_rate={dilation_rate} of length "
            f"{len(dilation_rate)}"
        )
    dilation_rate = np.array(dilation_rate, dtype=np.int32)
    if np.any(dilation_rate < 1):
        raise ValueError(f"all values of `dilation_rate` must be positive. Received: dilation_rate={dilation_rate}")
    if strides is None:
        strides = [1] * num_spatial_dims
    elif len(strides) != num_spatial_dims:
        raise ValueError(
            f"`len(strides)` should be {num_spatial_dims}. Received: strides={strides} of length {len(strides)}"
        )
    strides = np.array(strides, dtype=np.int32)
    if np.any(strides < 1):
        raise ValueError(f"all values of `strides` must be positive. Received: strides={strides}")
    if np.any(strides > 1) and np.any(dilation_rate > 1):
        raise ValueError(
            "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
            f"Received: strides={strides} and dilation_rate={dilation_rate}"
        )
    return strides, dilation_rate


def pool(
    input,
    window_shape,
    pooling_type,
    padding,
    dilation_rate=None,
    strides=None,
    name=None,
    data_format=None,
    dilations=None,
):
    """``tf.nn.pool``: N-D max or average pooling, dilated through SpaceToBatchND as TF builds it.

    Raises:
      ValueError: for TF's unsupported combinations (its messages).
    """
    dilation_rate = deprecated_argument_lookup("dilations", dilations, "dilation_rate", dilation_rate)
    with name_scope(name, f"{pooling_type.lower()}_pool", [input]) as scope:
        input = convert_to_tensor(input, name="input")
        num_spatial_dims = len(window_shape)
        if num_spatial_dims < 1 or num_spatial_dims > 3:
            raise ValueError(
                f"`len(window_shape)` must be 1, 2, or 3. Received: window_shape={window_shape} of length "
                f"{len(window_shape)}"
            )
        input.shape.with_rank(num_spatial_dims + 2)
        strides, dilation_rate = _get_strides_and_dilation_rate(num_spatial_dims, strides, dilation_rate)
        if padding == "SAME" and np.any(dilation_rate > 1):
            raise ValueError(
                "pooling with 'SAME' padding is not implemented for `dilation_rate` > 1. "
                f"Received: padding={padding} and dilation_rate={dilation_rate}"
            )
        if np.any(strides > window_shape):
            raise ValueError(
                "`strides` > `window_shape` not supported due to inconsistency between CPU and GPU implementations. "
                f"Received: strides={strides} and window_shape={window_shape}"
            )
        pooling_ops = {
            ("MAX", 1): max_pool,
            ("MAX", 2): max_pool,
            ("MAX", 3): max_pool3d,
            ("AVG", 1): avg_pool,
            ("AVG", 2): avg_pool,
            ("AVG", 3): avg_pool3d,
        }
        op_key = (pooling_type, num_spatial_dims)
        if op_key not in pooling_ops:
            raise ValueError(f"{num_spatial_dims}-D {pooling_type} pooling is not supported.")
        if data_format is None or not data_format.startswith("NC"):
            window = [1, *window_shape, 1]
            adjusted_strides = [1, *strides.tolist(), 1]
            spatial_dims = range(1, num_spatial_dims + 1)
        else:
            window = [1, 1, *window_shape]
            adjusted_strides = [1, 1, *strides.tolist()]
            spatial_dims = range(2, num_spatial_dims + 2)
        if num_spatial_dims == 1:
            if data_format is None or data_format == "NWC":
                data_format_kwargs = {"data_format": "NHWC"}
            elif data_format == "NCW":
                data_format_kwargs = {"data_format": "NCHW"}
            else:
                raise ValueError(f"data_format must be either 'NWC' or 'NCW'. Received: data_format={data_format}")
            window = [1, *window]
            adjusted_strides = [1, *adjusted_strides]
        else:
            data_format_kwargs = {"data_format": data_format}

        def op(converted_input, _, converted_padding):
            if num_spatial_dims == 1:
                converted_input = array_ops.expand_dims(converted_input, spatial_dims[0])
            result = pooling_ops[op_key](
                converted_input, window, adjusted_strides, converted_padding, name=scope, **data_format_kwargs
            )
            if num_spatial_dims == 1:
                result = array_ops.squeeze(result, [spatial_dims[0]])
            return result

        return with_space_to_batch(
            input=input,
            dilation_rate=dilation_rate,
            padding=padding,
            op=op,
            spatial_dims=spatial_dims,
            filter_shape=window_shape,
        )


def max_pool_with_argmax(
    input,
    ksize,
    strides,
    padding,
    data_format="NHWC",
    Targmax=None,
    name=None,
    output_dtype=None,
    include_batch_in_index=False,
):
    """``tf.nn.max_pool_with_argmax`` (TF1): (the max pool, the flattened index of each max).

    Raises:
      ValueError: for a data format other than NHWC.
    """
    if data_format != "NHWC":
        raise ValueError(
            f"`data_format` values other  than 'NHWC' are not supported. Received: data_format={data_format}"
        )
    Targmax = deprecated_argument_lookup("output_dtype", output_dtype, "Targmax", Targmax)
    if Targmax is None:
        Targmax = dtypes.DType.int64
    return raw_op_result(
        apply_op(
            "MaxPoolWithArgmax",
            input=input,
            ksize=ksize,
            strides=strides,
            padding=padding,
            Targmax=Targmax,
            include_batch_in_index=include_batch_in_index,
            name=name,
        )
    )


def fractional_max_pool(
    value, pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0, seed2=0, name=None
):
    """``tf.nn.fractional_max_pool`` (TF1): (the pooled value, the row and column region boundaries)."""
    return raw_op_result(
        apply_op(
            "FractionalMaxPool",
            value=value,
            pooling_ratio=pooling_ratio,
            pseudo_random=pseudo_random,
            overlapping=overlapping,
            deterministic=deterministic,
            seed=seed,
            seed2=seed2,
            name=name,
        )
    )


def fractional_avg_pool(
    value, pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0, seed2=0, name=None
):
    """``tf.nn.fractional_avg_pool`` (TF1): (the pooled value, the row and column region boundaries)."""
    return raw_op_result(
        apply_op(
            "FractionalAvgPool",
            value=value,
            pooling_ratio=pooling_ratio,
            pseudo_random=pseudo_random,
            overlapping=overlapping,
            deterministic=deterministic,
            seed=seed,
            seed2=seed2,
            name=name,
        )
    )
