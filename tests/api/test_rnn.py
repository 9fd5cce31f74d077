"""tf.nn.rnn_cell and tf.nn.static_rnn / static_bidirectional_rnn against TensorFlow 2.21.

The graphs are TF's node for node (the cells' ops, the variable names ``rnn/basic_lstm_cell/kernel``
...), checkpoints move both ways, and outputs, final states and gradients are TF's numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api import tf_programs as P

pytest.importorskip("tensorflow")

STEPS, BATCH, DEPTH = 4, 3, 5
X = np.random.default_rng(11).standard_normal((BATCH, STEPS, DEPTH)).astype(np.float32)


def _inputs(tf):
    x = tf.placeholder(tf.float32, [None, STEPS, DEPTH], name="x")
    return tf.unstack(x, axis=1)


def _run_static(tf, cell, **kwargs):
    outputs, state = tf.nn.static_rnn(cell, _inputs(tf), dtype=tf.float32, **kwargs)
    flat_state = tf.nest.flatten(state) if hasattr(tf, "nest") and hasattr(tf.nest, "flatten") else _flat(state)
    out = {f"out{i}": o for i, o in enumerate(outputs)}
    out.update({f"state{i}": s for i, s in enumerate(flat_state)})
    loss = tf.reduce_sum(tf.square(outputs[-1])) + tf.add_n([tf.reduce_sum(s) for s in flat_state])
    variables = tf.trainable_variables()
    out.update({f"grad/{v.op.name}": g for v, g in zip(variables, tf.gradients(loss, variables))})
    return out


def _flat(state):
    if isinstance(state, (list, tuple)):
        return [x for s in state for x in _flat(s)]
    return [state]


CELLS = {
    "basic_rnn": lambda tf: tf.nn.rnn_cell.BasicRNNCell(6),
    "basic_rnn_relu": lambda tf: tf.nn.rnn_cell.BasicRNNCell(6, activation=tf.nn.relu),
    "gru": lambda tf: tf.nn.rnn_cell.GRUCell(4),
    "basic_lstm": lambda tf: tf.nn.rnn_cell.BasicLSTMCell(6, forget_bias=0.5),
    "basic_lstm_concat_state": lambda tf: tf.nn.rnn_cell.BasicLSTMCell(3, state_is_tuple=False),
    "lstm": lambda tf: tf.nn.rnn_cell.LSTMCell(5),
    "lstm_peepholes_clip_proj": lambda tf: tf.nn.rnn_cell.LSTMCell(
        6,
        use_peepholes=True,
        cell_clip=0.8,
        num_proj=3,
        proj_clip=0.5,
        initializer=tf.random_uniform_initializer(-0.5, 0.5),
    ),
    "multi": lambda tf: tf.nn.rnn_cell.MultiRNNCell(
        [tf.nn.rnn_cell.BasicLSTMCell(4), tf.nn.rnn_cell.GRUCell(3), tf.nn.rnn_cell.BasicRNNCell(2)]
    ),
    "residual": lambda tf: tf.nn.rnn_cell.ResidualWrapper(tf.nn.rnn_cell.GRUCell(DEPTH)),
    "device": lambda tf: tf.nn.rnn_cell.DeviceWrapper(tf.nn.rnn_cell.BasicRNNCell(3), "/cpu:0"),
    "dropout_keep_all": lambda tf: tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.LSTMCell(3)),
}
# Dropout draws differ per framework (TF's Philox stream is the random engineer's); graphs only.
RANDOM_CELLS = {
    "dropout": lambda tf: tf.nn.rnn_cell.DropoutWrapper(
        tf.nn.rnn_cell.BasicLSTMCell(4), input_keep_prob=0.8, output_keep_prob=0.7, state_keep_prob=0.9, seed=3
    ),
    "dropout_variational": lambda tf: tf.nn.rnn_cell.DropoutWrapper(
        tf.nn.rnn_cell.GRUCell(4),
        input_keep_prob=0.8,
        output_keep_prob=0.7,
        variational_recurrent=True,
        input_size=DEPTH,
        dtype=tf.float32,
        seed=5,
    ),
}


def _program(name, **kwargs):
    make = {**CELLS, **RANDOM_CELLS}[name]
    return lambda tf: _run_static(tf, make(tf), **kwargs)


@pytest.mark.parametrize("name", sorted({**CELLS, **RANDOM_CELLS}))
def test_static_rnn_graph_is_tfs(tf1, name):
    P.assert_same_graph(tf1, _program(name))


@pytest.mark.parametrize("name", sorted(CELLS))
def test_static_rnn_from_tf_checkpoint_gives_tfs_numbers(tf1, tmp_path, name):
    expected, actual = P.run_tf_then_ours(tf1, _program(name), tmp_path, {"x:0": X})
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["basic_lstm", "multi", "lstm_peepholes_clip_proj"])
def test_static_rnn_checkpoint_from_here_restores_in_tf(tf1, tmp_path, name):
    expected, actual = P.run_ours_then_tf(tf1, _program(name), tmp_path, {"x:0": X})
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5)


def _bidirectional(tf, lengths=None):
    fw, bw = tf.nn.rnn_cell.BasicLSTMCell(3), tf.nn.rnn_cell.GRUCell(2)
    seq = tf.constant(lengths) if lengths is not None else None
    outputs, state_fw, state_bw = tf.nn.static_bidirectional_rnn(
        fw, bw, _inputs(tf), dtype=tf.float32, sequence_length=seq
    )
    out = {f"out{i}": o for i, o in enumerate(outputs)}
    out.update({f"fw{i}": s for i, s in enumerate(_flat(state_fw))})
    out.update({f"bw{i}": s for i, s in enumerate(_flat(state_bw))})
    return out


def test_static_bidirectional_rnn_graph_is_tfs(tf1):
    P.assert_same_graph(tf1, _bidirectional)


@pytest.mark.parametrize("lengths", [None, [4, 2, 1]], ids=["full", "lengths"])
def test_static_bidirectional_rnn_gives_tfs_numbers(tf1, tmp_path, lengths):
    expected, actual = P.run_tf_then_ours(tf1, lambda tf: _bidirectional(tf, lengths), tmp_path, {"x:0": X})
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["basic_lstm", "gru", "multi"])
def test_static_rnn_with_sequence_length_gives_tfs_numbers(tf1, tmp_path, name):
    program = _program(name, sequence_length=np.array([4, 1, 3], np.int32))
    expected, actual = P.run_tf_then_ours(tf1, program, tmp_path, {"x:0": X})
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5)


def test_cells_track_their_weights_and_variable_names(tf1):
    def program(tf):
        cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(3, num_proj=2), tf.nn.rnn_cell.GRUCell(2)])
        tf.nn.static_rnn(cell, _inputs(tf), dtype=tf.float32)
        return [v.name for v in cell.trainable_weights], [v.name for v in tf.global_variables()], cell.state_size

    with tf1.Graph().as_default():
        expected = program(tf1)
    with tm.Graph().as_default():
        actual = program(tm)
    assert actual[:2] == expected[:2]
    assert actual[2] == ((3, 2), 2) and expected[2] == ((3, 2), 2)
    assert "rnn/multi_rnn_cell/cell_0/lstm_cell/projection/kernel:0" in actual[1]


def test_zero_state_is_tfs(tf1):
    def program(tf):
        cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(3), tf.nn.rnn_cell.GRUCell(2)])
        batch = tf.placeholder(tf.int32, [], name="batch")
        state = cell.zero_state(batch, tf.float32)
        fixed = tf.nn.rnn_cell.LSTMCell(4).zero_state(7, tf.float64)
        return {"a": state[0].c, "b": state[1], "c": fixed.h}

    P.assert_same_graph(tf1, program)


def test_cell_errors_are_tfs(tf1):
    def errors(tf):
        out = []
        for build in (
            lambda: tf.nn.static_rnn(object(), [tf.zeros([2, 3])], dtype=tf.float32),
            lambda: tf.nn.static_rnn(tf.nn.rnn_cell.GRUCell(2), tf.zeros([2, 3]), dtype=tf.float32),
            lambda: tf.nn.static_rnn(tf.nn.rnn_cell.GRUCell(2), [], dtype=tf.float32),
            lambda: tf.nn.static_rnn(tf.nn.rnn_cell.GRUCell(2), [tf.zeros([2, 3])]),
            lambda: tf.nn.rnn_cell.MultiRNNCell([]),
            lambda: tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.GRUCell(2), input_keep_prob=1.5),
            lambda: tf.nn.rnn_cell.GRUCell(2)(tf.zeros([2, 3], tf.int32), tf.zeros([2, 2], tf.int32)),
        ):
            with tf.Graph().as_default():
                try:
                    build()
                    out.append(None)
                except (ValueError, TypeError) as e:
                    out.append((type(e).__name__, str(e).split(" (<")[0]))
        return out

    assert errors(tm) == errors(tf1)
