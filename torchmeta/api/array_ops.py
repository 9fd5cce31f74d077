"""``tf.*`` array functions (TF1 signatures and node names): shapes, reshaping, slicing, joining, gathering.

Also installs ``Tensor.__getitem__`` (TF's ``_slice_helper``) and the conversion that packs Python
lists holding Tensors into a Pack op (TF's auto-packing), as TensorFlow's ``array_ops`` does.
"""

from __future__ import annotations

import collections
import numbers

import numpy as np

from torchmeta import dtypes
from torchmeta.api.deprecation import deprecated_argument_lookup
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.common_shapes import broadcast_shapes
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import Tensor, convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import Dimension, TensorShape, as_shape

__all__ = [
    "constant",
    "placeholder",
    "placeholder_with_default",
    "identity",
    "identity_n",
    "zeros",
    "ones",
    "zeros_like",
    "ones_like",
    "fill",
    "shape",
    "shape_n",
    "size",
    "rank",
    "reshape",
    "expand_dims",
    "squeeze",
    "transpose",
    "concat",
    "stack",
    "unstack",
    "slice",
    "strided_slice",
    "tile",
    "stop_gradient",
    "gather",
    "gather_nd",
    "scatter_nd",
    "tensor_scatter_nd_update",
    "tensor_scatter_nd_add",
    "tensor_scatter_nd_sub",
    "tensor_scatter_nd_min",
    "tensor_scatter_nd_max",
    "tensor_scatter_update",
    "tensor_scatter_add",
    "tensor_scatter_sub",
    "where",
    "where_v2",
    "sparse_to_dense",
    "one_hot",
    "pad",
    "split",
    "unique",
    "unique_with_counts",
    "searchsorted",
    "roll",
    "space_to_depth",
    "depth_to_space",
    "dynamic_stitch",
    "dynamic_partition",
    "parallel_dynamic_stitch",
    "reverse",
    "reverse_v2",
    "reverse_sequence",
    "space_to_batch_nd",
    "batch_to_space_nd",
    "space_to_batch",
    "batch_to_space",
    "required_space_to_batch_paddings",
    "broadcast_to",
    "broadcast_dynamic_shape",
    "broadcast_static_shape",
    "boolean_mask",
    "sequence_mask",
    "repeat",
    "check_numerics",
    "ensure_shape",
    "invert_permutation",
    "setdiff1d",
    "meshgrid",
    "newaxis",
]

newaxis = None

_SMALL_CONSTANT = 1000  # tf.zeros/tf.ones make a Const below this many elements, else a Fill


def _is_tensor(x) -> bool:
    return isinstance(x, Tensor)


# ---------------------------------------------------------------------------------------------
# Placeholders and identity


def placeholder(dtype, shape=None, name=None):
    """``tf.placeholder``: a tensor whose value must be fed."""
    return raw_op("Placeholder", dtype=dtype, shape=TensorShape(shape), name=name)


def placeholder_with_default(input, shape, name=None):
    """``tf.placeholder_with_default``: ``input`` unless fed."""
    return raw_op("PlaceholderWithDefault", input=input, shape=TensorShape(shape), name=name)


def identity(input, name=None):
    """``tf.identity``: a tensor with the same value as ``input``."""
    return raw_op("Identity", input=input, name=name)


def identity_n(input, name=None):
    """``tf.identity_n``: an Identity of each tensor in the list ``input`` (one IdentityN node)."""
    out = raw_op("IdentityN", input=list(input), name=name)
    return out


def stop_gradient(input, name=None):
    """``tf.stop_gradient``: ``input``, but gradients do not flow through it."""
    return raw_op("StopGradient", input=input, name=name)


def check_numerics(tensor, message, name=None):
    """``tf.debugging.check_numerics``: ``tensor``, failing the run if it holds NaN or Inf."""
    return raw_op("CheckNumerics", tensor=tensor, message=message, name=name)


def ensure_shape(x, shape, name=None):
    """``tf.ensure_shape``: ``x``, checked at run time to have a shape compatible with ``shape``."""
    if not isinstance(shape, TensorShape):
        shape = TensorShape(shape)
    return raw_op("EnsureShape", input=x, shape=shape, name=name)


# ---------------------------------------------------------------------------------------------
# Shapes


def _shape_as_tensor(shape: TensorShape, dtype=None, name=None):
    """TF's TensorShape -> Tensor conversion: a Const named ``shape_as_tensor`` (int64 if a dim needs it)."""
    if not shape.is_fully_defined():
        raise ValueError(f"Cannot convert a partially known TensorShape {shape} to a Tensor.")
    dims = shape.as_list()
    big = any(d >= 2**31 for d in dims)
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
        if dtype not in (DType.int32, DType.int64):
            raise TypeError(
                f"Cannot convert TensorShape {shape} to dtype {dtype.name}. Allowed dtypes are tf.int32 and tf.int64."
            )
        if dtype is DType.int32 and big:
            raise ValueError(
                f"Cannot convert TensorShape {shape} to dtype int32; a dimension is too large. Consider using tf.int64."
            )
    else:
        dtype = DType.int64 if big else DType.int32
    return constant(dims, dtype=dtype, name=name or "shape_as_tensor")


def _tensor_shape_conversion(value, dtype=None, name=None, as_ref=False):
    return _shape_as_tensor(value, dtype, name)


def _dimension_conversion(value, dtype=None, name=None, as_ref=False):
    if value.value is None:
        raise ValueError("Cannot convert an unknown Dimension to a Tensor: ?")
    if dtype is not None and dtypes.as_dtype(dtype) not in (DType.int32, DType.int64):
        raise TypeError(f"Cannot convert Dimension {value} to dtype {dtypes.as_dtype(dtype).name}.")
    return constant(value.value, dtype=dtype or DType.int32, name=name or "Const")


graph_lib.register_tensor_conversion_function(TensorShape, _tensor_shape_conversion, 100)
graph_lib.register_tensor_conversion_function(Dimension, _dimension_conversion, 100)


def shape(input, name=None, out_type=None):
    """``tf.shape``: the shape of ``input`` (a Const when it is fully known statically)."""
    return _shape_internal(input, name, optimize=True, out_type=out_type or DType.int32)


def _shape_internal(input, name=None, optimize=True, out_type=None):
    with name_scope(name, "Shape", [input]) as name:
        input = convert_to_tensor(input)
        input_shape = input.shape
        if optimize and input_shape.is_fully_defined():
            if not out_type:
                return _shape_as_tensor(input_shape)
            return constant(input_shape.as_list(), out_type, name=name)
        return raw_op("Shape", input=input, out_type=out_type or DType.int32, name=name)


# TF's array_ops.shape_internal: ``optimize=False`` always builds a Shape op (control flow needs the
# run-time shape even when the static one is known).
shape_internal = _shape_internal


def shape_n(input, out_type=DType.int32, name=None):
    """``tf.shape_n``: the shapes of the tensors in ``input`` (one ShapeN node)."""
    return raw_op("ShapeN", input=list(input), out_type=out_type, name=name)


