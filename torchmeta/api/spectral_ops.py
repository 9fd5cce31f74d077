"""``tf.signal`` / ``tf.spectral`` FFTs (TF's signal/fft_ops.py): the complex transforms are the generated op
functions; the real ones infer ``fft_length`` from the input, zero-pad the input up to it and pass a static
length as a constant, as TF's wrappers do."""

from __future__ import annotations

from torchmeta.api import array_ops, math_ops
from torchmeta.dtypes import DType
from torchmeta.framework import tensor_util
from torchmeta.framework.graph import convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op

__all__ = [
    "fft",
    "ifft",
    "fft2d",
    "ifft2d",
    "fft3d",
    "ifft3d",
    "rfft",
    "irfft",
    "rfft2d",
    "irfft2d",
    "rfft3d",
    "irfft3d",
]


def _complex(op_type):
    def fn(input, name=None):
        return raw_op(op_type, input=input, name=name)

    fn.__name__ = op_type.lower()
    fn.__doc__ = f"``tf.signal.{op_type.lower()}``: the {op_type} op over the innermost dims."
    return fn


fft = _complex("FFT")
ifft = _complex("IFFT")
fft2d = _complex("FFT2D")
ifft2d = _complex("IFFT2D")
fft3d = _complex("FFT3D")
ifft3d = _complex("IFFT3D")


def _infer_fft_length_for_rfft(input_tensor, fft_rank):
    fft_shape = input_tensor.shape[-fft_rank:]
    if not fft_shape.is_fully_defined():
        return array_ops.shape(input_tensor)[-fft_rank:]
    return convert_to_tensor(fft_shape.as_list(), DType.int32)


def _infer_fft_length_for_irfft(input_tensor, fft_rank):
    fft_shape = input_tensor.shape[-fft_rank:]
    if not fft_shape.is_fully_defined():
        fft_length = array_ops.unstack(array_ops.shape(input_tensor)[-fft_rank:])
        fft_length[-1] = math_ops.maximum(0, 2 * (fft_length[-1] - 1))
        return array_ops.stack(fft_length)
    fft_length = fft_shape.as_list()
    if fft_length:
        fft_length[-1] = max(0, 2 * (fft_length[-1] - 1))
    return convert_to_tensor(fft_length, DType.int32)


def _maybe_pad_for_rfft(input_tensor, fft_rank, fft_length, is_reverse=False):
    fft_shape = tensor_util.constant_value_as_shape(fft_length)
    if input_tensor.shape.rank is not None and any(d == 0 for d in input_tensor.shape.as_tuple()):
        return input_tensor
    if fft_shape.is_fully_defined() and input_tensor.shape.rank is not None:
        input_fft_shape = input_tensor.shape[-fft_shape.rank :]
        if input_fft_shape.is_fully_defined():
            dims = fft_shape.as_list()
            if is_reverse:
                dims[-1] = dims[-1] // 2 + 1
            paddings = [[0, max(f - i, 0)] for f, i in zip(dims, input_fft_shape.as_list())]
            if any(pad > 0 for _, pad in paddings):
                outer_paddings = [[0, 0]] * max(input_tensor.shape.rank - fft_shape.rank, 0)
                return array_ops.pad(input_tensor, outer_paddings + paddings)
            return input_tensor
    input_rank = array_ops.rank(input_tensor)
    input_fft_shape = array_ops.shape(input_tensor)[-fft_rank:]
    outer_dims = math_ops.maximum(0, input_rank - fft_rank)
    outer_paddings = array_ops.zeros([outer_dims], fft_length.dtype)
    if is_reverse:
        fft_length = array_ops.concat([fft_length[:-1], fft_length[-1:] // 2 + 1], 0)
    fft_paddings = math_ops.maximum(0, fft_length - input_fft_shape)
    paddings = array_ops.concat([outer_paddings, fft_paddings], 0)
    paddings = array_ops.stack([array_ops.zeros_like(paddings), paddings], axis=1)
    return array_ops.pad(input_tensor, paddings)


def _rfft_wrapper(op_type, fft_rank, default_name):
    def fn(input_tensor, fft_length=None, name=None):
        with name_scope(name, default_name, [input_tensor, fft_length]) as name:
            input_tensor = convert_to_tensor(input_tensor, preferred_dtype=DType.float32)
            if input_tensor.dtype not in (DType.float32, DType.float64):
                raise ValueError(f"RFFT requires tf.float32 or tf.float64 inputs, got: {input_tensor}")
            complex_dtype = DType.complex64 if input_tensor.dtype is DType.float32 else DType.complex128
            input_tensor.shape.with_rank_at_least(fft_rank)
            if fft_length is None:
                fft_length = _infer_fft_length_for_rfft(input_tensor, fft_rank)
            else:
                fft_length = convert_to_tensor(fft_length, DType.int32)
            input_tensor = _maybe_pad_for_rfft(input_tensor, fft_rank, fft_length)
            fft_length_static = tensor_util.constant_value(fft_length)
            if fft_length_static is not None:
                fft_length = fft_length_static
            return raw_op(op_type, input=input_tensor, fft_length=fft_length, Tcomplex=complex_dtype, name=name)

    fn.__name__ = default_name
    fn.__doc__ = f"``tf.signal.{default_name}``: the {op_type} of the real input's innermost dims."
    return fn


def _irfft_wrapper(op_type, fft_rank, default_name):
    def fn(input_tensor, fft_length=None, name=None):
        with name_scope(name, default_name, [input_tensor, fft_length]) as name:
            input_tensor = convert_to_tensor(input_tensor, preferred_dtype=DType.complex64)
            input_tensor.shape.with_rank_at_least(fft_rank)
            if input_tensor.dtype not in (DType.complex64, DType.complex128):
                raise ValueError(f"IRFFT requires tf.complex64 or tf.complex128 inputs, got: {input_tensor}")
            real_dtype = input_tensor.dtype.real_dtype
            if fft_length is None:
                fft_length = _infer_fft_length_for_irfft(input_tensor, fft_rank)
            else:
                fft_length = convert_to_tensor(fft_length, DType.int32)
            input_tensor = _maybe_pad_for_rfft(input_tensor, fft_rank, fft_length, is_reverse=True)
            fft_length_static = tensor_util.constant_value(fft_length)
            if fft_length_static is not None:
                fft_length = fft_length_static
            return raw_op(op_type, input=input_tensor, fft_length=fft_length, Treal=real_dtype, name=name)

    fn.__name__ = default_name
    fn.__doc__ = f"``tf.signal.{default_name}``: the {op_type} of a half spectrum back to real values."
    return fn


rfft = _rfft_wrapper("RFFT", 1, "rfft")
irfft = _irfft_wrapper("IRFFT", 1, "irfft")
rfft2d = _rfft_wrapper("RFFT2D", 2, "rfft2d")
irfft2d = _irfft_wrapper("IRFFT2D", 2, "irfft2d")
rfft3d = _rfft_wrapper("RFFT3D", 3, "rfft3d")
irfft3d = _irfft_wrapper("IRFFT3D", 3, "irfft3d")
