"""String functions that return RaggedTensors (TF's python/ops/ragged/ragged_string_ops.py): ``tf.strings.split``
(TF2's and tf.compat.v1's), ``tf.strings.ngrams``, ``tf.strings.unicode_decode``/``unicode_split``/``unicode_encode``,
building TF's graphs node for node."""

from __future__ import annotations

from torchmeta.api import array_ops
from torchmeta.api.ragged_tensor import RaggedTensor, convert_to_tensor_or_ragged_tensor, is_ragged
from torchmeta.dtypes import DType
from torchmeta.framework.graph import Tensor, convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.sparse_tensor import SparseTensor

__all__ = [
    "string_split_v2",
    "strings_split_v1",
    "ngrams",
    "unicode_decode",
    "unicode_split",
    "unicode_encode",
    "ragged_expand_dims",
]


def sparse_string_split_v2(source, sep=None, maxsplit=-1):
    """TF's string_ops.string_split_v2: a StringSplitV2 node as a SparseTensor."""
    if sep is None:
        sep = ""
    sep = convert_to_tensor(sep, dtype=DType.string)
    source = convert_to_tensor(source, dtype=DType.string)
    indices, values, shape = raw_op("StringSplitV2", input=source, sep=sep, maxsplit=maxsplit)
    indices.set_shape([None, 2])
    values.set_shape([None])
    shape.set_shape([2])
    return SparseTensor(indices, values, shape)


def string_split_v2(input, sep=None, maxsplit=-1, name=None):
    """``tf.strings.split`` (TF2): each string split on ``sep`` (whitespace when None), as a RaggedTensor."""
    with name_scope(name, "StringSplit", [input]):
        input = convert_to_tensor_or_ragged_tensor(input, dtype=DType.string, name="input")
        if isinstance(input, RaggedTensor):
            return input.with_flat_values(string_split_v2(input.flat_values, sep, maxsplit))
        rank = input.shape.rank
        if rank == 0:
            return string_split_v2(array_ops.stack([input]), sep, maxsplit)[0]
        if rank == 1 or rank is None:
            sparse_result = sparse_string_split_v2(input, sep=sep, maxsplit=maxsplit)
            return RaggedTensor.from_value_rowids(
                values=sparse_result.values,
                value_rowids=sparse_result.indices[:, 0],
                nrows=sparse_result.dense_shape[0],
                validate=False,
            )
        return string_split_v2(RaggedTensor.from_tensor(input), sep, maxsplit)


