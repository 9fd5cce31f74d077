"""``tf.layers.Layer``: TF1's layer base (tf_keras' legacy_tf_layers.base over Keras' v1 Layer).

A layer owns a variable scope, chosen on its first call (``dense``, ``dense_1``, ... or the name it was
given) and re-entered with reuse on later calls, so its variables are ``<scope>/kernel``,
``<scope>/bias`` ... exactly as TensorFlow names them. Weights come from ``tf.get_variable``;
regularization losses go to REGULARIZATION_LOSSES and update ops (batch norm's moving averages) to
UPDATE_OPS after each call, as TensorFlow does.
"""

from __future__ import annotations

import collections
import inspect
import re

import numpy as np

from torchmeta import dtypes
from torchmeta.api import array_ops, math_ops
from torchmeta.api import variable_scope as vs
from torchmeta.api.partitioned_variables import PartitionedVariable
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import GraphKeys, Tensor
from torchmeta.framework.tensor_shape import TensorShape

__all__ = ["Layer", "InputSpec"]

_LAYER_NAME_UIDS = ("__layer_name_uids",)


def to_snake_case(name: str) -> str:
    """Keras' class name -> layer name: ``Conv2DTranspose`` -> ``conv2d_transpose``."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    if insecure[0] != "_":
        return insecure
    return "private" + insecure


def unique_layer_name(base_name: str) -> str:
    """``base_name_1``, ``base_name_2``, ... per graph (Keras' unique_object_name, not zero-based)."""
    uids = graph_lib.get_collection(_LAYER_NAME_UIDS)
    if not uids:
        uids = [collections.Counter()]
        graph_lib.add_to_collection(_LAYER_NAME_UIDS, uids[0])
    counter = uids[0]
    counter[base_name] += 1
    return f"{base_name}_{counter[base_name]}"


class InputSpec:
    """The rank, dtype, shape and fixed axes a layer accepts (Keras' InputSpec)."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None):
        self.dtype = dtypes.as_dtype(dtype).name if dtype is not None else None
        shape = TensorShape(shape)
        if shape.rank is None:
            shape = None
        else:
            shape = tuple(shape.as_list())
        if shape is not None:
            self.ndim = len(shape)
            self.shape = shape
        else:
            self.ndim = ndim
            self.shape = None
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})


def _display_shape(shape):
    return str(tuple(shape.as_list())) if shape.rank is not None else str(shape)


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Keras' checks of ``inputs`` against the layer's InputSpec(s), with Keras' messages.

    Raises:
      ValueError: for a wrong number of inputs, rank, dtype, axis value or shape.
    """
    if not input_spec:
        return
    specs = list(input_spec) if isinstance(input_spec, (list, tuple)) else [input_spec]
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(inputs) != len(specs):
        raise ValueError(
            f'Layer "{layer_name}" expects {len(specs)} input(s), but it received {len(inputs)} input tensors. '
            f"Inputs received: {inputs}"
        )
    for index, (x, spec) in enumerate(zip(inputs, specs)):
        if spec is None:
            continue
        shape = x.shape
        if shape.rank is None:
            return
        prefix = f'Input {index} of layer "{layer_name}" is incompatible with the layer: '
        ndim = shape.rank
        if spec.ndim is not None and ndim != spec.ndim:
            raise ValueError(
                f"{prefix}expected ndim={spec.ndim}, found ndim={ndim}. Full shape received: {tuple(shape)}"
            )
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{prefix}expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(
                f"{prefix}expected min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape received: {tuple(shape)}"
            )
        if spec.dtype is not None and x.dtype.base_dtype.name != spec.dtype:
            raise ValueError(f"{prefix}expected dtype={spec.dtype}, found dtype={x.dtype}")
        dims = shape.as_list()
        for axis, value in spec.axes.items():
            value = getattr(value, "value", value)
            if value is not None and dims[int(axis)] not in (value, None):
                raise ValueError(
                    f'Input {index} of layer "{layer_name}" is incompatible with the layer: expected axis {axis} '
                    f"of input shape to have value {value}, but received input with shape {_display_shape(shape)}"
                )
        if spec.shape is not None:
            for spec_dim, dim in zip(spec.shape, dims):
                if spec_dim is not None and dim is not None and spec_dim != dim:
                    raise ValueError(f"{prefix}expected shape={spec.shape}, found shape={_display_shape(shape)}")


def _flatten(structure):
    if isinstance(structure, (list, tuple)):
        out = []
        for item in structure:
            out.extend(_flatten(item))
        return out
    if isinstance(structure, dict):
        out = []
        for key in sorted(structure):
            out.extend(_flatten(structure[key]))
        return out
    return [structure]


def _to_tensor(x):
    if isinstance(x, (np.ndarray, float, int)):
        return graph_lib.convert_to_tensor(x)
    return x


def add_elements_to_collection(elements, collection_list):
    """Appends each element (once) to each collection."""
    for name in [collection_list] if isinstance(collection_list, str) else collection_list:
        collection = graph_lib.get_collection_ref(name)
        present = {id(e) for e in collection}
        for element in _flatten(elements):
            if id(element) not in present:
                collection.append(element)
                present.add(id(element))


class Layer:
    """A TF1 layer: ``build(input_shape)`` creates weights, ``call(inputs)`` builds the graph.

    Args (as ``tf.layers.Layer``): ``trainable``, ``name`` (also the variable scope unless the
    layer is reused), ``dtype`` (default: the first input's), ``_scope``/``_reuse`` (what the
    ``tf.layers.*`` functions pass).
    """

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        scope = kwargs.pop("_scope", None)
        self._reuse = kwargs.pop("_reuse", None)
        self._activity_regularizer = kwargs.pop("activity_regularizer", None)
        kwargs.pop("autocast", None)
        kwargs.pop("input_shape", None)
        kwargs.pop("batch_input_shape", None)
        if kwargs:
            raise TypeError(f"Keyword argument not understood: {sorted(kwargs)[0]}")
        self._trainable = trainable
        self._dtype = None if dtype is None else dtypes.as_dtype(dtype)
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._updates = []
        self._losses = []
        self._callable_losses = []
        self.built = False
        self.input_spec = None
        self._init_set_name(name)
        self._call_has_scope_arg = "scope" in inspect.signature(self.call).parameters
        self._always_reuse_variable_scope = None
        self._current_scope = None
        if scope:
            with vs.variable_scope(scope) as captured_scope:
                self._scope = captured_scope
        else:
            self._scope = None

    # -- names and scopes ---------------------------------------------------------------------------
    def _init_set_name(self, name):
        if isinstance(name, vs.VariableScope):
            base_name = name.name
            self._name = unique_layer_name(to_snake_case(type(self).__name__))
        else:
            base_name = name
            self._name = name
        if not name:
            base_name = to_snake_case(type(self).__name__)
            self._name = unique_layer_name(base_name)
        self._base_name = base_name

    @property
    def name(self):
        return self._name

    @property
    def scope_name(self):
        if not self._scope:
            raise ValueError(
                f'No name available for layer scope because the layer "{self._name}" has not been used yet. The '
                "scope name  is determined the first time the layer instance is called. You must therefore call "
                "the layer before querying `scope_name`."
            )
        return self._scope.name

    def _set_scope(self, scope=None):
        if self._scope is None:
            if self._reuse:
                with vs.variable_scope(scope if scope is not None else self._base_name) as captured_scope:
                    self._scope = captured_scope
            else:
                with vs.variable_scope(scope, default_name=self._base_name) as captured_scope:
                    self._scope = captured_scope

    def _name_scope(self):
        return self._current_scope.original_name_scope

    # -- properties ---------------------------------------------------------------------------------
    @property
    def dtype(self):
        return None if self._dtype is None else self._dtype.name

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)

    @property
    def trainable_weights(self):
        return list(self._trainable_weights) if self._trainable else []

    @property
    def non_trainable_weights(self):
        if self._trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def updates(self):
        return list(self._updates)

    @property
    def losses(self):
        """The layer's losses; regularizers given as callables are built again on each access (as Keras)."""
        out = list(self._losses)
        for regularizer in self._callable_losses:
            loss = regularizer()
            if loss is not None:
                out.append(loss)
        return out

    # -- weights, losses, updates ------------------------------------------------------------------------
    def add_weight(
        self,
        name,
        shape,
        dtype=None,
        initializer=None,
        regularizer=None,
        trainable=None,
        constraint=None,
        use_resource=None,
        synchronization=vs.VariableSynchronization.AUTO,
        aggregation=vs.VariableAggregation.NONE,
        partitioner=None,
        **kwargs,
    ):
        """A variable ``<layer scope>/<name>`` from ``tf.get_variable`` (shared when the layer reuses).

        Raises:
          TypeError: for an unknown keyword argument.
          ValueError: for a trainable ON_READ variable.
        """
        for kwarg in kwargs:
            if kwarg != "experimental_autocast":
                raise TypeError("Unknown keyword argument:", kwarg)
        if synchronization == vs.VariableSynchronization.ON_READ:
            if trainable:
                raise ValueError(
                    "Synchronization value can be set to VariableSynchronization.ON_READ only for non-trainable "
                    "variables. You have specified trainable=True and synchronization=VariableSynchronization.ON_READ."
                )
            trainable = False
        elif trainable is None:
            trainable = True
        existing = set(graph_lib.get_collection(GraphKeys.GLOBAL_VARIABLES))
        if dtype is None:
            dtype = self.dtype or dtypes.DType.float32
        self._set_scope(None)
        reuse = self.built or self._reuse
        prev_len_trainable = len(self._trainable_weights)
        with vs.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as scope:
            self._current_scope = scope
            with graph_lib.name_scope(self._name_scope()):
                use_resource = use_resource or scope.use_resource
                if initializer is None:
                    initializer = scope.initializer
                variable = vs.get_variable(
                    name,
                    shape=shape,
                    dtype=dtypes.as_dtype(dtype),
                    initializer=initializer,
                    trainable=trainable and self.trainable,
                    constraint=constraint,
                    partitioner=partitioner,
                    use_resource=use_resource,
                    synchronization=synchronization,
                    aggregation=aggregation,
                )
                parts = list(variable) if isinstance(variable, PartitionedVariable) else [variable]
                for part in parts:
                    target = self._trainable_weights if trainable else self._non_trainable_weights
                    if part not in target:
                        target.append(part)
                if regularizer and all(part not in existing for part in parts):
                    self._handle_weight_regularization(name, variable, regularizer)
                trainable_now = graph_lib.get_collection(GraphKeys.TRAINABLE_VARIABLES)
                if trainable and self.trainable and parts[0] not in trainable_now:
                    # A custom getter or scope made it non-trainable after all.
                    extra = self._trainable_weights[prev_len_trainable:]
                    self._trainable_weights = self._trainable_weights[:prev_len_trainable]
                    self._non_trainable_weights += extra
        return variable

    def add_variable(self, *args, **kwargs):
        """The TF1 name of ``add_weight``."""
        return self.add_weight(*args, **kwargs)

    def _handle_weight_regularization(self, name, variable, regularizer):
        def loss_for(v):
            with graph_lib.name_scope(name + "/Regularizer"):
                return regularizer(v)

        parts = list(variable) if isinstance(variable, PartitionedVariable) else [variable]
        for v in parts:
            self.add_loss(lambda v=v: loss_for(v))

    def add_loss(self, losses, inputs=None):
        """Adds loss tensors (or callables building them) to the layer and to REGULARIZATION_LOSSES."""
        new_losses = []
        for loss in _flatten(losses):
            if loss is None:
                continue
            if callable(loss) and not isinstance(loss, Tensor):
                self._callable_losses.append(loss)
                tensor = loss()
                if tensor is not None:
                    new_losses.append(tensor)
            else:
                loss = graph_lib.convert_to_tensor(loss)
                self._losses.append(loss)
                new_losses.append(loss)
        add_elements_to_collection(new_losses, GraphKeys.REGULARIZATION_LOSSES)

    def add_update(self, updates, inputs=None):
        """Records update ops; ``__call__`` adds them to UPDATE_OPS."""
        for update in _flatten(updates):
            if callable(update) and not isinstance(update, (Tensor, graph_lib.Operation)):
                update = update()
            # Keras keeps the ops (what UPDATE_OPS holds in TF).
            self._updates.append(update.op if isinstance(update, Tensor) else update)

    # -- building and calling ------------------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, inputs, **kwargs):
        return inputs

    def _maybe_build(self, inputs):
        if self.built:
            return
        flat = _flatten(inputs)
        assert_input_compatibility(self.input_spec, inputs, self._name)
        if self._dtype is None and flat and hasattr(flat[0], "dtype"):
            self._dtype = flat[0].dtype.base_dtype
        if isinstance(inputs, (list, tuple)):
            input_shapes = [getattr(x, "shape", None) for x in inputs]
        else:
            input_shapes = getattr(inputs, "shape", None)
        self.build(input_shapes)
        self.built = True

    def __call__(self, inputs, *args, **kwargs):
        """Builds (first call) and applies the layer inside its variable scope and name scope."""
        scope = kwargs.pop("scope", None)
        self._set_scope(scope)
        if self.built:
            if self._always_reuse_variable_scope is None:
                self._always_reuse_variable_scope = vs.variable_scope(
                    self._scope, reuse=True, auxiliary_name_scope=False
                )
            scope_context_manager = self._always_reuse_variable_scope
        else:
            scope_context_manager = vs.variable_scope(self._scope, reuse=self._reuse, auxiliary_name_scope=False)
        if isinstance(inputs, (list, tuple)):
            inputs = type(inputs)(_to_tensor(x) for x in inputs)
        else:
            inputs = _to_tensor(inputs)
        with scope_context_manager as scope:
            self._current_scope = scope
            if self._call_has_scope_arg:
                kwargs["scope"] = scope
            with graph_lib.name_scope(self._name_scope()):
                self._maybe_build(inputs)
                assert_input_compatibility(self.input_spec, inputs, self._name)
                outputs = self.call(inputs, *args, **kwargs)
                self._handle_activity_regularization(outputs)
        add_elements_to_collection(self.updates, GraphKeys.UPDATE_OPS)
        return outputs

    def apply(self, *args, **kwargs):
        return self(*args, **kwargs)

    def _handle_activity_regularization(self, outputs):
        if self._activity_regularizer is None:
            return
        for output in _flatten(outputs):
            with graph_lib.name_scope("ActivityRegularizer"):
                activity_loss = self._activity_regularizer(output)
                batch_size = math_ops.cast(array_ops.shape(output)[0], activity_loss.dtype)
                self.add_loss(activity_loss / batch_size)

    @property
    def activity_regularizer(self):
        return self._activity_regularizer

    def count_params(self):
        return int(sum(np.prod(w.shape.as_list()) for w in self.weights))
