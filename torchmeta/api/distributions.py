"""``tf.distributions`` (TF1's, python/ops/distributions/): the Distribution base class, Normal, Uniform,
Bernoulli, Categorical, Gamma, Exponential, Laplace and ``kl_divergence``, building TF's graphs (so seeded
samples are TF's numbers)."""

from __future__ import annotations

import contextlib
import inspect
import math

import numpy as np

from torchmeta.api import array_ops, check_ops, control_flow_ops, math_ops, nn_ops, random_ops, special_math_ops
from torchmeta.api.control_flow_assert import Assert
from torchmeta.dtypes import DType
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.constant_op import constant
from torchmeta.framework.tensor_shape import TensorShape, as_shape, dimension_value
from torchmeta.framework.tensor_util import constant_value, is_tf_type

__all__ = [
    "ReparameterizationType",
    "FULLY_REPARAMETERIZED",
    "NOT_REPARAMETERIZED",
    "Distribution",
    "Normal",
    "Uniform",
    "Bernoulli",
    "Categorical",
    "Gamma",
    "Exponential",
    "Laplace",
    "kl_divergence",
    "RegisterKL",
]

name_scope = graph_lib.name_scope
convert_to_tensor = graph_lib.convert_to_tensor


class ReparameterizationType:
    """Whether samples are differentiable in the parameters (TF's two instances; equality is identity)."""

    def __init__(self, rep_type):
        self._rep_type = rep_type

    def __repr__(self):
        return f"<Reparameterization Type: {self._rep_type}>"

    def __eq__(self, other):
        return self is other

    __hash__ = object.__hash__


FULLY_REPARAMETERIZED = ReparameterizationType("FULLY_REPARAMETERIZED")
NOT_REPARAMETERIZED = ReparameterizationType("NOT_REPARAMETERIZED")


def _not_implemented(what, self):
    return NotImplementedError(f"{what} is not implemented: {type(self).__name__}")


def pick_vector(cond, true_vector, false_vector, name="pick_vector"):
    """TF's distributions util.pick_vector: one of two vectors by a bool scalar, statically where known."""
    with name_scope(name, values=(cond, true_vector, false_vector)):
        cond = convert_to_tensor(cond, name="cond")
        if cond.dtype != DType.bool:
            raise TypeError(f"{cond} is not a bool")
        cond_value_static = constant_value(cond)
        if cond_value_static is not None:
            return true_vector if cond_value_static else false_vector
        true_vector = convert_to_tensor(true_vector, name="true_vector")
        false_vector = convert_to_tensor(false_vector, name="false_vector")
        if true_vector.dtype != false_vector.dtype:
            raise TypeError(f"{true_vector} and {false_vector} are of different types")
        n = array_ops.shape(true_vector)[0]
        return array_ops.slice(
            array_ops.concat([true_vector, false_vector], 0),
            [array_ops.where_v2(cond, 0, n)],
            [array_ops.where(cond, n, -1)],
        )


