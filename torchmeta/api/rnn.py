"""``tf.nn.static_rnn`` and ``tf.nn.static_bidirectional_rnn``: RNNs unrolled over a Python list of
time steps, with TensorFlow's variable scopes (``rnn/...``, ``bidirectional_rnn/fw/...``)."""

from __future__ import annotations

from torchmeta import dtypes
from torchmeta.api import array_ops, math_ops
from torchmeta.api import variable_scope as vs
from torchmeta.api.rnn_cell_impl import assert_like_rnncell, concat_shapes
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.nest import assert_same_structure, flatten, is_nested, pack_sequence_as
from torchmeta.framework.tensor_shape import TensorShape, unknown_shape

__all__ = ["static_rnn", "static_bidirectional_rnn"]


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


def _rnn_step(time, sequence_length, zero_output, state, call_cell):
    """One step past whose length each batch entry keeps its last state and outputs zeros.

    TensorFlow wraps this in tf.cond (skipping the cell once every sequence ended, and the selects
    before the shortest ended); torchmeta builds TF's unconditional path (its ``skip_conditionals``
    branch), which computes the same values.
    """
    flat_state = flatten(state)
    flat_zero_output = flatten(zero_output)
    copy_cond = time >= sequence_length

    def copy_one_through(output, new_output):
        if output.shape.rank == 0:
            return new_output
        with graph_lib.colocate_with(new_output):
            return array_ops.where(copy_cond, output, new_output)

    new_output, new_state = call_cell()
    assert_same_structure(zero_output, new_output)
    assert_same_structure(state, new_state)
    final_output = [copy_one_through(z, n) for z, n in zip(flat_zero_output, flatten(new_output))]
    final_state = [copy_one_through(s, n) for s, n in zip(flat_state, flatten(new_state))]
    for output, flat_output in zip(final_output, flat_zero_output):
        output.set_shape(flat_output.shape)
    for substate, flat_substate in zip(final_state, flat_state):
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
        if varscope.caching_device is None:
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
            # TF computes these for its conds (unused by the unconditional step; kept for TF's names).
            math_ops.reduce_min(sequence_length)
            math_ops.reduce_max(sequence_length)
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()

            def call_cell(input_=input_, state=state):
                return cell(input_, state)

            if sequence_length is not None:
                output, state = _rnn_step(time, sequence_length, zero_output, state, call_cell)
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
