"""TF1 math functions that TF builds from other ops in Python (math_ops.linspace_nd, the unsorted segment
mean / sqrt-n, polyval, special_math_ops.lbeta, histogram_ops) and the generated ones with no builder
elsewhere (UnravelIndex, Bitcast, Complex, ParallelConcat), node for node as TF builds them."""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.api import array_ops, clip_ops, control_flow_ops, math_ops
from torchmeta.api.control_flow_assert import Assert
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import TensorShape

__all__ = [
    "linspace",
    "lin_space",
    "unsorted_segment_mean",
    "unsorted_segment_sqrt_n",
    "polyval",
    "lbeta",
    "histogram_fixed_width",
    "histogram_fixed_width_bins",
    "unravel_index",
    "bitcast",
    "complex",
    "parallel_stack",
]


def _convert_to_int_tensor(tensor, name, dtype=DType.int32):
    """TF's array_ops.convert_to_int_tensor: an integer tensor cast (always, a Cast node) to ``dtype``."""
    tensor = graph_lib.convert_to_tensor(tensor, name=name, preferred_dtype=dtype)
    if not tensor.dtype.is_integer:
        raise TypeError(
            f"Argument `tensor` (name: {name}) must be of type integer. Received `tensor` = {tensor} of dtype: "
            f"<dtype: '{tensor.dtype.name}'>"
        )
    return raw_op("Cast", x=tensor, DstT=dtype, Truncate=False)


def linspace(start, stop, num, name=None, axis=0):
    """``tf.linspace`` / ``tf.lin_space`` (TF's linspace_nd): ``num`` evenly spaced values from ``start`` to
    ``stop`` inclusive along a new ``axis`` (the arguments broadcast against each other)."""
    with name_scope(name, "linspace", [start, stop]):
        start = graph_lib.convert_to_tensor(start, name="start")
        stop = graph_lib.convert_to_tensor(stop, name="stop", dtype=start.dtype)
        num_int = _convert_to_int_tensor(num, name="num")
        num = math_ops.cast(num_int, dtype=start.dtype)
        broadcast_shape = array_ops.broadcast_dynamic_shape(array_ops.shape(start), array_ops.shape(stop))
        start = array_ops.broadcast_to(start, broadcast_shape)
        stop = array_ops.broadcast_to(stop, broadcast_shape)
        expanded_start = array_ops.expand_dims(start, axis=axis)
        expanded_stop = array_ops.expand_dims(stop, axis=axis)
        shape = array_ops.shape(expanded_start)
        ndims = array_ops.shape(shape)[0]
        axis = array_ops.where_v2(axis >= 0, axis, ndims + axis)
        num_fill = math_ops.maximum(num_int - 2, 0)
        n_steps = math_ops.maximum(num_int - 1, 1)
        delta = (expanded_stop - expanded_start) / math_ops.cast(n_steps, expanded_stop.dtype)
        expanded_start = math_ops.cast(expanded_start, delta.dtype)
        expanded_stop = math_ops.cast(expanded_stop, delta.dtype)
        range_end = array_ops.where_v2(num_int >= 0, n_steps, -1)
        desired_range = math_ops.cast(math_ops.range(1, range_end, dtype=DType.int64), delta.dtype)
        mask = raw_op("Equal", x=axis, y=math_ops.range(ndims))
        desired_range_shape = array_ops.where_v2(mask, num_fill, 1)
        desired_range = array_ops.reshape(desired_range, desired_range_shape)
        res = expanded_start + delta * desired_range
        concatenated = array_ops.concat((expanded_start, res, expanded_stop), axis=axis)
        begin = array_ops.zeros_like(shape)
        size = array_ops.concat((shape[0:axis], array_ops.reshape(num_int, [1]), shape[axis + 1 :]), axis=0)
        return array_ops.slice(concatenated, begin, size)


lin_space = linspace


def _unsorted_segment_n(data, segment_ids, num_segments):
    """TF's _unsorted_segment_N: the segment sizes (at least 1), shaped to broadcast against the sums."""
    num_segments = graph_lib.convert_to_tensor(num_segments)
    segment_ids_shape = array_ops.shape_internal(segment_ids)
    ones_tensor = array_ops.ones(segment_ids_shape, dtype=data.dtype)
    n = raw_op("UnsortedSegmentSum", data=ones_tensor, segment_ids=segment_ids, num_segments=num_segments)
    broadcastable_shape = array_ops.concat(
        [
            num_segments[array_ops.newaxis],
            array_ops.ones([array_ops.rank(data) - array_ops.rank(segment_ids)], dtype=num_segments.dtype),
        ],
        axis=0,
    )
    n = array_ops.reshape(n, broadcastable_shape)
    return raw_op("Maximum", x=n, y=1)


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """``tf.math.unsorted_segment_mean``: the mean per segment id (empty segments: 0)."""
    with name_scope(name, "UnsortedSegmentMean"):
        data = graph_lib.convert_to_tensor(data)
        segment_ids = graph_lib.convert_to_tensor(segment_ids)
        n = _unsorted_segment_n(data, segment_ids, num_segments)
        summed = raw_op("UnsortedSegmentSum", data=data, segment_ids=segment_ids, num_segments=num_segments)
        return summed / n


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """``tf.math.unsorted_segment_sqrt_n``: the sum per segment id divided by the square root of its size."""
    with name_scope(name, "UnsortedSegmentSqrtN"):
        data = graph_lib.convert_to_tensor(data)
        segment_ids = graph_lib.convert_to_tensor(segment_ids)
        n = _unsorted_segment_n(data, segment_ids, num_segments)
        summed = raw_op("UnsortedSegmentSum", data=data, segment_ids=segment_ids, num_segments=num_segments)
        return summed / raw_op("Sqrt", x=n)