class Distribution:
    """``tf.distributions.Distribution``: TF's base class (name scopes, sample-shape handling, the fallbacks
    between log_prob and prob, cdf and log_cdf, variance and stddev)."""

    def __init__(
        self,
        dtype,
        reparameterization_type,
        validate_args,
        allow_nan_stats,
        parameters=None,
        graph_parents=None,
        name=None,
    ):
        graph_parents = [] if graph_parents is None else graph_parents
        for i, t in enumerate(graph_parents):
            if t is None or not is_tf_type(t):
                raise ValueError(f"Graph parent item {i} is not a Tensor; {t}.")
        if not name or name[-1] != "/":  # not a name scope yet
            with name_scope(name or type(self).__name__) as name:
                pass
        self._dtype = dtype
        self._reparameterization_type = reparameterization_type
        self._allow_nan_stats = allow_nan_stats
        self._validate_args = validate_args
        self._parameters = parameters or {}
        self._graph_parents = graph_parents
        self._name = name

    @property
    def _parameters(self):
        return self._parameter_dict

    @_parameters.setter
    def _parameters(self, value):
        value.pop("self", None)
        value.pop("__class__", None)
        self._parameter_dict = value

    @classmethod
    def param_shapes(cls, sample_shape, name="DistributionParamShapes"):
        with name_scope(name, values=[sample_shape]):
            return cls._param_shapes(sample_shape)

    @classmethod
    def param_static_shapes(cls, sample_shape):
        if isinstance(sample_shape, TensorShape):
            if not sample_shape.is_fully_defined():
                raise ValueError("TensorShape sample_shape must be fully defined")
            sample_shape = sample_shape.as_list()
        params = cls.param_shapes(sample_shape)
        static_params = {}
        for name, shape in params.items():
            static_shape = constant_value(shape)
            if static_shape is None:
                raise ValueError("sample_shape must be a fully-defined TensorShape or list/tuple")
            static_params[name] = TensorShape(static_shape)
        return static_params

    @staticmethod
    def _param_shapes(sample_shape):
        raise NotImplementedError("_param_shapes not implemented")

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype

    @property
    def parameters(self):
        return {k: v for k, v in self._parameters.items() if not k.startswith("__") and k != "self"}

    @property
    def reparameterization_type(self):
        return self._reparameterization_type

    @property
    def allow_nan_stats(self):
        return self._allow_nan_stats

    @property
    def validate_args(self):
        return self._validate_args

    def copy(self, **override_parameters_kwargs):
        parameters = dict(self.parameters, **override_parameters_kwargs)
        return type(self)(**parameters)

    def _batch_shape_tensor(self):
        raise _not_implemented("batch_shape_tensor", self)

    def batch_shape_tensor(self, name="batch_shape_tensor"):
        with self._name_scope(name):
            if self.batch_shape.is_fully_defined():
                return convert_to_tensor(self.batch_shape.as_list(), dtype=DType.int32, name="batch_shape")
            return self._batch_shape_tensor()

    def _batch_shape(self):
        return TensorShape(None)

    @property
    def batch_shape(self):
        return as_shape(self._batch_shape())

    def _event_shape_tensor(self):
        raise _not_implemented("event_shape_tensor", self)

    def event_shape_tensor(self, name="event_shape_tensor"):
        with self._name_scope(name):
            if self.event_shape.is_fully_defined():
                return convert_to_tensor(self.event_shape.as_list(), dtype=DType.int32, name="event_shape")
            return self._event_shape_tensor()

    def _event_shape(self):
        return TensorShape(None)

    @property
    def event_shape(self):
        return as_shape(self._event_shape())

    def is_scalar_event(self, name="is_scalar_event"):
        with self._name_scope(name):
            return convert_to_tensor(
                self._is_scalar_helper(self.event_shape, self.event_shape_tensor), name="is_scalar_event"
            )

    def is_scalar_batch(self, name="is_scalar_batch"):
        with self._name_scope(name):
            return convert_to_tensor(
                self._is_scalar_helper(self.batch_shape, self.batch_shape_tensor), name="is_scalar_batch"
            )

    def _sample_n(self, n, seed=None):
        raise _not_implemented("sample_n", self)

    def _call_sample_n(self, sample_shape, seed, name, **kwargs):
        with self._name_scope(name, values=[sample_shape]):
            sample_shape = convert_to_tensor(sample_shape, dtype=DType.int32, name="sample_shape")
            sample_shape, n = self._expand_sample_shape_to_vector(sample_shape, "sample_shape")
            samples = self._sample_n(n, seed, **kwargs)
            batch_event_shape = array_ops.shape(samples)[1:]
            final_shape = array_ops.concat([sample_shape, batch_event_shape], 0)
            samples = array_ops.reshape(samples, final_shape)
            return self._set_sample_static_shape(samples, sample_shape)

    def sample(self, sample_shape=(), seed=None, name="sample"):
        """Samples of shape ``sample_shape + batch_shape + event_shape`` (TF's random ops: the same numbers
        for the same seeds)."""
        return self._call_sample_n(sample_shape, seed, name)

    def _call_with_fallback(self, name, value, first, second, through):
        with self._name_scope(name, values=[value]):
            value = convert_to_tensor(value, name="value", preferred_dtype=self.dtype)
            try:
                return first(value)
            except NotImplementedError as original_exception:
                try:
                    return through(second(value))
                except NotImplementedError:
                    raise original_exception from None

    def _log_prob(self, value):
        raise _not_implemented("log_prob", self)

    def log_prob(self, value, name="log_prob"):
        return self._call_with_fallback(name, value, self._log_prob, self._prob, math_ops.log)

    def _prob(self, value):
        raise _not_implemented("prob", self)

    def prob(self, value, name="prob"):
        return self._call_with_fallback(name, value, self._prob, self._log_prob, math_ops.exp)

    def _log_cdf(self, value):
        raise _not_implemented("log_cdf", self)

    def log_cdf(self, value, name="log_cdf"):
        return self._call_with_fallback(name, value, self._log_cdf, self._cdf, math_ops.log)

    def _cdf(self, value):
        raise _not_implemented("cdf", self)

    def cdf(self, value, name="cdf"):
        return self._call_with_fallback(name, value, self._cdf, self._log_cdf, math_ops.exp)

    def _log_survival_function(self, value):
        raise _not_implemented("log_survival_function", self)

    def log_survival_function(self, value, name="log_survival_function"):
        return self._call_with_fallback(
            name, value, self._log_survival_function, self.cdf, lambda c: math_ops.log1p(-c)
        )

    def _survival_function(self, value):
        raise _not_implemented("survival_function", self)

    def survival_function(self, value, name="survival_function"):
        return self._call_with_fallback(name, value, self._survival_function, self.cdf, lambda c: 1.0 - c)

    def _entropy(self):
        raise _not_implemented("entropy", self)

    def entropy(self, name="entropy"):
        with self._name_scope(name):
            return self._entropy()

    def _mean(self):
        raise _not_implemented("mean", self)

    def mean(self, name="mean"):
        with self._name_scope(name):
            return self._mean()

    def _quantile(self, value):
        raise _not_implemented("quantile", self)

    def quantile(self, value, name="quantile"):
        with self._name_scope(name, values=[value]):
            value = convert_to_tensor(value, name="value", preferred_dtype=self.dtype)
            return self._quantile(value)

    def _variance(self):
        raise _not_implemented("variance", self)

    def variance(self, name="variance"):
        with self._name_scope(name):
            try:
                return self._variance()
            except NotImplementedError as original_exception:
                try:
                    return math_ops.square(self._stddev())
                except NotImplementedError:
                    raise original_exception from None

    def _stddev(self):
        raise _not_implemented("stddev", self)

    def stddev(self, name="stddev"):
        with self._name_scope(name):
            try:
                return self._stddev()
            except NotImplementedError as original_exception:
                try:
                    return math_ops.sqrt(self._variance())
                except NotImplementedError:
                    raise original_exception from None

    def _covariance(self):
        raise _not_implemented("covariance", self)

    def covariance(self, name="covariance"):
        with self._name_scope(name):
            return self._covariance()

    def _mode(self):
        raise _not_implemented("mode", self)

    def mode(self, name="mode"):
        with self._name_scope(name):
            return self._mode()

    def cross_entropy(self, other, name="cross_entropy"):
        with self._name_scope(name):
            return cross_entropy(self, other, allow_nan_stats=self.allow_nan_stats)

    def kl_divergence(self, other, name="kl_divergence"):
        with self._name_scope(name):
            return kl_divergence(self, other, allow_nan_stats=self.allow_nan_stats)

    def __str__(self):
        batch = f", batch_shape={self.batch_shape}" if self.batch_shape.ndims is not None else ""
        event = f", event_shape={self.event_shape}" if self.event_shape.ndims is not None else ""
        return f'tfp.distributions.{type(self).__name__}("{self.name}"{batch}{event}, dtype={self.dtype.name})'

    def __repr__(self):
        return (
            f"<tfp.distributions.{type(self).__name__} '{self.name}' batch_shape={self.batch_shape} "
            f"event_shape={self.event_shape} dtype={self.dtype.name}>"
        )

    @contextlib.contextmanager
    def _name_scope(self, name=None, values=None):
        with name_scope(self.name):
            with name_scope(name, values=([] if values is None else values) + self._graph_parents) as scope:
                yield scope

    def _expand_sample_shape_to_vector(self, x, name):
        x_static_val = constant_value(x)
        if x_static_val is None:
            prod = math_ops.reduce_prod(x)
        else:
            prod = np.prod(x_static_val, dtype=x.dtype.as_numpy_dtype())
        ndims = x.get_shape().ndims
        if ndims is None:
            ndims = array_ops.rank(x)
            expanded_shape = pick_vector(math_ops.equal(ndims, 0), np.array([1], dtype=np.int32), array_ops.shape(x))
            x = array_ops.reshape(x, expanded_shape)
        elif ndims == 0:
            if x_static_val is not None:
                x = convert_to_tensor(np.array([x_static_val], dtype=x.dtype.as_numpy_dtype()), name=name)
            else:
                x = array_ops.reshape(x, [1])
        elif ndims != 1:
            raise ValueError("Input is neither scalar nor vector.")
        return x, prod

    def _set_sample_static_shape(self, x, sample_shape):
        sample_shape = TensorShape(constant_value(sample_shape))
        ndims = x.get_shape().ndims
        sample_ndims = sample_shape.ndims
        batch_ndims = self.batch_shape.ndims
        event_ndims = self.event_shape.ndims
        if ndims is None and sample_ndims is not None and batch_ndims is not None and event_ndims is not None:
            ndims = sample_ndims + batch_ndims + event_ndims
            x.set_shape([None] * ndims)
        if ndims is not None and sample_ndims is not None:
            shape = sample_shape.concatenate([None] * (ndims - sample_ndims))
            x.set_shape(x.get_shape().merge_with(shape))
        if ndims is not None and event_ndims is not None:
            shape = TensorShape([None] * (ndims - event_ndims)).concatenate(self.event_shape)
            x.set_shape(x.get_shape().merge_with(shape))
        if batch_ndims is not None:
            if ndims is not None:
                if sample_ndims is None and event_ndims is not None:
                    sample_ndims = ndims - batch_ndims - event_ndims
                elif event_ndims is None and sample_ndims is not None:
                    event_ndims = ndims - batch_ndims - sample_ndims
            if sample_ndims is not None and event_ndims is not None:
                shape = (
                    TensorShape([None] * sample_ndims).concatenate(self.batch_shape).concatenate([None] * event_ndims)
                )
                x.set_shape(x.get_shape().merge_with(shape))
        return x

    def _is_scalar_helper(self, static_shape, dynamic_shape_fn):
        if static_shape.ndims is not None:
            return static_shape.ndims == 0
        shape = dynamic_shape_fn()
        if shape.get_shape().ndims is not None and shape.get_shape().dims[0].value is not None:
            return shape.get_shape().as_list() == [0]
        return math_ops.equal(array_ops.shape(shape)[0], 0)


