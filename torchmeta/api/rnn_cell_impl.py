"""``tf.nn.rnn_cell`` (TF1): RNNCell, BasicRNNCell, GRUCell, BasicLSTMCell, LSTMCell, MultiRNNCell, the
Dropout/Residual/Device wrappers and LSTMStateTuple, building TensorFlow's graphs and variable names
(``rnn/basic_lstm_cell/kernel``, ``rnn/multi_rnn_cell/cell_0/gru_cell/gates/kernel``, ...)."""

from __future__ import annotations

import collections
import hashlib
import numbers

from torchmeta import dtypes
from torchmeta.api import array_ops, clip_ops, init_ops, math_ops, nn_ops, random_ops
from torchmeta.api import variable_scope as vs
from torchmeta.api.layers.base import InputSpec, Layer
from torchmeta.api.partitioned_variables import PartitionedVariable, fixed_size_partitioner
from torchmeta.framework import constant_op, tensor_util
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import GraphKeys, Tensor
from torchmeta.framework.nest import assert_same_structure, flatten, is_nested, map_structure
from torchmeta.framework.tensor_shape import TensorShape

__all__ = [
    "RNNCell",
    "LayerRNNCell",
    "BasicRNNCell",
    "GRUCell",
    "LSTMStateTuple",
    "BasicLSTMCell",
    "LSTMCell",
    "MultiRNNCell",
    "DropoutWrapper",
    "ResidualWrapper",
    "DeviceWrapper",
    "assert_like_rnncell",
]

_BIAS_VARIABLE_NAME = "bias"
_WEIGHTS_VARIABLE_NAME = "kernel"


# ---------------------------------------------------------------------------------------------
# Structures of states: (nested) tuples, lists and namedtuples of Tensors or sizes


def _rebuild(like, items):
    """A tuple, list or namedtuple like ``like`` holding ``items``."""
    return type(like)(*items) if hasattr(like, "_fields") else type(like)(items)


def _map_structure_up_to(shallow, fn, *structures):
    """``fn`` over the entries of ``structures`` down to the nesting of ``shallow`` (TF's map_structure_up_to)."""
    if is_nested(shallow):
        return _rebuild(
            shallow, [_map_structure_up_to(s, fn, *(x[i] for x in structures)) for i, s in enumerate(shallow)]
        )
    return fn(*structures)


def _enumerated_map_structure_up_to(shallow, fn, *structures):
    index = [0]

    def enumerated(*args):
        result = fn(index[0], *args)
        index[0] += 1
        return result

    return _map_structure_up_to(shallow, enumerated, *structures)


def _traverse_shallow(fn, structure):
    """TF's get_traverse_shallow_structure for the dropout state filter."""
    decision = fn(structure)
    if is_nested(structure) and is_nested(decision):
        return _rebuild(
            structure,
            [_traverse_shallow(fn, s) if d else False for s, d in zip(structure, decision)],
        )
    return bool(decision)


# ---------------------------------------------------------------------------------------------
# Helpers


def _hasattr(obj, attr_name):
    try:
        getattr(obj, attr_name)
    except AttributeError:
        return False
    return True


def assert_like_rnncell(cell_name, cell):
    """Raises TypeError (TF's message) unless ``cell`` has output_size, state_size, zero_state and __call__."""
    conditions = [
        _hasattr(cell, "output_size"),
        _hasattr(cell, "state_size"),
        _hasattr(cell, "get_initial_state") or _hasattr(cell, "zero_state"),
        callable(cell),
    ]
    errors = [
        "'output_size' property is missing",
        "'state_size' property is missing",
        "either 'zero_state' or 'get_initial_state' method is required",
        "is not callable",
    ]
    if not all(conditions):
        missing = [error for error, ok in zip(errors, conditions) if not ok]
        raise TypeError(f"The argument {cell_name!r} ({cell}) is not an RNNCell: {', '.join(missing)}.")


def _check_supported_dtypes(dtype):
    if dtype is None:
        return
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_complex):
        raise ValueError(f"RNN cell only supports floating point inputs, but received dtype: {dtype}")


def _check_rnn_cell_input_dtypes(inputs):
    for t in flatten(inputs):
        _check_supported_dtypes(t.dtype)


