"""``tf.signal``'s windows, framing and shifts (TF's signal/window_ops.py, shape_ops.py, reconstruction_ops.py,
fft_ops.py): TF's graphs node for node, with its static shortcuts where lengths and shapes are known."""

from __future__ import annotations

import math

import numpy as np

from torchmeta.api import array_ops, math_ops, nn_ops, special_math_ops, spectral_ops
from torchmeta.api import cond as cond_lib
from torchmeta.api.while_loop import while_loop
from torchmeta.dtypes import DType
from torchmeta.framework import tensor_util
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import convert_to_tensor, name_scope

__all__ = [
    "hann_window",
    "hamming_window",
    "kaiser_window",
    "kaiser_bessel_derived_window",
    "vorbis_window",
    "fftshift",
    "ifftshift",
    "frame",
    "overlap_and_add",
    "stft",
    "inverse_stft",
    "inverse_stft_window_fn",
]


def _raised_cosine_window(name, default_name, window_length, periodic, dtype, a, b):
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    with name_scope(name, default_name, [window_length, periodic]):
        window_length = convert_to_tensor(window_length, dtype=DType.int32, name="window_length")
        window_length.shape.assert_has_rank(0)
        window_length_const = tensor_util.constant_value(window_length)
        if window_length_const == 1:
            return array_ops.ones([1], dtype=dtype)
        periodic = math_ops.cast(convert_to_tensor(periodic, dtype=DType.bool, name="periodic"), DType.int32)
        periodic.shape.assert_has_rank(0)
        even = 1 - math_ops.scoped_mod(window_length, 2)
        n = math_ops.cast(window_length + periodic * even - 1, dtype=dtype)
        count = math_ops.cast(math_ops.range(window_length), dtype)
        cos_arg = constant(2 * np.pi, dtype=dtype) * count / n
        if window_length_const is not None:
            return math_ops.cast(a - b * math_ops.cos(cos_arg), dtype=dtype)
        return cond_lib.cond(
            math_ops.equal(window_length, 1),
            lambda: array_ops.ones([window_length], dtype=dtype),
            lambda: math_ops.cast(a - b * math_ops.cos(cos_arg), dtype=dtype),
        )


def hann_window(window_length, periodic=True, dtype=DType.float32, name=None):
    """``tf.signal.hann_window``: 0.5 - 0.5 cos(2 pi n / N) (N = length, or length - 1 when not periodic).

    Raises:
      ValueError: if ``dtype`` is not floating point or ``window_length`` is not a scalar.
    """
    return _raised_cosine_window(name, "hann_window", window_length, periodic, dtype, 0.5, 0.5)


def hamming_window(window_length, periodic=True, dtype=DType.float32, name=None):
    """``tf.signal.hamming_window``: 0.54 - 0.46 cos(2 pi n / N).

    Raises:
      ValueError: if ``dtype`` is not floating point or ``window_length`` is not a scalar.
    """
    return _raised_cosine_window(name, "hamming_window", window_length, periodic, dtype, 0.54, 0.46)


def _check_params(window_length, dtype):
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    window_length = convert_to_tensor(window_length, dtype=DType.int32)
    window_length.shape.assert_has_rank(0)
    return window_length


def kaiser_window(window_length, beta=12.0, dtype=DType.float32, name=None):
    """``tf.signal.kaiser_window``: I0(beta sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta), through bessel_i0e.

    Raises:
      ValueError: if ``dtype`` is not floating point or ``window_length`` is not a scalar.
    """
    with name_scope(name, "kaiser_window"):
        window_length = _check_params(window_length, dtype)
        window_length_const = tensor_util.constant_value(window_length)
        if window_length_const == 1:
            return array_ops.ones([1], dtype=dtype)
        halflen_float = (math_ops.cast(window_length, dtype=DType.float32) - 1.0) / 2.0
        arg = math_ops.range(-halflen_float, halflen_float + 0.1, dtype=DType.float32)
        arg = math_ops.cast(arg, dtype=dtype)
        beta = math_ops.cast(beta, dtype=dtype)
        one = math_ops.cast(1.0, dtype=dtype)
        halflen_float = math_ops.cast(halflen_float, dtype=dtype)
        num = beta * math_ops.sqrt(nn_ops.relu(one - math_ops.square(arg / halflen_float)))
        window = math_ops.exp(num - beta) * (special_math_ops.bessel_i0e(num) / special_math_ops.bessel_i0e(beta))
    return window