# ---------------------------------------------------------------------------------------------
# KL divergences (kullback_leibler.py)

_DIVERGENCES: dict = {}


def _registered_kl(type_a, type_b):
    hierarchy_a = inspect.getmro(type_a)
    hierarchy_b = inspect.getmro(type_b)
    dist_to_children = None
    kl_fn = None
    for mro_to_a, parent_a in enumerate(hierarchy_a):
        for mro_to_b, parent_b in enumerate(hierarchy_b):
            candidate_dist = mro_to_a + mro_to_b
            candidate_kl_fn = _DIVERGENCES.get((parent_a, parent_b))
            if not kl_fn or (candidate_kl_fn and candidate_dist < dist_to_children):
                dist_to_children = candidate_dist
                kl_fn = candidate_kl_fn
    return kl_fn


def kl_divergence(distribution_a, distribution_b, allow_nan_stats=True, name=None):
    """``tf.distributions.kl_divergence``: KL(a || b) by the function registered for the closest parent
    classes. ``allow_nan_stats=False`` adds TF's Assert that no value is NaN.

    Raises:
      NotImplementedError: TF's, when no KL is registered for the pair.
    """
    kl_fn = _registered_kl(type(distribution_a), type(distribution_b))
    if kl_fn is None:
        raise NotImplementedError(
            "No KL(distribution_a || distribution_b) registered for distribution_a "
            f"type {type(distribution_a).__name__} and distribution_b type {type(distribution_b).__name__}"
        )
    with name_scope("KullbackLeibler"):
        kl_t = kl_fn(distribution_a, distribution_b, name=name)
        if allow_nan_stats:
            return kl_t
        kl_t = array_ops.identity(kl_t, name="kl")
        message = (
            f"KL calculation between {distribution_a.name} and {distribution_b.name} returned NaN values "
            "(and was called with allow_nan_stats=False). Values:"
        )
        check = Assert(math_ops.logical_not(math_ops.reduce_any(math_ops.is_nan(kl_t))), [message, kl_t])
        with graph_lib.control_dependencies([check]):
            return array_ops.identity(kl_t, name="checked_kl")


def cross_entropy(ref, other, allow_nan_stats=True, name=None):
    with name_scope(name, "cross_entropy"):
        return ref.entropy() + kl_divergence(ref, other, allow_nan_stats=allow_nan_stats)


class RegisterKL:
    """``tf.distributions.RegisterKL(A, B)``: a decorator registering ``kl_fn(a, b, name=None)``.

    Raises:
      TypeError: the decorated object is not callable.
      ValueError: a KL is already registered for the pair.
    """

    def __init__(self, dist_cls_a, dist_cls_b):
        self._key = (dist_cls_a, dist_cls_b)

    def __call__(self, kl_fn):
        if not callable(kl_fn):
            raise TypeError(f"kl_fn must be callable, received: {kl_fn}")
        if self._key in _DIVERGENCES:
            raise ValueError(
                f"KL({self._key[0].__name__} || {self._key[1].__name__}) has already been registered to: "
                f"{_DIVERGENCES[self._key]}"
            )
        _DIVERGENCES[self._key] = kl_fn
        return kl_fn


# ---------------------------------------------------------------------------------------------
# special_math.py: the standard normal CDF


def _ndtr(x):
    half_sqrt_2 = constant(0.5 * np.sqrt(2.0), dtype=x.dtype, name="half_sqrt_2")
    w = x * half_sqrt_2
    z = math_ops.abs(w)
    y = array_ops.where_v2(
        math_ops.less(z, half_sqrt_2),
        1.0 + math_ops.erf(w),
        array_ops.where_v2(math_ops.greater(w, 0.0), 2.0 - math_ops.erfc(z), math_ops.erfc(z)),
    )
    return 0.5 * y


def ndtr(x, name="ndtr"):
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        if x.dtype.as_numpy_dtype not in (np.float32, np.float64):
            raise TypeError(f"x.dtype={x.dtype} is not handled, see docstring for supported types.")
        return _ndtr(x)


# Where log_ndtr switches between its asymptotic series, log(ndtr) and -ndtr(-x) (TF's bounds).
LOGNDTR_FLOAT64_LOWER = np.array(-20, np.float64)
LOGNDTR_FLOAT32_LOWER = np.array(-10, np.float32)
LOGNDTR_FLOAT64_UPPER = np.array(8, np.float64)
LOGNDTR_FLOAT32_UPPER = np.array(5, np.float32)