def size(input, name=None, out_type=None):
    """``tf.size``: the number of elements of ``input`` (a Const when statically known)."""
    out_type = out_type or DType.int32
    with name_scope(name, "Size", [input]) as name:
        input = convert_to_tensor(input)
        input_shape = input.shape
        if input_shape.is_fully_defined():
            return constant(input_shape.num_elements(), out_type, name=name)
        if input_shape.rank is not None and any(d == 0 for d in input_shape.as_tuple()):
            return constant(0, out_type, name=name)
        return raw_op("Size", input=input, out_type=out_type, name=name)


def rank(input, name=None):
    """``tf.rank``: the rank of ``input`` as an int32 scalar (a Const when statically known)."""
    with name_scope(name, "Rank", [input]) as name:
        input = convert_to_tensor(input)
        if input.shape.rank is not None:
            return constant(input.shape.rank, DType.int32, name=name)
        return raw_op("Rank", input=input, name=name)


def broadcast_dynamic_shape(shape_x, shape_y):
    """``tf.broadcast_dynamic_shape``: the broadcast of two shape tensors (a BroadcastArgs node)."""
    return raw_op("BroadcastArgs", s0=shape_x, s1=shape_y)


def broadcast_static_shape(shape_x, shape_y):
    """``tf.broadcast_static_shape``: the broadcast of two TensorShapes.

    Raises:
      ValueError: if the shapes are not broadcast-compatible.
    """
    try:
        return broadcast_shapes(as_shape(shape_x), as_shape(shape_y))
    except ValueError:
        raise ValueError(
            f"Incompatible shapes for broadcasting. Two shapes are not compatible: {shape_x} and {shape_y}"
        ) from None


# ---------------------------------------------------------------------------------------------
# Creation


def fill(dims, value, name=None):
    """``tf.fill``: a tensor of shape ``dims`` filled with the scalar ``value``."""
    return raw_op("Fill", dims=dims, value=value, name=name)


def _filled(fill_value, default_name, shape, dtype, name):
    dtype = dtypes.as_dtype(dtype).base_dtype
    with name_scope(name, default_name, [shape]) as name:
        value = fill_value(dtype)
        if not _is_tensor(shape):
            try:
                if isinstance(shape, (int, np.integer)):
                    raise TypeError("TF's constant() takes no int shape")  # TF goes on to TensorShape(n) == [n]
                if np.prod(as_shape(shape).as_list() if isinstance(shape, TensorShape) else shape) < _SMALL_CONSTANT:
                    return constant(value, shape=shape, dtype=dtype, name=name)
            except (TypeError, ValueError, NotImplementedError, AttributeError):
                pass
            try:
                shape = _shape_as_tensor(TensorShape(shape))
            except (TypeError, ValueError, AttributeError):
                shape = convert_to_tensor(shape, dtype=DType.int32)
        if not shape.shape.as_tuple():
            shape = reshape(shape, [-1])
        return fill(shape, constant(value, dtype=dtype), name=name)


def _zero(dtype):
    if dtype is DType.bool:
        return False
    if dtype is DType.string:
        return ""
    return 0


def _one(dtype):
    return True if dtype is DType.bool else 1


def zeros(shape, dtype=DType.float32, name=None):
    """``tf.zeros``: a Const of zeros when small and static (< 1000 elements), else a Fill."""
    return _filled(_zero, "zeros", shape, dtype, name)


def ones(shape, dtype=DType.float32, name=None):
    """``tf.ones``: a Const of ones when small and static (< 1000 elements), else a Fill."""
    return _filled(_one, "ones", shape, dtype, name)


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    """``tf.zeros_like``: zeros shaped like ``tensor`` (built by ``zeros`` when its shape is static)."""
    with name_scope(name, "zeros_like", [tensor]) as name:
        if not _is_tensor(tensor):
            tensor = convert_to_tensor(tensor, name="tensor")
        if optimize and tensor.shape.is_fully_defined() and tensor.dtype is not DType.variant:
            return zeros(tensor.shape, dtype=dtype or tensor.dtype.base_dtype, name=name)
        if dtype is not None and dtypes.as_dtype(dtype) is not tensor.dtype.base_dtype:
            return zeros(_shape_internal(tensor, optimize=optimize), dtype=dtype, name=name)
        return raw_op("ZerosLike", x=tensor, name=name)


def ones_like(tensor, dtype=None, name=None, optimize=True):
    """``tf.ones_like``: ones shaped like ``tensor`` (a Fill of its shape, as TF builds it)."""
    with name_scope(name, "ones_like", [tensor]) as name:
        tensor = convert_to_tensor(tensor, name="tensor")
        ones_shape = _shape_internal(tensor, optimize=optimize)
        ret = ones(ones_shape, dtype=dtype or tensor.dtype.base_dtype, name=name)
        ret.set_shape(tensor.shape)
        return ret


# ---------------------------------------------------------------------------------------------
# Reshaping


def reshape(tensor, shape, name=None):
    """``tf.reshape``: ``tensor``'s elements in a new shape (one dimension may be -1)."""
    return raw_op("Reshape", tensor=tensor, shape=shape, name=name)


def expand_dims(input, axis=None, name=None, dim=None):
    """``tf.expand_dims`` (TF1 form: ``dim`` is the deprecated alias of ``axis``).

    Raises:
      ValueError: if neither or both of ``axis`` and ``dim`` are given.
    """
    axis = deprecated_argument_lookup("axis", axis, "dim", dim)
    if axis is None:
        raise ValueError("Must specify an axis argument to tf.expand_dims()")
    return raw_op("ExpandDims", input=input, dim=axis, name=name)


def squeeze(input, axis=None, name=None, squeeze_dims=None):
    """``tf.squeeze`` (TF1 form: ``squeeze_dims`` is the deprecated alias of ``axis``)."""
    axis = deprecated_argument_lookup("axis", axis, "squeeze_dims", squeeze_dims)
    if np.isscalar(axis):
        axis = [axis]
    return raw_op("Squeeze", input=input, squeeze_dims=axis, name=name)


def transpose(a, perm=None, name="transpose", conjugate=False):
    """``tf.transpose``: permutes dimensions (default: reversed); ``conjugate`` for complex inputs."""
    with name_scope(name, "transpose", [a]) as name:
        if not _is_tensor(a):
            a = convert_to_tensor(a, name="a")
        op_type = "ConjugateTranspose" if conjugate and a.dtype.is_complex else "Transpose"
        if perm is None:
            r = a.shape.rank
            if r is None:
                rank_t = raw_op("Rank", input=a)
                start = raw_op("Sub", x=rank_t, y=1, name="sub")
                perm = raw_op("Range", start=start, limit=-1, delta=-1)
            else:
                perm = np.arange(r - 1, -1, -1, dtype=np.int32)
        return raw_op(op_type, x=a, perm=perm, name=name)


