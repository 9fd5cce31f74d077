"""``tf.nn.static_rnn``, ``static_state_saving_rnn`` and ``static_bidirectional_rnn``: RNNs unrolled over a
Python list of time steps, with TensorFlow's variable scopes (``rnn/...``, ``bidirectional_rnn/fw/...``)."""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.api import array_ops, math_ops, tensor_array_ops
from torchmeta.api import cond as cond_lib
from torchmeta.api import variable_scope as vs
from torchmeta.api import while_loop as while_loop_lib
from torchmeta.api.control_flow_assert import Assert
from torchmeta.api.rnn_cell_impl import assert_like_rnncell, concat_shapes
from torchmeta.framework import control_flow_util, tensor_util
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.constant_op import constant
from torchmeta.framework.graph import Tensor
from torchmeta.framework.nest import assert_same_structure, flatten, is_nested, map_structure, pack_sequence_as
from torchmeta.framework.tensor_shape import Dimension, TensorShape, as_shape, unknown_shape

__all__ = [
    "static_rnn",
    "static_state_saving_rnn",
    "static_bidirectional_rnn",
    "dynamic_rnn",
    "bidirectional_dynamic_rnn",
    "raw_rnn",
]


def _infer_state_dtype(explicit_dtype, state):
    if explicit_dtype is not None:
        return explicit_dtype
    if is_nested(state):
        inferred = [element.dtype for element in flatten(state)]
        if not inferred:
            raise ValueError(f"Unable to infer dtype from argument state={state}.")
        if not all(x == inferred[0] for x in inferred):
            raise ValueError(
                f"Argument state={state} has tensors of different inferred dtypes. Unable to infer a single "
                f"representative dtype. Dtypes received: {inferred}"
            )
        return inferred[0]
    return state.dtype


def _should_cache():
    """Whether to cache variable reads on their op's device: only outside while loops (v1 or v2)."""
    graph = graph_lib.get_default_graph()
    if control_flow_util.GetContainingWhileContext(graph._get_control_flow_context()) is not None:
        return False
    while graph is not None:
        if getattr(graph, "_is_while_body", False):
            return False
        graph = getattr(graph, "outer_graph", None)
    return True