def kaiser_bessel_derived_window(window_length, beta=12.0, dtype=DType.float32, name=None):
    """``tf.signal.kaiser_bessel_derived_window``: the square root of the normalised running sum of a Kaiser
    window of half the length, mirrored.

    Raises:
      ValueError: if ``dtype`` is not floating point or ``window_length`` is not a scalar.
    """
    with name_scope(name, "kaiser_bessel_derived_window"):
        window_length = _check_params(window_length, dtype)
        halflen = window_length // 2
        kaiserw = kaiser_window(halflen + 1, beta, dtype=dtype)
        kaiserw_csum = math_ops.cumsum(kaiserw)
        halfw = math_ops.sqrt(kaiserw_csum[:-1] / kaiserw_csum[-1])
        window = array_ops.concat((halfw, halfw[::-1]), axis=0)
    return window


def vorbis_window(window_length, dtype=DType.float32, name=None):
    """``tf.signal.vorbis_window``: sin(pi / 2 sin^2(pi (n + 0.5) / N)).

    Raises:
      ValueError: if ``dtype`` is not floating point or ``window_length`` is not a scalar.
    """
    with name_scope(name, "vorbis_window"):
        window_length = _check_params(window_length, dtype)
        arg = math_ops.cast(math_ops.range(window_length), dtype=dtype)
        window = math_ops.sin(
            np.pi
            / 2.0
            * math_ops.pow(math_ops.sin(np.pi / math_ops.cast(window_length, dtype=dtype) * (arg + 0.5)), 2.0)
        )
    return window


def _shift(x, axes, sign, name, default_name):
    with name_scope(name, default_name) as name:
        x = convert_to_tensor(x)
        if axes is None:
            axes = tuple(range(x.shape.rank))
            shift = array_ops.shape(x) // 2
        elif isinstance(axes, int):
            shift = array_ops.shape(x)[axes] // 2
        else:
            rank = array_ops.rank(x)
            axes = array_ops.where(math_ops.less(axes, 0), axes + rank, axes)
            shift = array_ops.gather(array_ops.shape(x), axes) // 2
        if sign < 0:
            shift = -shift
        return array_ops.roll(x, shift, axes, name)


def fftshift(x, axes=None, name=None):
    """``tf.signal.fftshift``: the zero-frequency term moved to the centre (a Roll by half of each axis)."""
    return _shift(x, axes, 1, name, "fftshift")


def ifftshift(x, axes=None, name=None):
    """``tf.signal.ifftshift``: fftshift's inverse."""
    return _shift(x, axes, -1, name, "ifftshift")


def _gcd(a, b, name=None):
    """TF's signal util_ops.gcd: a constant for static operands, else Euclid's algorithm in a while loop."""
    with name_scope(name, "gcd", [a, b]):
        a = convert_to_tensor(a)
        b = convert_to_tensor(b)
        a.shape.assert_has_rank(0)
        b.shape.assert_has_rank(0)
        if not a.dtype.is_integer:
            raise ValueError(f"a must be an integer type. Got: {a.dtype}")
        if not b.dtype.is_integer:
            raise ValueError(f"b must be an integer type. Got: {b.dtype}")
        const_a = tensor_util.constant_value(a)
        const_b = tensor_util.constant_value(b)
        if const_a is not None and const_b is not None:
            return convert_to_tensor(math.gcd(int(const_a), int(const_b)))
        a, b = while_loop(
            lambda _, b: math_ops.greater(b, array_ops.zeros_like(b)),
            lambda a, b: [b, math_ops.scoped_mod(a, b)],
            [a, b],
            back_prop=False,
        )
        return a


