"""tf.nn.rnn_cell and tf.nn.static_rnn / static_bidirectional_rnn against TensorFlow 2.21.

The graphs are TF's node for node (the cells' ops, the variable names ``rnn/basic_lstm_cell/kernel``
...), checkpoints move both ways, and outputs, final states and gradients are TF's numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm
from tests.api import tf_programs as P
from tests.api.cf_helpers import check_both_ways

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


@pytest.mark.parametrize("lengths", [None, [4, 2, 1]], ids=["full", "lengths"])
def test_static_bidirectional_rnn_graph_is_tfs(tf1, lengths):
    P.assert_same_graph(tf1, lambda tf: _bidirectional(tf, lengths))


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


# dynamic_rnn: TF's while_loop over TensorArrays, built node for node.

LENGTHS = np.array([4, 1, 3], np.int32)


def _dynamic(tf, name, lengths=None, time_major=False, feed_lengths=False, initial=False, **kwargs):
    cell = {**CELLS, **RANDOM_CELLS}[name](tf)
    shape = [STEPS, None, DEPTH] if time_major else [None, STEPS, DEPTH]
    x = tf.placeholder(tf.float32, shape, name="x")
    seq = None
    if feed_lengths:
        seq = tf.placeholder(tf.int32, [None], name="lengths")
    elif lengths is not None:
        seq = tf.constant(lengths)
    state = None
    if initial:
        state = cell.zero_state(tf.shape(x)[1 if time_major else 0], tf.float32)
    outputs, state = tf.nn.dynamic_rnn(
        cell,
        x,
        sequence_length=seq,
        initial_state=state,
        dtype=None if initial else tf.float32,
        time_major=time_major,
        **kwargs,
    )
    flat_state = _flat(state)
    out = {"outputs": outputs}
    out.update({f"state{i}": s for i, s in enumerate(flat_state)})
    loss = tf.reduce_sum(tf.square(outputs)) + tf.add_n([tf.reduce_sum(s) for s in flat_state])
    variables = tf.trainable_variables()
    grads = tf.gradients(loss, [*variables, x])
    out.update({f"grad/{v.op.name}": g for v, g in zip(variables, grads)})
    out["grad/x"] = grads[-1]
    return out


@pytest.mark.parametrize("name", sorted({**CELLS, **RANDOM_CELLS}))
def test_dynamic_rnn_graph_is_tfs(tf1, name):
    P.assert_same_graph(tf1, lambda tf: _dynamic(tf, name))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lengths": LENGTHS},
        {"feed_lengths": True, "time_major": True},
        {"initial": True, "parallel_iterations": 4, "swap_memory": True},
    ],
    ids=["lengths", "time_major_fed_lengths", "initial_state"],
)
def test_dynamic_rnn_options_graph_is_tfs(tf1, kwargs):
    P.assert_same_graph(tf1, lambda tf: _dynamic(tf, "basic_lstm", **kwargs))


def test_static_rnn_with_sequence_length_graph_is_tfs(tf1):
    """TF's _rnn_step: a tf.cond past the longest sequence, another before the shortest ends."""
    P.assert_same_graph(tf1, _program("basic_lstm", sequence_length=LENGTHS))


XT = np.ascontiguousarray(X.transpose(1, 0, 2))


@pytest.mark.parametrize("name", sorted(CELLS))
def test_dynamic_rnn_from_tf_checkpoint_gives_tfs_numbers(tf1, tmp_path, name):
    expected, actual = P.run_tf_then_ours(tf1, lambda tf: _dynamic(tf, name), tmp_path, {"x:0": X})
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["basic_lstm", "gru", "multi"])
@pytest.mark.parametrize(
    ("kwargs", "feeds"),
    [
        ({"lengths": LENGTHS}, {"x:0": X}),
        ({"lengths": np.array([2, 1, 2], np.int32)}, {"x:0": X}),
        ({"feed_lengths": True, "time_major": True}, {"x:0": XT, "lengths:0": np.array([3, 4, 0], np.int32)}),
        ({"initial": True, "parallel_iterations": 4, "swap_memory": True}, {"x:0": X}),
    ],
    ids=["lengths", "short_lengths", "time_major_fed_lengths", "initial_state"],
)
def test_dynamic_rnn_options_give_tfs_numbers(tf1, tmp_path, name, kwargs, feeds):
    expected, actual = P.run_tf_then_ours(tf1, lambda tf: _dynamic(tf, name, **kwargs), tmp_path, feeds)
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["basic_lstm", "multi", "lstm_peepholes_clip_proj"])
def test_dynamic_rnn_checkpoint_from_here_restores_in_tf(tf1, tmp_path, name):
    program = lambda tf: _dynamic(tf, name, lengths=LENGTHS)  # noqa: E731
    expected, actual = P.run_ours_then_tf(tf1, program, tmp_path, {"x:0": X})
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5)