def _rnn_step(
    time,
    sequence_length,
    min_sequence_length,
    max_sequence_length,
    zero_output,
    state,
    call_cell,
    skip_conditionals=False,
):
    """One RNN step where each batch entry past its length keeps its last state and outputs zeros.

    As TF: unless ``skip_conditionals`` (dynamic_rnn), a tf.cond returns zeros and the state once
    every sequence ended (``time >= max_sequence_length``), and another skips the selects while every
    sequence still runs (``time < min_sequence_length``).
    """
    flat_state = flatten(state)
    flat_zero_output = flatten(zero_output)
    copy_cond = time >= sequence_length

    def copy_one_through(output, new_output):
        if getattr(output, "_is_tensor_array", False) or output.shape.rank == 0:
            return new_output
        with graph_lib.colocate_with(new_output):
            return array_ops.where(copy_cond, output, new_output)

    def copy_some_through(flat_new_output, flat_new_state):
        flat_new_output = [copy_one_through(z, n) for z, n in zip(flat_zero_output, flat_new_output)]
        flat_new_state = [copy_one_through(s, n) for s, n in zip(flat_state, flat_new_state)]
        return flat_new_output + flat_new_state

    def maybe_copy_some_through():
        new_output, new_state = call_cell()
        assert_same_structure(zero_output, new_output)
        assert_same_structure(state, new_state)
        flat_new_state = flatten(new_state)
        flat_new_output = flatten(new_output)
        return cond_lib.cond(
            time < min_sequence_length,
            lambda: flat_new_output + flat_new_state,
            lambda: copy_some_through(flat_new_output, flat_new_state),
        )

    if skip_conditionals:
        new_output, new_state = call_cell()
        assert_same_structure(zero_output, new_output)
        assert_same_structure(state, new_state)
        final_output_and_state = copy_some_through(flatten(new_output), flatten(new_state))
    else:
        final_output_and_state = cond_lib.cond(
            time >= max_sequence_length, lambda: flat_zero_output + flat_state, maybe_copy_some_through
        )
    final_output = final_output_and_state[: len(flat_zero_output)]
    final_state = final_output_and_state[len(flat_zero_output) :]
    for output, flat_output in zip(final_output, flat_zero_output):
        output.set_shape(flat_output.shape)
    for substate, flat_substate in zip(final_state, flat_state):
        if not getattr(substate, "_is_tensor_array", False):
            substate.set_shape(flat_substate.shape)
    return pack_sequence_as(zero_output, final_output), pack_sequence_as(state, final_state)


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    """``tf.nn.static_rnn``: ``cell`` applied to each of ``inputs`` (a list of ``[batch, input_size]``
    tensors) in turn; returns (outputs list, final state). Variables are created at the first step in
    scope ``rnn`` (or ``scope``) and reused at the others.

    Raises:
      TypeError: for a cell that is not an RNNCell, or inputs that are not a sequence.
      ValueError: for empty inputs, an unknown input size, or neither ``initial_state`` nor ``dtype``.

    Example::

        cell = tf.nn.rnn_cell.BasicLSTMCell(64)
        outputs, state = tf.nn.static_rnn(cell, tf.unstack(x, axis=1), dtype=tf.float32)
    """
    assert_like_rnncell("cell", cell)
    if not is_nested(inputs):
        raise TypeError(f"Argument `inputs` must be a sequence. Received: {inputs}")
    if not inputs:
        raise ValueError("Argument `inputs` must not be empty.")
    outputs = []
    with vs.variable_scope(scope or "rnn") as varscope:
        # TF caches variable reads on the op's own device outside while loops.
        if _should_cache() and varscope.caching_device is None:
            varscope.set_caching_device(lambda op: op.device)
        first_input = inputs
        while is_nested(first_input):
            first_input = first_input[0]
        if first_input.shape.rank != 1:
            input_shape = first_input.shape.with_rank_at_least(2)
            fixed_batch_size = input_shape[0]
            for flat_input in flatten(inputs):
                input_shape = flat_input.shape.with_rank_at_least(2)
                batch_size, input_size = input_shape[0], input_shape[1:]
                fixed_batch_size.assert_is_compatible_with(batch_size)
                for i, size in enumerate(input_size.as_list()):
                    if size is None:
                        raise ValueError(
                            f"Input size (dimension {i} of input {flat_input}) must be accessible via shape "
                            "inference, but saw value None."
                        )
        else:
            fixed_batch_size = first_input.shape.with_rank_at_least(1)[0]
        if fixed_batch_size.value:
            batch_size = fixed_batch_size.value
        else:
            batch_size = array_ops.shape(first_input)[0]
        if initial_state is not None:
            state = initial_state
        else:
            if not dtype:
                raise ValueError("If no initial_state is provided, argument `dtype` must be specified")
            if getattr(cell, "get_initial_state", None) is not None:
                state = cell.get_initial_state(inputs=None, batch_size=batch_size, dtype=dtype)
            else:
                state = cell.zero_state(batch_size, dtype)
        if sequence_length is not None:
            sequence_length = graph_lib.convert_to_tensor(sequence_length, name="sequence_length")
            if sequence_length.shape.rank not in (None, 1):
                raise ValueError(
                    f"Argument `sequence_length` must be a vector of length {batch_size}. Received "
                    f"sequence_length={sequence_length}."
                )

            def create_zero_output(output_size):
                size = concat_shapes(batch_size, output_size)
                output = array_ops.zeros(array_ops.stack(size), _infer_state_dtype(dtype, state))
                shape = concat_shapes(fixed_batch_size.value, output_size, static=True)
                output.set_shape(TensorShape(shape))
                return output

            output_size = cell.output_size
            zero_output = pack_sequence_as(output_size, tuple(create_zero_output(s) for s in flatten(output_size)))
            sequence_length = math_ops.cast(sequence_length, dtypes.DType.int32)
            min_sequence_length = math_ops.reduce_min(sequence_length)
            max_sequence_length = math_ops.reduce_max(sequence_length)
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()

            def call_cell(input_=input_, state=state):
                return cell(input_, state)

            if sequence_length is not None:
                output, state = _rnn_step(
                    time, sequence_length, min_sequence_length, max_sequence_length, zero_output, state, call_cell
                )
            else:
                output, state = call_cell()
            outputs.append(output)
        return outputs, state


