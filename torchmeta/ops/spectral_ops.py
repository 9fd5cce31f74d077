"""FFTs (FFT/IFFT/FFT2D/IFFT2D/FFT3D/IFFT3D, RFFT/IRFFT 1-3D) over the innermost dims, with TF's shape functions,
kernel checks and the gradients of its signal/fft_ops.py (RFFT3D/IRFFT3D have none in TF).

RFFT crops each transformed dim of its input to ``fft_length`` (a shorter dim is an error; tf.signal.rfft pads
it first); IRFFT crops to ``fft_length[:-1]`` and ``fft_length[-1] // 2 + 1`` and ignores the imaginary parts a real signal's spectrum
cannot have (DC, Nyquist), as TF's DUCC kernels do.
"""

from __future__ import annotations

import numpy as np
import torch

from torchmeta.api import array_ops, math_ops, spectral_ops
from torchmeta.dtypes import DType
from torchmeta.framework import tensor_util
from torchmeta.framework.common_shapes import format_dims, with_rank, with_rank_at_least, with_value
from torchmeta.framework.registry import no_registered_gradient, register_gradient, register_op
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape
from torchmeta.ops.common import host_ints, invalid

_TCOMPLEX = "Tcomplex: {complex64, complex128} = DT_COMPLEX64"
_TREAL = "Treal: {float, double} = DT_FLOAT"


def _check_rank(x, rank):
    if x.dim() < rank:
        raise invalid(f"Input must have rank of at least {rank} but got: {format_dims(x.shape)}")


def _fft_length(fft_length, rank):
    if tuple(fft_length.shape) != (rank,):
        raise invalid(f"fft_length must have shape [{rank}]")
    lengths = host_ints(fft_length)
    for i, n in enumerate(lengths):
        if n < 0:
            raise invalid(f"fft_length[{i}] must >= 0, but got: {n}")
    return lengths


def _complex_shape(rank):
    def fn(op):
        return [with_rank_at_least(op, op.inputs[0].shape, rank)]

    return fn


def _real_fft_shape(rank, forward):
    def fn(op):
        x = with_rank_at_least(op, op.inputs[0].shape, rank)
        lengths_shape = with_rank(op, op.inputs[1].shape, 1)
        with_value(op, lengths_shape.as_tuple()[0], rank)
        if x.rank is None:
            return [unknown_shape()]
        lengths = tensor_util.constant_value(op.inputs[1])
        dims = list(x.as_tuple())
        if lengths is None:
            dims[-rank:] = [None] * rank
        else:
            lengths = [int(v) for v in np.reshape(lengths, -1)]
            dims[-rank:] = lengths
            if forward:
                dims[-1] = lengths[-1] // 2 + 1
        return [TensorShape(dims)]

    return fn


def _complex_op(name, rank, inverse):
    @register_op(
        name, inputs=["input: Tcomplex"], outputs=["output: Tcomplex"], attrs=[_TCOMPLEX], shape=_complex_shape(rank)
    )
    def kernel(input):
        _check_rank(input, rank)
        dims = tuple(range(-rank, 0))
        if input.numel() == 0:
            return input.clone()
        return torch.fft.ifftn(input, dim=dims) if inverse else torch.fft.fftn(input, dim=dims)

    kernel.__name__ = kernel.__qualname__ = name.lower()
    return kernel


fft = _complex_op("FFT", 1, False)
ifft = _complex_op("IFFT", 1, True)
fft2d = _complex_op("FFT2D", 2, False)
ifft2d = _complex_op("IFFT2D", 2, True)
fft3d = _complex_op("FFT3D", 3, False)
ifft3d = _complex_op("IFFT3D", 3, True)