def tile(input, multiples, name=None):
    """``tf.tile``: ``input`` repeated ``multiples[i]`` times along dimension i."""
    return raw_op("Tile", input=input, multiples=multiples, name=name)


def broadcast_to(input, shape, name=None):
    """``tf.broadcast_to``: ``input`` broadcast (numpy rules) to ``shape``."""
    return raw_op("BroadcastTo", input=input, shape=shape, name=name)


def reverse(tensor, axis, name=None):
    """``tf.reverse`` (TF1, also ``tf.reverse_v2``): a ReverseV2 node reversing the dims in ``axis``."""
    return raw_op("ReverseV2", tensor=tensor, axis=axis, name=name)


reverse_v2 = reverse


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None, seq_dim=None, batch_dim=None):
    """``tf.reverse_sequence``: reverses the first ``seq_lengths[b]`` steps along ``seq_axis`` of each batch entry.

    Raises:
      ValueError: when an axis and its deprecated name are both given.
    """
    seq_axis = deprecated_argument_lookup("seq_axis", seq_axis, "seq_dim", seq_dim)
    batch_axis = deprecated_argument_lookup("batch_axis", batch_axis, "batch_dim", batch_dim)
    return raw_op(
        "ReverseSequence", input=input, seq_lengths=seq_lengths, seq_dim=seq_axis, batch_dim=batch_axis, name=name
    )


def space_to_batch_nd(input, block_shape, paddings, name=None):
    """``tf.space_to_batch_nd``: spatial blocks of ``block_shape`` moved into the batch (after zero padding)."""
    return raw_op("SpaceToBatchND", input=input, block_shape=block_shape, paddings=paddings, name=name)


def batch_to_space_nd(input, block_shape, crops, name=None):
    """``tf.batch_to_space_nd``: the inverse of space_to_batch_nd (then ``crops`` cut off)."""
    return raw_op("BatchToSpaceND", input=input, block_shape=block_shape, crops=crops, name=name)


def space_to_batch(input, paddings, block_size=None, name=None, block_shape=None):
    """``tf.space_to_batch`` (TF1): space_to_batch_nd over the two spatial dims of a 4-D input."""
    block_size = deprecated_argument_lookup("block_shape", block_shape, "block_size", block_size)
    result = space_to_batch_nd(
        input, paddings=paddings, block_shape=np.array([block_size, block_size], dtype=np.int64), name=name
    )
    result.set_shape(result.shape.with_rank(4))
    return result


def batch_to_space(input, crops, block_size, name=None, block_shape=None):
    """``tf.batch_to_space`` (TF1): batch_to_space_nd over the two spatial dims of a 4-D input."""
    block_size = deprecated_argument_lookup("block_shape", block_shape, "block_size", block_size)
    result = batch_to_space_nd(
        input, crops=crops, block_shape=np.array([block_size, block_size], dtype=np.int64), name=name
    )
    result.set_shape(result.shape.with_rank(4))
    return result


def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None, name=None):
    """``tf.required_space_to_batch_paddings``: (paddings, crops) making ``input_shape`` plus
    ``base_paddings`` divisible by ``block_shape``: Consts when all three are known, else ops (TF's)."""
    with name_scope(name, "required_space_to_batch_paddings", [input_shape, block_shape]):
        input_shape = convert_to_tensor(input_shape, dtype=DType.int32, name="input_shape")
        block_shape = convert_to_tensor(block_shape, dtype=DType.int32, name="block_shape")
        block_shape.shape.assert_is_fully_defined()
        block_shape.shape.assert_has_rank(1)
        num_block_dims = block_shape.shape.as_tuple()[0]
        if num_block_dims == 0:
            return zeros([0, 2], DType.int32), zeros([0, 2], DType.int32)
        input_shape.shape.assert_is_compatible_with([num_block_dims])
        if base_paddings is not None:
            base_paddings = convert_to_tensor(base_paddings, dtype=DType.int32, name="base_paddings")
            base_paddings.shape.assert_is_compatible_with([num_block_dims, 2])
        else:
            base_paddings = zeros([num_block_dims, 2], DType.int32)
        const_block_shape = tensor_util.constant_value(block_shape)
        const_input_shape = tensor_util.constant_value(input_shape)
        const_base_paddings = tensor_util.constant_value(base_paddings)
        if const_block_shape is not None and const_input_shape is not None and const_base_paddings is not None:
            block_shape = const_block_shape
            input_shape = const_input_shape
            base_paddings = const_base_paddings
        pad_start = base_paddings[:, 0]
        orig_pad_end = base_paddings[:, 1]
        full_input_shape = input_shape + pad_start + orig_pad_end
        pad_end_extra = (block_shape - full_input_shape % block_shape) % block_shape
        pad_end = orig_pad_end + pad_end_extra
        result_paddings = stack([[pad_start[i], pad_end[i]] for i in range(num_block_dims)], name="paddings")
        result_crops = stack([[0, pad_end_extra[i]] for i in range(num_block_dims)], name="crops")
        return result_paddings, result_crops


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """``tf.pad``: Pad (zero fill), PadV2 (other fill values) or MirrorPad (REFLECT / SYMMETRIC).

    Raises:
      ValueError: for an unknown ``mode``.
    """
    mode = mode.upper()
    if mode == "CONSTANT":
        if (
            not _is_tensor(constant_values)
            and np.ndim(constant_values) == 0
            and constant_values == np.zeros_like(constant_values)
        ):
            result = raw_op("Pad", input=tensor, paddings=paddings, name=name)
        else:
            result = raw_op("PadV2", input=tensor, paddings=paddings, constant_values=constant_values, name=name)
    elif mode in ("REFLECT", "SYMMETRIC"):
        result = raw_op("MirrorPad", input=tensor, paddings=paddings, mode=mode, name=name)
    else:
        raise ValueError(
            'Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", or "SYMMETRIC". '
            f"Received `mode` = {mode}"
        )
    return result


# ---------------------------------------------------------------------------------------------
# Joining and splitting


def concat(values, axis, name="concat"):
    """``tf.concat`` (TF1 argument order): one tensor is returned through an Identity."""
    if not isinstance(values, (list, tuple)):
        values = [values]
    if len(values) == 1:
        with name_scope(name):
            axis_t = convert_to_tensor(axis, name="concat_dim", dtype=DType.int32)
            axis_t.shape.assert_has_rank(0)
            return identity(values[0], name=name)
    return raw_op("ConcatV2", values=list(values), axis=axis, name=name)


def stack(values, axis=0, name="stack"):
    """``tf.stack``: a Const for Python values, else a Pack of ``values`` along a new ``axis``.

    Raises:
      ValueError: if ``axis`` is out of range.
    """
    if axis == 0:
        try:
            return convert_to_tensor(values, name=name)
        except (TypeError, ValueError, NotImplementedError):
            pass
    first = convert_to_tensor(values[0], name=name)
    if first.shape.rank is not None:
        expanded = first.shape.rank + 1
        if axis < -expanded or axis >= expanded:
            raise ValueError(f"Argument `axis` = {axis} not in range [{-expanded}, {expanded})")
    return raw_op("Pack", values=list(values), axis=axis, name=name)