def log_ndtr(x, series_order=3, name="log_ndtr"):
    """TF's log of the standard normal CDF, accurate in both tails."""
    if not isinstance(series_order, int):
        raise TypeError("series_order must be a Python integer.")
    if series_order < 0:
        raise ValueError("series_order must be non-negative.")
    if series_order > 30:
        raise ValueError("series_order must be <= 30.")
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        if x.dtype.as_numpy_dtype == np.float64:
            lower_segment, upper_segment = LOGNDTR_FLOAT64_LOWER, LOGNDTR_FLOAT64_UPPER
        elif x.dtype.as_numpy_dtype == np.float32:
            lower_segment, upper_segment = LOGNDTR_FLOAT32_LOWER, LOGNDTR_FLOAT32_UPPER
        else:
            raise TypeError(f"x.dtype={x.dtype} is not supported.")
        return array_ops.where_v2(
            math_ops.greater(x, upper_segment),
            -_ndtr(-x),
            array_ops.where_v2(
                math_ops.greater(x, lower_segment),
                math_ops.log(_ndtr(math_ops.maximum(x, lower_segment))),
                _log_ndtr_lower(math_ops.minimum(x, lower_segment), series_order),
            ),
        )


def _log_ndtr_lower(x, series_order):
    x_2 = math_ops.square(x)
    log_scale = -0.5 * x_2 - math_ops.log(-x) - 0.5 * np.log(2.0 * np.pi)
    return log_scale + math_ops.log(_log_ndtr_asymptotic_series(x, series_order))


def _log_ndtr_asymptotic_series(x, series_order):
    dtype = x.dtype.as_numpy_dtype
    if series_order <= 0:
        return np.array(1, dtype)
    x_2 = math_ops.square(x)
    even_sum = array_ops.zeros_like(x)
    odd_sum = array_ops.zeros_like(x)
    x_2n = x_2
    for n in range(1, series_order + 1):
        y = np.array(np.prod(np.arange(2 * n - 1, 1, -2)), dtype) / x_2n
        if n % 2:
            odd_sum += y
        else:
            even_sum += y
        x_2n *= x_2
    return 1.0 + even_sum - odd_sum


# ---------------------------------------------------------------------------------------------
# util.py: parameter checks


def _largest_integer_by_dtype(dt):
    if dt.is_floating:
        return int(2 ** (np.finfo(dt.as_numpy_dtype).nmant + 1))
    if dt.is_integer:
        return np.iinfo(dt.as_numpy_dtype).max
    if dt.base_dtype == DType.bool:
        return 1
    raise TypeError(f"Unrecognized dtype: {dt.name}")


def _smallest_integer_by_dtype(dt):
    if dt.is_unsigned or dt.base_dtype == DType.bool:
        return 0
    return -1 * _largest_integer_by_dtype(dt)


def _is_integer_like_by_dtype(dt):
    return dt.is_integer or dt.base_dtype == DType.bool


def assert_integer_form(x, data=None, summarize=None, message=None, int_dtype=None, name="assert_integer_form"):
    with name_scope(name, values=[x, data]):
        x = convert_to_tensor(x, name="x")
        if x.dtype.is_integer:
            return control_flow_ops.no_op()
        message = message or f"{x} has non-integer components"
        if int_dtype is None:
            int_dtypes = {DType.float16: DType.int16, DType.float32: DType.int32, DType.float64: DType.int64}
            if x.dtype.base_dtype not in int_dtypes:
                raise TypeError(f"Unrecognized type {x.dtype.name}")
            int_dtype = int_dtypes[x.dtype.base_dtype]
        return check_ops.assert_equal(
            x,
            math_ops.cast(math_ops.cast(x, int_dtype), x.dtype),
            data=data,
            summarize=summarize,
            message=message,
            name=name,
        )


def embed_check_integer_casting_closed(x, target_dtype, assert_nonnegative=True, name="embed_check_casting_closed"):
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        if not _is_integer_like_by_dtype(x.dtype) and not x.dtype.is_floating:
            raise TypeError(f"{x.dtype.name}.dtype must be floating- or integer-type.")
        if not _is_integer_like_by_dtype(target_dtype) and not target_dtype.is_floating:
            raise TypeError(f"target_dtype ({target_dtype.name}) must be floating- or integer-type.")
        if not _is_integer_like_by_dtype(x.dtype) and not _is_integer_like_by_dtype(target_dtype):
            raise TypeError(
                f"At least one of {x}.dtype ({x.dtype.name}) and target_dtype ({target_dtype.name}) must be "
                "integer-type."
            )
        assertions = []
        if assert_nonnegative:
            assertions += [check_ops.assert_non_negative(x, message="Elements must be non-negative.")]
        if x.dtype.is_floating:
            assertions += [
                assert_integer_form(
                    x, int_dtype=target_dtype, message=f"Elements must be {target_dtype.name}-equivalent."
                )
            ]
        else:
            largest = _largest_integer_by_dtype(target_dtype)
            if _largest_integer_by_dtype(x.dtype) > largest:
                assertions += [check_ops.assert_less_equal(x, largest, message=f"Elements cannot exceed {largest}.")]
            smallest = _smallest_integer_by_dtype(target_dtype)
            if not assert_nonnegative and _smallest_integer_by_dtype(x.dtype) < smallest:
                assertions += [
                    check_ops.assert_greater_equal(x, smallest, message=f"Elements cannot be smaller than {smallest}.")
                ]
        if not assertions:
            return x
        return control_flow_ops.with_dependencies(assertions, x)


def embed_check_categorical_event_shape(categorical_param, name="embed_check_categorical_event_shape"):
    with name_scope(name, values=[categorical_param]):
        x = convert_to_tensor(categorical_param, name="categorical_param")
        x_dtype = x.dtype.base_dtype
        max_event_size = _largest_integer_by_dtype(x_dtype) if x_dtype.is_floating else 0
        if max_event_size == 0:
            raise TypeError(f"Unable to validate size of unrecognized dtype ({x_dtype.name}).")
        try:
            x_shape_static = x.get_shape().with_rank_at_least(1)
        except ValueError:
            raise ValueError("A categorical-distribution parameter must have at least 1 dimension.") from None
        if dimension_value(x_shape_static[-1]) is not None:
            event_size = x_shape_static.dims[-1].value
            if event_size < 2:
                raise ValueError("A categorical-distribution parameter must have at least 2 events.")
            if event_size > max_event_size:
                raise ValueError(
                    f"Number of classes exceeds `dtype` precision, i.e., {x_dtype.name} implies shape "
                    f"({event_size}) cannot exceed {max_event_size}."
                )
            return x
        event_size = array_ops.shape(x, name="x_shape")[-1]
        return control_flow_ops.with_dependencies(
            [
                check_ops.assert_rank_at_least(
                    x, 1, message="A categorical-distribution parameter must have at least 1 dimension."
                ),
                check_ops.assert_greater_equal(
                    array_ops.shape(x)[-1],
                    2,
                    message="A categorical-distribution parameter must have at least 2 events.",
                ),
                check_ops.assert_less_equal(
                    event_size,
                    max_event_size,
                    message=f"Number of classes exceeds `dtype` precision, i.e., {x_dtype.name} dtype cannot exceed "
                    f"{max_event_size} shape.",
                ),
            ],
            x,
        )