def _real_op(name, rank, forward):
    inputs = ["input: Treal", "fft_length: int32"] if forward else ["input: Tcomplex", "fft_length: int32"]
    outputs = ["output: Tcomplex"] if forward else ["output: Treal"]

    @register_op(name, inputs=inputs, outputs=outputs, attrs=[_TREAL, _TCOMPLEX], shape=_real_fft_shape(rank, forward))
    def kernel(input, fft_length, Treal, Tcomplex):
        _check_rank(input, rank)
        lengths = _fft_length(fft_length, rank)
        dims = tuple(range(-rank, 0))
        for i, n in enumerate(lengths):  # TF crops longer dims but pads none
            need = n // 2 + 1 if not forward and i == rank - 1 else n
            axis = input.dim() - rank + i
            if input.shape[axis] < need:
                raise invalid(
                    f"Input dimension {axis} must have length of at least {need} but got: {input.shape[axis]}"
                )
        out_dtype = (Tcomplex if forward else Treal).torch
        if forward:
            out_shape = (*input.shape[: input.dim() - rank], *lengths[:-1], lengths[-1] // 2 + 1)
            if 0 in lengths or input.numel() == 0:
                return torch.zeros(out_shape, dtype=out_dtype, device=input.device)
            return torch.fft.rfftn(input, s=lengths, dim=dims).to(out_dtype)
        out_shape = (*input.shape[: input.dim() - rank], *lengths)
        if 0 in lengths or input.numel() == 0:
            return torch.zeros(out_shape, dtype=out_dtype, device=input.device)
        return torch.fft.irfftn(input, s=lengths, dim=dims).to(out_dtype)

    kernel.__name__ = kernel.__qualname__ = name.lower()
    return kernel


rfft = _real_op("RFFT", 1, True)
irfft = _real_op("IRFFT", 1, False)
rfft2d = _real_op("RFFT2D", 2, True)
irfft2d = _real_op("IRFFT2D", 2, False)
rfft3d = _real_op("RFFT3D", 3, True)
irfft3d = _real_op("IRFFT3D", 3, False)


# ---------------------------------------------------------------------------------------------
# Gradients (TF's signal/fft_ops.py)


def _fft_size_for_grad(grad, rank):
    return math_ops.reduce_prod(array_ops.shape(grad)[-rank:])


def _complex_grad(rank, inverse, other):
    def grad_fn(_, grad):
        if inverse:
            rsize = math_ops.cast(
                1.0 / math_ops.cast(_fft_size_for_grad(grad, rank), grad.dtype.real_dtype), grad.dtype
            )
            return other(grad) * rsize
        size = math_ops.cast(_fft_size_for_grad(grad, rank), grad.dtype)
        return other(grad) * size

    return grad_fn


register_gradient("FFT")(_complex_grad(1, False, spectral_ops.ifft))
register_gradient("IFFT")(_complex_grad(1, True, spectral_ops.fft))
register_gradient("FFT2D")(_complex_grad(2, False, spectral_ops.ifft2d))
register_gradient("IFFT2D")(_complex_grad(2, True, spectral_ops.fft2d))
register_gradient("FFT3D")(_complex_grad(3, False, spectral_ops.ifft3d))
register_gradient("IFFT3D")(_complex_grad(3, True, spectral_ops.fft3d))


def _rfft_grad_helper(rank, irfft_fn):
    def grad_fn(op, grad):
        fft_length = op.inputs[1]
        complex_dtype = grad.dtype
        real_dtype = complex_dtype.real_dtype
        input_shape = array_ops.shape(op.inputs[0])
        is_even = math_ops.cast(1 - (fft_length[-1] % 2), complex_dtype)

        def tile_for_broadcasting(matrix, t):
            expanded = array_ops.reshape(
                matrix,
                array_ops.concat([array_ops.ones([array_ops.rank(t) - 2], DType.int32), array_ops.shape(matrix)], 0),
            )
            return array_ops.tile(expanded, array_ops.concat([array_ops.shape(t)[:-2], [1, 1]], 0))

        def mask_matrix(length):
            a = array_ops.tile(array_ops.expand_dims(math_ops.range(length), 0), (length, 1))
            b = array_ops.transpose(a, [1, 0])
            return math_ops.exp(
                -2j * np.pi * math_ops.cast(a * b, complex_dtype) / math_ops.cast(length, complex_dtype)
            )

        def ymask(length):
            return math_ops.cast(1 - 2 * (math_ops.range(length) % 2), complex_dtype)

        y0 = grad[..., 0:1]
        if rank == 1:
            ym = grad[..., -1:]
            extra_terms = y0 + is_even * ym * ymask(input_shape[-1])
        else:
            base_mask = mask_matrix(input_shape[-2])
            tiled_mask = tile_for_broadcasting(base_mask, y0)
            y0_term = math_ops.matmul(tiled_mask, math_ops.conj(y0))
            extra_terms = y0_term
            ym = grad[..., -1:]
            ym_term = math_ops.matmul(tiled_mask, math_ops.conj(ym))
            inner_dim = input_shape[-1]
            ym_term = array_ops.tile(
                ym_term,
                array_ops.concat([array_ops.ones([array_ops.rank(grad) - 1], DType.int32), [inner_dim]], 0),
            ) * ymask(inner_dim)
            extra_terms += is_even * ym_term
        input_size = math_ops.cast(_fft_size_for_grad(op.inputs[0], rank), real_dtype)
        the_irfft = irfft_fn(grad, fft_length)
        return 0.5 * (the_irfft * input_size + math_ops.real(extra_terms)), None

    return grad_fn


def _irfft_grad_helper(rank, rfft_fn):
    def grad_fn(op, grad):
        fft_length = op.inputs[1]
        fft_length_static = tensor_util.constant_value(fft_length)
        if fft_length_static is not None:
            fft_length = fft_length_static
        real_dtype = grad.dtype
        complex_dtype = DType.complex64 if real_dtype is DType.float32 else DType.complex128
        is_odd = math_ops.scoped_mod(fft_length[-1], 2)
        input_last_dimension = array_ops.shape(op.inputs[0])[-1]
        mask = array_ops.concat(
            [
                [1.0],
                2.0 * array_ops.ones([input_last_dimension - 2 + is_odd], real_dtype),
                array_ops.ones([1 - is_odd], real_dtype),
            ],
            0,
        )
        rsize = math_ops.reciprocal(math_ops.cast(_fft_size_for_grad(grad, rank), real_dtype))
        the_rfft = rfft_fn(grad, fft_length)
        return the_rfft * math_ops.cast(rsize * mask, complex_dtype), None

    return grad_fn


register_gradient("RFFT")(_rfft_grad_helper(1, spectral_ops.irfft))
register_gradient("IRFFT")(_irfft_grad_helper(1, spectral_ops.rfft))
register_gradient("RFFT2D")(_rfft_grad_helper(2, spectral_ops.irfft2d))
register_gradient("IRFFT2D")(_irfft_grad_helper(2, spectral_ops.rfft2d))
no_registered_gradient("RFFT3D", "IRFFT3D")