def unstack(value, num=None, axis=0, name="unstack"):
    """``tf.unstack``: the ``num`` slices of ``value`` along ``axis`` (inferred from its static shape).

    Raises:
      ValueError: if ``num`` is not given and cannot be inferred, or ``axis`` is out of range.
    """
    if num is None:
        value = convert_to_tensor(value)
        value_shape = value.shape
        if value_shape.rank is not None:
            if axis < -value_shape.rank or axis >= value_shape.rank:
                raise ValueError(f"Argument `axis` = {axis} not in range [{-value_shape.rank}, {value_shape.rank})")
            num = value_shape.as_tuple()[axis]
        if num is None:
            raise ValueError(f"Cannot infer argument `num` from shape {value_shape}")
    out = raw_op("Unpack", value=value, num=num, axis=axis, name=name)
    return list(out)


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """``tf.split``: ``num_or_size_splits`` equal pieces (Split) or pieces of the given sizes (SplitV).

    Raises:
      ValueError: for a scalar size tensor, or when the number of pieces cannot be inferred.
    """
    if isinstance(num_or_size_splits, (numbers.Integral, Dimension)):
        return list(raw_op("Split", split_dim=axis, num_split=int(num_or_size_splits), value=value, name=name))
    size_splits = convert_to_tensor(num_or_size_splits)
    if size_splits.shape.rank == 0:
        raise ValueError(
            "Rank-0 tensors are not supported as the num_or_size_splits argument to split. Argument provided: "
            f"{num_or_size_splits}"
        )
    if num is None:
        dims = size_splits.shape.as_tuple()
        if dims:
            num = dims[0]
        if num is None:
            raise ValueError(f"Cannot infer argument `num` from shape {num_or_size_splits}")
    return list(raw_op("SplitV", value=value, size_splits=size_splits, split_dim=axis, num_split=num, name=name))


def dynamic_partition(data, partitions, num_partitions, name=None):
    """``tf.dynamic_partition``: ``data`` split into ``num_partitions`` lists by ``partitions``."""
    return raw_op("DynamicPartition", data=data, partitions=partitions, num_partitions=num_partitions, name=name)


def parallel_dynamic_stitch(indices, data, name=None):
    """``tf.parallel_dynamic_stitch``: dynamic_stitch for indices that are a partition."""
    return raw_op("ParallelDynamicStitch", indices=indices, data=data, name=name)


def dynamic_stitch(indices, data, name=None):
    """``tf.dynamic_stitch``: interleaves ``data`` into one tensor at positions ``indices``."""
    return raw_op("DynamicStitch", indices=list(indices), data=list(data), name=name)


def meshgrid(*args, **kwargs):
    """``tf.meshgrid(*args, indexing="xy", name="meshgrid")``: N-D coordinate grids.

    Raises:
      TypeError: for unexpected keyword arguments.
      ValueError: for an ``indexing`` other than "xy" or "ij".
    """
    indexing = kwargs.pop("indexing", "xy")
    name = kwargs.pop("name", "meshgrid")
    if kwargs:
        key = next(iter(kwargs))
        raise TypeError(f"'{key}' is an invalid keyword argument for this function")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Argument `indexing` parameter must be either 'xy' or 'ij', got '{indexing}'")
    with name_scope(name, "meshgrid", args) as name:
        ndim = len(args)
        s0 = (1,) * ndim
        if not ndim:
            return []
        output = [reshape(stack(x), (*s0[:i], -1, *s0[i + 1 :])) for i, x in enumerate(args)]
        shapes = [size(x) for x in args]
        output_dtype = convert_to_tensor(args[0]).dtype.base_dtype
        if indexing == "xy" and ndim > 1:
            output[0] = reshape(output[0], (1, -1) + (1,) * (ndim - 2))
            output[1] = reshape(output[1], (-1, 1) + (1,) * (ndim - 2))
            shapes[0], shapes[1] = shapes[1], shapes[0]
        mult_fact = ones(shapes, output_dtype)
        return [raw_op("Mul", x=x, y=mult_fact, name="mul") for x in output]


# ---------------------------------------------------------------------------------------------
# Slicing


def slice(input_, begin, size, name=None):
    """``tf.slice``: ``size[i]`` elements from ``begin[i]`` along each dimension (-1: to the end)."""
    return raw_op("Slice", input=input_, begin=begin, size=size, name=name)


def strided_slice(
    input_,
    begin,
    end,
    strides=None,
    begin_mask=0,
    end_mask=0,
    ellipsis_mask=0,
    new_axis_mask=0,
    shrink_axis_mask=0,
    var=None,
    name=None,
):
    """``tf.strided_slice``: numpy-style strided slicing encoded as begin/end/strides and bit masks."""
    if strides is None:
        strides = ones_like(begin)
    return raw_op(
        "StridedSlice",
        input=input_,
        begin=begin,
        end=end,
        strides=strides,
        begin_mask=begin_mask,
        end_mask=end_mask,
        ellipsis_mask=ellipsis_mask,
        new_axis_mask=new_axis_mask,
        shrink_axis_mask=shrink_axis_mask,
        name=name,
    )


_SLICE_TYPE_ERROR = (
    "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar tf.int32/tf.int64 tensors are "
    "valid indices"
)
_SLICE_DTYPES = (DType.int16, DType.int32, DType.int64)


def _check_index(idx):
    if isinstance(idx, (numbers.Integral, Dimension)) and not isinstance(idx, bool):
        return
    dtype = getattr(idx, "dtype", None)
    try:
        ok = dtype is not None and dtypes.as_dtype(dtype).base_dtype in _SLICE_DTYPES
    except (TypeError, ValueError):
        ok = False
    idx_shape = getattr(idx, "shape", None)
    is_vector = idx_shape is not None and (
        idx_shape.rank == 1 if isinstance(idx_shape, TensorShape) else len(tuple(idx_shape)) == 1
    )
    if not ok or is_vector:
        raise TypeError(_SLICE_TYPE_ERROR + f", got {idx!r}")


def _undefined_dim(d) -> bool:
    return isinstance(d, Dimension) and d.value is None