def get_logits_and_probs(
    logits=None, probs=None, multidimensional=False, validate_args=False, name="get_logits_and_probs", dtype=None
):
    """TF's: the logits and the probabilities from whichever of the two is given."""
    with name_scope(name, values=[probs, logits]):
        if (probs is None) == (logits is None):
            raise ValueError("Must pass probs or logits, but not both.")
        if probs is None:
            logits = convert_to_tensor(logits, name="logits", dtype=dtype)
            if not logits.dtype.is_floating:
                raise TypeError("logits must having floating type.")
            if multidimensional:
                if validate_args:
                    logits = embed_check_categorical_event_shape(logits)
                return logits, nn_ops.softmax(logits, name="probs")
            return logits, math_ops.sigmoid(logits, name="probs")
        probs = convert_to_tensor(probs, name="probs", dtype=dtype)
        if not probs.dtype.is_floating:
            raise TypeError("probs must having floating type.")
        if validate_args:
            with name_scope("validate_probs"):
                one = constant(1.0, probs.dtype)
                dependencies = [check_ops.assert_non_negative(probs)]
                if multidimensional:
                    probs = embed_check_categorical_event_shape(probs)
                    dependencies += [
                        check_ops.assert_near(math_ops.reduce_sum(probs, -1), one, message="probs does not sum to 1.")
                    ]
                else:
                    dependencies += [
                        check_ops.assert_less_equal(probs, one, message="probs has components greater than 1.")
                    ]
                probs = control_flow_ops.with_dependencies(dependencies, probs)
        with name_scope("logits"):
            if multidimensional:
                return math_ops.log(probs), probs
            return math_ops.log(probs) - math_ops.log1p(-1.0 * probs), probs


# ---------------------------------------------------------------------------------------------
# The distributions


class Normal(Distribution):
    """``tf.distributions.Normal(loc, scale)``."""

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name="Normal"):
        parameters = dict(locals())
        with name_scope(name, values=[loc, scale]) as name:
            with graph_lib.control_dependencies([check_ops.assert_positive(scale)] if validate_args else []):
                self._loc = array_ops.identity(loc, name="loc")
                self._scale = array_ops.identity(scale, name="scale")
                check_ops.assert_same_float_dtype([self._loc, self._scale])
        super().__init__(
            dtype=self._scale.dtype,
            reparameterization_type=FULLY_REPARAMETERIZED,
            validate_args=validate_args,
            allow_nan_stats=allow_nan_stats,
            parameters=parameters,
            graph_parents=[self._loc, self._scale],
            name=name,
        )

    @staticmethod
    def _param_shapes(sample_shape):
        return dict(zip(("loc", "scale"), [convert_to_tensor(sample_shape, dtype=DType.int32)] * 2, strict=True))

    @property
    def loc(self):
        return self._loc

    @property
    def scale(self):
        return self._scale

    def _batch_shape_tensor(self):
        return array_ops.broadcast_dynamic_shape(array_ops.shape(self.loc), array_ops.shape(self.scale))

    def _batch_shape(self):
        return array_ops.broadcast_static_shape(self.loc.get_shape(), self.scale.get_shape())

    def _event_shape_tensor(self):
        return constant([], dtype=DType.int32)

    def _event_shape(self):
        return TensorShape([])

    def _sample_n(self, n, seed=None):
        shape = array_ops.concat([[n], self.batch_shape_tensor()], 0)
        sampled = random_ops.random_normal(shape=shape, mean=0.0, stddev=1.0, dtype=self.loc.dtype, seed=seed)
        return sampled * self.scale + self.loc

    def _log_prob(self, x):
        return self._log_unnormalized_prob(x) - self._log_normalization()

    def _log_cdf(self, x):
        return log_ndtr(self._z(x))

    def _cdf(self, x):
        return ndtr(self._z(x))

    def _log_survival_function(self, x):
        return log_ndtr(-self._z(x))

    def _survival_function(self, x):
        return ndtr(-self._z(x))

    def _log_unnormalized_prob(self, x):
        return -0.5 * math_ops.square(self._z(x))

    def _log_normalization(self):
        return 0.5 * math.log(2.0 * math.pi) + math_ops.log(self.scale)

    def _entropy(self):
        scale = self.scale * array_ops.ones_like(self.loc)
        return 0.5 * math.log(2.0 * math.pi * math.e) + math_ops.log(scale)

    def _mean(self):
        return self.loc * array_ops.ones_like(self.scale)

    def _stddev(self):
        return self.scale * array_ops.ones_like(self.loc)

    def _mode(self):
        return self._mean()

    def _z(self, x):
        with name_scope("standardize", values=[x]):
            return (x - self.loc) / self.scale


@RegisterKL(Normal, Normal)
def _kl_normal_normal(n_a, n_b, name=None):
    with name_scope(name, "kl_normal_normal", [n_a.loc, n_b.loc]):
        one = constant(1, dtype=n_a.dtype)
        two = constant(2, dtype=n_a.dtype)
        half = constant(0.5, dtype=n_a.dtype)
        s_a_squared = math_ops.square(n_a.scale)
        s_b_squared = math_ops.square(n_b.scale)
        ratio = s_a_squared / s_b_squared
        return math_ops.squared_difference(n_a.loc, n_b.loc) / (two * s_b_squared) + half * (
            ratio - one - math_ops.log(ratio)
        )