def _reverse_seq(input_seq, lengths):
    """The time steps reversed (each batch entry within its length, when ``lengths`` are given)."""
    if lengths is None:
        return list(reversed(input_seq))
    flat_input_seq = tuple(flatten(input_) for input_ in input_seq)
    flat_results = [[] for _ in range(len(input_seq))]
    for sequence in zip(*flat_input_seq):
        input_shape = unknown_shape(rank=sequence[0].shape.rank)
        for input_ in sequence:
            input_shape.assert_is_compatible_with(input_.shape)
            input_.set_shape(input_shape)
        s_joined = array_ops.stack(sequence)
        s_reversed = array_ops.reverse_sequence(s_joined, lengths, 0, 1)
        result = array_ops.unstack(s_reversed)
        for r, flat_result in zip(result, flat_results):
            r.set_shape(input_shape)
            flat_result.append(r)
    return [pack_sequence_as(input_, flat_result) for input_, flat_result in zip(input_seq, flat_results)]


def static_state_saving_rnn(cell, inputs, state_saver, state_name, sequence_length=None, scope=None):
    """``tf.nn.static_state_saving_rnn``: ``static_rnn`` starting from ``state_saver.state(name)`` and saving
    the final state with ``state_saver.save_state(name, value)`` (one name per state component when the
    cell's state is a tuple); the last output and the state are Identities that depend on the saves.

    Raises:
      ValueError: ``state_name`` not shaped as ``cell.state_size`` (TF's messages); as static_rnn.
    """
    state_size = cell.state_size
    state_is_tuple = is_nested(state_size)
    state_name_tuple = is_nested(state_name)
    if state_is_tuple != state_name_tuple:
        raise ValueError(
            "Argument `state_name` should be the same type as `cell.state_size`. Received: "
            f"state_name={state_name!s}, cell.state_size={state_size!s}."
        )
    if state_is_tuple:
        state_name_flat = flatten(state_name)
        state_size_flat = flatten(state_size)
        if len(state_name_flat) != len(state_size_flat):
            raise ValueError(
                "Number of elements in argument `state_name` and `cell.state_size` are mismatched. Received "
                f"state_name={state_name} with {len(state_name_flat)} elements and "
                f"cell.state_size={cell.state_size} with {len(state_size_flat)} elements."
            )
        initial_state = pack_sequence_as(state_size, [state_saver.state(s) for s in state_name_flat])
    else:
        initial_state = state_saver.state(state_name)
    outputs, state = static_rnn(cell, inputs, initial_state=initial_state, sequence_length=sequence_length, scope=scope)
    if state_is_tuple:
        flat_state = flatten(state)
        save_state = [state_saver.save_state(n, sub) for n, sub in zip(flatten(state_name), flat_state)]
    else:
        save_state = [state_saver.save_state(state_name, state)]
    with graph_lib.control_dependencies(save_state):
        last_output = outputs[-1]
        flat_last_output = [array_ops.identity(output) for output in flatten(last_output)]
        outputs[-1] = pack_sequence_as(last_output, flat_last_output)
        if state_is_tuple:
            state = pack_sequence_as(state, [array_ops.identity(s) for s in flat_state])
        else:
            state = array_ops.identity(state)
    return outputs, state


def static_bidirectional_rnn(
    cell_fw, cell_bw, inputs, initial_state_fw=None, initial_state_bw=None, dtype=None, sequence_length=None, scope=None
):
    """``tf.nn.static_bidirectional_rnn``: a forward RNN and a backward one over the reversed inputs
    (scopes ``bidirectional_rnn/fw`` and ``bidirectional_rnn/bw``); returns (outputs with both
    directions concatenated, forward final state, backward final state).

    Raises:
      TypeError, ValueError: as static_rnn.
    """
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    if not is_nested(inputs):
        raise TypeError(f"Argument `inputs` must be a sequence. Received: {inputs}")
    if not inputs:
        raise ValueError("Argument `inputs` must not be empty.")
    with vs.variable_scope(scope or "bidirectional_rnn"):
        with vs.variable_scope("fw") as fw_scope:
            output_fw, output_state_fw = static_rnn(
                cell_fw, inputs, initial_state_fw, dtype, sequence_length, scope=fw_scope
            )
        with vs.variable_scope("bw") as bw_scope:
            reversed_inputs = _reverse_seq(inputs, sequence_length)
            tmp, output_state_bw = static_rnn(
                cell_bw, reversed_inputs, initial_state_bw, dtype, sequence_length, scope=bw_scope
            )
    output_bw = _reverse_seq(tmp, sequence_length)
    flat_outputs = tuple(array_ops.concat([fw, bw], 1) for fw, bw in zip(flatten(output_fw), flatten(output_bw)))
    outputs = pack_sequence_as(output_fw, flat_outputs)
    return outputs, output_state_fw, output_state_bw