def _slice_helper(tensor, slice_spec, var=None):
    """``tensor[slice_spec]`` as TF builds it: a StridedSlice (or a boolean_mask for boolean indices).

    Raises:
      TypeError: for index kinds TF does not accept (lists, floats, non-scalar tensors).
    """
    tensor = convert_to_tensor(tensor)
    if (
        isinstance(slice_spec, bool)
        or (_is_tensor(slice_spec) and slice_spec.dtype.base_dtype is DType.bool)
        or (isinstance(slice_spec, np.ndarray) and slice_spec.dtype == bool)
    ):
        return boolean_mask(tensor=tensor, mask=slice_spec)
    if not isinstance(slice_spec, (list, tuple)):
        slice_spec = [slice_spec]
    begin, end, strides = [], [], []
    index = 0
    new_axis_mask = shrink_axis_mask = begin_mask = end_mask = ellipsis_mask = 0
    for s in slice_spec:
        if isinstance(s, _BUILTIN_SLICE):
            dtype = None
            for t in (s.start, s.stop, s.step):
                if t is None or not _is_tensor(t):
                    continue
                if t.dtype is DType.int64:
                    dtype = DType.int64
                elif t.dtype is DType.int32 and dtype is not DType.int64:
                    dtype = DType.int32
                elif t.dtype is DType.int16 and dtype is None:
                    dtype = DType.int16
            if s.start is not None and not _undefined_dim(s.start):
                _check_index(s.start)
                begin.append(s.start)
            else:
                begin.append(constant(0, dtype=dtype) if dtype is not None else 0)
                begin_mask |= 1 << index
            if s.stop is not None and not _undefined_dim(s.stop):
                _check_index(s.stop)
                end.append(s.stop)
            else:
                end.append(constant(0, dtype=dtype) if dtype is not None else 0)
                end_mask |= 1 << index
            if s.step is not None and not _undefined_dim(s.step):
                _check_index(s.step)
                strides.append(s.step)
            else:
                strides.append(constant(1, dtype=dtype) if dtype is not None else 1)
        elif s is Ellipsis:
            begin.append(0)
            end.append(0)
            strides.append(1)
            ellipsis_mask |= 1 << index
        elif s is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            new_axis_mask |= 1 << index
        else:
            _check_index(s)
            begin.append(s)
            end.append(_plus_one(s))
            if _is_tensor(s) and s.dtype in (DType.int16, DType.int64):
                strides.append(constant(1, dtype=s.dtype))
            else:
                strides.append(1)
            shrink_axis_mask |= 1 << index
        index += 1
    with name_scope(None, "strided_slice", [tensor, *begin, *end, *strides]) as name:
        if begin:
            packed_begin, packed_end, packed_strides = stack(begin), stack(end), stack(strides)
            kinds = (packed_begin.dtype, packed_end.dtype, packed_strides.dtype)
            if DType.int64 in kinds:
                packed_begin, packed_end, packed_strides = (
                    t if t.dtype is DType.int64 else raw_op("Cast", x=t, DstT=DType.int64)
                    for t in (packed_begin, packed_end, packed_strides)
                )
        else:
            packed_begin = packed_end = packed_strides = constant([], dtype=DType.int32)
        return strided_slice(
            tensor,
            packed_begin,
            packed_end,
            packed_strides,
            begin_mask=begin_mask,
            end_mask=end_mask,
            shrink_axis_mask=shrink_axis_mask,
            new_axis_mask=new_axis_mask,
            ellipsis_mask=ellipsis_mask,
            var=var,
            name=name,
        )


_BUILTIN_SLICE = type(np.s_[1:2])


def _plus_one(s):
    if _is_tensor(s):
        return raw_op("AddV2", x=s, y=1, name="add")
    return s + 1


Tensor._override_operator("__getitem__", _slice_helper)


# ---------------------------------------------------------------------------------------------
# Gathering and selection


def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    """``tf.gather`` (TF1): GatherV2 along ``axis`` (default ``batch_dims``), or the variable's sparse read."""
    del validate_indices
    if axis is None:
        axis = batch_dims
    if tensor_util.constant_value(axis) != 0:
        return raw_op("GatherV2", params=params, indices=indices, axis=axis, batch_dims=batch_dims, name=name)
    sparse_read = getattr(params, "sparse_read", None)
    if sparse_read is not None:
        return sparse_read(indices, name=name)
    return raw_op("GatherV2", params=params, indices=indices, axis=axis, name=name)


def gather_nd(params, indices, name=None, batch_dims=0, bad_indices_policy=""):
    """``tf.gather_nd``: slices of ``params`` addressed by the last axis of ``indices``.

    With ``batch_dims > 0`` the leading dimensions of both are batch dimensions (TF's batch_gather_nd).
    """
    value = tensor_util.constant_value(batch_dims)
    if value is not None:
        batch_dims = int(value)
    if batch_dims != 0:
        return batch_gather_nd(params, indices, batch_dims, name=name, bad_indices_policy=bad_indices_policy)
    if bad_indices_policy not in ("", "DEFAULT"):
        return raw_op("GatherNd", params=params, indices=indices, bad_indices_policy=bad_indices_policy, name=name)
    method = getattr(params, "gather_nd", None)
    if method is not None:
        return method(indices, name=name)
    return raw_op("GatherNd", params=params, indices=indices, bad_indices_policy=bad_indices_policy, name=name)


def batch_gather_nd(params, indices, batch_dims, name=None, bad_indices_policy=""):
    """``gather_nd`` with ``batch_dims`` leading batch dimensions, built as TF builds it: the batch
    coordinates (a meshgrid over the batch shape) are prepended to every index vector, one GatherNd runs
    over the batch flattened to one dimension, and the result gets the batch shape back.

    Raises:
      TypeError: for a ``batch_dims`` that is not a Python int.
      ValueError: for a negative ``batch_dims`` or one not below the rank of ``params`` and ``indices``.
    """
    with name_scope(name, "BatchGatherND", [params, indices]):
        indices = convert_to_tensor(indices, name="indices")
        params = convert_to_tensor(params, name="params")
        if not isinstance(batch_dims, int):
            raise TypeError(f"Argument `batch_dims` must be an int; got {batch_dims}")
        if batch_dims < 0:
            raise ValueError("tf.gather_nd does not allow negative batch_dims.")
        params_ndims, indices_ndims = params.shape.rank, indices.shape.rank
        if indices_ndims is not None and batch_dims >= indices_ndims:
            raise ValueError(
                f"Argument `batch_dims` = {batch_dims} must be less than rank(`indices`) = {indices_ndims}"
            )
        if params_ndims is not None and batch_dims >= params_ndims:
            raise ValueError(f"Argument `batch_dims` = {batch_dims} must be less than rank(`params`) = {params_ndims}")
        expand = batch_dims == 0
        if expand:  # TF adds a dummy batch dimension
            params, indices, batch_dims = expand_dims(params, axis=0), expand_dims(indices, axis=0), 1
        params_shape, indices_shape = shape(params), shape(indices)
        batch_shape = params_shape[:batch_dims]
        batch_size = raw_op("Prod", input=batch_shape, reduction_indices=[0])
        index_internal_ndims = rank(indices) - batch_dims - 1
        indices_internal_shape = indices_shape[batch_dims:-1]
        dim_ranges = [
            raw_op(
                "Cast",
                x=raw_op("Range", start=0, limit=raw_op("Cast", x=d, DstT=DType.int32), delta=1),
                DstT=indices.dtype.base_dtype,
            )
            for d in unstack(batch_shape, axis=0)
        ]
        mesh_list = meshgrid(*dim_ranges, indexing="ij") if dim_ranges else []
        index_grid = transpose(stack([reshape(x, shape=(-1,)) for x in mesh_list], axis=0))
        index_grid_shape = shape(index_grid)
        index_grid = reshape(
            index_grid,
            concat(
                [index_grid_shape[:1], ones(index_internal_ndims, dtype=index_grid_shape.dtype), index_grid_shape[1:]],
                axis=0,
            ),
        )
        index_grid = tile(index_grid, multiples=concat(((1,), indices_internal_shape, (1,)), axis=0))
        flat_indices = reshape(indices, shape=concat(([batch_size], indices_shape[batch_dims:]), axis=0))
        indices = concat((index_grid, flat_indices), axis=-1)
        out = raw_op("GatherNd", params=params, indices=indices, bad_indices_policy=bad_indices_policy)
        out = reshape(out, shape=concat((batch_shape, shape(out)[1:]), axis=0))
        if expand:
            out = squeeze(out, axis=0)
    return out


