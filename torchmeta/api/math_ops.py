"""``tf.*`` / ``tf.math.*`` math functions (TF1 signatures and node names) and the Tensor operator overloads.

Each function builds the nodes TensorFlow's own Python function builds, with the same names: ``tf.add``
is an ``AddV2`` named ``Add``, ``x + 1`` an ``AddV2`` named ``add`` with its constant ``add/y``,
``tf.reduce_mean(x)`` a ``Const`` of all axes plus a ``Mean``, and so on.

The operator helpers (``binary_op_wrapper`` / ``r_binary_op_wrapper`` via ``override_binary_operator``,
and the functions in ``OPERATORS``) are module level so that Variables can install the same overloads.
"""

from __future__ import annotations

import builtins

import numpy as np

from torchmeta import dtypes
from torchmeta.api import array_ops
from torchmeta.api.array_ops import rank as array_rank
from torchmeta.api.array_ops import zeros_like
from torchmeta.api.deprecation import deprecated_argument_lookup
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework import tensor_util
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import Tensor, convert_to_tensor, name_scope
from torchmeta.framework.op_def_library import raw_op
from torchmeta.framework.tensor_shape import as_shape, unknown_shape

__all__ = [
    # arithmetic
    "add",
    "subtract",
    "multiply",
    "scalar_mul",
    "divide",
    "truediv",
    "div",
    "div_no_nan",
    "realdiv",
    "floordiv",
    "floor_div",
    "mod",
    "floormod",
    "truncatediv",
    "truncatemod",
    "negative",
    "square",
    "squared_difference",
    "pow",
    "maximum",
    "minimum",
    "add_n",
    "accumulate_n",
    # element-wise functions
    "abs",
    "sign",
    "sqrt",
    "rsqrt",
    "exp",
    "expm1",
    "log",
    "log1p",
    "reciprocal",
    "floor",
    "ceil",
    "round",
    "rint",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "sigmoid",
    "log_sigmoid",
    "erf",
    "erfc",
    "lgamma",
    "digamma",
    "acosh",
    "asinh",
    "atanh",
    "xlogy",
    "xlog1py",
    "xdivy",
    "is_nan",
    "is_inf",
    "is_finite",
    "conj",
    "real",
    "imag",
    # casts
    "cast",
    "saturate_cast",
    "to_float",
    "to_double",
    "to_int32",
    "to_int64",
    "to_bfloat16",
    "to_complex64",
    "to_complex128",
    # comparisons and logic
    "equal",
    "not_equal",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "logical_and",
    "logical_or",
    "logical_not",
    "logical_xor",
    # matrices, sequences, reductions
    "matmul",
    "tensordot",
    "range",
    "argmax",
    "argmin",
    "arg_max",
    "arg_min",
    "reduce_sum",
    "reduce_mean",
    "reduce_max",
    "reduce_min",
    "reduce_prod",
    "reduce_variance",
    "reduce_std",
    "reduce_all",
    "reduce_any",
    "reduce_logsumexp",
    "count_nonzero",
    "cumsum",
    "cumprod",
    "clip_by_value",
    "segment_sum",
    "angle",
    "segment_mean",
    "segment_max",
    "segment_min",
    "segment_prod",
    "cumulative_logsumexp",
    "reduce_euclidean_norm",
    "unsorted_segment_sum",
    "unsorted_segment_max",
    "unsorted_segment_min",
    "unsorted_segment_prod",
]

# Names ``tf.math`` has beyond the ones it shares with ``tf`` (the lead wires the namespace).
MATH_ONLY = ["divide_no_nan", "multiply_no_nan", "reciprocal_no_nan", "erfinv", "ndtri", "nextafter", "erfcinv"]
# Names in ``__all__`` that TF1 exports at the top level only, not in ``tf.math``.
NOT_IN_MATH = [
    "div",
    "div_no_nan",
    "realdiv",
    "floor_div",
    "truncatediv",
    "truncatemod",
    "cast",
    "saturate_cast",
    "to_float",
    "to_double",
    "to_int32",
    "to_int64",
    "to_bfloat16",
    "to_complex64",
    "to_complex128",
    "matmul",
    "tensordot",
    "range",
    "clip_by_value",
]


def _is_tensor(x) -> bool:
    return isinstance(x, Tensor) or hasattr(x, "_as_graph_element")


# ---------------------------------------------------------------------------------------------
# Arithmetic


def add(x, y, name=None):
    """``tf.add``: ``x + y`` element-wise (an ``AddV2``; an ``Add`` for strings, which concatenates)."""
    with name_scope(name, "Add", [x]) as name:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, preferred_dtype=x.dtype.base_dtype, name="y")
        if x.dtype.base_dtype is DType.string:
            return raw_op("Add", x=x, y=y, name=name)
        return raw_op("AddV2", x=x, y=y, name=name)


def subtract(x, y, name=None):
    """``tf.subtract``: ``x - y`` element-wise (a ``Sub``)."""
    return raw_op("Sub", x=x, y=y, name=name)


def multiply(x, y, name=None):
    """``tf.multiply``: ``x * y`` element-wise (a ``Mul``)."""
    return raw_op("Mul", x=x, y=y, name=name)


def scalar_mul(scalar, x, name=None):
    """``tf.scalar_mul``: a 0-D ``scalar`` times ``x`` (a ``Mul``).

    Raises:
      ValueError: if ``scalar`` is not 0-D.
    """
    scalar = convert_to_tensor(scalar, dtype=dtypes.as_dtype(x.dtype).base_dtype, name="scalar")
    shape = scalar.shape
    if shape.rank == 0:
        return raw_op("Mul", x=scalar, y=x, name=name)
    raise ValueError(f"The input scalar must be a 0-D value. Received shape {shape}.")


# Conversion table of TF's __truediv__: integers become float32 (8/16-bit) or float64.
_TRUEDIV_TABLE = {
    DType.uint8: DType.float32,
    DType.int8: DType.float32,
    DType.uint16: DType.float32,
    DType.int16: DType.float32,
    DType.uint32: DType.float64,
    DType.int32: DType.float64,
    DType.uint64: DType.float64,
    DType.int64: DType.float64,
    DType.bfloat16: None,
    DType.float16: None,
    DType.float32: None,
    DType.float64: None,
    DType.complex64: None,
    DType.complex128: None,
}


def _truediv_python3(x, y, name=None):
    with name_scope(name, "truediv", [x, y]) as name:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, preferred_dtype=x.dtype.base_dtype, name="y")
        x_dtype, y_dtype = x.dtype.base_dtype, y.dtype.base_dtype
        if x_dtype is not y_dtype:
            raise TypeError(f"`x` and `y` must have the same dtype, got {x_dtype!r} != {y_dtype!r}.")
        try:
            dtype = _TRUEDIV_TABLE[x_dtype]
        except KeyError:
            raise TypeError(
                f"Invalid dtype {x_dtype!r} in __truediv__. Expected one of "
                f"{{{', '.join(repr(d) for d in _TRUEDIV_TABLE)}}}."
            ) from None
        if dtype is not None:
            x = cast(x, dtype)
            y = cast(y, dtype)
        return raw_op("RealDiv", x=x, y=y, name=name)