class Uniform(Distribution):
    """``tf.distributions.Uniform(low, high)`` on ``[low, high)``."""

    def __init__(self, low=0.0, high=1.0, validate_args=False, allow_nan_stats=True, name="Uniform"):
        parameters = dict(locals())
        with name_scope(name, values=[low, high]) as name:
            checks = (
                [check_ops.assert_less(low, high, message="uniform not defined when low >= high.")]
                if validate_args
                else []
            )
            with graph_lib.control_dependencies(checks):
                self._low = array_ops.identity(low, name="low")
                self._high = array_ops.identity(high, name="high")
                check_ops.assert_same_float_dtype([self._low, self._high])
        super().__init__(
            dtype=self._low.dtype,
            reparameterization_type=FULLY_REPARAMETERIZED,
            validate_args=validate_args,
            allow_nan_stats=allow_nan_stats,
            parameters=parameters,
            graph_parents=[self._low, self._high],
            name=name,
        )

    @staticmethod
    def _param_shapes(sample_shape):
        return dict(zip(("low", "high"), [convert_to_tensor(sample_shape, dtype=DType.int32)] * 2, strict=True))

    @property
    def low(self):
        return self._low

    @property
    def high(self):
        return self._high

    def range(self, name="range"):
        with self._name_scope(name):
            return self.high - self.low

    def _batch_shape_tensor(self):
        return array_ops.broadcast_dynamic_shape(array_ops.shape(self.low), array_ops.shape(self.high))

    def _batch_shape(self):
        return array_ops.broadcast_static_shape(self.low.get_shape(), self.high.get_shape())

    def _event_shape_tensor(self):
        return constant([], dtype=DType.int32)

    def _event_shape(self):
        return TensorShape([])

    def _sample_n(self, n, seed=None):
        shape = array_ops.concat([[n], self.batch_shape_tensor()], 0)
        samples = random_ops.random_uniform(shape=shape, dtype=self.dtype, seed=seed)
        return self.low + self.range() * samples

    def _prob(self, x):
        broadcasted_x = x * array_ops.ones(self.batch_shape_tensor(), dtype=x.dtype)
        return array_ops.where_v2(
            math_ops.is_nan(broadcasted_x),
            broadcasted_x,
            array_ops.where_v2(
                math_ops.logical_or(broadcasted_x < self.low, broadcasted_x >= self.high),
                array_ops.zeros_like(broadcasted_x),
                array_ops.ones_like(broadcasted_x) / self.range(),
            ),
        )

    def _cdf(self, x):
        broadcast_shape = array_ops.broadcast_dynamic_shape(array_ops.shape(x), self.batch_shape_tensor())
        zeros = array_ops.zeros(broadcast_shape, dtype=self.dtype)
        ones = array_ops.ones(broadcast_shape, dtype=self.dtype)
        broadcasted_x = x * ones
        result_if_not_big = array_ops.where_v2(x < self.low, zeros, (broadcasted_x - self.low) / self.range())
        return array_ops.where_v2(x >= self.high, ones, result_if_not_big)

    def _entropy(self):
        return math_ops.log(self.range())

    def _mean(self):
        return (self.low + self.high) / 2.0

    def _variance(self):
        return math_ops.square(self.range()) / 12.0

    def _stddev(self):
        return self.range() / math.sqrt(12.0)


class Bernoulli(Distribution):
    """``tf.distributions.Bernoulli(logits=... | probs=...)``: samples of ``dtype`` (int32)."""

    def __init__(
        self, logits=None, probs=None, dtype=DType.int32, validate_args=False, allow_nan_stats=True, name="Bernoulli"
    ):
        parameters = dict(locals())
        with name_scope(name) as name:
            self._logits, self._probs = get_logits_and_probs(
                logits=logits, probs=probs, validate_args=validate_args, name=name
            )
        super().__init__(
            dtype=dtype,
            reparameterization_type=NOT_REPARAMETERIZED,
            validate_args=validate_args,
            allow_nan_stats=allow_nan_stats,
            parameters=parameters,
            graph_parents=[self._logits, self._probs],
            name=name,
        )

    @staticmethod
    def _param_shapes(sample_shape):
        return {"logits": convert_to_tensor(sample_shape, dtype=DType.int32)}

    @property
    def logits(self):
        return self._logits

    @property
    def probs(self):
        return self._probs

    def _batch_shape_tensor(self):
        return array_ops.shape(self._logits)

    def _batch_shape(self):
        return self._logits.get_shape()

    def _event_shape_tensor(self):
        return constant([], dtype=DType.int32)

    def _event_shape(self):
        return TensorShape([])

    def _sample_n(self, n, seed=None):
        new_shape = array_ops.concat([[n], self.batch_shape_tensor()], 0)
        uniform = random_ops.random_uniform(new_shape, seed=seed, dtype=self.probs.dtype)
        sample = math_ops.less(uniform, self.probs)
        return math_ops.cast(sample, self.dtype)

    def _log_prob(self, event):
        if self.validate_args:
            event = embed_check_integer_casting_closed(event, target_dtype=DType.bool)
        event = math_ops.cast(event, self.logits.dtype)
        logits = self.logits
        if not (
            event.get_shape().is_fully_defined()
            and logits.get_shape().is_fully_defined()
            and event.get_shape() == logits.get_shape()
        ):
            logits, event = array_ops.ones_like(event) * logits, array_ops.ones_like(logits) * event
        return -nn_ops.sigmoid_cross_entropy_with_logits(labels=event, logits=logits)

    def _entropy(self):
        return -self.logits * (math_ops.sigmoid(self.logits) - 1) + nn_ops.softplus(-self.logits)

    def _mean(self):
        return array_ops.identity(self.probs)

    def _variance(self):
        return self._mean() * (1.0 - self.probs)

    def _mode(self):
        return math_ops.cast(self.probs > 0.5, self.dtype)