def test_dynamic_rnn_rejects_what_tf_rejects(tf1):
    def errors(tf):
        out = []
        for build in (
            lambda: tf.nn.dynamic_rnn(object(), tf.zeros([2, 3, 4]), dtype=tf.float32),
            lambda: tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(2), tf.zeros([2, 3, 4])),
            lambda: tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(2), tf.zeros([2, 3]), dtype=tf.float32),
            lambda: tf.nn.dynamic_rnn(
                tf.nn.rnn_cell.GRUCell(2), tf.zeros([2, 3, 4]), sequence_length=[[1]], dtype=tf.float32
            ),
            lambda: tf.nn.dynamic_rnn(
                tf.nn.rnn_cell.GRUCell(2), tf.placeholder(tf.float32, [2, 3, None]), dtype=tf.float32
            ),
            lambda: tf.nn.dynamic_rnn(
                tf.nn.rnn_cell.GRUCell(2), (tf.zeros([2, 3, 4]), tf.zeros([2, 5, 4])), dtype=tf.float32
            ),
        ):
            with tf.Graph().as_default():
                try:
                    build()
                    out.append(None)
                except (ValueError, TypeError) as e:
                    out.append((type(e).__name__, str(e).split(" (<")[0]))
        return out

    assert errors(tm) == errors(tf1)


def _bidirectional_dynamic(tf, lengths=None, time_major=False):
    fw, bw = tf.nn.rnn_cell.BasicLSTMCell(3), tf.nn.rnn_cell.GRUCell(2)
    shape = [STEPS, None, DEPTH] if time_major else [None, STEPS, DEPTH]
    x = tf.placeholder(tf.float32, shape, name="x")
    seq = tf.constant(lengths) if lengths is not None else None
    (out_fw, out_bw), (state_fw, state_bw) = tf.nn.bidirectional_dynamic_rnn(
        fw, bw, x, sequence_length=seq, dtype=tf.float32, time_major=time_major
    )
    out = {"out_fw": out_fw, "out_bw": out_bw}
    out.update({f"fw{i}": s for i, s in enumerate(_flat(state_fw))})
    out.update({f"bw{i}": s for i, s in enumerate(_flat(state_bw))})
    loss = tf.reduce_sum(out_bw * out_bw) + tf.reduce_sum(out_fw)
    variables = tf.trainable_variables()
    out.update({f"grad/{v.op.name}": g for v, g in zip(variables, tf.gradients(loss, variables))})
    return out


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "lengths"])
def test_bidirectional_dynamic_rnn_graph_is_tfs(tf1, lengths):
    P.assert_same_graph(tf1, lambda tf: _bidirectional_dynamic(tf, lengths))


@pytest.mark.parametrize(
    ("lengths", "time_major"), [(None, False), (LENGTHS, False), (LENGTHS, True)], ids=["full", "lengths", "time_major"]
)
def test_bidirectional_dynamic_rnn_gives_tfs_numbers(tf1, tmp_path, lengths, time_major):
    program = lambda tf: _bidirectional_dynamic(tf, lengths, time_major)  # noqa: E731
    feeds = {"x:0": XT if time_major else X}
    expected, actual = P.run_tf_then_ours(tf1, program, tmp_path, feeds)
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5)