def scatter_nd(indices, updates, shape, name=None, bad_indices_policy=""):
    """``tf.scatter_nd``: ``updates`` summed into zeros of ``shape`` at ``indices``."""
    return raw_op(
        "ScatterNd", indices=indices, updates=updates, shape=shape, bad_indices_policy=bad_indices_policy, name=name
    )


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """``tf.tensor_scatter_nd_update``: a copy of ``tensor`` with the slices at ``indices`` replaced."""
    return raw_op("TensorScatterUpdate", tensor=tensor, indices=indices, updates=updates, name=name)


def tensor_scatter_nd_add(tensor, indices, updates, bad_indices_policy="", name=None):
    """``tf.tensor_scatter_nd_add``: a copy of ``tensor`` with ``updates`` added at ``indices``."""
    return raw_op(
        "TensorScatterAdd",
        tensor=tensor,
        indices=indices,
        updates=updates,
        bad_indices_policy=bad_indices_policy,
        name=name,
    )


def tensor_scatter_nd_sub(tensor, indices, updates, bad_indices_policy="", name=None):
    """``tf.tensor_scatter_nd_sub``."""
    return raw_op(
        "TensorScatterSub",
        tensor=tensor,
        indices=indices,
        updates=updates,
        bad_indices_policy=bad_indices_policy,
        name=name,
    )


def tensor_scatter_nd_min(tensor, indices, updates, bad_indices_policy="", name=None):
    """``tf.tensor_scatter_nd_min``."""
    return raw_op(
        "TensorScatterMin",
        tensor=tensor,
        indices=indices,
        updates=updates,
        bad_indices_policy=bad_indices_policy,
        name=name,
    )


def tensor_scatter_nd_max(tensor, indices, updates, bad_indices_policy="", name=None):
    """``tf.tensor_scatter_nd_max``."""
    return raw_op(
        "TensorScatterMax",
        tensor=tensor,
        indices=indices,
        updates=updates,
        bad_indices_policy=bad_indices_policy,
        name=name,
    )


# TF1's older names (tf.compat.v1.tensor_scatter_update/add/sub).
tensor_scatter_update = tensor_scatter_nd_update
tensor_scatter_add = tensor_scatter_nd_add
tensor_scatter_sub = tensor_scatter_nd_sub


def where(condition, x=None, y=None, name=None):
    """``tf.where`` (TF1): coordinates of true elements (Where), or elementwise choice (Select).

    Raises:
      ValueError: if only one of ``x`` and ``y`` is given.
    """
    if x is None and y is None:
        with name_scope(name, "Where", [condition]) as name:
            condition = convert_to_tensor(condition, preferred_dtype=DType.bool, name="condition")
            return raw_op("Where", input=condition, name=name)
    if x is not None and y is not None:
        return raw_op("Select", condition=condition, t=x, e=y, name=name)
    raise ValueError("x and y must both be non-None or both be None.")


def where_v2(condition, x=None, y=None, name=None):
    """``tf.where_v2``: like ``where`` but broadcasting ``condition``, ``x`` and ``y`` (SelectV2).

    Raises:
      ValueError: if only one of ``x`` and ``y`` is given.
    """
    if x is None and y is None:
        with name_scope(name, "Where", [condition]) as name:
            condition = convert_to_tensor(condition, preferred_dtype=DType.bool, name="condition")
            return raw_op("Where", input=condition, name=name)
    if x is not None and y is not None:
        return raw_op("SelectV2", condition=condition, t=x, e=y, name=name)
    raise ValueError("x and y must both be non-None or both be None.")


def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    """``tf.boolean_mask``: the elements (or slices from ``axis``) of ``tensor`` where ``mask`` is true.

    Raises:
      ValueError: for a scalar mask or one of unknown rank.
    """
    with name_scope(name, values=[tensor, mask]):
        tensor = convert_to_tensor(tensor, name="tensor")
        mask = convert_to_tensor(mask, name="mask")
        shape_mask = mask.shape
        ndims_mask = shape_mask.rank
        shape_tensor = tensor.shape
        if ndims_mask == 0:
            raise ValueError("mask cannot be scalar.")
        if ndims_mask is None:
            raise ValueError(
                "Number of mask dimensions must be specified, even if some dimensions are None.  E.g. shape=[None] "
                "is ok, but shape=None is not."
            )
        axis = 0 if axis is None else axis
        axis_value = tensor_util.constant_value(axis)
        if axis_value is not None:
            axis = int(axis_value)
            TensorShape(_dims_slice(shape_tensor, axis, axis + ndims_mask)).assert_is_compatible_with(shape_mask)
        leading_size = raw_op("Prod", input=shape(tensor)[axis : axis + ndims_mask], reduction_indices=[0])
        tensor = reshape(tensor, concat([shape(tensor)[:axis], [leading_size], shape(tensor)[axis + ndims_mask :]], 0))
        if axis_value is not None and shape_tensor.rank is not None:
            dims = shape_tensor.as_tuple()
            first = TensorShape(list(dims[axis : axis + ndims_mask])).num_elements()
            tensor.set_shape([*list(dims[:axis]), first, *list(dims[axis + ndims_mask :])])
        mask = reshape(mask, [-1])
        indices = squeeze(where_v2(mask), axis=[1])
        return gather(tensor, indices, axis=axis)


def _all_dimensions(x):
    """A 1-D tensor listing all dimensions of ``x``: a Const when its rank is known, else Range(0, Rank)."""
    if isinstance(x, Tensor) and x.shape.rank is not None:
        return constant(np.arange(x.shape.rank), dtype=DType.int32)
    return raw_op("Range", start=0, limit=rank(x), delta=1)