def strings_split_v1(input=None, sep=None, maxsplit=-1, result_type="SparseTensor", source=None, name=None):
    """``tf.compat.v1.strings.split``: as ``tf.strings.split``, a SparseTensor unless ``result_type`` is
    "RaggedTensor".

    Raises:
      ValueError: for another ``result_type`` (TF's message).
    """
    if input is None:
        input = source
    with name_scope(name, "StringSplit", [input]):
        input = convert_to_tensor_or_ragged_tensor(input, dtype=DType.string, name="input")
        if input.shape.rank == 0:
            input = array_ops.expand_dims(input, 0)
        if result_type == "SparseTensor":
            if input.shape.rank == 1:
                return sparse_string_split_v2(input, sep=sep, maxsplit=maxsplit)
            return string_split_v2(input, sep=sep, maxsplit=maxsplit).to_sparse()
        if result_type == "RaggedTensor":
            return string_split_v2(input, sep=sep, maxsplit=maxsplit)
        raise ValueError("result_type must be 'RaggedTensor' or 'SparseTensor'.")


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None, preserve_short_sequences=False,
           name=None):  # fmt: skip
    """``tf.strings.ngrams``: the n-grams of each row of strings (StringNGrams).

    Raises:
      TypeError / ValueError: on TF's argument errors (TF's messages).
    """
    with name_scope(name, "StringNGrams", [data]):
        if pad_values is None:
            left_pad = right_pad = ""
        elif isinstance(pad_values, (list, tuple)):
            if not isinstance(pad_values[0], (bytes, str)) or not isinstance(pad_values[1], (bytes, str)):
                raise TypeError("pad_values must be a string, tuple of strings, or None.")
            left_pad, right_pad = pad_values[0], pad_values[1]
        else:
            if not isinstance(pad_values, (bytes, str)):
                raise TypeError("pad_values must be a string, tuple of strings, or None.")
            left_pad = right_pad = pad_values
        if padding_width is not None and padding_width < 1:
            raise ValueError("padding_width must be greater than 0.")
        if padding_width is not None and pad_values is None:
            raise ValueError("pad_values must be provided if padding_width is set.")
        data = convert_to_tensor_or_ragged_tensor(data, name="data", dtype=DType.string)
        to_tensor = False
        if isinstance(data, Tensor):
            dense_shape = array_ops.concat([array_ops.shape(data)[:-1], [-1]], axis=0)
            to_tensor = True
        if not isinstance(data, RaggedTensor):
            if data.shape.rank is None:
                raise ValueError("Rank of data must be known.")
            if data.shape.rank == 0:
                raise ValueError("Data must have rank>0")
            if data.shape.rank == 1:
                rt = RaggedTensor.from_row_starts(data, [0], validate=False)
                return ngrams(rt, ngram_width, separator, pad_values, padding_width, preserve_short_sequences, name)[0]
            data = RaggedTensor.from_tensor(data, ragged_rank=data.shape.rank - 1)
        if data.ragged_rank > 1:
            output = data.with_values(
                ngrams(data.values, ngram_width, separator, pad_values, padding_width, preserve_short_sequences, name)
            )
            return array_ops.reshape(output.flat_values, dense_shape) if to_tensor else output
        if pad_values is None:
            padding_width = 0
        if pad_values is not None and padding_width is None:
            padding_width = -1
        ngram_widths = list(ngram_width) if isinstance(ngram_width, (list, tuple)) else [ngram_width]
        for width in ngram_widths:
            if width < 1:
                raise ValueError(f"All ngram_widths must be greater than 0. Got {ngram_width}")
        output, output_splits = raw_op(
            "StringNGrams",
            data=data.flat_values,
            data_splits=data.row_splits,
            separator=separator,
            ngram_widths=ngram_widths,
            left_pad=left_pad,
            right_pad=right_pad,
            pad_width=padding_width,
            preserve_short_sequences=preserve_short_sequences,
        )
        output = RaggedTensor.from_row_splits(values=output, row_splits=output_splits, validate=False)
        return array_ops.reshape(output.flat_values, dense_shape) if to_tensor else output


def unicode_decode(input, input_encoding, errors="replace", replacement_char=0xFFFD, replace_control_characters=False,
                   name=None):  # fmt: skip
    """``tf.strings.unicode_decode``: each string's code points, as a RaggedTensor (UnicodeDecode)."""
    with name_scope(name, "UnicodeDecode", [input]):
        return _unicode_decode(input, input_encoding, errors, replacement_char, replace_control_characters)


def unicode_split(input, input_encoding, errors="replace", replacement_char=0xFFFD, name=None):
    """``tf.strings.unicode_split``: each string's characters as strings, as a RaggedTensor."""
    with name_scope(name, "UnicodeSplit", [input]):
        codepoints = _unicode_decode(input, input_encoding, errors, replacement_char, False)
        return unicode_encode(
            ragged_expand_dims(codepoints, -1),
            output_encoding=input_encoding,
            errors=errors,
            replacement_char=replacement_char,
        )