def concat_shapes(prefix, suffix, static=False):
    """TF's rnn_cell_impl._concat: a batch size (int or Tensor) followed by a state size, as an int32
    Tensor, or (``static``) as a list with None for unknown dims (None for an unknown rank).

    Raises:
      ValueError: for a prefix or suffix Tensor of rank above 1, or an unknown part of a Tensor shape.
    """

    def part(x, label):
        if isinstance(x, Tensor):
            value = tensor_util.constant_value(x)
            static_part = TensorShape(None) if value is None else TensorShape(value.reshape(-1).tolist())
            if x.shape.rank == 0:
                x = array_ops.expand_dims(x, 0)
            elif x.shape.rank != 1:
                raise ValueError(f"{label} tensor must be either a scalar or vector, but received tensor: {x}")
            return x, static_part
        shape = TensorShape(x)
        dynamic = constant_op.constant(shape.as_list(), dtype=dtypes.DType.int32) if shape.is_fully_defined() else None
        return dynamic, shape

    p, p_static = part(prefix, "Prefix")
    s, s_static = part(suffix, "suffix")
    if static:
        shape = p_static.concatenate(s_static)
        return shape.as_list() if shape.rank is not None else None
    if p is None or s is None:
        raise ValueError(f"Prefix or suffix can't be None. Received prefix = {prefix} and suffix = {suffix}")
    return array_ops.concat((p, s), 0)


def zero_state_tensors(state_size, batch_size, dtype):
    """Zeros of ``[batch_size] + s`` for each size ``s`` of ``state_size`` (static shapes set)."""

    def get_state_shape(s):
        c = concat_shapes(batch_size, s)
        size = array_ops.zeros(c, dtype=dtype)
        size.set_shape(concat_shapes(batch_size, s, static=True))
        return size

    return map_structure(get_state_shape, state_size)


# ---------------------------------------------------------------------------------------------
# RNNCell