def sequence_mask(lengths, maxlen=None, dtype=DType.bool, name=None):
    """``tf.sequence_mask``: ``mask[i..., j] = j < lengths[i...]``, shape ``lengths.shape + [maxlen]``
    (``maxlen`` defaults to the largest length).

    Raises:
      ValueError: if ``maxlen`` is not a scalar.
    """
    with name_scope(name, "SequenceMask", [lengths, maxlen]):
        lengths = convert_to_tensor(lengths)
        if maxlen is None:
            maxlen = raw_op("Max", input=lengths, reduction_indices=_all_dimensions(lengths))
            maxlen = raw_op("Maximum", x=constant(0, maxlen.dtype), y=maxlen)
        else:
            maxlen = convert_to_tensor(maxlen)
        if maxlen.shape.rank is not None and maxlen.shape.rank != 0:
            raise ValueError(
                f"Argument `maxlen` must be scalar for sequence_mask, received `maxlen` = {maxlen} "
                f"with shape '{maxlen.shape}' instead"
            )
        row_vector = raw_op("Range", start=constant(0, maxlen.dtype), limit=maxlen, delta=constant(1, maxlen.dtype))
        matrix = raw_op("Cast", x=expand_dims(lengths, -1), DstT=maxlen.dtype)
        result = row_vector < matrix
        if dtype is None or result.dtype.is_compatible_with(dtypes.as_dtype(dtype)):
            return result
        return raw_op("Cast", x=result, DstT=dtypes.as_dtype(dtype))


def _convert_to_int_tensor(tensor, name, dtype=DType.int32):
    tensor = convert_to_tensor(tensor, name=name, preferred_dtype=dtype or DType.int32)
    if not tensor.dtype.is_integer:
        raise TypeError(
            f"Argument `tensor` (name: {name}) must be of type integer. Received `tensor` = {tensor} of dtype: "
            f"{tensor.dtype}"
        )
    return raw_op("Cast", x=tensor, DstT=dtype) if dtype is not None else tensor


def _positive_axis(axis, ndims, axis_name="axis", ndims_name="ndims"):
    if not isinstance(axis, int):
        raise TypeError(f"{axis_name} must be an int; got {type(axis).__name__}")
    if ndims is not None:
        if 0 <= axis < ndims:
            return axis
        if -ndims <= axis < 0:
            return axis + ndims
        raise ValueError(f"{axis_name}={axis} out of bounds: expected {-ndims}<={axis_name}<{ndims}")
    if axis < 0:
        raise ValueError(f"{axis_name}={axis} may only be negative if {ndims_name} is statically known.")
    return axis


def _tile_one_dimension(data, axis, multiple):
    if data.shape.rank is not None:
        multiples = [1] * data.shape.rank
        multiples[axis] = multiple
    else:
        ones_value = ones(rank(data), DType.int32)
        multiples = concat([ones_value[:axis], [multiple], ones_value[axis + 1 :]], axis=0)
    return tile(data, multiples)


def _with_nonzero_rank(data):
    if data.shape.rank is not None:
        return stack([data]) if data.shape.rank == 0 else data
    data_shape = shape(data)
    data_ndims = rank(data)
    return reshape(data, concat([[1], data_shape], axis=0)[-data_ndims:])


def repeat(input, repeats, axis=None, name=None):
    """``tf.repeat``: each element (or slice along ``axis``) of ``input`` ``repeats`` times, as
    ``numpy.repeat``; ``axis=None`` repeats the flattened input. Built as TF's ``repeat_with_axis``
    (sequence_mask + tile + boolean_mask)."""
    if axis is None:
        input = reshape(input, [-1])
        axis = 0
    if not isinstance(axis, int):
        raise TypeError(f"Argument `axis` must be an int. Received `axis` = {axis} of type {type(axis).__name__}")
    with name_scope(name, "Repeat", [input, repeats]):
        data = convert_to_tensor(input, name="data")
        repeats = _convert_to_int_tensor(repeats, name="repeats")
        repeats.shape.with_rank_at_most(1)
        data = _with_nonzero_rank(data)
        data_shape = shape(data, out_type=repeats.dtype)
        axis = _positive_axis(axis, data.shape.rank, ndims_name="rank(data)")
        if repeats.shape.num_elements() == 1:
            repeats = reshape(repeats, [])
            expanded = expand_dims(data, axis + 1)
            tiled = _tile_one_dimension(expanded, axis + 1, repeats)
            result_shape = concat([data_shape[:axis], [repeats * data_shape[axis]], data_shape[axis + 1 :]], axis=0)
            return reshape(tiled, result_shape)
        if repeats.shape.rank == 1:
            data.shape.dims[axis].assert_is_compatible_with(repeats.shape[0])
        axis_size = data_shape[axis]
        repeats = broadcast_to(repeats, [axis_size])
        repeats_original = repeats
        if repeats.shape.rank != axis + 1:
            repeats_shape = shape(repeats)
            repeats_ndims = rank(repeats)
            broadcast_shape = concat([data_shape[: axis + 1 - repeats_ndims], repeats_shape], axis=0)
            repeats = broadcast_to(repeats, broadcast_shape)
            repeats.set_shape([None] * (axis + 1))
        max_repeat = raw_op("Max", input=repeats, reduction_indices=_all_dimensions(repeats))
        max_repeat = raw_op("Maximum", x=convert_to_tensor(0, name="zero", dtype=max_repeat.dtype), y=max_repeat)
        mask = sequence_mask(repeats, max_repeat)
        expanded = expand_dims(data, axis + 1)
        tiled = _tile_one_dimension(expanded, axis + 1, max_repeat)
        masked = boolean_mask(tiled, mask)
        if axis == 0:
            result = masked
        else:
            repeated_dim_size = raw_op(
                "Sum",
                input=repeats_original,
                reduction_indices=raw_op("Range", start=0, limit=rank(repeats_original), delta=1),
            )
            result_shape = concat([data_shape[:axis], [repeated_dim_size], data_shape[axis + 1 :]], axis=0)
            result = reshape(masked, result_shape)
        if data.shape.rank is not None:
            new_axis_size = 0 if repeats.shape[0] == 0 else None
            result.set_shape(data.shape[:axis].concatenate([new_axis_size]).concatenate(data.shape[axis + 1 :]))
        return result


def _dims_slice(shape: TensorShape, start, stop):
    if shape.rank is None:
        return None
    return list(shape.as_tuple()[start:stop])


def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value=0, validate_indices=True, name=None):
    """``tf.sparse_to_dense``: a dense tensor with ``sparse_values`` at ``sparse_indices``."""
    return raw_op(
        "SparseToDense",
        sparse_indices=sparse_indices,
        output_shape=output_shape,
        sparse_values=sparse_values,
        default_value=default_value,
        validate_indices=validate_indices,
        name=name,
    )


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """``tf.one_hot``: ``on_value`` where ``indices`` selects, ``off_value`` elsewhere (float32 by default).

    Raises:
      TypeError: if ``on_value``, ``off_value`` and ``dtype`` disagree.
    """
    with name_scope(name, "one_hot", [indices, depth, on_value, off_value, axis, dtype]) as name:
        on_exists = on_value is not None
        off_exists = off_value is not None
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
        if on_exists:
            on_value = convert_to_tensor(on_value, preferred_dtype=dtype)
        if off_exists:
            off_value = convert_to_tensor(off_value, preferred_dtype=dtype)
        on_dtype = on_value.dtype.base_dtype if on_exists else None
        off_dtype = off_value.dtype.base_dtype if off_exists else None
        if on_exists or off_exists:
            if dtype is not None:
                if on_exists and on_dtype is not dtype:
                    raise TypeError(f"dtype {on_dtype!r} of on_value does not match dtype parameter {dtype!r}")
                if off_exists and off_dtype is not dtype:
                    raise TypeError(f"dtype {off_dtype!r} of off_value does not match dtype parameter {dtype!r}")
            else:
                dtype = on_dtype if on_exists else off_dtype
        elif dtype is None:
            dtype = DType.float32
        if not on_exists:
            on_value = convert_to_tensor(1, dtype, name="on_value")
            on_dtype = dtype
        if not off_exists:
            off_value = convert_to_tensor(0, dtype, name="off_value")
            off_dtype = dtype
        if on_dtype is not off_dtype:
            raise TypeError(f"dtype {on_dtype!r} of on_value does not match dtype {off_dtype!r} of off_value")
        return raw_op(
            "OneHot", indices=indices, depth=depth, on_value=on_value, off_value=off_value, axis=axis, name=name
        )