def polyval(coeffs, x, name=None):
    """``tf.math.polyval``: ``coeffs[0] * x**(n-1) + ... + coeffs[-1]`` by Horner's method.

    Raises:
      ValueError: if ``coeffs`` is not a list.
    """
    if not isinstance(coeffs, list):
        raise ValueError(f"Argument coeffs must be list type. Received type {type(coeffs)}.")
    with name_scope(name, "polyval", [*coeffs, x]) as name:
        x = graph_lib.convert_to_tensor(x, name="x")
        if len(coeffs) < 1:
            return array_ops.zeros_like(x, name=name)
        coeffs = [graph_lib.convert_to_tensor(coeff, name=f"coeff_{index}") for index, coeff in enumerate(coeffs)]
        p = coeffs[0]
        for c in coeffs[1:]:
            p = c + p * x
        return p


def lbeta(x, name=None):
    """``tf.math.lbeta``: ``log(|Beta(x)|)`` over the last dimension."""
    with name_scope(name, "lbeta", [x]):
        x = graph_lib.convert_to_tensor(x, name="x")
        log_prod_gamma_x = math_ops.reduce_sum(math_ops.lgamma(x), axis=[-1])
        sum_x = math_ops.reduce_sum(x, axis=[-1])
        return log_prod_gamma_x - math_ops.lgamma(sum_x)


def histogram_fixed_width(values, value_range, nbins=100, dtype=DType.int32, name=None):
    """``tf.histogram_fixed_width``: counts of ``values`` in ``nbins`` equal bins over ``value_range`` (values
    outside go to the end bins)."""
    with name_scope(name, "histogram_fixed_width", [values, value_range, nbins]) as name:
        return raw_op(
            "HistogramFixedWidth", values=values, value_range=value_range, nbins=nbins, dtype=dtype, name=name
        )


def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=DType.int32, name=None):
    """``tf.histogram_fixed_width_bins``: the bin index of each of ``values`` (``dtype`` is unused, as in TF)."""
    del dtype
    with name_scope(name, "histogram_fixed_width_bins", [values, value_range, nbins]):
        values = graph_lib.convert_to_tensor(values, name="values")
        shape = array_ops.shape(values)
        values = array_ops.reshape(values, [-1])
        value_range = graph_lib.convert_to_tensor(value_range, name="value_range")
        nbins = graph_lib.convert_to_tensor(nbins, dtype=DType.int32, name="nbins")
        check = Assert(math_ops.greater(nbins, 0), [f"nbins {nbins} must > 0"])
        nbins = control_flow_ops.with_dependencies([check], nbins)
        nbins_float = math_ops.cast(nbins, values.dtype)
        scaled_values = math_ops.truediv(values - value_range[0], value_range[1] - value_range[0], name="scaled_values")
        indices = math_ops.floor(nbins_float * scaled_values, name="indices")
        indices = math_ops.cast(clip_ops.clip_by_value(indices, 0, nbins_float - 1), DType.int32)
        return array_ops.reshape(indices, shape)


def unravel_index(indices, dims, name=None):
    """``tf.unravel_index``: the coordinates of flat ``indices`` in an array of shape ``dims``."""
    return raw_op("UnravelIndex", indices=indices, dims=dims, name=name)


def bitcast(input, type, name=None):
    """``tf.bitcast``: ``input``'s bytes reinterpreted as ``type`` (a last dimension appears or goes where the
    item sizes differ)."""
    return raw_op("Bitcast", input=input, type=dtypes.as_dtype(type), name=name)


def complex(real, imag, name=None):
    """``tf.complex``: ``real + imag * 1j`` (float32 -> complex64, float64 -> complex128).

    Raises:
      TypeError: for other or mismatched component dtypes (TF's message).
    """
    real = graph_lib.convert_to_tensor(real, name="real")
    imag = graph_lib.convert_to_tensor(imag, name="imag")
    with name_scope(name, "Complex", [real, imag]) as name:
        input_types = (real.dtype.base_dtype, imag.dtype.base_dtype)
        if input_types == (DType.float64, DType.float64):
            tout = DType.complex128
        elif input_types == (DType.float32, DType.float32):
            tout = DType.complex64
        else:
            raise TypeError(
                f"The `real` and `imag` components have incorrect types: {real.dtype.name} {imag.dtype.name}. "
                "They must be consistent, and one of [tf.float32, tf.float64]"
            )
        return raw_op("Complex", real=real, imag=imag, Tout=tout, name=name)


def parallel_stack(values, name="parallel_stack"):
    """``tf.parallel_stack``: ``tf.stack(values)`` as one ParallelConcat (all shapes must equal the first's)."""
    with name_scope(name):
        value_t = graph_lib.convert_to_tensor(values[0])
        output_shape = TensorShape([len(values)]).concatenate(value_t.shape)
        return raw_op(
            "ParallelConcat", values=[array_ops.expand_dims(value, 0) for value in values], shape=output_shape
        )