def _raw(tf, name, emit_structure=False, loop_state=False):
    """TF's docstring example: dynamic_rnn written with raw_rnn (plus an emit structure / loop state)."""
    cell = {**CELLS, **RANDOM_CELLS}[name](tf)
    x = tf.placeholder(tf.float32, [STEPS, None, DEPTH], name="x")
    lengths = tf.placeholder(tf.int32, [None], name="lengths")
    batch_size = tf.shape(x)[1]
    inputs_ta = tf.TensorArray(dtype=tf.float32, size=STEPS).unstack(x)

    def loop_fn(time, cell_output, cell_state, state):
        if cell_output is None:
            next_cell_state = cell.zero_state(batch_size, tf.float32)
            emit = tf.zeros([2], tf.float32) if emit_structure else None
            next_state = tf.zeros([], tf.float32) if loop_state else None
        else:
            next_cell_state = cell_state
            emit = tf.reduce_sum(cell_output, axis=1, keepdims=True) * [1.0, 2.0] if emit_structure else cell_output
            next_state = state + tf.reduce_sum(cell_output) if loop_state else None
        elements_finished = time >= lengths
        finished = tf.reduce_all(elements_finished)
        next_input = tf.cond(
            finished, lambda: tf.zeros([batch_size, DEPTH], dtype=tf.float32), lambda: inputs_ta.read(time)
        )
        return elements_finished, next_input, next_cell_state, emit, next_state

    emit_ta, state, final_loop_state = tf.nn.raw_rnn(cell, loop_fn)
    outputs = tf.nest.flatten(emit_ta)[0].stack()
    flat_state = _flat(state)
    out = {"outputs": outputs}
    out.update({f"state{i}": s for i, s in enumerate(flat_state)})
    if final_loop_state is not None:
        out["loop_state"] = final_loop_state
    loss = tf.reduce_sum(tf.square(outputs)) + tf.add_n([tf.reduce_sum(s) for s in flat_state])
    variables = tf.trainable_variables()
    out.update({f"grad/{v.op.name}": g for v, g in zip(variables, tf.gradients(loss, variables))})
    return out


RAW_CASES = {
    "basic_lstm": {},
    "gru_emit_structure": {"emit_structure": True},
    "multi_loop_state": {"loop_state": True},
}


@pytest.mark.parametrize("case", sorted(RAW_CASES))
def test_raw_rnn_graph_is_tfs(tf1, case):
    name = case.split("_emit")[0].split("_loop")[0]
    P.assert_same_graph(tf1, lambda tf: _raw(tf, name, **RAW_CASES[case]))


@pytest.mark.parametrize("case", sorted(RAW_CASES))
def test_raw_rnn_gives_tfs_numbers(tf1, tmp_path, case):
    name = case.split("_emit")[0].split("_loop")[0]
    feeds = {"x:0": XT, "lengths:0": np.array([3, 4, 1], np.int32)}
    expected, actual = P.run_tf_then_ours(tf1, lambda tf: _raw(tf, name, **RAW_CASES[case]), tmp_path, feeds)
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5)


@pytest.fixture
def v2(tf1):
    tf1.enable_control_flow_v2()
    tm.enable_control_flow_v2()
    yield tf1
    tf1.disable_control_flow_v2()
    tm.disable_control_flow_v2()


@pytest.mark.parametrize("name", ["basic_lstm", "multi"])
def test_dynamic_rnn_under_control_flow_v2_gives_tfs_numbers(v2, tmp_path, name):
    """With control flow v2 the loop is a While op over FunctionDefs whose bodies create the variables."""

    def program(tf):
        out = _dynamic(tf, name, lengths=LENGTHS)
        ops = tf.get_default_graph().get_operations()
        # The forward loop and its gradient's, both StatelessWhile (the cell is stateless), no v1 frames.
        assert [op.type for op in ops if op.type in ("While", "StatelessWhile", "Enter")] == ["StatelessWhile"] * 2
        return out

    expected, actual = P.run_tf_then_ours(v2, program, tmp_path, {"x:0": X})
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5)