def _transpose_batch_time(x):
    """``x`` with its first two dimensions swapped (unchanged below rank 2), static shape kept."""
    x_static_shape = x.shape
    if x_static_shape.rank is not None and x_static_shape.rank < 2:
        return x
    x_rank = array_ops.rank(x)
    x_t = array_ops.transpose(x, array_ops.concat(([1, 0], math_ops.range(2, x_rank)), axis=0))
    x_t.set_shape(
        TensorShape([x_static_shape.dims[1].value, x_static_shape.dims[0].value]).concatenate(x_static_shape[2:])
    )
    return x_t


def _best_effort_input_batch_size(flat_input):
    """The static batch size of time-major inputs when known, else the first input's dynamic one."""
    for input_ in flat_input:
        shape = input_.shape
        if shape.rank is None:
            continue
        if shape.rank < 2:
            raise ValueError(f"Input tensor should have rank >= 2. Received input={input_} of rank {shape.rank}")
        batch_size = shape.dims[1].value
        if batch_size is not None:
            return batch_size
    return array_ops.shape(flat_input[0])[1]


def _dimension_at_index(shape, index):
    """Dimension ``index`` of ``shape`` (an unknown Dimension for an unknown rank), as TF's."""
    return Dimension(None) if shape.rank is None else shape.dims[index]


def _maybe_tensor_shape_from_tensor(shape):
    if isinstance(shape, Tensor):
        return as_shape(tensor_util.constant_value(shape))
    return shape


def bidirectional_dynamic_rnn(
    cell_fw,
    cell_bw,
    inputs,
    sequence_length=None,
    initial_state_fw=None,
    initial_state_bw=None,
    dtype=None,
    parallel_iterations=None,
    swap_memory=False,
    time_major=False,
    scope=None,
):
    """``tf.nn.bidirectional_dynamic_rnn``: dynamic_rnn forward (scope ``bidirectional_rnn/fw``) and
    over the reversed inputs (``bidirectional_rnn/bw``, reversed within each ``sequence_length``).

    Returns:
      ((output_fw, output_bw), (output_state_fw, output_state_bw)), both outputs in input order.

    Raises:
      TypeError, ValueError: as dynamic_rnn.
    """
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    with vs.variable_scope(scope or "bidirectional_rnn"):
        with vs.variable_scope("fw") as fw_scope:
            output_fw, output_state_fw = dynamic_rnn(
                cell=cell_fw,
                inputs=inputs,
                sequence_length=sequence_length,
                initial_state=initial_state_fw,
                dtype=dtype,
                parallel_iterations=parallel_iterations,
                swap_memory=swap_memory,
                time_major=time_major,
                scope=fw_scope,
            )
        time_axis, batch_axis = (0, 1) if time_major else (1, 0)

        def reverse(input_):
            if sequence_length is not None:
                return array_ops.reverse_sequence(
                    input=input_, seq_lengths=sequence_length, seq_axis=time_axis, batch_axis=batch_axis
                )
            return array_ops.reverse(input_, axis=[time_axis])

        with vs.variable_scope("bw") as bw_scope:
            inputs_reverse = map_structure(reverse, inputs)
            tmp, output_state_bw = dynamic_rnn(
                cell=cell_bw,
                inputs=inputs_reverse,
                sequence_length=sequence_length,
                initial_state=initial_state_bw,
                dtype=dtype,
                parallel_iterations=parallel_iterations,
                swap_memory=swap_memory,
                time_major=time_major,
                scope=bw_scope,
            )
    output_bw = reverse(tmp)
    return (output_fw, output_bw), (output_state_fw, output_state_bw)