_UniqueOutput = collections.namedtuple("Unique", ["y", "idx"])
_ListDiffOutput = collections.namedtuple("ListDiff", ["out", "idx"])


def unique(x, out_idx=DType.int32, name=None):
    """``tf.unique``: the distinct values of the 1-D ``x`` in order of appearance, and each element's index."""
    y, idx = raw_op("Unique", x=x, out_idx=out_idx, name=name)
    return _UniqueOutput(y, idx)


_UniqueWithCountsOutput = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def unique_with_counts(x, out_idx=DType.int32, name=None):
    """``tf.unique_with_counts``: ``tf.unique`` and how often each distinct value occurs."""
    y, idx, count = raw_op("UniqueWithCounts", x=x, out_idx=out_idx, name=name)
    return _UniqueWithCountsOutput(y, idx, count)


def searchsorted(sorted_sequence, values, side="left", out_type=DType.int32, name=None):
    """``tf.searchsorted``: per row of the innermost dimension, where ``values`` would go in ``sorted_sequence``
    (LowerBound for ``side="left"``, UpperBound for ``"right"``).

    Raises:
      ValueError: ``side`` is neither.
    """
    sequence_size = shape_internal(sorted_sequence)[-1]
    values_size = shape_internal(values)[-1]
    sorted_sequence_2d = reshape(sorted_sequence, [-1, sequence_size])
    values_2d = reshape(values, [-1, values_size])
    if side == "right":
        output = raw_op("UpperBound", sorted_inputs=sorted_sequence_2d, values=values_2d, out_type=out_type, name=name)
    elif side == "left":
        output = raw_op("LowerBound", sorted_inputs=sorted_sequence_2d, values=values_2d, out_type=out_type, name=name)
    else:
        raise ValueError(f"Argument `side` must be either 'right' or 'left'. Received: `side` = '{side}'.")
    return reshape(output, shape_internal(values))


def roll(input, shift, axis, name=None):
    """``tf.roll`` / ``tf.manip.roll``: elements shifted (with wrap-around) along ``axis``."""
    return raw_op("Roll", input=input, shift=shift, axis=axis, name=name)


def space_to_depth(input, block_size, name=None, data_format="NHWC"):
    """``tf.space_to_depth`` / ``tf.nn.space_to_depth`` (TF1): spatial blocks moved into the depth dimension."""
    return raw_op("SpaceToDepth", input=input, block_size=block_size, data_format=data_format, name=name)


def depth_to_space(input, block_size, name=None, data_format="NHWC"):
    """``tf.depth_to_space`` / ``tf.nn.depth_to_space`` (TF1): depth moved into spatial blocks."""
    return raw_op("DepthToSpace", input=input, block_size=block_size, data_format=data_format, name=name)


def setdiff1d(x, y, index_dtype=DType.int32, name=None):
    """``tf.setdiff1d``: the values of ``x`` not in ``y`` (kept in order), and their positions in ``x``."""
    out, idx = raw_op("ListDiff", x=x, y=y, out_idx=index_dtype, name=name)
    return _ListDiffOutput(out, idx)


def invert_permutation(x, name=None):
    """``tf.math.invert_permutation``: ``y[x[i]] = i``."""
    return raw_op("InvertPermutation", x=x, name=name)


# ---------------------------------------------------------------------------------------------
# Auto-packing: [t, 2, 3] with a Tensor inside becomes Pack(t, Const 2, Const 3), named like TF's.

_NON_AUTOPACKABLE = (numbers.Number, np.generic, np.ndarray, str, bytes, bool, type(None))


def _flatten(v):
    if isinstance(v, (list, tuple)):
        for x in v:
            yield from _flatten(x)
    else:
        yield v


def _nested_dtype(values):
    for elem in values:
        if _is_tensor(elem):
            return elem.dtype.base_dtype
        if isinstance(elem, (list, tuple)):
            found = _nested_dtype(elem)
            if found is not None:
                return found
    return None


def _autopacking_helper(values, dtype, name):
    must_pack = False
    converted = []
    with name_scope(name) as scope:
        for i, elem in enumerate(values):
            if _is_tensor(elem):
                if dtype is not None and elem.dtype.base_dtype is not dtype:
                    raise TypeError(
                        f"Cannot convert a list containing a tensor of dtype {elem.dtype!r} to {dtype!r} "
                        f"(Tensor is: {elem!r})"
                    )
                converted.append(elem)
                must_pack = True
            elif isinstance(elem, (list, tuple)):
                inner = _autopacking_helper(elem, dtype, str(i))
                if _is_tensor(inner):
                    must_pack = True
                converted.append(inner)
            else:
                converted.append(elem)
        if must_pack:
            tensors = [e if _is_tensor(e) else constant(e, dtype=dtype, name=str(i)) for i, e in enumerate(converted)]
            return raw_op("Pack", values=tensors, name=scope)
        return converted


def _autopacking_conversion(value, dtype=None, name=None, as_ref=False):
    if as_ref or all(isinstance(e, _NON_AUTOPACKABLE) for e in _flatten(value)):
        return NotImplemented
    inferred = _nested_dtype(value)
    if inferred is None:
        return NotImplemented
    if dtype is None:
        dtype = inferred
    else:
        dtype = dtypes.as_dtype(dtype).base_dtype
        if dtype is not inferred:
            value = _cast_nested(value, dtype)
    return _autopacking_helper(value, dtype, name or "packed")


def _cast_nested(values, dtype):
    """TF's ``_cast_nested_seqs_to_dtype``: the Tensors in nested lists cast to ``dtype`` (named Cast)."""
    if _is_tensor(values):
        return values if values.dtype.base_dtype is dtype else raw_op("Cast", x=values, DstT=dtype)
    if isinstance(values, (list, tuple)):
        return type(values)(_cast_nested(v, dtype) for v in values)
    return values


graph_lib.register_tensor_conversion_function((list, tuple), _autopacking_conversion, 99)