class RNNCell(Layer):
    """The TF1 RNN cell interface: ``output, new_state = cell(inputs, state)``.

    Variables are created in the variable scope the cell is called in (``rnn/<cell name>/...`` when
    called by ``static_rnn``/``dynamic_rnn``) through a custom getter that also tracks them as the
    cell's weights.
    """

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
        self._is_tf_rnn_cell = True
        self._rnncell_scope = None

    def __call__(self, inputs, state, scope=None):
        if scope is not None:
            with vs.variable_scope(scope, custom_getter=self._rnn_get_variable) as scope:
                return super().__call__(inputs, state, scope=scope)
        if self._rnncell_scope is None:
            self._rnncell_scope = vs.variable_scope(vs.get_variable_scope(), custom_getter=self._rnn_get_variable)
        with self._rnncell_scope:
            return super().__call__(inputs, state)

    def _rnn_get_variable(self, getter, *args, **kwargs):
        variable = getter(*args, **kwargs)
        trainable_now = graph_lib.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        parts = list(variable) if isinstance(variable, PartitionedVariable) else [variable]
        trainable = parts[0] in trainable_now
        target = self._trainable_weights if trainable else self._non_trainable_weights
        if all(variable is not v for v in target):
            target.append(variable)
        return variable

    @property
    def state_size(self):
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self):
        raise NotImplementedError("Abstract method")

    def build(self, _):
        self.built = True

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """Zeros shaped like the state, for ``inputs``' batch and dtype (or the given ones).

        Raises:
          ValueError: when the batch size or dtype is missing or disagrees with ``inputs``.
        """
        if inputs is not None:
            inputs = graph_lib.convert_to_tensor(inputs, name="inputs")
            if batch_size is not None:
                static = tensor_util.constant_value(batch_size) if isinstance(batch_size, Tensor) else batch_size
                if inputs.shape[0].value != static:
                    raise ValueError(
                        "batch size from input tensor is different from the input param. Input tensor batch: "
                        f"{inputs.shape[0].value}, batch_size: {batch_size}"
                    )
            if dtype is not None and inputs.dtype != dtype:
                raise ValueError(
                    "dtype from input tensor is different from the input param. Input tensor dtype: "
                    f"{inputs.dtype}, dtype: {dtype}"
                )
            batch_size = inputs.shape[0].value or array_ops.shape(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None or dtype is None:
            raise ValueError(
                "batch_size and dtype cannot be None while constructing initial state: "
                f"batch_size={batch_size}, dtype={dtype}"
            )
        return self.zero_state(batch_size, dtype)

    def zero_state(self, batch_size, dtype):
        """Zero-filled state tensor(s) for a batch (in a ``<CellClass>ZeroState`` name scope)."""
        with graph_lib.name_scope(type(self).__name__ + "ZeroState"):
            return zero_state_tensors(self.state_size, batch_size, dtype)


class LayerRNNCell(RNNCell):
    """An RNN cell whose variables come from ``add_weight`` in ``build`` (scoped by the Layer rules)."""

    def __call__(self, inputs, state, scope=None, *args, **kwargs):
        return Layer.__call__(self, inputs, state, *args, scope=scope, **kwargs)


def _activation(activation):
    return activation if activation else math_ops.tanh


class BasicRNNCell(LayerRNNCell):
    """``output = new_state = act(W [x, h] + b)``; variables ``basic_rnn_cell/kernel`` and ``bias``."""

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        self.input_spec = InputSpec(ndim=2)
        self._num_units = num_units
        self._activation = _activation(activation)

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        input_depth = _input_depth(inputs_shape)
        _check_supported_dtypes(self.dtype)
        self._kernel = self.add_variable(_WEIGHTS_VARIABLE_NAME, shape=[input_depth + self._num_units, self._num_units])
        self._bias = self.add_variable(
            _BIAS_VARIABLE_NAME, shape=[self._num_units], initializer=init_ops.zeros_initializer(dtype=self.dtype)
        )
        self.built = True

    def call(self, inputs, state):
        _check_rnn_cell_input_dtypes([inputs, state])
        gate_inputs = math_ops.matmul(array_ops.concat([inputs, state], 1), self._kernel)
        gate_inputs = nn_ops.bias_add(gate_inputs, self._bias)
        output = self._activation(gate_inputs)
        return output, output


def _input_depth(inputs_shape):
    shape = TensorShape(inputs_shape)
    depth = shape[-1].value if shape.rank else None
    if depth is None:
        raise ValueError(f"Expected inputs.shape[-1] to be known, received shape: {shape}")
    return depth


class GRUCell(LayerRNNCell):
    """Gated recurrent unit (Cho et al. 2014); variables ``gru_cell/gates/{kernel,bias}`` and
    ``gru_cell/candidate/{kernel,bias}`` (gate bias initialized to 1)."""

    def __init__(
        self,
        num_units,
        activation=None,
        reuse=None,
        kernel_initializer=None,
        bias_initializer=None,
        name=None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        self.input_spec = InputSpec(ndim=2)
        self._num_units = num_units
        self._activation = _activation(activation)
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        input_depth = _input_depth(inputs_shape)
        _check_supported_dtypes(self.dtype)
        self._gate_kernel = self.add_variable(
            f"gates/{_WEIGHTS_VARIABLE_NAME}",
            shape=[input_depth + self._num_units, 2 * self._num_units],
            initializer=self._kernel_initializer,
        )
        self._gate_bias = self.add_variable(
            f"gates/{_BIAS_VARIABLE_NAME}",
            shape=[2 * self._num_units],
            initializer=(
                self._bias_initializer
                if self._bias_initializer is not None
                else init_ops.constant_initializer(1.0, dtype=self.dtype)
            ),
        )
        self._candidate_kernel = self.add_variable(
            f"candidate/{_WEIGHTS_VARIABLE_NAME}",
            shape=[input_depth + self._num_units, self._num_units],
            initializer=self._kernel_initializer,
        )
        self._candidate_bias = self.add_variable(
            f"candidate/{_BIAS_VARIABLE_NAME}",
            shape=[self._num_units],
            initializer=(
                self._bias_initializer
                if self._bias_initializer is not None
                else init_ops.zeros_initializer(dtype=self.dtype)
            ),
        )
        self.built = True

    def call(self, inputs, state):
        _check_rnn_cell_input_dtypes([inputs, state])
        gate_inputs = math_ops.matmul(array_ops.concat([inputs, state], 1), self._gate_kernel)
        gate_inputs = nn_ops.bias_add(gate_inputs, self._gate_bias)
        value = math_ops.sigmoid(gate_inputs)
        r, u = array_ops.split(value=value, num_or_size_splits=2, axis=1)
        r_state = r * state
        candidate = math_ops.matmul(array_ops.concat([inputs, r_state], 1), self._candidate_kernel)
        candidate = nn_ops.bias_add(candidate, self._candidate_bias)
        c = self._activation(candidate)
        new_h = u * state + (1 - u) * c
        return new_h, new_h


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """``(c, h)``: the LSTM cell state and its output."""

    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent dtypes for internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


class BasicLSTMCell(LayerRNNCell):
    """LSTM (Hochreiter & Schmidhuber) with ``forget_bias`` added to the forget gate; one ``kernel`` of
    shape ``[input + units, 4 * units]`` (gates i, j, f, o) and one ``bias``."""

    def __init__(
        self,
        num_units,
        forget_bias=1.0,
        state_is_tuple=True,
        activation=None,
        reuse=None,
        name=None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        self.input_spec = InputSpec(ndim=2)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _activation(activation)

    @property
    def state_size(self):
        if self._state_is_tuple:
            return LSTMStateTuple(self._num_units, self._num_units)
        return 2 * self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        input_depth = _input_depth(inputs_shape)
        _check_supported_dtypes(self.dtype)
        self._kernel = self.add_variable(
            _WEIGHTS_VARIABLE_NAME, shape=[input_depth + self._num_units, 4 * self._num_units]
        )
        self._bias = self.add_variable(
            _BIAS_VARIABLE_NAME, shape=[4 * self._num_units], initializer=init_ops.zeros_initializer(dtype=self.dtype)
        )
        self.built = True

    def call(self, inputs, state):
        _check_rnn_cell_input_dtypes([inputs, state])
        sigmoid = math_ops.sigmoid
        one = constant_op.constant(1, dtype=dtypes.DType.int32)
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = array_ops.split(value=state, num_or_size_splits=2, axis=one)
        gate_inputs = math_ops.matmul(array_ops.concat([inputs, h], 1), self._kernel)
        gate_inputs = nn_ops.bias_add(gate_inputs, self._bias)
        i, j, f, o = array_ops.split(value=gate_inputs, num_or_size_splits=4, axis=one)
        forget_bias_tensor = constant_op.constant(self._forget_bias, dtype=f.dtype)
        add, multiply = math_ops.add, math_ops.multiply
        new_c = add(multiply(c, sigmoid(add(f, forget_bias_tensor))), multiply(sigmoid(i), self._activation(j)))
        new_h = multiply(self._activation(new_c), sigmoid(o))
        new_state = LSTMStateTuple(new_c, new_h) if self._state_is_tuple else array_ops.concat([new_c, new_h], 1)
        return new_h, new_state


class LSTMCell(LayerRNNCell):
    """LSTM with optional peepholes (``w_f_diag``, ``w_i_diag``, ``w_o_diag``), cell clipping and a
    projection (``projection/kernel``, with optional clipping)."""

    def __init__(
        self,
        num_units,
        use_peepholes=False,
        cell_clip=None,
        initializer=None,
        num_proj=None,
        proj_clip=None,
        num_unit_shards=None,
        num_proj_shards=None,
        forget_bias=1.0,
        state_is_tuple=True,
        activation=None,
        reuse=None,
        name=None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        _check_supported_dtypes(self.dtype)
        self.input_spec = InputSpec(ndim=2)
        self._num_units = num_units
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._num_unit_shards = num_unit_shards
        self._num_proj_shards = num_proj_shards
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _activation(activation)
        if num_proj:
            self._state_size = LSTMStateTuple(num_units, num_proj) if state_is_tuple else num_units + num_proj
            self._output_size = num_proj
        else:
            self._state_size = LSTMStateTuple(num_units, num_units) if state_is_tuple else 2 * num_units
            self._output_size = num_units

    @property
    def state_size(self):
        return self._state_size

    @property
    def output_size(self):
        return self._output_size

    def build(self, inputs_shape):
        input_depth = _input_depth(inputs_shape)
        _check_supported_dtypes(self.dtype)
        h_depth = self._num_units if self._num_proj is None else self._num_proj
        unit_partitioner = fixed_size_partitioner(self._num_unit_shards) if self._num_unit_shards is not None else None
        self._kernel = self.add_variable(
            _WEIGHTS_VARIABLE_NAME,
            shape=[input_depth + h_depth, 4 * self._num_units],
            initializer=self._initializer,
            partitioner=unit_partitioner,
        )
        initializer = init_ops.zeros_initializer if self.dtype is None else init_ops.zeros_initializer(dtype=self.dtype)
        self._bias = self.add_variable(_BIAS_VARIABLE_NAME, shape=[4 * self._num_units], initializer=initializer)
        if self._use_peepholes:
            self._w_f_diag = self.add_variable("w_f_diag", shape=[self._num_units], initializer=self._initializer)
            self._w_i_diag = self.add_variable("w_i_diag", shape=[self._num_units], initializer=self._initializer)
            self._w_o_diag = self.add_variable("w_o_diag", shape=[self._num_units], initializer=self._initializer)
        if self._num_proj is not None:
            proj_partitioner = (
                fixed_size_partitioner(self._num_proj_shards) if self._num_proj_shards is not None else None
            )
            self._proj_kernel = self.add_variable(
                f"projection/{_WEIGHTS_VARIABLE_NAME}",
                shape=[self._num_units, self._num_proj],
                initializer=self._initializer,
                partitioner=proj_partitioner,
            )
        self.built = True

    def call(self, inputs, state):
        _check_rnn_cell_input_dtypes([inputs, state])
        num_proj = self._num_units if self._num_proj is None else self._num_proj
        sigmoid = math_ops.sigmoid
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = array_ops.slice(state, [0, 0], [-1, self._num_units])
            m_prev = array_ops.slice(state, [0, self._num_units], [-1, num_proj])
        input_size = inputs.shape.with_rank(2)[1].value
        if input_size is None:
            raise ValueError(
                f"Could not infer input size from inputs.get_shape()[-1].Received input shape: {inputs.shape}"
            )
        lstm_matrix = math_ops.matmul(array_ops.concat([inputs, m_prev], 1), self._kernel)
        lstm_matrix = nn_ops.bias_add(lstm_matrix, self._bias)
        i, j, f, o = array_ops.split(value=lstm_matrix, num_or_size_splits=4, axis=1)
        if self._use_peepholes:
            c = sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev + sigmoid(
                i + self._w_i_diag * c_prev
            ) * self._activation(j)
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = clip_ops.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self._w_o_diag * c) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = math_ops.matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = clip_ops.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else array_ops.concat([c, m], 1)
        return m, new_state


class MultiRNNCell(RNNCell):
    """Cells stacked in layers (``multi_rnn_cell/cell_0/...``, ``cell_1/...``); the state is a tuple
    of the cells' states.

    Raises:
      ValueError: without cells, or with tuple states and ``state_is_tuple=False``.
      TypeError: when ``cells`` is not a list or tuple.
    """

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not is_nested(cells):
            raise TypeError(f"cells must be a list or tuple, but received: {cells}.")
        self._cells = cells
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(is_nested(c.state_size) for c in self._cells):
            raise ValueError(
                "Some cells return tuples of states, but the flag state_is_tuple is not set. State sizes are: "
                f"{[c.state_size for c in self._cells]}"
            )

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(cell.state_size for cell in self._cells)
        return sum(cell.state_size for cell in self._cells)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    def zero_state(self, batch_size, dtype):
        with graph_lib.name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)
            return super().zero_state(batch_size, dtype)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        weights = []
        for cell in self._cells:
            if isinstance(cell, Layer):
                weights += cell.trainable_weights
        return weights

    @property
    def non_trainable_weights(self):
        weights = []
        for cell in self._cells:
            if isinstance(cell, Layer):
                weights += cell.non_trainable_weights
        if not self.trainable:
            trainable = []
            for cell in self._cells:
                if isinstance(cell, Layer):
                    trainable += cell.trainable_weights
            return trainable + weights
        return weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def call(self, inputs, state):
        cur_state_pos = 0
        cur_inp = inputs
        new_states = []
        for i, cell in enumerate(self._cells):
            with vs.variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    if not is_nested(state):
                        raise ValueError(
                            f"Expected state to be a tuple of length {len(self.state_size)}, but received: {state}"
                        )
                    cur_state = state[i]
                else:
                    cur_state = array_ops.slice(state, [0, cur_state_pos], [-1, cell.state_size])
                    cur_state_pos += cell.state_size
                cur_inp, new_state = cell(cur_inp, cur_state)
                new_states.append(new_state)
        new_states = tuple(new_states) if self._state_is_tuple else array_ops.concat(new_states, 1)
        return cur_inp, new_states


# ---------------------------------------------------------------------------------------------
# Wrappers


class _RNNCellWrapper(RNNCell):
    """A cell around another cell (the wrapped cell's variables keep their names)."""

    def __init__(self, cell, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assert_like_rnncell("cell", cell)
        self.cell = cell

    def __call__(self, inputs, state, scope=None):
        return self._call_wrapped_cell(inputs, state, cell_call_fn=self.cell.__call__, scope=scope)

    @property
    def wrapped_cell(self):
        return self.cell

    @property
    def state_size(self):
        return self.cell.state_size

    @property
    def output_size(self):
        return self.cell.output_size

    def zero_state(self, batch_size, dtype):
        with graph_lib.name_scope(type(self).__name__ + "ZeroState"):
            return self.cell.zero_state(batch_size, dtype)

    @property
    def trainable_weights(self):
        return self.cell.trainable_weights

    @property
    def non_trainable_weights(self):
        return self.cell.non_trainable_weights


def _default_dropout_state_filter_visitor(substate):
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)
    return True


class DropoutWrapper(_RNNCellWrapper):
    """Dropout on a cell's inputs, outputs and (the ``h`` part of) its state, with keep probabilities;
    ``variational_recurrent`` uses one mask per sequence (Gal & Ghahramani).

    Raises:
      ValueError: for a constant keep probability outside [0, 1], or variational dropout without
        ``dtype`` (and ``input_size`` when the inputs are dropped).
    """

    def __init__(
        self,
        cell,
        input_keep_prob=1.0,
        output_keep_prob=1.0,
        state_keep_prob=1.0,
        variational_recurrent=False,
        input_size=None,
        dtype=None,
        seed=None,
        dropout_state_filter_visitor=None,
        **kwargs,
    ):
        super().__init__(cell, dtype=dtype, **kwargs)
        if dropout_state_filter_visitor is not None and not callable(dropout_state_filter_visitor):
            raise TypeError("dropout_state_filter_visitor must be callable")
        self._dropout_state_filter = dropout_state_filter_visitor or _default_dropout_state_filter_visitor
        with graph_lib.name_scope("DropoutWrapperInit"):
            for prob, attr in (
                (input_keep_prob, "input_keep_prob"),
                (state_keep_prob, "state_keep_prob"),
                (output_keep_prob, "output_keep_prob"),
            ):
                tensor_prob = graph_lib.convert_to_tensor(prob)
                const_prob = tensor_util.constant_value(tensor_prob)
                if const_prob is not None:
                    if const_prob < 0 or const_prob > 1:
                        raise ValueError(f"Parameter {attr} must be between 0 and 1. Received {const_prob}")
                    setattr(self, f"_{attr}", float(const_prob))
                else:
                    setattr(self, f"_{attr}", tensor_prob)
        self._variational_recurrent = variational_recurrent
        self._input_size = input_size
        self._seed = seed
        self._recurrent_input_noise = None
        self._recurrent_state_noise = None
        self._recurrent_output_noise = None
        if variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")

            def batch_noise(s, inner_seed):
                shape = array_ops.concat(([1], TensorShape(s).as_list()), 0)
                return random_ops.random_uniform(shape, seed=inner_seed, dtype=dtype)

            if not isinstance(self._input_keep_prob, numbers.Real) or self._input_keep_prob < 1.0:
                if input_size is None:
                    raise ValueError(
                        "When variational_recurrent=True and input_keep_prob < 1.0 or is unknown, input_size must "
                        "be provided"
                    )
                self._recurrent_input_noise = _enumerated_map_structure_up_to(
                    input_size, lambda i, s: batch_noise(s, inner_seed=self._gen_seed("input", i)), input_size
                )
            self._recurrent_state_noise = _enumerated_map_structure_up_to(
                cell.state_size, lambda i, s: batch_noise(s, inner_seed=self._gen_seed("state", i)), cell.state_size
            )
            self._recurrent_output_noise = _enumerated_map_structure_up_to(
                cell.output_size, lambda i, s: batch_noise(s, inner_seed=self._gen_seed("output", i)), cell.output_size
            )

    def _gen_seed(self, salt_prefix, index):
        if self._seed is None:
            return None
        string = (str(self._seed) + f"{salt_prefix}_{index}").encode("utf-8")
        return int(hashlib.md5(string).hexdigest()[:8], 16) & 0x7FFFFFFF

    def build(self, inputs_shape):
        self.cell.build(inputs_shape)
        self.built = True

    def _variational_recurrent_dropout_value(self, index, value, noise, keep_prob):
        random_tensor = keep_prob + noise
        binary_tensor = math_ops.floor(random_tensor)
        ret = math_ops.divide(value, keep_prob) * binary_tensor
        ret.set_shape(value.shape)
        return ret

    def _dropout(self, values, salt_prefix, recurrent_noise, keep_prob, shallow=None):
        if shallow is None:
            shallow = values
        if not self._variational_recurrent:

            def dropout(i, do_dropout, v):
                if not isinstance(do_dropout, bool) or do_dropout:
                    return nn_ops.dropout_v2(v, rate=1.0 - keep_prob, seed=self._gen_seed(salt_prefix, i))
                return v

            return _enumerated_map_structure_up_to(shallow, dropout, shallow, values)

        def variational(i, do_dropout, v, n):
            if not isinstance(do_dropout, bool) or do_dropout:
                return self._variational_recurrent_dropout_value(i, v, n, keep_prob)
            return v

        return _enumerated_map_structure_up_to(shallow, variational, shallow, values, recurrent_noise)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        def should_dropout(p):
            return (not isinstance(p, float)) or p < 1

        if should_dropout(self._input_keep_prob):
            inputs = self._dropout(inputs, "input", self._recurrent_input_noise, self._input_keep_prob)
        output, new_state = cell_call_fn(inputs, state, **kwargs)
        if should_dropout(self._state_keep_prob):
            shallow = _traverse_shallow(self._dropout_state_filter, new_state)
            new_state = self._dropout(new_state, "state", self._recurrent_state_noise, self._state_keep_prob, shallow)
        if should_dropout(self._output_keep_prob):
            output = self._dropout(output, "output", self._recurrent_output_noise, self._output_keep_prob)
        return output, new_state


class ResidualWrapper(_RNNCellWrapper):
    """``output = inputs + cell output`` (or ``residual_fn(inputs, outputs)``)."""

    def __init__(self, cell, residual_fn=None, **kwargs):
        super().__init__(cell, **kwargs)
        self._residual_fn = residual_fn

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        outputs, new_state = cell_call_fn(inputs, state, **kwargs)

        def default_residual_fn(inputs, outputs):
            assert_same_structure(inputs, outputs)
            for inp, out in zip(flatten(inputs), flatten(outputs)):
                inp.shape.assert_is_compatible_with(out.shape)
            return map_structure(lambda inp, out: inp + out, inputs, outputs)

        return (self._residual_fn or default_residual_fn)(inputs, outputs), new_state


class DeviceWrapper(_RNNCellWrapper):
    """Runs the cell (and builds its zero state) on ``device``."""

    def __init__(self, cell, device, **kwargs):
        super().__init__(cell, **kwargs)
        self._device = device

    def zero_state(self, batch_size, dtype):
        with graph_lib.name_scope(type(self).__name__ + "ZeroState"):
            with graph_lib.device(self._device):
                return self.cell.zero_state(batch_size, dtype)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        with graph_lib.device(self._device):
            return cell_call_fn(inputs, state, **kwargs)