def dynamic_rnn(
    cell,
    inputs,
    sequence_length=None,
    initial_state=None,
    dtype=None,
    parallel_iterations=None,
    swap_memory=False,
    time_major=False,
    scope=None,
):
    """``tf.nn.dynamic_rnn``: ``cell`` run over the time axis of ``inputs`` in a tf.while_loop
    (TensorArrays ``rnn/dynamic_rnn/input_0`` / ``output_0``), variables in scope ``rnn``.

    Args:
      inputs: ``[batch, time, ...]`` (``[time, batch, ...]`` when ``time_major``), or a nest of them.
      sequence_length: optional int vector ``[batch]``; past its length an entry's output is zeros
        and its state is copied through (and the loop stops after the longest one).
      initial_state / dtype: the initial state, or the dtype of the cell's zero state.
      parallel_iterations, swap_memory: recorded in the loop, as TF does.

    Returns:
      (outputs, final state); outputs batch-major unless ``time_major``.

    Raises:
      TypeError: for a cell that is not an RNNCell.
      ValueError: for inputs of rank below 3 or an unknown depth, mismatched time or batch sizes, a
        ``sequence_length`` that is not a vector, or neither ``initial_state`` nor ``dtype``.

    Example::

        outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.LSTMCell(64), x, dtype=tf.float32)
    """
    assert_like_rnncell("cell", cell)
    with vs.variable_scope(scope or "rnn") as varscope:
        if _should_cache() and varscope.caching_device is None:
            varscope.set_caching_device(lambda op: op.device)
        flat_input = flatten(inputs)
        if not time_major:
            flat_input = [graph_lib.convert_to_tensor(input_) for input_ in flat_input]
            flat_input = tuple(_transpose_batch_time(input_) for input_ in flat_input)
        parallel_iterations = parallel_iterations or 32
        if sequence_length is not None:
            sequence_length = math_ops.cast(sequence_length, dtypes.DType.int32)
            if sequence_length.shape.rank not in (None, 1):
                raise ValueError(
                    "Argument sequence_length must be a vector of length batch_size. Received "
                    f"sequence_length={sequence_length} of shape: {sequence_length.shape}"
                )
            sequence_length = array_ops.identity(sequence_length, name="sequence_length")
        batch_size = _best_effort_input_batch_size(flat_input)
        if initial_state is not None:
            state = initial_state
        else:
            if not dtype:
                raise ValueError("If no initial_state is provided, argument `dtype` must be specified")
            if getattr(cell, "get_initial_state", None) is not None:
                state = cell.get_initial_state(inputs=None, batch_size=batch_size, dtype=dtype)
            else:
                state = cell.zero_state(batch_size, dtype)

        def assert_has_shape(x, shape):
            x_shape = array_ops.shape(x)
            packed_shape = array_ops.stack(shape)
            return Assert(
                math_ops.reduce_all(math_ops.equal(x_shape, packed_shape)),
                [f"Expected shape for Tensor {x.name} is ", packed_shape, " but saw shape: ", x_shape],
            )

        if sequence_length is not None:
            with graph_lib.control_dependencies([assert_has_shape(sequence_length, [batch_size])]):
                sequence_length = array_ops.identity(sequence_length, name="CheckSeqLen")
        inputs = pack_sequence_as(inputs, flat_input)
        outputs, final_state = _dynamic_rnn_loop(
            cell,
            inputs,
            state,
            parallel_iterations=parallel_iterations,
            swap_memory=swap_memory,
            sequence_length=sequence_length,
            dtype=dtype,
        )
        if not time_major:
            outputs = map_structure(_transpose_batch_time, outputs)
        return outputs, final_state


