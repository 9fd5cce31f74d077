"""``tf.layers.BatchNormalization`` / ``tf.layers.batch_normalization`` (TF1 semantics: fused for 4-D
and 5-D inputs, moving averages updated by AssignSub ops that go to UPDATE_OPS)."""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.api import array_ops, init_ops, math_ops, nn_ops, state_ops
from torchmeta.api import variable_scope as vs
from torchmeta.api.layers.base import InputSpec, Layer
from torchmeta.api.layers.core import ZEROS, constant_value, smart_cond
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import convert_to_tensor
from torchmeta.framework.tensor_shape import TensorShape

__all__ = ["BatchNormalization", "batch_normalization", "BatchNorm", "batch_norm"]

ONES = init_ops.ones_initializer()


class BatchNormalization(Layer):
    """Normalizes with the batch's statistics when training (updating moving mean/variance) and the
    moving ones otherwise. Variables: gamma, beta (trainable), moving_mean, moving_variance.

    Raises:
      ValueError: for renorm, virtual batches or adjustment (not built here), or an axis without a
        static size.
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer=ZEROS,
        gamma_initializer=ONES,
        moving_mean_initializer=ZEROS,
        moving_variance_initializer=ONES,
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        fused=None,
        trainable=True,
        virtual_batch_size=None,
        adjustment=None,
        name=None,
        **kwargs,
    ):
        super().__init__(name=name, trainable=trainable, **kwargs)
        if renorm or virtual_batch_size is not None or adjustment is not None:
            raise ValueError(
                "tf.layers.BatchNormalization: renorm, virtual_batch_size and adjustment are not built by "
                "torchmeta; normalize without them"
            )
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: {axis!r}")
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.renorm = renorm
        self.fused = True if fused is None else fused

    @property
    def _param_dtype(self):
        if self.dtype in ("float16", "bfloat16"):
            return dtypes.DType.float32
        return dtypes.as_dtype(self.dtype or "float32")

    def _fused_can_be_used(self):
        axis = [self.axis] if isinstance(self.axis, int) else self.axis
        if len(axis) > 1 or axis[0] not in (-4, -3, -1, 1, 3, 4):
            return False
        return self.dtype in ("float16", "bfloat16", "float32", None)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        rank = input_shape.rank
        if rank is None:
            raise ValueError(f"Input has undefined rank. Received: input_shape={input_shape}.")
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        for i, x in enumerate(axes):
            if x < 0:
                axes[i] = rank + x
        for x in axes:
            if x < 0 or x >= rank:
                raise ValueError(
                    f"Invalid value for `axis` argument. Expected 0 <= axis < inputs.rank (with inputs.rank={rank}). "
                    f"Received: axis={tuple(axes)}"
                )
        if len(axes) != len(set(axes)):
            raise ValueError(f"Duplicate axis: {tuple(axes)}")
        if self.fused:
            self.fused = rank in (4, 5) and self._fused_can_be_used()
        self.axis = axes
        if self.fused:
            formats = {(1, 4): "NCHW", (1, 5): "NCDHW", (3, 4): "NHWC", (4, 5): "NDHWC"}
            if (axes[0], rank) in formats:
                self._data_format = formats[(axes[0], rank)]
            elif rank == 5:
                self.fused = False
            else:
                raise ValueError(
                    "Unsupported axis. The use of `fused=True` is only possible with `axis=1` or `axis=3` for 4D "
                    f"input tensors. Received: axis={tuple(axes)}"
                )
        axis_to_dim = {x: input_shape[x].value for x in axes}
        for dim in axis_to_dim.values():
            if dim is None:
                raise ValueError(
                    f"Input has undefined `axis` dimension. Received input with shape {tuple(input_shape)} and "
                    f"axis={tuple(axes)}"
                )
        self.input_spec = InputSpec(ndim=rank, axes=axis_to_dim)
        if len(axis_to_dim) == 1:
            param_shape = (next(iter(axis_to_dim.values())),)
        else:
            param_shape = [axis_to_dim.get(i, 1) for i in range(rank)]
        self._param_shape = param_shape
        self.gamma = self._param("gamma", self.gamma_initializer, self.gamma_regularizer, self.gamma_constraint)
        self.gamma = self.gamma if self.scale else None
        self.beta = self._param("beta", self.beta_initializer, self.beta_regularizer, self.beta_constraint)
        self.beta = self.beta if self.center else None
        # The moving statistics are never partitioned (TF switches the scope's partitioner off for them).
        partitioner = self._scope.partitioner if self._scope else None
        if partitioner:
            self._scope.set_partitioner(None)
        try:
            self.moving_mean = self._moving("moving_mean", self.moving_mean_initializer)
            self.moving_variance = self._moving("moving_variance", self.moving_variance_initializer)
        finally:
            if partitioner:
                self._scope.set_partitioner(partitioner)
        self.built = True

    def _param(self, name, initializer, regularizer, constraint):
        if (name == "gamma" and not self.scale) or (name == "beta" and not self.center):
            return None
        return self.add_weight(
            name=name,
            shape=self._param_shape,
            dtype=self._param_dtype,
            initializer=initializer,
            regularizer=regularizer,
            constraint=constraint,
            trainable=True,
            experimental_autocast=False,
        )

    def _moving(self, name, initializer):
        return self.add_weight(
            name=name,
            shape=self._param_shape,
            dtype=self._param_dtype,
            initializer=initializer,
            synchronization=vs.VariableSynchronization.ON_READ,
            trainable=False,
            aggregation=vs.VariableAggregation.MEAN,
            experimental_autocast=False,
        )

    def _assign_moving_average(self, variable, value, momentum):
        with graph_lib.name_scope("AssignMovingAvg") as scope:
            with graph_lib.colocate_with(variable):
                decay = convert_to_tensor(1.0 - momentum, name="decay")
                if decay.dtype != variable.dtype.base_dtype:
                    decay = math_ops.cast(decay, variable.dtype.base_dtype)
                update_delta = (variable - math_ops.cast(value, variable.dtype)) * decay
                return state_ops.assign_sub(variable, update_delta, name=scope)

    def _fused_batch_norm(self, inputs, training):
        beta = self.beta if self.center else array_ops.constant(0.0, dtype=self._param_dtype, shape=self._param_shape)
        gamma = self.gamma if self.scale else array_ops.constant(1.0, dtype=self._param_dtype, shape=self._param_shape)

        def training_fn():
            return nn_ops.fused_batch_norm(
                inputs,
                gamma,
                beta,
                mean=self.moving_mean,
                variance=self.moving_variance,
                epsilon=self.epsilon,
                is_training=True,
                data_format=self._data_format,
                exponential_avg_factor=None,
            )

        def inference_fn():
            return nn_ops.fused_batch_norm(
                inputs,
                gamma,
                beta,
                mean=self.moving_mean,
                variance=self.moving_variance,
                epsilon=self.epsilon,
                is_training=False,
                data_format=self._data_format,
            )

        output, mean, variance = smart_cond(training, training_fn, inference_fn)
        training_value = constant_value(training)
        if training_value or training_value is None:
            if training_value is None:
                momentum = smart_cond(training, lambda: self.momentum, lambda: 1.0)
            else:
                momentum = convert_to_tensor(self.momentum)
            self.add_update(lambda: self._assign_moving_average(self.moving_mean, mean, momentum))
            self.add_update(lambda: self._assign_moving_average(self.moving_variance, variance, momentum))
        return output

    def call(self, inputs, training=False):
        inputs = math_ops.cast(inputs, self.dtype)
        if self.fused:
            return self._fused_batch_norm(inputs, training)
        inputs_dtype = inputs.dtype.base_dtype
        if inputs_dtype in (dtypes.DType.float16, dtypes.DType.bfloat16):
            inputs = math_ops.cast(inputs, dtypes.DType.float32)
        input_shape = inputs.shape
        ndims = len(input_shape)
        reduction_axes = [i for i in range(ndims) if i not in self.axis]
        broadcast_shape = [1] * ndims
        broadcast_shape[self.axis[0]] = input_shape[self.axis[0]].value

        def broadcast(v):
            if v is not None and len(v.shape) != ndims and reduction_axes != list(range(ndims - 1)):
                return array_ops.reshape(v, broadcast_shape)
            return v

        scale, offset = broadcast(self.gamma), broadcast(self.beta)
        training_value = constant_value(training)
        if training_value is False or training_value == 0:
            mean, variance = self.moving_mean, self.moving_variance
        else:
            keep_dims = len(self.axis) > 1
            mean, variance = nn_ops.moments(
                math_ops.cast(inputs, self._param_dtype), reduction_axes, keep_dims=keep_dims
            )
            moving_mean, moving_variance = self.moving_mean, self.moving_variance
            mean = smart_cond(training, lambda: mean, lambda: convert_to_tensor(moving_mean))
            variance = smart_cond(training, lambda: variance, lambda: convert_to_tensor(moving_variance))
            new_mean, new_variance = mean, variance

            def mean_update():
                return smart_cond(
                    training,
                    lambda: self._assign_moving_average(self.moving_mean, new_mean, self.momentum),
                    lambda: self.moving_mean,
                )

            def variance_update():
                return smart_cond(
                    training,
                    lambda: self._assign_moving_average(self.moving_variance, new_variance, self.momentum),
                    lambda: self.moving_variance,
                )

            self.add_update(mean_update)
            self.add_update(variance_update)
        mean = math_ops.cast(mean, inputs.dtype)
        variance = math_ops.cast(variance, inputs.dtype)
        if offset is not None:
            offset = math_ops.cast(offset, inputs.dtype)
        if scale is not None:
            scale = math_ops.cast(scale, inputs.dtype)
        outputs = nn_ops.batch_normalization(inputs, broadcast(mean), broadcast(variance), offset, scale, self.epsilon)
        if inputs_dtype in (dtypes.DType.float16, dtypes.DType.bfloat16):
            outputs = math_ops.cast(outputs, inputs_dtype)
        outputs.set_shape(input_shape)
        return outputs

    def compute_output_shape(self, input_shape):
        return TensorShape(input_shape)


def batch_normalization(
    inputs,
    axis=-1,
    momentum=0.99,
    epsilon=1e-3,
    center=True,
    scale=True,
    beta_initializer=ZEROS,
    gamma_initializer=ONES,
    moving_mean_initializer=ZEROS,
    moving_variance_initializer=ONES,
    beta_regularizer=None,
    gamma_regularizer=None,
    beta_constraint=None,
    gamma_constraint=None,
    training=False,
    trainable=True,
    name=None,
    reuse=None,
    renorm=False,
    renorm_clipping=None,
    renorm_momentum=0.99,
    fused=None,
    virtual_batch_size=None,
    adjustment=None,
):
    """``tf.layers.batch_normalization``: a BatchNormalization layer applied once.

    ``training`` is a Python bool or a bool Tensor (``tf.cond`` between the batch's and the moving
    statistics, as TF builds it); the moving-average updates go
    to ``tf.GraphKeys.UPDATE_OPS``, which the training op must depend on, as in TensorFlow::

        h = tf.layers.batch_normalization(h, training=True)
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train_op = optimizer.minimize(loss)
    """
    layer = BatchNormalization(
        axis=axis,
        momentum=momentum,
        epsilon=epsilon,
        center=center,
        scale=scale,
        beta_initializer=beta_initializer,
        gamma_initializer=gamma_initializer,
        moving_mean_initializer=moving_mean_initializer,
        moving_variance_initializer=moving_variance_initializer,
        beta_regularizer=beta_regularizer,
        gamma_regularizer=gamma_regularizer,
        beta_constraint=beta_constraint,
        gamma_constraint=gamma_constraint,
        renorm=renorm,
        renorm_clipping=renorm_clipping,
        renorm_momentum=renorm_momentum,
        fused=fused,
        trainable=trainable,
        virtual_batch_size=virtual_batch_size,
        adjustment=adjustment,
        name=name,
        _reuse=reuse,
        _scope=name,
    )
    return layer(inputs, training=training)


BatchNorm = BatchNormalization
batch_norm = batch_normalization