def _div_python2(x, y, name=None):
    with name_scope(name, "div", [x, y]) as name:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, dtype=x.dtype.base_dtype, name="y")
        x_dtype, y_dtype = x.dtype.base_dtype, y.dtype.base_dtype
        if x_dtype is not y_dtype:
            raise TypeError(f"`x` and `y` must have the same dtype, got {x_dtype!r} != {y_dtype!r}.")
        if x_dtype.is_floating or x_dtype.is_complex:
            return raw_op("RealDiv", x=x, y=y, name=name)
        return raw_op("FloorDiv", x=x, y=y, name=name)


def truediv(x, y, name=None):
    """``tf.truediv``: Python 3 division; integer operands are cast to float32/float64 first.

    Raises:
      TypeError: if ``x`` and ``y`` have different dtypes.
    """
    return _truediv_python3(x, y, name)


def div(x, y, name=None):
    """``tf.div`` (TF1): Python 2 division, a ``FloorDiv`` for integers and a ``RealDiv`` otherwise."""
    return _div_python2(x, y, name)


def divide(x, y, name=None):
    """``tf.divide``: Python 3 division (``x / y``)."""
    if name is not None:
        return _truediv_python3(x, y, name)
    if not _is_tensor(x):
        dtype = y.dtype.base_dtype if _is_tensor(y) else None
        x = convert_to_tensor(x, dtype=dtype)
    return x / y


def _no_nan_operands(x, y):
    if not _is_tensor(x) and _is_tensor(y):
        y = convert_to_tensor(y, name="y")
        x = convert_to_tensor(x, dtype=y.dtype.base_dtype, name="x")
    else:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, preferred_dtype=x.dtype.base_dtype, name="y")
    if x.dtype.base_dtype is not y.dtype.base_dtype:
        raise TypeError(f"`x` and `y` must have the same dtype, got {x.dtype.base_dtype!r} != {y.dtype.base_dtype!r}.")
    return x, y


def div_no_nan(x, y, name=None):
    """``tf.div_no_nan``: ``x / y``, but 0 where ``y`` is 0 (integers are cast like ``truediv``)."""
    with name_scope(name, "div_no_nan", [x, y]) as name:
        x, y = _no_nan_operands(x, y)
        try:
            dtype = _TRUEDIV_TABLE[x.dtype.base_dtype]
        except KeyError:
            raise TypeError(
                f"Invalid dtype {x.dtype.base_dtype!r} in tf.math.divide_no_nan. Expected one of "
                f"{{{', '.join(repr(d) for d in _TRUEDIV_TABLE)}}}."
            ) from None
        if dtype is not None:
            x = cast(x, dtype)
            y = cast(y, dtype)
        return raw_op("DivNoNan", x=x, y=y, name=name)


divide_no_nan = div_no_nan


def multiply_no_nan(x, y, name=None):
    """``tf.math.multiply_no_nan``: ``x * y``, but 0 where ``y`` is 0 even if ``x`` is NaN or inf."""
    with name_scope(name, "multiply_no_nan", [x, y]) as name:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype.base_dtype)
        return raw_op("MulNoNan", x=x, y=y, name=name)