def _infer_frame_shape(signal, frame_length, frame_step, pad_end, axis):
    frame_length = tensor_util.constant_value(frame_length)
    frame_step = tensor_util.constant_value(frame_step)
    axis = tensor_util.constant_value(axis)
    if signal.shape.rank is None:
        return None
    if axis is None:
        return [None] * (signal.shape.rank + 1)
    signal_shape = signal.shape.as_list()
    num_frames = None
    frame_axis = signal_shape[axis]
    outer_dimensions = signal_shape[:axis]
    inner_dimensions = signal_shape[axis:][1:]
    if signal_shape and frame_axis is not None:
        if frame_step is not None and pad_end:
            num_frames = max(0, -(-frame_axis // frame_step))
        elif frame_step is not None and frame_length is not None:
            num_frames = max(0, (frame_axis - frame_length + frame_step) // frame_step)
    return [*outer_dimensions, num_frames, frame_length, *inner_dimensions]


def _maybe_constant(val):
    val_static = tensor_util.constant_value(val)
    return (val_static, True) if val_static is not None else (val, False)


def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """``tf.signal.frame``: overlapping frames of ``frame_length`` every ``frame_step`` samples along ``axis``
    (TF's gather of gcd-sized subframes; ``pad_end`` pads the last frame with ``pad_value``).

    Raises:
      ValueError: if ``signal`` is a scalar or a length, step or axis is not a scalar.
    """
    with name_scope(name, "frame", [signal, frame_length, frame_step, pad_value]):
        signal = convert_to_tensor(signal, name="signal")
        frame_length = convert_to_tensor(frame_length, name="frame_length")
        frame_step = convert_to_tensor(frame_step, name="frame_step")
        axis = convert_to_tensor(axis, name="axis")
        signal.shape.with_rank_at_least(1)
        frame_length.shape.assert_has_rank(0)
        frame_step.shape.assert_has_rank(0)
        axis.shape.assert_has_rank(0)
        result_shape = _infer_frame_shape(signal, frame_length, frame_step, pad_end, axis)
        signal_shape, signal_shape_is_static = _maybe_constant(array_ops.shape(signal))
        axis, axis_is_static = _maybe_constant(axis)
        if signal_shape_is_static and axis_is_static:
            axis = range(len(signal_shape))[axis]
            outer_dimensions, length_samples, inner_dimensions = np.split(signal_shape, [axis, axis + 1])
            length_samples = length_samples.item()
        else:
            signal_rank = array_ops.rank(signal)
            axis = math_ops.range(signal_rank)[axis]
            outer_dimensions, length_samples, inner_dimensions = array_ops.split(
                signal_shape, [axis, 1, signal_rank - 1 - axis]
            )
            length_samples = array_ops.reshape(length_samples, [])
        num_outer_dimensions = array_ops.size(outer_dimensions)
        num_inner_dimensions = array_ops.size(inner_dimensions)
        if pad_end:
            pad_value = convert_to_tensor(pad_value, signal.dtype)
            pad_value.shape.assert_has_rank(0)
            num_frames = -(-length_samples // frame_step)
            pad_samples = math_ops.maximum(0, frame_length + frame_step * (num_frames - 1) - length_samples)
            paddings = array_ops.concat(
                [
                    array_ops.zeros([num_outer_dimensions, 2], dtype=pad_samples.dtype),
                    convert_to_tensor([[0, pad_samples]]),
                    array_ops.zeros([num_inner_dimensions, 2], dtype=pad_samples.dtype),
                ],
                0,
            )
            signal = array_ops.pad(signal, paddings, constant_values=pad_value)
            signal_shape = array_ops.shape(signal)
            length_samples = signal_shape[axis]
        else:
            num_frames = math_ops.maximum(
                constant(0, dtype=frame_length.dtype), 1 + (length_samples - frame_length) // frame_step
            )
        subframe_length, _ = _maybe_constant(_gcd(frame_length, frame_step))
        subframes_per_frame = frame_length // subframe_length
        subframes_per_hop = frame_step // subframe_length
        num_subframes = length_samples // subframe_length
        slice_shape = array_ops.concat([outer_dimensions, [num_subframes * subframe_length], inner_dimensions], 0)
        subframe_shape = array_ops.concat([outer_dimensions, [num_subframes, subframe_length], inner_dimensions], 0)
        subframes = array_ops.reshape(
            array_ops.strided_slice(signal, array_ops.zeros_like(signal_shape), slice_shape), subframe_shape
        )
        frame_selector = array_ops.reshape(
            math_ops.range(num_frames, dtype=frame_length.dtype) * subframes_per_hop, [num_frames, 1]
        )
        subframe_selector = array_ops.reshape(
            math_ops.range(subframes_per_frame, dtype=frame_length.dtype), [1, subframes_per_frame]
        )
        selector = frame_selector + subframe_selector
        outer_dimensions = convert_to_tensor(outer_dimensions)
        inner_dimensions = convert_to_tensor(inner_dimensions, dtype=outer_dimensions.dtype)
        mid_dimensions = convert_to_tensor([num_frames, frame_length], dtype=outer_dimensions.dtype)
        frames = array_ops.reshape(
            array_ops.gather(subframes, selector, axis=axis),
            array_ops.concat([outer_dimensions, mid_dimensions, inner_dimensions], 0),
        )
        if result_shape:
            frames.set_shape(result_shape)
        return frames


def overlap_and_add(signal, frame_step, name=None):
    """``tf.signal.overlap_and_add``: [..., frames, frame_length] frames summed back into a signal, each
    ``frame_step`` samples after the previous (a reshape where the step is the frame length).

    Raises:
      ValueError: if ``signal`` has fewer than 2 dims or ``frame_step`` is not an integer scalar.
    """
    with name_scope(name, "overlap_and_add", [signal, frame_step]):
        signal = convert_to_tensor(signal, name="signal")
        signal.shape.with_rank_at_least(2)
        frame_step = convert_to_tensor(frame_step, name="frame_step")
        frame_step.shape.assert_has_rank(0)
        if not frame_step.dtype.is_integer:
            raise ValueError(f"frame_step must be an integer. Got {frame_step.dtype}")
        frame_step_static = tensor_util.constant_value(frame_step)
        frame_step_is_static = frame_step_static is not None
        frame_step = frame_step_static if frame_step_is_static else frame_step
        signal_shape = array_ops.shape(signal)
        signal_shape_static = tensor_util.constant_value(signal_shape)
        if signal_shape_static is not None:
            signal_shape = signal_shape_static
        outer_dimensions = signal_shape[:-2]
        outer_rank = array_ops.size(outer_dimensions)
        outer_rank_static = tensor_util.constant_value(outer_rank)
        if outer_rank_static is not None:
            outer_rank = outer_rank_static

        def full_shape(inner_shape):
            return array_ops.concat([outer_dimensions, inner_shape], 0)

        frame_length = signal_shape[-1]
        frames = signal_shape[-2]
        output_length = frame_length + frame_step * (frames - 1)
        if frame_step_is_static and signal.shape.dims is not None and frame_step == signal.shape.dims[-1].value:
            return array_ops.reshape(signal, full_shape([output_length]), name="fast_path")
        segments = -(-frame_length // frame_step)
        paddings = [[0, segments], [0, segments * frame_step - frame_length]]
        outer_paddings = array_ops.zeros([outer_rank, 2], DType.int32)
        paddings = array_ops.concat([outer_paddings, paddings], 0)
        signal = array_ops.pad(signal, paddings)
        signal = array_ops.reshape(signal, full_shape([frames + segments, segments, frame_step]))
        perm = array_ops.concat([math_ops.range(outer_rank), outer_rank + [1, 0, 2]], 0)  # noqa: RUF005 - elementwise
        perm_static = tensor_util.constant_value(perm)
        perm = perm_static if perm_static is not None else perm
        signal = array_ops.transpose(signal, perm)
        signal = array_ops.reshape(signal, full_shape([(frames + segments) * segments, frame_step]))
        signal = signal[..., : (frames + segments - 1) * segments, :]
        signal = array_ops.reshape(signal, full_shape([segments, frames + segments - 1, frame_step]))
        signal = math_ops.reduce_sum(signal, -3)
        signal = array_ops.reshape(signal, full_shape([(frames + segments - 1) * frame_step]))
        return signal[..., :output_length]


def _enclosing_power_of_two(value):
    """The smallest power of two >= ``value``: a constant when static, else Pow/Ceil/Log in float32 (TF's)."""
    value_static = tensor_util.constant_value(value)
    if value_static is not None:
        return constant(int(2 ** np.ceil(np.log(value_static) / np.log(2.0))), value.dtype)
    return math_ops.cast(
        math_ops.pow(2.0, math_ops.ceil(math_ops.log(math_ops.cast(value, DType.float32)) / math_ops.log(2.0))),
        value.dtype,
    )


def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window, pad_end=False, name=None):
    """``tf.signal.stft``: the RFFT of each windowed frame ([..., frames, fft_length // 2 + 1] complex).

    Raises:
      ValueError: if ``signals`` is a scalar or a length or step is not a scalar.
    """
    with name_scope(name, "stft", [signals, frame_length, frame_step]):
        signals = convert_to_tensor(signals, name="signals")
        signals.shape.with_rank_at_least(1)
        frame_length = convert_to_tensor(frame_length, name="frame_length")
        frame_length.shape.assert_has_rank(0)
        frame_step = convert_to_tensor(frame_step, name="frame_step")
        frame_step.shape.assert_has_rank(0)
        if fft_length is None:
            fft_length = _enclosing_power_of_two(frame_length)
        else:
            fft_length = convert_to_tensor(fft_length, name="fft_length")
        framed_signals = frame(signals, frame_length, frame_step, pad_end=pad_end)
        if window_fn is not None:
            window = window_fn(frame_length, dtype=framed_signals.dtype)
            framed_signals *= window
        return spectral_ops.rfft(framed_signals, [fft_length])


def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window, name=None):
    """``tf.signal.inverse_stft``: IRFFT of each frame, cut or padded to ``frame_length``, windowed and
    overlap-added (pass ``inverse_stft_window_fn``'s window for perfect reconstruction).

    Raises:
      ValueError: if ``stfts`` has fewer than 2 dims or a length or step is not a scalar.
    """
    with name_scope(name, "inverse_stft", [stfts]):
        stfts = convert_to_tensor(stfts, name="stfts")
        stfts.shape.with_rank_at_least(2)
        frame_length = convert_to_tensor(frame_length, name="frame_length")
        frame_length.shape.assert_has_rank(0)
        frame_step = convert_to_tensor(frame_step, name="frame_step")
        frame_step.shape.assert_has_rank(0)
        if fft_length is None:
            fft_length = _enclosing_power_of_two(frame_length)
        else:
            fft_length = convert_to_tensor(fft_length, name="fft_length")
            fft_length.shape.assert_has_rank(0)
        real_frames = spectral_ops.irfft(stfts, [fft_length])
        frame_length_static = tensor_util.constant_value(frame_length)
        last = real_frames.shape.as_list()[-1] if real_frames.shape.rank is not None else None
        if frame_length_static is None or last is None:
            real_frames = real_frames[..., :frame_length]
            real_frames_rank = array_ops.rank(real_frames)
            real_frames_shape = array_ops.shape(real_frames)
            paddings = array_ops.concat(
                [
                    array_ops.zeros([real_frames_rank - 1, 2], dtype=frame_length.dtype),
                    [[0, math_ops.maximum(0, frame_length - real_frames_shape[-1])]],
                ],
                0,
            )
            real_frames = array_ops.pad(real_frames, paddings)
        elif last > frame_length_static:
            real_frames = real_frames[..., :frame_length_static]
        elif last < frame_length_static:
            pad_amount = frame_length_static - last
            real_frames = array_ops.pad(real_frames, [[0, 0]] * (real_frames.shape.rank - 1) + [[0, pad_amount]])
        if frame_length_static is not None and real_frames.shape.rank is not None:
            real_frames.set_shape([None] * (real_frames.shape.rank - 1) + [frame_length_static])
        if window_fn is not None:
            window = window_fn(frame_length, dtype=stfts.dtype.real_dtype)
            real_frames *= window
        return overlap_and_add(real_frames, frame_step)


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """``tf.signal.inverse_stft_window_fn``: a window_fn for inverse_stft that undoes ``forward_window_fn``'s
    overlapping squares (for perfect reconstruction)."""

    def inverse_stft_window_fn_inner(frame_length, dtype):
        with name_scope(name, "inverse_stft_window_fn", [forward_window_fn]):
            frame_step_ = convert_to_tensor(frame_step, name="frame_step")
            frame_step_.shape.assert_has_rank(0)
            frame_length = convert_to_tensor(frame_length, name="frame_length")
            frame_length.shape.assert_has_rank(0)
            forward_window = forward_window_fn(frame_length, dtype=dtype)
            denom = math_ops.square(forward_window)
            overlaps = -(-frame_length // frame_step_)
            denom = array_ops.pad(denom, [(0, overlaps * frame_step_ - frame_length)])
            denom = array_ops.reshape(denom, [overlaps, frame_step_])
            denom = math_ops.reduce_sum(denom, 0, keepdims=True)
            denom = array_ops.tile(denom, [overlaps, 1])
            denom = array_ops.reshape(denom, [overlaps * frame_step_])
            denom = denom[:frame_length]
            return array_ops.where(
                math_ops.equal(denom, 0.0), array_ops.zeros_like(forward_window), forward_window / denom
            )

    return inverse_stft_window_fn_inner