def _unicode_decode(input, input_encoding, errors, replacement_char, replace_control_characters):
    input = convert_to_tensor_or_ragged_tensor(input, name="input")
    input_ndims = input.shape.rank
    if input_ndims is None:
        raise ValueError("Rank of `input` must be statically known.")
    if input_ndims > 1:
        if not is_ragged(input):
            input = RaggedTensor.from_tensor(input, ragged_rank=input_ndims - 1)
        elif input.ragged_rank < input_ndims - 1:
            input = input.with_flat_values(
                RaggedTensor.from_tensor(input.flat_values, ragged_rank=input_ndims - input.ragged_rank - 1)
            )
    flat_input = array_ops.reshape(input.flat_values if is_ragged(input) else input, [-1])
    row_splits, char_values = raw_op(
        "UnicodeDecode",
        input=flat_input,
        input_encoding=input_encoding,
        errors=errors,
        replacement_char=replacement_char,
        replace_control_characters=replace_control_characters,
    )
    if input_ndims == 0:
        return char_values
    codepoints = RaggedTensor.from_row_splits(char_values, row_splits, validate=False)
    if input_ndims > 1:
        codepoints = input.with_flat_values(codepoints)
    return codepoints


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533, name=None):
    """``tf.strings.unicode_encode``: code points (a RaggedTensor or a dense tensor) encoded as strings.

    Raises:
      ValueError: when the rank of ``input`` is unknown or 0 (TF's messages).
    """
    with name_scope(name, "UnicodeEncode", [input]):
        input_tensor = convert_to_tensor_or_ragged_tensor(input)
        if input_tensor.shape.rank is None:
            raise ValueError("Rank of input_tensor must be statically known.")
        if is_ragged(input_tensor):
            if input_tensor.flat_values.shape.rank > 1:
                return input_tensor.with_flat_values(
                    unicode_encode(input_tensor.flat_values, output_encoding, errors, replacement_char)
                )
            if input_tensor.ragged_rank > 1:
                return input_tensor.with_values(
                    unicode_encode(input_tensor.values, output_encoding, errors, replacement_char)
                )
            return raw_op(
                "UnicodeEncode",
                input_values=input_tensor.values,
                input_splits=input_tensor.row_splits,
                output_encoding=output_encoding,
                errors=errors,
                replacement_char=replacement_char,
            )
        ndims = input_tensor.shape.rank
        if ndims == 2:
            return unicode_encode(RaggedTensor.from_tensor(input_tensor), output_encoding, errors, replacement_char)
        if ndims > 2:
            flat_input_tensor = array_ops.reshape(
                input_tensor, array_ops.stack([-1, array_ops.shape(input_tensor)[-1]])
            )
            flat_output_tensor = unicode_encode(flat_input_tensor, output_encoding, errors, replacement_char)
            return array_ops.reshape(flat_output_tensor, input_tensor.shape[:-1])
        if ndims == 0:
            raise ValueError("input_tensor's rank must be at least 1.")
        ragged_input_tensor = RaggedTensor.from_row_splits(
            input_tensor,
            array_ops.stack([0, array_ops.shape(input_tensor, out_type=DType.int32)[0]]),
            validate=False,
        )
        output_tensor = unicode_encode(ragged_input_tensor, output_encoding, errors, replacement_char)
        return array_ops.reshape(output_tensor, [])


def ragged_expand_dims(input, axis, name=None):
    """TF's ragged ``tf.expand_dims`` (ragged_array_ops.expand_dims)."""
    with name_scope(name, "RaggedExpandDims", [input]):
        input = convert_to_tensor_or_ragged_tensor(input, name="input")
        if not is_ragged(input):
            return array_ops.expand_dims(input, axis)
        ndims = None if input.shape.rank is None else input.shape.rank + 1
        if ndims is not None:
            if not -ndims <= axis < ndims:
                raise ValueError(f"axis={axis} out of bounds: expected {-ndims}<=axis<{ndims}")
            if axis < 0:
                axis += ndims
        elif axis < 0:
            raise ValueError(f"axis may only be negative if rank(input) is statically known; got {axis}")
        if axis == 0:
            return RaggedTensor.from_uniform_row_length(
                input, uniform_row_length=input.nrows(), nrows=1, validate=False
            )
        if axis == 1:
            return RaggedTensor.from_uniform_row_length(
                input, uniform_row_length=1, nrows=input.nrows(), validate=False
            )
        if is_ragged(input.values):
            return input.with_values(ragged_expand_dims(input.values, axis - 1))
        return input.with_values(array_ops.expand_dims(input.values, axis - 1))