def reciprocal_no_nan(x, name=None):
    """``tf.math.reciprocal_no_nan``: ``1 / x``, but 0 where ``x`` is 0."""
    with name_scope(name, "reciprocal_no_nan", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        one = constant(1, dtype=x.dtype.base_dtype, name="one")
        return raw_op("DivNoNan", x=one, y=x, name=scope)


def realdiv(x, y, name=None):
    """``tf.realdiv``: a ``RealDiv`` node."""
    return raw_op("RealDiv", x=x, y=y, name=name)


def floordiv(x, y, name=None):
    """``tf.floordiv``: ``x // y``, rounding toward negative infinity (a ``FloorDiv`` named ``floordiv``)."""
    with name_scope(name, "floordiv", [x, y]) as name:
        return raw_op("FloorDiv", x=x, y=y, name=name)


def floor_div(x, y, name=None):
    """``tf.floor_div``: a ``FloorDiv`` node."""
    return raw_op("FloorDiv", x=x, y=y, name=name)


def floormod(x, y, name=None):
    """``tf.floormod`` / ``tf.mod``: remainder with the sign of ``y`` (a ``FloorMod`` node)."""
    return raw_op("FloorMod", x=x, y=y, name=name)


mod = floormod


def scoped_mod(x, y, name=None):
    """TF's python math_ops.mod (the ``%`` operator, and what TF's gradients call): a ``FloorMod`` in a scope ``mod``."""
    with name_scope(name, "mod", [x, y]) as name:
        return raw_op("FloorMod", x=x, y=y, name=name)


def truncatediv(x, y, name=None):
    """``tf.truncatediv``: integer division rounding toward zero (a ``TruncateDiv``)."""
    return raw_op("TruncateDiv", x=x, y=y, name=name)


def truncatemod(x, y, name=None):
    """``tf.truncatemod``: C's ``fmod``; the result has the sign of ``x`` (a ``TruncateMod``)."""
    return raw_op("TruncateMod", x=x, y=y, name=name)


def negative(x, name=None):
    """``tf.negative``: ``-x`` (a ``Neg``)."""
    return raw_op("Neg", x=x, name=name)


def square(x, name=None):
    """``tf.square``: ``x * x`` (a ``Square``)."""
    return raw_op("Square", x=x, name=name)


def squared_difference(x, y, name=None):
    """``tf.squared_difference``: ``(x - y)^2`` (a ``SquaredDifference``)."""
    return raw_op("SquaredDifference", x=x, y=y, name=name)


def pow(x, y, name=None):
    """``tf.pow``: ``x ** y`` (a ``Pow`` named ``Pow``)."""
    with name_scope(name, "Pow", [x]) as name:
        return raw_op("Pow", x=x, y=y, name=name)


def maximum(x, y, name=None):
    """``tf.maximum``: element-wise max; NaN in either input gives NaN."""
    return raw_op("Maximum", x=x, y=y, name=name)


def minimum(x, y, name=None):
    """``tf.minimum``: element-wise min; NaN in either input gives NaN."""
    return raw_op("Minimum", x=x, y=y, name=name)


def add_n(inputs, name=None):
    """``tf.add_n``: the sum of same-shaped tensors (``inputs[0]`` itself, or an Identity, for one).

    Raises:
      ValueError: if ``inputs`` is empty or not all tensors.
    """
    message = "Inputs must be an iterable of at least one Tensor/IndexedSlices with the same dtype and shape."
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError(message)
    # Everything but a Tensor is converted, as TF's convert_n_to_tensor_or_indexed_slices does (None stays None).
    inputs = [x if isinstance(x, Tensor) or x is None else convert_to_tensor(x) for x in inputs]
    if any(x is None for x in inputs):
        raise ValueError(message)
    if len(inputs) == 1:
        if name:
            return raw_op("Identity", input=inputs[0], name=name)
        return inputs[0]
    return raw_op("AddN", inputs=list(inputs), name=name)


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """``tf.accumulate_n``: like ``add_n`` (TF builds an AddN here too).

    Raises:
      ValueError: on empty inputs, mixed dtypes or incompatible shapes.
      TypeError: if ``tensor_dtype`` differs from the inputs' dtype.
    """
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype and shape")
    inputs = [convert_to_tensor(x) for x in inputs]
    if not all(x.dtype == inputs[0].dtype for x in inputs):
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype and shape")
    merged = as_shape(shape) if shape is not None else unknown_shape()
    for x in inputs:
        merged = merged.merge_with(x.shape)
    if tensor_dtype is not None and tensor_dtype != inputs[0].dtype:
        raise TypeError(
            f"The `tensor_dtype` argument is {tensor_dtype}, but `input` is of type {inputs[0].dtype}. These must "
            "be equal. Try casting the input to the desired type."
        )
    if len(inputs) == 1:
        return inputs[0] if name is None else raw_op("Identity", input=inputs[0], name=name)
    return add_n(inputs, name=name)


# ---------------------------------------------------------------------------------------------
# Element-wise functions


def abs(x, name=None):
    """``tf.abs``: ``|x|`` (a ``ComplexAbs`` of the real dtype for complex ``x``)."""
    with name_scope(name, "Abs", [x]) as name:
        x = convert_to_tensor(x, name="x")
        if x.dtype.is_complex:
            return raw_op("ComplexAbs", x=x, Tout=x.dtype.real_dtype, name=name)
        return raw_op("Abs", x=x, name=name)


def sign(x, name=None):
    """``tf.sign``: -1, 0 or 1 (NaN for NaN); ``x / |x|`` for complex ``x``."""
    x = convert_to_tensor(x)
    if x.dtype.is_complex:
        magnitude = raw_op("ComplexAbs", x=x, Tout=x.dtype.real_dtype)
        return raw_op("DivNoNan", x=x, y=cast(magnitude, dtype=x.dtype), name=name)
    return raw_op("Sign", x=x, name=name)


def round(x, name=None):
    """``tf.round``: half to even; integer tensors are returned unchanged."""
    x = convert_to_tensor(x, name="x")
    if x.dtype.is_integer:
        return x
    return raw_op("Round", x=x, name=name)


def _unary(op_type: str, doc: str):
    def fn(x, name=None):
        return raw_op(op_type, x=x, name=name)

    fn.__doc__ = doc
    return fn


sqrt = _unary("Sqrt", "``tf.sqrt``: the square root (NaN for negative inputs).")
rsqrt = _unary("Rsqrt", "``tf.math.rsqrt``: ``1 / sqrt(x)``.")
exp = _unary("Exp", "``tf.exp``: ``e ** x``.")
expm1 = _unary("Expm1", "``tf.math.expm1``: ``exp(x) - 1``, accurate near 0.")
log = _unary("Log", "``tf.log``: the natural logarithm.")
log1p = _unary("Log1p", "``tf.log1p``: ``log(1 + x)``, accurate near 0.")
reciprocal = _unary("Reciprocal", "``tf.reciprocal``: ``1 / x``.")
floor = _unary("Floor", "``tf.floor``: the largest integer not above ``x``.")
ceil = _unary("Ceil", "``tf.ceil``: the smallest integer not below ``x``.")
rint = _unary("Rint", "``tf.rint``: the nearest integer, halves to even.")
sin = _unary("Sin", "``tf.sin``.")
cos = _unary("Cos", "``tf.cos``.")
tan = _unary("Tan", "``tf.tan``.")
asin = _unary("Asin", "``tf.asin``.")
acos = _unary("Acos", "``tf.acos``.")
atan = _unary("Atan", "``tf.atan``.")
sinh = _unary("Sinh", "``tf.sinh``.")
cosh = _unary("Cosh", "``tf.cosh``.")
tanh = _unary("Tanh", "``tf.tanh``.")
erf = _unary("Erf", "``tf.erf``: the Gauss error function.")
erfc = _unary("Erfc", "``tf.erfc``: ``1 - erf(x)``.")
lgamma = _unary("Lgamma", "``tf.lgamma``: ``log(|Gamma(x)|)``.")
digamma = _unary("Digamma", "``tf.digamma``: the derivative of ``lgamma``.")
acosh = _unary("Acosh", "``tf.acosh``.")
asinh = _unary("Asinh", "``tf.asinh``.")
atanh = _unary("Atanh", "``tf.atanh``.")
is_nan = _unary("IsNan", "``tf.is_nan``: where ``x`` is NaN.")
is_inf = _unary("IsInf", "``tf.is_inf``: where ``x`` is +-inf.")
is_finite = _unary("IsFinite", "``tf.is_finite``: where ``x`` is neither NaN nor infinite.")
for _fn, _name in (
    (sqrt, "sqrt"), (rsqrt, "rsqrt"), (exp, "exp"), (expm1, "expm1"), (log, "log"), (log1p, "log1p"),
    (reciprocal, "reciprocal"), (floor, "floor"), (ceil, "ceil"), (rint, "rint"), (sin, "sin"), (cos, "cos"),
    (tan, "tan"), (asin, "asin"), (acos, "acos"), (atan, "atan"), (sinh, "sinh"), (cosh, "cosh"), (tanh, "tanh"),
    (erf, "erf"), (erfc, "erfc"), (lgamma, "lgamma"), (digamma, "digamma"), (acosh, "acosh"), (asinh, "asinh"),
    (atanh, "atanh"), (is_nan, "is_nan"),
    (is_inf, "is_inf"), (is_finite, "is_finite"),
):  # fmt: skip
    _fn.__name__ = _fn.__qualname__ = _name


def erfinv(x, name=None):
    """``tf.math.erfinv``: the inverse of ``erf`` (an Erfinv under an ``erfinv`` scope, as TF builds it)."""
    with name_scope(name, "erfinv", [x]):
        return raw_op("Erfinv", x=x)


def ndtri(x, name=None):
    """``tf.math.ndtri``: the inverse of the standard normal CDF (an Ndtri under an ``ndtri`` scope)."""
    with name_scope(name, "ndtri", [x]):
        return raw_op("Ndtri", x=x)


def erfcinv(x, name=None):
    """``tf.math.erfcinv``: the inverse of ``erfc``, as TF builds it: ``-ndtri(0.5 * x) * sqrt(0.5)``."""
    with name_scope(name, "erfcinv", [x]):
        x = convert_to_tensor(x, name="start")
        return -ndtri(0.5 * x) * np.sqrt(0.5)


def nextafter(x1, x2, name=None):
    """``tf.math.nextafter``: the next representable value after ``x1`` towards ``x2``."""
    return raw_op("NextAfter", x1=x1, x2=x2, name=name)


def xlogy(x, y, name=None):
    """``tf.math.xlogy``: ``x * log(y)``, 0 wherever x is 0 (TF exports the generated op itself)."""
    return raw_op("Xlogy", x=x, y=y, name=name)


def xlog1py(x, y, name=None):
    """``tf.math.xlog1py``: ``x * log1p(y)``, 0 wherever x is 0."""
    with name_scope(name, "xlog1py", [x]):
        return raw_op("Xlog1py", x=x, y=y)


def xdivy(x, y, name=None):
    """``tf.math.xdivy``: ``x / y``, 0 wherever x is 0."""
    with name_scope(name, "xdivy", [x]):
        return raw_op("Xdivy", x=x, y=y)


def atan2(y, x, name=None):
    """``tf.atan2``: the angle of ``(x, y)``, in ``[-pi, pi]``."""
    return raw_op("Atan2", y=y, x=x, name=name)


def sigmoid(x, name=None):
    """``tf.sigmoid``: ``1 / (1 + exp(-x))``."""
    with name_scope(name, "Sigmoid", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return raw_op("Sigmoid", x=x, name=name)


def log_sigmoid(x, name=None):
    """``tf.log_sigmoid``: ``-softplus(-x)``."""
    with name_scope(name, "LogSigmoid", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return raw_op("Neg", x=raw_op("Softplus", features=-x), name=name)


def conj(x, name=None):
    """``tf.conj``: the complex conjugate; real tensors are returned unchanged.

    Raises:
      TypeError: for non-numeric tensors.
    """
    if isinstance(x, Tensor) and (x.dtype.is_floating or x.dtype.is_integer):
        return x
    with name_scope(name, "Conj", [x]) as name:
        x = convert_to_tensor(x, name="x")
        if x.dtype.is_complex or x.dtype.base_dtype is DType.variant:
            return raw_op("Conj", input=x, name=name)
        if x.dtype.is_floating or x.dtype.is_integer:
            return x
        raise TypeError(f"Expected numeric or variant tensor, got dtype {x.dtype!r}.")


def real(input, name=None):
    """``tf.real``: the real part (real tensors unchanged)."""
    with name_scope(name, "Real", [input]) as name:
        input = convert_to_tensor(input, name="input")
        if input.dtype.is_complex:
            return raw_op("Real", input=input, Tout=input.dtype.real_dtype, name=name)
        if input.dtype.is_floating or input.dtype.is_integer:
            return input
        raise TypeError(f"input must be a numeric tensor, but got tensor with dtype {input.dtype}")


def angle(input, name=None):
    """``tf.math.angle``: the argument of complex numbers (an Angle op); pi or 0 by sign for real ones."""
    with name_scope(name, "Angle", [input]) as name:
        input = convert_to_tensor(input, name="input")
        if input.dtype.is_complex:
            return raw_op("Angle", input=input, Tout=input.dtype.real_dtype, name=name)
        return array_ops.where(input < 0, np.pi * array_ops.ones_like(input), array_ops.zeros_like(input))


def imag(input, name=None):
    """``tf.imag``: the imaginary part (zeros for real tensors)."""
    with name_scope(name, "Imag", [input]) as name:
        input = convert_to_tensor(input, name="input")
        if input.dtype.is_complex:
            return raw_op("Imag", input=input, Tout=input.dtype.real_dtype, name=name)
        return zeros_like(input)


# ---------------------------------------------------------------------------------------------
# Casts


def cast(x, dtype, name=None):
    """``tf.cast``: ``x`` converted to ``dtype`` (``x`` itself when it already has it).

    Float to integer truncates toward zero; complex to real keeps the real part; to bool is ``x != 0``.
    """
    base_type = dtypes.as_dtype(dtype).base_dtype
    if isinstance(x, Tensor) and base_type == x.dtype:
        return x
    with name_scope(name, "Cast", [x]) as name:
        x = convert_to_tensor(x, name="x")
        if x.dtype != base_type:
            x = raw_op("Cast", x=x, DstT=base_type, name=name)
        return x


def saturate_cast(value, dtype, name=None):
    """``tf.saturate_cast``: clamps ``value`` to ``dtype``'s range (a ``ClipByValue`` named ``clamp``), then casts."""
    with name_scope(name, "saturate_cast", [value]) as name:
        value = convert_to_tensor(value, name="value")
        dtype = dtypes.as_dtype(dtype).base_dtype
        in_dtype = value.dtype.base_dtype
        if in_dtype.is_complex:
            if dtype.is_complex:
                real_in, real_out = in_dtype.real_dtype, dtype.real_dtype
                if real_in.min < real_out.min or real_in.max > real_out.max:
                    value = raw_op(
                        "ClipByValue",
                        t=value,
                        clip_value_min=convert_to_tensor(builtins.complex(real_out.min, real_out.min), dtype=in_dtype),
                        clip_value_max=convert_to_tensor(builtins.complex(real_out.max, real_out.max), dtype=in_dtype),
                        name="clamp",
                    )
                return cast(value, dtype, name=name)
            value = real(value)
            in_dtype = in_dtype.real_dtype
        out_real = dtype.real_dtype
        np_dtype = in_dtype.as_numpy_dtype
        try:
            promoted_type = np.promote_types(np_dtype, out_real.as_numpy_dtype)
        except TypeError:
            promoted_type = float
        # The limits, representable in the input dtype, that do not overflow the output dtype.
        min_limit = np_dtype(np.maximum(in_dtype.min, out_real.min))
        promoted = np.array([min_limit, out_real.min], dtype=promoted_type)
        if promoted[0] < promoted[1]:
            min_limit = np.nextafter(min_limit, np_dtype(0), dtype=np_dtype)
        max_limit = np_dtype(np.minimum(float(in_dtype.max), float(out_real.max)))
        promoted = np.array([max_limit, out_real.max], dtype=promoted_type)
        if promoted[0] > promoted[1]:
            max_limit = np.nextafter(max_limit, np_dtype(0), dtype=np_dtype)
        value = raw_op(
            "ClipByValue",
            t=value,
            clip_value_min=convert_to_tensor(min_limit, dtype=in_dtype),
            clip_value_max=convert_to_tensor(max_limit, dtype=in_dtype),
            name="clamp",
        )
        return cast(value, dtype, name=name)


def to_float(x, name="ToFloat"):
    """``tf.to_float`` (TF1): a cast to float32."""
    return cast(x, DType.float32, name=name)


def to_double(x, name="ToDouble"):
    """``tf.to_double`` (TF1): a cast to float64."""
    return cast(x, DType.float64, name=name)


def to_int32(x, name="ToInt32"):
    """``tf.to_int32`` (TF1): a cast to int32."""
    return cast(x, DType.int32, name=name)


def to_int64(x, name="ToInt64"):
    """``tf.to_int64`` (TF1): a cast to int64."""
    return cast(x, DType.int64, name=name)


def to_bfloat16(x, name="ToBFloat16"):
    """``tf.to_bfloat16`` (TF1): a cast to bfloat16."""
    return cast(x, DType.bfloat16, name=name)


def to_complex64(x, name="ToComplex64"):
    """``tf.to_complex64`` (TF1): a cast to complex64."""
    return cast(x, DType.complex64, name=name)


def to_complex128(x, name="ToComplex128"):
    """``tf.to_complex128`` (TF1): a cast to complex128."""
    return cast(x, DType.complex128, name=name)


# ---------------------------------------------------------------------------------------------
# Comparisons and logic


def equal(x, y, name=None):
    """``tf.equal``: ``x == y`` element-wise (strings compare as bytes)."""
    return raw_op("Equal", x=x, y=y, name=name)


def not_equal(x, y, name=None):
    """``tf.not_equal``: ``x != y`` element-wise."""
    return raw_op("NotEqual", x=x, y=y, name=name)


def greater(x, y, name=None):
    """``tf.greater``: ``x > y`` element-wise."""
    return raw_op("Greater", x=x, y=y, name=name)


def greater_equal(x, y, name=None):
    """``tf.greater_equal``: ``x >= y`` element-wise."""
    return raw_op("GreaterEqual", x=x, y=y, name=name)


def less(x, y, name=None):
    """``tf.less``: ``x < y`` element-wise."""
    return raw_op("Less", x=x, y=y, name=name)


def less_equal(x, y, name=None):
    """``tf.less_equal``: ``x <= y`` element-wise."""
    return raw_op("LessEqual", x=x, y=y, name=name)


def logical_and(x, y, name=None):
    """``tf.logical_and``."""
    return raw_op("LogicalAnd", x=x, y=y, name=name)


def logical_or(x, y, name=None):
    """``tf.logical_or``."""
    return raw_op("LogicalOr", x=x, y=y, name=name)


def logical_not(x, name=None):
    """``tf.logical_not``."""
    return raw_op("LogicalNot", x=x, name=name)


def logical_xor(x, y, name="LogicalXor"):
    """``tf.logical_xor``: ``(x | y) & ~(x & y)``, built from those three ops as TF builds it."""
    return raw_op(
        "LogicalAnd",
        x=raw_op("LogicalOr", x=x, y=y),
        y=raw_op("LogicalNot", x=raw_op("LogicalAnd", x=x, y=y)),
        name=name,
    )


def _and(x, y, name=None):
    if x.dtype.base_dtype is DType.bool:
        return raw_op("LogicalAnd", x=x, y=y, name=name)
    return raw_op("BitwiseAnd", x=x, y=y)


def _or(x, y, name=None):
    if x.dtype.base_dtype is DType.bool:
        return raw_op("LogicalOr", x=x, y=y, name=name)
    return raw_op("BitwiseOr", x=x, y=y)


def _xor(x, y, name=None):
    if x.dtype.base_dtype is DType.bool:
        return logical_xor(x, y, name)
    return raw_op("BitwiseXor", x=x, y=y)


def _invert(x, name=None):
    if x.dtype.base_dtype is DType.bool:
        return raw_op("LogicalNot", x=x, name=name)
    return raw_op("Invert", x=x, name=name)


# ---------------------------------------------------------------------------------------------
# Matrix products


def matmul(
    a,
    b,
    transpose_a=False,
    transpose_b=False,
    adjoint_a=False,
    adjoint_b=False,
    a_is_sparse=False,
    b_is_sparse=False,
    output_type=None,
    grad_a=False,
    grad_b=False,
    name=None,
):
    """``tf.matmul``: a ``MatMul`` for 2-D operands, else a ``BatchMatMulV2`` (``V3`` for another ``output_type``).

    Raises:
      ValueError: if both ``transpose_*`` and ``adjoint_*`` are set for one operand.
    """
    with name_scope(name, "MatMul", [a, b]) as name:
        if transpose_a and adjoint_a:
            raise ValueError(
                f"Only one of `transpose_a` and `adjoint_a` can be True. Received `transpose_a`={transpose_a}, "
                f"`adjoint_a`={adjoint_a}."
            )
        if transpose_b and adjoint_b:
            raise ValueError(
                f"Only one of `transpose_b` and `adjoint_b` can be True. Received `transpose_b`={transpose_b}, "
                f"`adjoint_b`={adjoint_b}."
            )
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, preferred_dtype=a.dtype.base_dtype, name="b")
        a_rank, b_rank = a.shape.rank, b.shape.rank
        batched = a_rank is None or a_rank > 2 or b_rank is None or b_rank > 2
        use_v3 = bool(output_type) and (output_type != a.dtype or output_type != b.dtype)
        if not a_is_sparse and not b_is_sparse and batched:
            if transpose_a:
                a = conj(a)
                adjoint_a = True
            if transpose_b:
                b = conj(b)
                adjoint_b = True
            attrs = {"adj_x": adjoint_a, "adj_y": adjoint_b, "grad_x": grad_a, "grad_y": grad_b}
            if use_v3:
                return raw_op("BatchMatMulV3", x=a, y=b, Tout=output_type, name=name, **attrs)
            return raw_op("BatchMatMulV2", x=a, y=b, name=name, **attrs)
        if adjoint_a:
            a = conj(a)
            transpose_a = True
        if adjoint_b:
            b = conj(b)
            transpose_b = True
        sparse_types = (DType.bfloat16, DType.float32)
        use_sparse = (a_is_sparse or b_is_sparse) and a.dtype in sparse_types and b.dtype in sparse_types
        ints8 = (DType.int8, DType.uint8)
        if a.dtype != b.dtype and (
            (a.dtype == DType.bfloat16 and b.dtype not in ints8) or (b.dtype == DType.bfloat16 and a.dtype not in ints8)
        ):
            use_sparse = True
        if use_sparse:
            out = raw_op(
                "SparseMatMul",
                a=a,
                b=b,
                transpose_a=transpose_a,
                transpose_b=transpose_b,
                a_is_sparse=a_is_sparse,
                b_is_sparse=b_is_sparse,
                name=name,
            )
            if a.dtype == DType.bfloat16 and b.dtype == DType.bfloat16:
                out = cast(out, DType.bfloat16)
            return out
        if use_v3:
            return raw_op(
                "BatchMatMulV3",
                x=a,
                y=b,
                adj_x=adjoint_a or transpose_a,
                adj_y=adjoint_b or transpose_b,
                Tout=output_type,
                grad_x=grad_a,
                grad_y=grad_b,
                name=name,
            )
        return raw_op(
            "MatMul",
            a=a,
            b=b,
            transpose_a=transpose_a,
            transpose_b=transpose_b,
            grad_a=grad_a,
            grad_b=grad_b,
            name=name,
        )


def tensordot(a, b, axes, name=None):
    """``tf.tensordot``: contracts ``axes`` of ``a`` and ``b`` by one MatMul between Transpose/Reshape nodes.

    ``axes`` is an int N (the last N axes of ``a`` with the first N of ``b``), a pair of axis lists,
    or a tensor. Static shapes give Const shapes and skip no-op transposes/reshapes, as in TF.

    Raises:
      ValueError: for negative or too large ``axes``, or axis lists of different lengths.
    """

    def reshape_operand(t, t_axes, flipped=False):
        if t.shape.is_fully_defined() and isinstance(t_axes, (list, tuple)):
            shape_t = t.shape.as_list()
            t_axes = [i if i >= 0 else i + len(shape_t) for i in t_axes]
            free = [i for i in builtins.range(len(shape_t)) if i not in t_axes]
            free_dims = [shape_t[i] for i in free]
            prod_free = int(np.prod([shape_t[i] for i in free]))
            prod_axes = int(np.prod([shape_t[i] for i in t_axes]))
            perm = list(t_axes) + free if flipped else free + list(t_axes)
            new_shape = [prod_axes, prod_free] if flipped else [prod_free, prod_axes]
            transposed = array_ops.transpose(t, perm) if perm != list(builtins.range(len(shape_t))) else t
            if transposed.shape.as_list() != new_shape:
                return array_ops.reshape(transposed, new_shape), free_dims, free_dims
            return transposed, free_dims, free_dims
        if t.shape.rank is not None and isinstance(t_axes, (list, tuple)):
            shape_t = t.shape.as_list()
            t_axes = [i if i >= 0 else i + len(shape_t) for i in t_axes]
            free = [i for i in builtins.range(len(shape_t)) if i not in t_axes]
            free_dims_static = [shape_t[i] for i in free]
            t_axes = convert_to_tensor(t_axes, dtype=DType.int32, name="axes")
            free = convert_to_tensor(free, dtype=DType.int32, name="free")
            shape_t = array_ops.shape(t)
        else:
            free_dims_static = None
            shape_t = array_ops.shape(t)
            rank_t = array_ops.rank(t)
            t_axes = convert_to_tensor(t_axes, dtype=DType.int32, name="axes")
            t_axes = array_ops.where(t_axes >= 0, t_axes, t_axes + rank_t)
            free = raw_op("ListDiff", x=range(rank_t), y=t_axes, out_idx=DType.int32)[0]
        free_dims = array_ops.gather(shape_t, free)
        axes_dims = array_ops.gather(shape_t, t_axes)
        prod_free_dims = reduce_prod(free_dims)
        prod_axes_dims = reduce_prod(axes_dims)
        if flipped:
            perm = array_ops.concat([t_axes, free], 0)
            new_shape = array_ops.stack([prod_axes_dims, prod_free_dims])
        else:
            perm = array_ops.concat([free, t_axes], 0)
            new_shape = array_ops.stack([prod_free_dims, prod_axes_dims])
        return array_ops.reshape(array_ops.transpose(t, perm), new_shape), free_dims, free_dims_static

    def split_axes(t, spec):
        if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
            if spec < 0:
                raise ValueError(f"`axes` must be at least 0. Received: {spec}.")
            if t.shape.rank is not None:
                if spec > t.shape.rank:
                    raise ValueError(
                        f"`axes` must not be larger than the number of dimensions of tensor {t}.  Received {spec}, "
                        f"vs tensor dimensions {t.shape.rank}."
                    )
                return list(builtins.range(t.shape.rank - spec, t.shape.rank)), list(builtins.range(spec))
            rank_t = array_ops.rank(t)
            return range(rank_t - spec, rank_t, dtype=DType.int32), range(spec, dtype=DType.int32)
        if isinstance(spec, (list, tuple)):
            if len(spec) != 2:
                raise ValueError(f"`axes` must be an integer or have length 2. Received {spec}.")
            a_axes, b_axes = spec
            if isinstance(a_axes, int) and isinstance(b_axes, int):
                a_axes, b_axes = [a_axes], [b_axes]
            if len(a_axes) != len(b_axes):
                raise ValueError(f"Different number of contraction axes `a` and `b`, {len(a_axes)} != {len(b_axes)}.")
            return a_axes, b_axes
        spec = convert_to_tensor(spec, name="axes", dtype=DType.int32)
        return spec[0], spec[1]

    with name_scope(name, "Tensordot", [a, b, axes]) as name:
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, name="b")
        a_axes, b_axes = split_axes(a, axes)
        a_reshape, a_free_dims, a_free_dims_static = reshape_operand(a, a_axes)
        b_reshape, b_free_dims, b_free_dims_static = reshape_operand(b, b_axes, True)
        ab_matmul = matmul(a_reshape, b_reshape)
        if isinstance(a_free_dims, list) and isinstance(b_free_dims, list):
            if ab_matmul.shape.is_fully_defined() and ab_matmul.shape.as_list() == a_free_dims + b_free_dims:
                return ab_matmul
            return array_ops.reshape(ab_matmul, a_free_dims + b_free_dims, name=name)
        a_free_dims = convert_to_tensor(a_free_dims, dtype=DType.int32)
        b_free_dims = convert_to_tensor(b_free_dims, dtype=DType.int32)
        product = array_ops.reshape(ab_matmul, array_ops.concat([a_free_dims, b_free_dims], 0), name=name)
        if a_free_dims_static is not None and b_free_dims_static is not None:
            product.set_shape(a_free_dims_static + b_free_dims_static)
        return product


# ---------------------------------------------------------------------------------------------
# Range, arg-max/min

_RANGE_DTYPE_ORDER = [DType.int32, DType.int64, DType.float16, DType.bfloat16, DType.float32, DType.float64]


def range(start, limit=None, delta=1, dtype=None, name="range"):
    """``tf.range``: ``[start, limit)`` by ``delta``; ``range(n)`` counts from 0.

    Without ``dtype`` the widest of the arguments' dtypes wins (int32 < int64 < float16 < bfloat16 <
    float32 < float64), and the others are cast to it.
    """
    if limit is None:
        start, limit = 0, start
    with name_scope(name, "Range", [start, limit, delta]) as name:
        if not isinstance(start, Tensor):
            start = convert_to_tensor(start, dtype=dtype, name="start")
        if not isinstance(limit, Tensor):
            limit = convert_to_tensor(limit, dtype=dtype, name="limit")
        if not isinstance(delta, Tensor):
            delta = convert_to_tensor(delta, dtype=dtype, name="delta")
        if dtype is None:
            args = (start, limit, delta)
            if not all(arg.dtype.base_dtype in _RANGE_DTYPE_ORDER for arg in args):
                raise TypeError(f"Unsupported range dtypes: {[arg.dtype.name for arg in args]}")
            inferred = max((arg.dtype.base_dtype for arg in args), key=_RANGE_DTYPE_ORDER.index)
        else:
            inferred = dtypes.as_dtype(dtype)
        start, limit, delta = (cast(arg, inferred) for arg in (start, limit, delta))
        return raw_op("Range", start=start, limit=limit, delta=delta, name=name)


def _arg(op_type, input, axis, dimension, output_type, name):
    axis = deprecated_argument_lookup("axis", axis, "dimension", dimension)
    if axis is None:
        axis = 0
    if hasattr(axis, "dtype"):
        allowed = (DType.int8, DType.uint8, DType.int16, DType.uint16, DType.int32, DType.int64)
        axis_dtype = dtypes.as_dtype(axis.dtype).base_dtype
        if axis_dtype not in allowed:
            raise TypeError(f"axis tensor dtypes {axis_dtype} is not supported")
        if axis_dtype in (DType.int8, DType.int16, DType.uint8, DType.uint16):
            axis = cast(axis, DType.int32)
    elif not isinstance(axis, int):
        raise TypeError("axis must be int or Tensor with integer datatype")
    return raw_op(op_type, input=input, dimension=axis, output_type=output_type, name=name)


def argmax(input, axis=None, name=None, dimension=None, output_type=DType.int64):
    """``tf.argmax``: the index of the first largest value along ``axis`` (default 0; ``dimension`` is its TF1 alias)."""
    return _arg("ArgMax", input, axis, dimension, output_type, name)


def argmin(input, axis=None, name=None, dimension=None, output_type=DType.int64):
    """``tf.argmin``: the index of the first smallest value along ``axis``."""
    return _arg("ArgMin", input, axis, dimension, output_type, name)


def arg_max(input, dimension, output_type=DType.int64, name=None):
    """``tf.arg_max`` (TF1's raw wrapper of ArgMax): ``dimension`` is required, no checks or casts."""
    return raw_op("ArgMax", input=input, dimension=dimension, output_type=output_type, name=name)


def arg_min(input, dimension, output_type=DType.int64, name=None):
    """``tf.arg_min`` (TF1's raw wrapper of ArgMin)."""
    return raw_op("ArgMin", input=input, dimension=dimension, output_type=output_type, name=name)


# ---------------------------------------------------------------------------------------------
# Reductions


def _reduction_dims(x, axis):
    """TF's _ReductionDims: ``axis``, else every axis (a Const when the rank is known and nonzero)."""
    if axis is not None:
        return axis
    rank = x.shape.rank
    if rank:
        return constant(np.arange(rank, dtype=np.int32))
    return range(0, array_rank(x))


def _may_reduce_to_scalar(keepdims, axis, output):
    if not output.shape.is_fully_defined() and not keepdims and axis is None:
        output.set_shape(())
    return output


def _reduce(op_type, input_tensor, axis, keepdims, name, reduction_indices, keep_dims):
    axis = deprecated_argument_lookup("axis", axis, "reduction_indices", reduction_indices)
    keepdims = deprecated_argument_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    keepdims = False if keepdims is None else bool(keepdims)
    input_tensor = convert_to_tensor(input_tensor) if not _is_tensor(input_tensor) else input_tensor
    output = raw_op(
        op_type,
        input=input_tensor,
        reduction_indices=_reduction_dims(input_tensor, axis),
        keep_dims=keepdims,
        name=name,
    )
    return _may_reduce_to_scalar(keepdims, axis, output)


def reduce_sum(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """``tf.reduce_sum``: the sum over ``axis`` (all axes when None; ``reduction_indices``/``keep_dims`` are TF1 aliases)."""
    return _reduce("Sum", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_mean(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """``tf.reduce_mean``: the mean over ``axis``; integer means truncate toward zero, as in TF."""
    return _reduce("Mean", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_max(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """``tf.reduce_max``: the maximum over ``axis`` (NaN propagates; empty gives -inf)."""
    return _reduce("Max", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_min(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """``tf.reduce_min``: the minimum over ``axis``."""
    return _reduce("Min", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_prod(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """``tf.reduce_prod``: the product over ``axis``."""
    return _reduce("Prod", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """``tf.math.reduce_euclidean_norm``: sqrt of the sum of squares over ``axis`` (an EuclideanNorm op)."""
    return _reduce("EuclideanNorm", input_tensor, axis, bool(keepdims), name, None, None)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """``tf.math.reduce_variance``: the mean squared deviation from the mean over ``axis`` (real types)."""
    with name_scope(name, "reduce_variance", [input_tensor]):
        input_tensor = convert_to_tensor(input_tensor)
        means = reduce_mean(input_tensor, axis=axis, keepdims=True)
        if input_tensor.dtype.base_dtype.is_integer:
            raise TypeError("Input must be either real or complex")
        squared_deviations = raw_op("Square", x=input_tensor - means)
        return reduce_mean(squared_deviations, axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """``tf.math.reduce_std``: the square root of :func:`reduce_variance`."""
    with name_scope(name, "reduce_std", [input_tensor]):
        variance = reduce_variance(input_tensor, axis=axis, keepdims=keepdims)
        return raw_op("Sqrt", x=variance)


def reduce_all(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """``tf.reduce_all``: logical and over ``axis``."""
    return _reduce("All", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_any(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """``tf.reduce_any``: logical or over ``axis``."""
    return _reduce("Any", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_logsumexp(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """``tf.reduce_logsumexp``: ``log(sum(exp(x)))`` over ``axis``, stabilised by the (finite) maximum."""
    axis = deprecated_argument_lookup("axis", axis, "reduction_indices", reduction_indices)
    keepdims = deprecated_argument_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    keepdims = False if keepdims is None else bool(keepdims)
    with name_scope(name, "ReduceLogSumExp", [input_tensor]) as name:
        raw_max = reduce_max(input_tensor, axis=axis, keepdims=True)
        my_max = raw_op(
            "StopGradient", input=raw_op("SelectV2", condition=raw_op("IsFinite", x=raw_max), t=raw_max, e=0)
        )
        result = raw_op("Log", x=reduce_sum(exp(subtract(input_tensor, my_max)), axis=axis, keepdims=keepdims))
        if not keepdims:
            my_max = raw_op("Reshape", tensor=my_max, shape=raw_op("Shape", input=result))
        result = add(result, my_max, name=name)
        return _may_reduce_to_scalar(keepdims, axis, result)


def count_nonzero(
    input_tensor=None,
    axis=None,
    keepdims=None,
    dtype=DType.int64,
    name=None,
    reduction_indices=None,
    keep_dims=None,
    input=None,
):
    """``tf.count_nonzero``: how many entries along ``axis`` are not zero, as ``dtype``."""
    keepdims = deprecated_argument_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    input_tensor = deprecated_argument_lookup("input", input, "input_tensor", input_tensor)
    axis = deprecated_argument_lookup("axis", axis, "reduction_indices", reduction_indices)
    if keepdims is None:
        keepdims = False
    with name_scope(name, "count_nonzero", [input_tensor]):
        input_tensor = convert_to_tensor(input_tensor, name="input")
        if input_tensor.dtype.base_dtype is DType.bool:
            predicate = input_tensor
        else:
            zero = constant(0, dtype=input_tensor.dtype.base_dtype, name="zeros")
            predicate = raw_op("NotEqual", x=input_tensor, y=zero)
        return cast(reduce_sum(cast(predicate, DType.int64), axis=axis, keepdims=keepdims), dtype=dtype)


# ---------------------------------------------------------------------------------------------
# Scans, clipping, segments


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """``tf.cumsum``: running sums along ``axis`` (``exclusive`` starts from 0; ``reverse`` from the end)."""
    with name_scope(name, "Cumsum", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return raw_op("Cumsum", x=x, axis=axis, exclusive=exclusive, reverse=reverse, name=name)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """``tf.cumprod``: running products along ``axis``."""
    with name_scope(name, "Cumprod", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return raw_op("Cumprod", x=x, axis=axis, exclusive=exclusive, reverse=reverse, name=name)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """``tf.clip_by_value``: ``maximum(minimum(t, clip_value_max), clip_value_min)`` (TF builds these two ops).

    Raises:
      ValueError: if the clip values would broadcast ``t`` to a larger shape.
    """
    with name_scope(name, "clip_by_value", [t, clip_value_min, clip_value_max]) as name:
        values = convert_to_tensor(t, name="t")
        t_min = minimum(values, clip_value_max)
        values.shape.assert_is_compatible_with(t_min.shape)
        t_max = maximum(t_min, clip_value_min, name=name)
        values.shape.assert_is_compatible_with(t_max.shape)
    return t_max


def segment_sum(data, segment_ids, name=None):
    """``tf.segment_sum``: sums of rows sharing a (sorted) segment id."""
    return raw_op("SegmentSum", data=data, segment_ids=segment_ids, name=name)


def segment_mean(data, segment_ids, name=None):
    """``tf.math.segment_mean``: means of rows sharing a (sorted) segment id (empty segments: 0)."""
    return raw_op("SegmentMean", data=data, segment_ids=segment_ids, name=name)


def segment_max(data, segment_ids, name=None):
    """``tf.math.segment_max``: maxima of rows sharing a (sorted) segment id (empty segments: 0)."""
    return raw_op("SegmentMax", data=data, segment_ids=segment_ids, name=name)


def segment_min(data, segment_ids, name=None):
    """``tf.math.segment_min``: minima of rows sharing a (sorted) segment id (empty segments: 0)."""
    return raw_op("SegmentMin", data=data, segment_ids=segment_ids, name=name)


def segment_prod(data, segment_ids, name=None):
    """``tf.math.segment_prod``: products of rows sharing a (sorted) segment id (empty segments: 1)."""
    return raw_op("SegmentProd", data=data, segment_ids=segment_ids, name=name)


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """``tf.math.cumulative_logsumexp``: running log(sum(exp(x))) along ``axis``."""
    with name_scope(name, "CumulativeLogsumexp", [x]) as name:
        x = convert_to_tensor(x, name="x")
        return raw_op("CumulativeLogsumexp", x=x, axis=axis, exclusive=exclusive, reverse=reverse, name=name)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """``tf.unsorted_segment_sum``: sums per segment id; rows with negative ids are dropped."""
    return raw_op("UnsortedSegmentSum", data=data, segment_ids=segment_ids, num_segments=num_segments, name=name)


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """``tf.unsorted_segment_max``: maxima per segment id (empty segments: the dtype's lowest value)."""
    return raw_op("UnsortedSegmentMax", data=data, segment_ids=segment_ids, num_segments=num_segments, name=name)


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """``tf.unsorted_segment_min``: minima per segment id (empty segments: the dtype's highest value)."""
    return raw_op("UnsortedSegmentMin", data=data, segment_ids=segment_ids, num_segments=num_segments, name=name)


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """``tf.unsorted_segment_prod``: products per segment id (empty segments: 1)."""
    return raw_op("UnsortedSegmentProd", data=data, segment_ids=segment_ids, num_segments=num_segments, name=name)


# ---------------------------------------------------------------------------------------------
# Tensor operators: TF's override_binary_operator_helper and the unary overrides


def _add_dispatch(x, y, name=None):
    """``x + y``: ``y`` converted with ``x``'s dtype as the preference; strings concatenate."""
    if not _is_tensor(y):
        y = convert_to_tensor(y, preferred_dtype=x.dtype.base_dtype, name="y")
    if x.dtype.base_dtype is DType.string:
        return raw_op("Add", x=x, y=y, name=name)
    return raw_op("AddV2", x=x, y=y, name=name)


def _mul_dispatch(x, y, name=None):
    """``x * y``; bool operands multiply as int32 and the product is cast back to bool, as in TF."""
    if (isinstance(x, Tensor) and x.dtype.base_dtype is DType.bool) or (
        isinstance(y, Tensor) and y.dtype.base_dtype is DType.bool
    ):
        product = multiply(raw_op("Cast", x=x, DstT=DType.int32), raw_op("Cast", x=y, DstT=DType.int32), name=name)
        return raw_op("Cast", x=product, DstT=DType.bool)
    return multiply(x, y, name=name)


def _matmul_operator(a, b, name=None):
    return matmul(a, b, name=name)


def binary_op_wrapper(func, op_name):
    """``Tensor.__<op_name>__``: ``func(x, y, name=<scope op_name>)``, deferring to ``y.__r<op_name>__`` on failure."""

    def binary(x, y):
        with name_scope(None, op_name, [x, y]) as name:
            try:
                return func(x, y, name=name)
            except (TypeError, ValueError) as e:
                r_op = getattr(type(y), f"__r{op_name}__", None)
                if r_op is None:
                    raise
                try:
                    out = r_op(y, x)
                except (TypeError, ValueError):
                    raise e from None
                if out is NotImplemented:
                    raise
                return out

    binary.__name__ = binary.__qualname__ = f"__{op_name}__"
    binary.__doc__ = func.__doc__
    return binary


def r_binary_op_wrapper(func, op_name):
    """``Tensor.__r<op_name>__``: ``x`` (not a Tensor) is converted to ``y``'s dtype, named ``<op_name>/x``."""

    def r_binary(y, x):
        with name_scope(None, op_name, [x, y]) as name:
            x = convert_to_tensor(x, dtype=y.dtype.base_dtype, name="x")
            return func(x, y, name=name)

    r_binary.__name__ = r_binary.__qualname__ = f"__r{op_name}__"
    r_binary.__doc__ = func.__doc__
    return r_binary


# operator name -> the function TF's override calls (TF's tensor_math_operator_overrides).
BINARY_OPERATORS = {
    "add": _add_dispatch,
    "sub": subtract,
    "mul": _mul_dispatch,
    "div": _div_python2,
    "truediv": _truediv_python3,
    "floordiv": floordiv,
    "mod": scoped_mod,
    "pow": pow,
    "matmul": _matmul_operator,
    "and": _and,
    "or": _or,
    "xor": _xor,
}


def _negative_operator(x, name=None):
    return raw_op("Neg", x=x, name=name)


def _comparison_operator(op_type):
    def compare(x, y, name=None):
        return raw_op(op_type, x=x, y=y, name=name)

    compare.__name__ = compare.__qualname__ = op_type
    return compare


UNARY_OPERATORS = {"__neg__": _negative_operator, "__abs__": abs, "__invert__": _invert}
COMPARISON_OPERATORS = {
    "__lt__": _comparison_operator("Less"),
    "__le__": _comparison_operator("LessEqual"),
    "__gt__": _comparison_operator("Greater"),
    "__ge__": _comparison_operator("GreaterEqual"),
}


def override_operators(cls) -> None:
    """Installs TF's math operators on ``cls`` (Tensor here; Variables reuse it) via ``cls._override_operator``."""
    for op_name, func in BINARY_OPERATORS.items():
        cls._override_operator(f"__{op_name}__", binary_op_wrapper(func, op_name))
        cls._override_operator(f"__r{op_name}__", r_binary_op_wrapper(func, op_name))
    for operator, func in {**UNARY_OPERATORS, **COMPARISON_OPERATORS}.items():
        cls._override_operator(operator, func)


override_operators(graph_lib.Tensor)


def reduced_shape(input_shape, axes):
    """TF's math_ops.reduced_shape: the output shape of a reduction as if keep_dims were set.

    A numpy array when the shape and the axes are static, else a DynamicStitch of the input shape
    and ones at the (normalized) reduced axes.
    """
    constant_input_shape = tensor_util.constant_value(input_shape)
    if constant_input_shape is not None:
        constant_axes = tensor_util.constant_value(axes)
        if constant_axes is not None:
            constant_axes = np.array(constant_axes, dtype=np.int32)
            constant_input_shape = np.array(constant_input_shape, dtype=np.int32)
            constant_input_shape[constant_axes] = 1
            return constant_input_shape
    axes = convert_to_tensor(axes)
    input_rank = array_ops.size(input_shape, out_type=axes.dtype.base_dtype)
    axes = (axes + input_rank) % input_rank
    axes_shape = array_ops.shape(axes)
    return raw_op(
        "DynamicStitch",
        indices=[range(input_rank), axes],
        data=[input_shape, array_ops.ones(axes_shape, dtype=input_shape.dtype.base_dtype)],
    )