def test_seeded_variational_dropout_in_dynamic_rnn_draws_tfs_numbers(tf1, tmp_path):
    """Variational dropout draws its masks once, before the loop: TF's masks, outputs and gradients.

    (Masks drawn inside the loop body follow TF's executor order across parallel iterations, which
    torchmeta's sequential loop does not reproduce; the graphs are TF's, see test_dynamic_rnn_graph_is_tfs.)
    """

    def program(tf):
        tf.set_random_seed(4)
        return _dynamic(tf, "dropout_variational", lengths=LENGTHS)

    expected, actual = P.run_tf_then_ours(tf1, program, tmp_path, {"x:0": X})
    P.assert_results_close(expected, actual, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("basic_lstm", {"lengths": LENGTHS}), ("multi", {}), ("gru", {"lengths": LENGTHS, "initial": True})],
    ids=["basic_lstm_lengths", "multi", "gru_initial_state"],
)
def test_dynamic_rnn_while_context_and_meta_graphs_both_ways(tf1, tmp_path, name, kwargs):
    """The while_context collection is TF's too; our MetaGraph runs in TF and TF's runs here, each from its
    seeded initializers (TF's random numbers)."""

    def program(tf):
        tf.set_random_seed(1)
        return _dynamic(tf, name, **kwargs)

    check_both_ways(tf1, program, {"x:0": X}, tmp_path, init=True, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("program", ["bidirectional_dynamic", "raw"])
def test_bidirectional_and_raw_rnn_meta_graphs_both_ways(tf1, tmp_path, program):
    """Seeded: our MetaGraph runs in TF and TF's runs here (raw_rnn's dynamic-size TensorArrays too)."""

    def build(tf):
        tf.set_random_seed(2)
        if program == "raw":
            return _raw(tf, "multi", loop_state=True)
        return _bidirectional_dynamic(tf, LENGTHS)

    feeds = {"x:0": XT, "lengths:0": np.array([3, 4, 1], np.int32)} if program == "raw" else {"x:0": X}
    check_both_ways(tf1, build, feeds, tmp_path, init=True, rtol=1e-4, atol=1e-5)


class _VariableStateSaver:
    """A state saver as ``static_state_saving_rnn`` expects one (``state(name)``, ``save_state(name, value)``):
    each state lives in a non-trainable variable ``saved/<name>`` carried from run to run."""

    def __init__(self, tf, sizes):
        self._tf = tf
        with tf.variable_scope("saved"):
            self._vars = {
                name: tf.get_variable(name, [BATCH, size], initializer=tf.zeros_initializer(), trainable=False)
                for name, size in sizes.items()
            }

    def state(self, name):
        return self._vars[name].value()

    def save_state(self, name, value):
        return self._tf.assign(self._vars[name], value)


STATE_SAVING = {
    "lstm_tuple_state": (lambda tf: tf.nn.rnn_cell.LSTMCell(5), ("c", "h"), {"c": 5, "h": 5}),
    "gru": (lambda tf: tf.nn.rnn_cell.GRUCell(4), "h", {"h": 4}),
    "multi": (
        lambda tf: tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(3), tf.nn.rnn_cell.GRUCell(2)]),
        (("c0", "h0"), "h1"),
        {"c0": 3, "h0": 3, "h1": 2},
    ),
}


def _state_saving_program(name):
    make, state_name, sizes = STATE_SAVING[name]

    def program(tf):
        saver = _VariableStateSaver(tf, sizes)
        x = tf.placeholder(tf.float32, [BATCH, STEPS, DEPTH], name="x")
        outputs, state = tf.nn.static_state_saving_rnn(make(tf), tf.unstack(x, axis=1), saver, state_name)
        out = {f"out{i}": o for i, o in enumerate(outputs)}
        out.update({f"state{i}": s for i, s in enumerate(_flat(state))})
        return out

    return program


@pytest.mark.parametrize("name", sorted(STATE_SAVING))
def test_static_state_saving_rnn_is_tfs_run_after_run(tf1, tmp_path, name):
    """The graph node for node; from TF's initial weights each run starts from the state the last one saved,
    as in TF (three runs compared)."""
    P.assert_same_graph(tf1, _state_saving_program(name))
    results = []
    for api in (tf1, tm):
        g, fetches = P.build(api, _state_saving_program(name))
        with g.as_default(), api.Session() as sess:
            if api is tf1:
                sess.run(api.global_variables_initializer())
                prefix = api.train.Saver().save(sess, str(tmp_path / "model"))
            else:
                api.train.Saver().restore(sess, prefix)
            results.append([sess.run(fetches, {"x:0": X * (k + 1)}) for k in range(3)])
    for want, got in zip(*results):
        assert sorted(got) == sorted(want)
        for key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6)
    assert not np.allclose(results[0][0]["state0"], results[0][1]["state0"])  # the state carried over


def test_static_state_saving_rnn_state_name_errors_are_tfs(tf1):
    for api in (tf1, tm):
        with api.Graph().as_default():
            saver = _VariableStateSaver(api, {"h": 4})
            inputs = [api.zeros([BATCH, DEPTH])]
            with pytest.raises(
                ValueError, match=r"Argument `state_name` should be the same type as `cell\.state_size`"
            ):
                api.nn.static_state_saving_rnn(api.nn.rnn_cell.GRUCell(4), inputs, saver, ("h",))
            with pytest.raises(ValueError, match=r"Number of elements in argument `state_name` and `cell\.state_size`"):
                api.nn.static_state_saving_rnn(api.nn.rnn_cell.LSTMCell(4), inputs, saver, ("c", "h", "x"))