def _dynamic_rnn_loop(cell, inputs, initial_state, parallel_iterations, swap_memory, sequence_length=None, dtype=None):
    """TF's loop of dynamic_rnn over time-major ``inputs``: returns (time-major outputs, final state)."""
    state = initial_state
    flat_input = flatten(inputs)
    flat_output_size = flatten(cell.output_size)
    input_shape = array_ops.shape(flat_input[0])
    time_steps = input_shape[0]
    batch_size = _best_effort_input_batch_size(flat_input)
    inputs_got_shape = tuple(input_.shape.with_rank_at_least(3) for input_ in flat_input)
    const_time_steps, const_batch_size = inputs_got_shape[0].as_list()[:2]
    for i, shape in enumerate(inputs_got_shape):
        if not shape[2:].is_fully_defined():
            raise ValueError(
                "Input size (depth of inputs) must be accessible via shape inference, but saw value None for "
                f"input={flat_input[i]}."
            )
        got_time_steps, got_batch_size = shape.dims[0].value, shape.dims[1].value
        if const_time_steps != got_time_steps:
            raise ValueError(
                "Time steps is not the same for all the elements in the input in a batch. Received time "
                f"steps={got_time_steps} for input={flat_input[i]}."
            )
        if const_batch_size != got_batch_size:
            raise ValueError(
                "Batch_size is not the same for all the elements in the input. Received batch "
                f"size={got_batch_size} for input={flat_input[i]}."
            )

    def create_zero_arrays(size):
        size = concat_shapes(batch_size, size)
        return array_ops.zeros(array_ops.stack(size), _infer_state_dtype(dtype, state))

    flat_zero_output = tuple(create_zero_arrays(output) for output in flat_output_size)
    zero_output = pack_sequence_as(cell.output_size, flat_zero_output)
    min_sequence_length = None
    if sequence_length is not None:
        min_sequence_length = math_ops.reduce_min(sequence_length)
        max_sequence_length = math_ops.reduce_max(sequence_length)
    else:
        max_sequence_length = time_steps
    time = constant(0, dtype=dtypes.DType.int32, name="time")
    with graph_lib.name_scope("dynamic_rnn") as base_name:
        pass

    def create_ta(name, element_shape, dtype):
        return tensor_array_ops.TensorArray(
            dtype=dtype, size=time_steps, element_shape=element_shape, tensor_array_name=base_name + name
        )

    output_ta = tuple(
        create_ta(
            f"output_{i}",
            element_shape=TensorShape([const_batch_size]).concatenate(_maybe_tensor_shape_from_tensor(out_size)),
            dtype=_infer_state_dtype(dtype, state),
        )
        for i, out_size in enumerate(flat_output_size)
    )
    input_ta = tuple(
        create_ta(f"input_{i}", element_shape=flat_input_i.shape[1:], dtype=flat_input_i.dtype)
        for i, flat_input_i in enumerate(flat_input)
    )
    input_ta = tuple(ta.unstack(input_) for ta, input_ in zip(input_ta, flat_input))

    def time_step(time, output_ta_t, state):
        input_t = tuple(ta.read(time) for ta in input_ta)
        for input_, shape in zip(input_t, inputs_got_shape):
            input_.set_shape(shape[1:])
        input_t = pack_sequence_as(inputs, input_t)

        def call_cell():
            return cell(input_t, state)

        if sequence_length is not None:
            output, new_state = _rnn_step(
                time,
                sequence_length,
                min_sequence_length,
                max_sequence_length,
                zero_output,
                state,
                call_cell,
                skip_conditionals=True,
            )
        else:
            output, new_state = call_cell()
        output = flatten(output)
        output_ta_t = tuple(ta.write(time, out) for ta, out in zip(output_ta_t, output))
        return (time + 1, output_ta_t, new_state)

    loop_bound = math_ops.minimum(time_steps, math_ops.maximum(1, max_sequence_length))
    _, output_final_ta, final_state = while_loop_lib.while_loop(
        cond=lambda time, *_: time < loop_bound,
        body=time_step,
        loop_vars=(time, output_ta, state),
        parallel_iterations=parallel_iterations,
        maximum_iterations=time_steps,
        swap_memory=swap_memory,
    )
    final_outputs = tuple(ta.stack() for ta in output_final_ta)
    for output, output_size in zip(final_outputs, flat_output_size):
        output.set_shape(concat_shapes([const_time_steps, const_batch_size], output_size, static=True))
    return pack_sequence_as(cell.output_size, final_outputs), final_state