@RegisterKL(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(a, b, name=None):
    with name_scope(name, "kl_bernoulli_bernoulli", values=[a.logits, b.logits]):
        delta_probs0 = nn_ops.softplus(-b.logits) - nn_ops.softplus(-a.logits)
        delta_probs1 = nn_ops.softplus(b.logits) - nn_ops.softplus(a.logits)
        return math_ops.sigmoid(a.logits) * delta_probs0 + math_ops.sigmoid(-a.logits) * delta_probs1


def log_cdf_laplace(x, name="log_cdf_laplace"):
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        lower_solution = -np.log(2.0) + x
        safe_exp_neg_x = math_ops.exp(-math_ops.abs(x))
        upper_solution = math_ops.log1p(-0.5 * safe_exp_neg_x)
        return array_ops.where_v2(x < 0.0, lower_solution, upper_solution)


class Gamma(Distribution):
    """``tf.distributions.Gamma(concentration, rate)``."""

    def __init__(self, concentration, rate, validate_args=False, allow_nan_stats=True, name="Gamma"):
        parameters = dict(locals())
        with name_scope(name, values=[concentration, rate]) as name:
            checks = (
                [check_ops.assert_positive(concentration), check_ops.assert_positive(rate)] if validate_args else []
            )
            with graph_lib.control_dependencies(checks):
                self._concentration = array_ops.identity(concentration, name="concentration")
                self._rate = array_ops.identity(rate, name="rate")
                check_ops.assert_same_float_dtype([self._concentration, self._rate])
        super().__init__(
            dtype=self._concentration.dtype,
            validate_args=validate_args,
            allow_nan_stats=allow_nan_stats,
            reparameterization_type=FULLY_REPARAMETERIZED,
            parameters=parameters,
            graph_parents=[self._concentration, self._rate],
            name=name,
        )

    @staticmethod
    def _param_shapes(sample_shape):
        shape = convert_to_tensor(sample_shape, dtype=DType.int32)
        return dict(zip(("concentration", "rate"), [shape] * 2, strict=True))

    @property
    def concentration(self):
        return self._concentration

    @property
    def rate(self):
        return self._rate

    def _batch_shape_tensor(self):
        return array_ops.broadcast_dynamic_shape(array_ops.shape(self.concentration), array_ops.shape(self.rate))

    def _batch_shape(self):
        return array_ops.broadcast_static_shape(self.concentration.get_shape(), self.rate.get_shape())

    def _event_shape_tensor(self):
        return constant([], dtype=DType.int32)

    def _event_shape(self):
        return TensorShape([])

    def _sample_n(self, n, seed=None):
        return random_ops.random_gamma(shape=[n], alpha=self.concentration, beta=self.rate, dtype=self.dtype, seed=seed)

    def _log_prob(self, x):
        return self._log_unnormalized_prob(x) - self._log_normalization()

    def _cdf(self, x):
        x = self._maybe_assert_valid_sample(x)
        return special_math_ops.igamma(self.concentration, self.rate * x)

    def _log_unnormalized_prob(self, x):
        x = self._maybe_assert_valid_sample(x)
        return math_ops.xlogy(self.concentration - 1.0, x) - self.rate * x

    def _log_normalization(self):
        return math_ops.lgamma(self.concentration) - self.concentration * math_ops.log(self.rate)

    def _entropy(self):
        return (
            self.concentration
            - math_ops.log(self.rate)
            + math_ops.lgamma(self.concentration)
            + ((1.0 - self.concentration) * math_ops.digamma(self.concentration))
        )

    def _mean(self):
        return self.concentration / self.rate

    def _variance(self):
        return self.concentration / math_ops.square(self.rate)

    def _stddev(self):
        return math_ops.sqrt(self.concentration) / self.rate

    def _mode(self):
        mode = (self.concentration - 1.0) / self.rate
        if self.allow_nan_stats:
            nan = array_ops.fill(
                self.batch_shape_tensor(), np.array(np.nan, dtype=self.dtype.as_numpy_dtype()), name="nan"
            )
            return array_ops.where_v2(self.concentration > 1.0, mode, nan)
        return control_flow_ops.with_dependencies(
            [
                check_ops.assert_less(
                    array_ops.ones([], self.dtype),
                    self.concentration,
                    message="mode not defined when any concentration <= 1",
                )
            ],
            mode,
        )

    def _maybe_assert_valid_sample(self, x):
        check_ops.assert_same_float_dtype(tensors=[x], dtype=self.dtype)
        if not self.validate_args:
            return x
        return control_flow_ops.with_dependencies([check_ops.assert_positive(x)], x)


@RegisterKL(Gamma, Gamma)
def _kl_gamma_gamma(g0, g1, name=None):
    with name_scope(name, "kl_gamma_gamma", values=[g0.concentration, g0.rate, g1.concentration, g1.rate]):
        return (
            ((g0.concentration - g1.concentration) * math_ops.digamma(g0.concentration))
            + math_ops.lgamma(g1.concentration)
            - math_ops.lgamma(g0.concentration)
            + g1.concentration * math_ops.log(g0.rate)
            - g1.concentration * math_ops.log(g1.rate)
            + g0.concentration * (g1.rate / g0.rate - 1.0)
        )


class Exponential(Gamma):
    """``tf.distributions.Exponential(rate)``: a Gamma of concentration 1, sampled by inversion as TF's."""

    def __init__(self, rate, validate_args=False, allow_nan_stats=True, name="Exponential"):
        parameters = dict(locals())
        with name_scope(name, values=[rate]) as name:
            self._rate = convert_to_tensor(rate, name="rate")
        super().__init__(
            concentration=array_ops.ones([], dtype=self._rate.dtype),
            rate=self._rate,
            allow_nan_stats=allow_nan_stats,
            validate_args=validate_args,
            name=name,
        )
        self._parameters = parameters
        self._graph_parents += [self._rate]

    @staticmethod
    def _param_shapes(sample_shape):
        return {"rate": convert_to_tensor(sample_shape, dtype=DType.int32)}

    @property
    def rate(self):
        return self._rate

    def _log_survival_function(self, value):
        return self._log_prob(value) - math_ops.log(self._rate)

    def _sample_n(self, n, seed=None):
        shape = array_ops.concat([[n], array_ops.shape(self._rate)], 0)
        sampled = random_ops.random_uniform(
            shape, minval=np.finfo(self.dtype.as_numpy_dtype).tiny, maxval=1.0, seed=seed, dtype=self.dtype
        )
        return -math_ops.log(sampled) / self._rate


class Laplace(Distribution):
    """``tf.distributions.Laplace(loc, scale)``."""

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name="Laplace"):
        parameters = dict(locals())
        with name_scope(name, values=[loc, scale]) as name:
            with graph_lib.control_dependencies([check_ops.assert_positive(scale)] if validate_args else []):
                self._loc = array_ops.identity(loc, name="loc")
                self._scale = array_ops.identity(scale, name="scale")
                check_ops.assert_same_float_dtype([self._loc, self._scale])
            super().__init__(
                dtype=self._loc.dtype,
                reparameterization_type=FULLY_REPARAMETERIZED,
                validate_args=validate_args,
                allow_nan_stats=allow_nan_stats,
                parameters=parameters,
                graph_parents=[self._loc, self._scale],
                name=name,
            )

    @staticmethod
    def _param_shapes(sample_shape):
        return dict(zip(("loc", "scale"), [convert_to_tensor(sample_shape, dtype=DType.int32)] * 2, strict=True))

    @property
    def loc(self):
        return self._loc

    @property
    def scale(self):
        return self._scale

    def _batch_shape_tensor(self):
        return array_ops.broadcast_dynamic_shape(array_ops.shape(self.loc), array_ops.shape(self.scale))

    def _batch_shape(self):
        return array_ops.broadcast_static_shape(self.loc.get_shape(), self.scale.get_shape())

    def _event_shape_tensor(self):
        return constant([], dtype=DType.int32)

    def _event_shape(self):
        return TensorShape([])

    def _sample_n(self, n, seed=None):
        shape = array_ops.concat([[n], self.batch_shape_tensor()], 0)
        np_dtype = self.dtype.as_numpy_dtype
        uniform_samples = random_ops.random_uniform(
            shape=shape,
            minval=np.nextafter(np_dtype(-1.0), np_dtype(0.0)),
            maxval=1.0,
            dtype=self.dtype,
            seed=seed,
        )
        return self.loc - self.scale * math_ops.sign(uniform_samples) * math_ops.log1p(-math_ops.abs(uniform_samples))

    def _log_prob(self, x):
        return self._log_unnormalized_prob(x) - self._log_normalization()

    def _prob(self, x):
        return math_ops.exp(self._log_prob(x))

    def _log_cdf(self, x):
        return log_cdf_laplace(self._z(x))

    def _log_survival_function(self, x):
        return log_cdf_laplace(-self._z(x))

    def _cdf(self, x):
        z = self._z(x)
        return 0.5 + 0.5 * math_ops.sign(z) * (1.0 - math_ops.exp(-math_ops.abs(z)))

    def _log_unnormalized_prob(self, x):
        return -math_ops.abs(self._z(x))

    def _log_normalization(self):
        return math.log(2.0) + math_ops.log(self.scale)

    def _entropy(self):
        scale = self.scale + array_ops.zeros_like(self.loc)
        return math.log(2.0) + 1.0 + math_ops.log(scale)

    def _mean(self):
        return self.loc + array_ops.zeros_like(self.scale)

    def _stddev(self):
        return math.sqrt(2.0) * self.scale + array_ops.zeros_like(self.loc)

    def _mode(self):
        return self._mean()

    def _z(self, x):
        return (x - self.loc) / self.scale


