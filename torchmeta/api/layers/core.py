"""``tf.layers.Dense``/``Dropout``/``Flatten`` and ``tf.layers.dense``/``dropout``/``flatten``."""

from __future__ import annotations

import functools
import numbers
import operator

from torchmeta import dtypes
from torchmeta.api import array_ops, init_ops, math_ops, nn_ops
from torchmeta.api import smart_cond as smart_cond_lib
from torchmeta.api.cond import cond
from torchmeta.api.layers.base import InputSpec, Layer
from torchmeta.api.variables import Variable
from torchmeta.framework import constant_op, tensor_util
from torchmeta.framework.graph import Tensor, convert_to_tensor
from torchmeta.framework.tensor_shape import TensorShape

__all__ = ["Dense", "Dropout", "Flatten", "dense", "dropout", "flatten", "smart_cond", "constant_value"]

# The default bias initializer of the TF1 layers (one instance, as TF's signature holds one).
ZEROS = init_ops.zeros_initializer()


def smart_cond(pred, true_fn=None, false_fn=None, name=None):
    """The layers' ``training`` switch (tf_keras' control_flow_util.smart_cond): a Python branch for a bool
    or constant ``pred``, ``tf.cond`` for a Tensor known only at run time or a bool Variable."""
    if isinstance(pred, Variable):
        return cond(pred, true_fn=true_fn, false_fn=false_fn, name=name)
    return smart_cond_lib.smart_cond(pred, true_fn=true_fn, false_fn=false_fn, name=name)


def constant_value(pred):
    """The bool value of a layer's ``training`` argument, or None when only the run decides it (tf_keras').

    Raises:
      TypeError: for a ``pred`` that is neither a Tensor, a Variable, a bool, 1 nor 0 (tf_keras' message).
    """
    if isinstance(pred, Tensor):
        return tensor_util.constant_value(pred)
    if isinstance(pred, Variable):
        return None
    if isinstance(pred, bool) or (isinstance(pred, int) and pred in (0, 1)) or type(pred).__name__ == "bool_":
        return bool(pred)
    raise TypeError(f"`pred` must be a Tensor, or a Python bool, or 1 or 0. Received: {type(pred)}")


class Dense(Layer):
    """``outputs = activation(inputs @ kernel + bias)``; kernel ``[in, units]`` (glorot uniform by default)."""

    def __init__(
        self,
        units,
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
        self.units = int(units) if not isinstance(units, int) else units
        if self.units < 0:
            raise ValueError(
                f"Received an invalid value for `units`, expected a positive integer. Received: units={units}"
            )
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        dtype = dtypes.as_dtype(self.dtype or "float32")
        if not (dtype.is_floating or dtype.is_complex):
            raise TypeError(f"A Dense layer can only be built with a floating-point dtype. Received: dtype={dtype}")
        input_shape = TensorShape(input_shape)
        last_dim = input_shape[-1].value
        if last_dim is None:
            raise ValueError(
                "The last dimension of the inputs to a Dense layer should be defined. Found None. Full input shape "
                f"received: {input_shape}"
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last_dim})
        self.kernel = self.add_weight(
            "kernel",
            shape=[last_dim, self.units],
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            dtype=self.dtype,
            trainable=True,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                shape=[self.units],
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                dtype=self.dtype,
                trainable=True,
            )
        else:
            self.bias = None
        self.built = True

    def call(self, inputs):
        if inputs.dtype.base_dtype != dtypes.as_dtype(self.dtype):
            inputs = math_ops.cast(inputs, dtype=self.dtype)
        rank = inputs.shape.rank
        if rank == 2 or rank is None:
            outputs = math_ops.matmul(a=inputs, b=self.kernel)
        else:
            outputs = math_ops.tensordot(inputs, self.kernel, [[rank - 1], [0]])
            outputs.set_shape([*inputs.shape.as_list()[:-1], self.kernel.shape.as_list()[-1]])
        if self.use_bias:
            outputs = nn_ops.bias_add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        input_shape = TensorShape(input_shape)
        return input_shape[:-1].concatenate(TensorShape([self.units]))


def dense(
    inputs,
    units,
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
    """``tf.layers.dense``: a Dense layer applied once (variables ``dense/kernel``, ``dense/bias``, ...).

    Example::

        logits = tf.layers.dense(hidden, 10, name="logits")   # logits/kernel, logits/bias
    """
    layer = Dense(
        units,
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
        name=name,
        _scope=name,
        _reuse=reuse,
    )
    return layer(inputs)


class Dropout(Layer):
    """Zeroes each element with probability ``rate`` (scaling the rest by 1 / (1 - rate)) when training."""

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if isinstance(rate, (int, float)) and not 0 <= rate <= 1:
            raise ValueError(f"Invalid value {rate} received for `rate`, expected a value between 0 and 1.")
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    def _get_noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        concrete_inputs_shape = array_ops.shape(inputs)
        noise_shape = [concrete_inputs_shape[i] if value is None else value for i, value in enumerate(self.noise_shape)]
        return convert_to_tensor(noise_shape)

    def call(self, inputs, training=False):
        if isinstance(self.rate, numbers.Real) and self.rate == 0:
            return array_ops.identity(inputs)

        def dropped_inputs():
            return nn_ops.dropout(inputs, rate=self.rate, noise_shape=self._get_noise_shape(inputs), seed=self.seed)

        return smart_cond(training, dropped_inputs, lambda: array_ops.identity(inputs))

    def compute_output_shape(self, input_shape):
        return TensorShape(input_shape)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """``tf.layers.dropout``: dropout when ``training``, else an Identity. ``training`` is a Python bool or a
    bool Tensor (an ``is_training`` placeholder), which builds a ``tf.cond`` between the two as TF does."""
    layer = Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)
    return layer(inputs, training=training)


class Flatten(Layer):
    """Flattens all but the batch dimension (``channels_first`` inputs are transposed to channels last first)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        data_format = "channels_last" if data_format is None else data_format.lower()
        if data_format not in ("channels_first", "channels_last"):
            raise ValueError(
                f'The `data_format` argument must be one of "channels_first", "channels_last". Received: {data_format}'
            )
        self.data_format = data_format
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.shape.rank is not None and inputs.shape.rank > 1:
            rank = inputs.shape.rank
            inputs = array_ops.transpose(inputs, perm=[0, *range(2, rank), 1])
        shape = inputs.shape
        if shape.rank == 1:
            return array_ops.expand_dims(inputs, axis=1)
        batch_dim = shape[0].value if shape.rank is not None else None
        non_batch_dims = shape[1:]
        if non_batch_dims.is_fully_defined():
            last_dim = int(functools.reduce(operator.mul, non_batch_dims.as_list(), 1))
            flattened_shape = constant_op.constant([-1, last_dim])
        elif batch_dim is not None:
            flattened_shape = constant_op.constant([int(batch_dim), -1])
        else:
            flattened_shape = [array_ops.shape(inputs)[0], -1]
        return array_ops.reshape(inputs, flattened_shape)

    def compute_output_shape(self, input_shape):
        dims = TensorShape(input_shape).as_list()
        rest = dims[1:]
        flat = None if None in rest else int(functools.reduce(operator.mul, rest, 1))
        return TensorShape([dims[0], flat])


def flatten(inputs, name=None, data_format="channels_last"):
    """``tf.layers.flatten``: ``[batch, ...]`` -> ``[batch, product of the rest]``."""
    return Flatten(name=name, data_format=data_format)(inputs)