def raw_rnn(cell, loop_fn, parallel_iterations=None, swap_memory=False, scope=None):
    """``tf.compat.v1.nn.raw_rnn``: ``cell`` in a tf.while_loop whose inputs, state and emitted outputs
    ``loop_fn(time, cell_output, cell_state, loop_state)`` decides at each step; the loop runs until
    every batch entry is finished (entries already finished keep their state and emit zeros).

    ``loop_fn`` returns ``(finished, next_input, next_cell_state, emit_output, next_loop_state)``; its
    first call (``time`` 0, the rest None) gives the initial input and state, and the emit structure
    (None: ``cell.output_size``).

    Returns:
      (emit_ta: TensorArray(s) of the emitted outputs, final state, final loop state or None).

    Raises:
      TypeError: for a cell that is not an RNNCell or a ``loop_fn`` that is not callable.
    """
    assert_like_rnncell("cell", cell)
    if not callable(loop_fn):
        raise TypeError(f"Argument `loop_fn` must be a callable. Received: {loop_fn}.")
    parallel_iterations = parallel_iterations or 32
    with vs.variable_scope(scope or "rnn") as varscope:
        if _should_cache() and varscope.caching_device is None:
            varscope.set_caching_device(lambda op: op.device)
        time = constant(0, dtype=dtypes.DType.int32)
        elements_finished, next_input, initial_state, emit_structure, init_loop_state = loop_fn(time, None, None, None)
        flat_input = flatten(next_input)
        loop_state = init_loop_state if init_loop_state is not None else constant(0, dtype=dtypes.DType.int32)
        input_shape = [input_.shape for input_ in flat_input]
        static_batch_size = _dimension_at_index(input_shape[0], 0)
        for input_shape_i in input_shape:
            static_batch_size.assert_is_compatible_with(_dimension_at_index(input_shape_i, 0))
        batch_size = static_batch_size.value
        const_batch_size = batch_size
        if batch_size is None:
            batch_size = array_ops.shape(flat_input[0])[0]
        assert_same_structure(initial_state, cell.state_size)
        state = initial_state
        flat_state = [graph_lib.convert_to_tensor(s) for s in flatten(state)]
        state = pack_sequence_as(state, flat_state)
        if emit_structure is not None:
            flat_emit_structure = flatten(emit_structure)
            flat_emit_size = [
                emit.shape if emit.shape.is_fully_defined() else array_ops.shape(emit) for emit in flat_emit_structure
            ]
            flat_emit_dtypes = [emit.dtype for emit in flat_emit_structure]
        else:
            emit_structure = cell.output_size
            flat_emit_size = flatten(emit_structure)
            flat_emit_dtypes = [flat_state[0].dtype] * len(flat_emit_size)
        flat_emit_ta = [
            tensor_array_ops.TensorArray(
                dtype=dtype_i,
                dynamic_size=True,
                element_shape=TensorShape([const_batch_size]).concatenate(_maybe_tensor_shape_from_tensor(size_i)),
                size=0,
                name=f"rnn_output_{i}",
            )
            for i, (dtype_i, size_i) in enumerate(zip(flat_emit_dtypes, flat_emit_size))
        ]
        emit_ta = pack_sequence_as(emit_structure, flat_emit_ta)
        flat_zero_emit = [
            array_ops.zeros(concat_shapes(batch_size, size_i), dtype_i)
            for size_i, dtype_i in zip(flat_emit_size, flat_emit_dtypes)
        ]
        zero_emit = pack_sequence_as(emit_structure, flat_zero_emit)

        def condition(unused_time, elements_finished, *_):
            return math_ops.logical_not(math_ops.reduce_all(elements_finished))

        def body(time, elements_finished, current_input, emit_ta, state, loop_state):
            next_output, cell_state = cell(current_input, state)
            assert_same_structure(state, cell_state)
            assert_same_structure(cell.output_size, next_output)
            next_time = time + 1
            next_finished, next_input, next_state, emit_output, next_loop_state = loop_fn(
                next_time, next_output, cell_state, loop_state
            )
            assert_same_structure(state, next_state)
            assert_same_structure(current_input, next_input)
            assert_same_structure(emit_ta, emit_output)
            loop_state = loop_state if next_loop_state is None else next_loop_state

            def copy_some_through(current, candidate):
                def copy_fn(cur_i, cand_i):
                    if getattr(cur_i, "_is_tensor_array", False) or cur_i.shape.rank == 0:
                        return cand_i
                    with graph_lib.colocate_with(cand_i):
                        return array_ops.where(elements_finished, cur_i, cand_i)

                return map_structure(copy_fn, current, candidate)

            emit_output = copy_some_through(zero_emit, emit_output)
            next_state = copy_some_through(state, next_state)
            emit_ta = map_structure(lambda ta, emit: ta.write(time, emit), emit_ta, emit_output)
            elements_finished = math_ops.logical_or(elements_finished, next_finished)
            return (next_time, elements_finished, next_input, emit_ta, next_state, loop_state)

        returned = while_loop_lib.while_loop(
            condition,
            body,
            loop_vars=[time, elements_finished, next_input, emit_ta, state, loop_state],
            parallel_iterations=parallel_iterations,
            swap_memory=swap_memory,
        )
        emit_ta, final_state, final_loop_state = returned[-3:]
        if init_loop_state is None:
            final_loop_state = None
        return emit_ta, final_state, final_loop_state