def _broadcast_cat_event_and_params(event, params, base_dtype):
    if event.dtype.is_integer:
        pass
    elif event.dtype.is_floating:
        event = math_ops.cast(event, dtype=DType.int32)
    else:
        raise TypeError(f"`value` should have integer `dtype` or `self.dtype` ({base_dtype})")
    shape_known_statically = (
        params.shape.ndims is not None and params.shape[:-1].is_fully_defined() and event.shape.is_fully_defined()
    )
    if not shape_known_statically or params.shape[:-1] != event.shape:
        params *= array_ops.ones_like(event[..., array_ops.newaxis], dtype=params.dtype)
        params_shape = array_ops.shape(params)[:-1]
        event *= array_ops.ones(params_shape, dtype=event.dtype)
        if params.shape.ndims is not None:
            event.set_shape(TensorShape(params.shape[:-1]))
    return event, params


class Categorical(Distribution):
    """``tf.distributions.Categorical(logits=... | probs=...)`` over the last dimension's classes."""

    def __init__(
        self,
        logits=None,
        probs=None,
        dtype=DType.int32,
        validate_args=False,
        allow_nan_stats=True,
        name="Categorical",
    ):
        parameters = dict(locals())
        with name_scope(name, values=[logits, probs]) as name:
            self._logits, self._probs = get_logits_and_probs(
                logits=logits, probs=probs, validate_args=validate_args, multidimensional=True, name=name
            )
            if validate_args:
                self._logits = embed_check_categorical_event_shape(self._logits)
            logits_shape_static = self._logits.get_shape().with_rank_at_least(1)
            if logits_shape_static.ndims is not None:
                self._batch_rank = convert_to_tensor(
                    logits_shape_static.ndims - 1, dtype=DType.int32, name="batch_rank"
                )
            else:
                with name_scope(name="batch_rank"):
                    self._batch_rank = array_ops.rank(self._logits) - 1
            logits_shape = array_ops.shape(self._logits, name="logits_shape")
            if dimension_value(logits_shape_static[-1]) is not None:
                self._event_size = convert_to_tensor(
                    logits_shape_static.dims[-1].value, dtype=DType.int32, name="event_size"
                )
            else:
                with name_scope(name="event_size"):
                    self._event_size = logits_shape[self._batch_rank]
            if logits_shape_static[:-1].is_fully_defined():
                self._batch_shape_val = constant(
                    logits_shape_static[:-1].as_list(), dtype=DType.int32, name="batch_shape"
                )
            else:
                with name_scope(name="batch_shape"):
                    self._batch_shape_val = logits_shape[:-1]
        super().__init__(
            dtype=dtype,
            reparameterization_type=NOT_REPARAMETERIZED,
            validate_args=validate_args,
            allow_nan_stats=allow_nan_stats,
            parameters=parameters,
            graph_parents=[self._logits, self._probs],
            name=name,
        )

    @property
    def event_size(self):
        return self._event_size

    @property
    def logits(self):
        return self._logits

    @property
    def probs(self):
        return self._probs

    def _batch_shape_tensor(self):
        return array_ops.identity(self._batch_shape_val)

    def _batch_shape(self):
        return self.logits.get_shape()[:-1]

    def _event_shape_tensor(self):
        return constant([], dtype=DType.int32)

    def _event_shape(self):
        return TensorShape([])

    def _sample_n(self, n, seed=None):
        if self.logits.get_shape().ndims == 2:
            logits_2d = self.logits
        else:
            logits_2d = array_ops.reshape(self.logits, [-1, self.event_size])
        sample_dtype = DType.int64 if self.dtype.size > 4 else DType.int32
        draws = random_ops.multinomial(logits_2d, n, seed=seed, output_dtype=sample_dtype)
        draws = array_ops.reshape(array_ops.transpose(draws), array_ops.concat([[n], self.batch_shape_tensor()], 0))
        return math_ops.cast(draws, self.dtype)

    def _cdf(self, k):
        k = convert_to_tensor(k, name="k")
        if self.validate_args:
            k = embed_check_integer_casting_closed(k, target_dtype=DType.int32)
        k, probs = _broadcast_cat_event_and_params(k, self.probs, base_dtype=self.dtype.base_dtype)
        batch_flattened_probs = array_ops.reshape(probs, (-1, self._event_size))
        batch_flattened_k = array_ops.reshape(k, [-1])
        to_sum_over = array_ops.where(
            array_ops.sequence_mask(batch_flattened_k, self._event_size),
            batch_flattened_probs,
            array_ops.zeros_like(batch_flattened_probs),
        )
        batch_flattened_cdf = math_ops.reduce_sum(to_sum_over, axis=-1)
        return array_ops.reshape(batch_flattened_cdf, array_ops.shape(k))

    def _log_prob(self, k):
        k = convert_to_tensor(k, name="k")
        if self.validate_args:
            k = embed_check_integer_casting_closed(k, target_dtype=DType.int32)
        k, logits = _broadcast_cat_event_and_params(k, self.logits, base_dtype=self.dtype.base_dtype)
        return -nn_ops.sparse_softmax_cross_entropy_with_logits(labels=k, logits=logits)

    def _entropy(self):
        return -math_ops.reduce_sum(nn_ops.log_softmax(self.logits) * self.probs, axis=-1)

    def _mode(self):
        ret = math_ops.argmax(self.logits, axis=self._batch_rank)
        ret = math_ops.cast(ret, self.dtype)
        ret.set_shape(self.batch_shape)
        return ret


@RegisterKL(Categorical, Categorical)
def _kl_categorical_categorical(a, b, name=None):
    with name_scope(name, "kl_categorical_categorical", values=[a.logits, b.logits]):
        delta_log_probs1 = nn_ops.log_softmax(a.logits) - nn_ops.log_softmax(b.logits)
        return math_ops.reduce_sum(nn_ops.softmax(a.logits) * delta_log_probs1, axis=-1)
