"""CudnnRNN, CudnnRNNV2, CudnnRNNV3 and their backprops (CudnnRNNBackprop, CudnnRNNBackpropV2, CudnnRNNBackpropV3,
built by the gradients) against TensorFlow.

TensorFlow cannot run the cuDNN ops on a CPU, so each case is checked against a reference TF computes on the CPU
from the same weights: TF's own LSTM kernel BlockLSTMV2 (cuDNN's i, f, c, o gate layout, no forget bias; its
weights are the canonical W and R stacked, its bias b_W + b_R), and cuDNN's documented LSTM / GRU / RNN equations
built from TF ops (which also give the reference gradients through tf.gradients). Layers, directions (the
backward direction reverses each sequence within its length) and time-major / batch-major inputs are composed in
TF the way cuDNN defines them.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchmeta as tm

f32, f64 = np.float32, np.float64
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _canonical(rng, mode, layers, dirs, input_size, units, dtype=f32):
    """Per (layer, direction): W [gates*units, in], R [gates*units, units], b_W, b_R; and the flat params buffer."""
    g = GATES[mode]
    weights = []
    for layer in range(layers):
        n_in = input_size if layer == 0 else units * dirs
        for _ in range(dirs):
            weights.append(
                [(rng.standard_normal(shape) * 0.4).astype(dtype) for shape in
                 ((g * units, n_in), (g * units, units), (g * units,), (g * units,))]
            )  # fmt: skip
    parts = []
    for w, r, _, _ in weights:
        parts += [w.reshape(-1), r.reshape(-1)]
    parts += [np.concatenate([bw, br]) for _, _, bw, br in weights]
    return weights, np.concatenate(parts).astype(dtype)


def _cell(tf, mode, x_proj, h, c, r, b_r):
    h_proj = tf.matmul(h, r, transpose_b=True) + b_r
    if mode == "lstm":
        i, f, g, o = tf.split(x_proj + h_proj, 4, axis=1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        return tf.sigmoid(o) * tf.tanh(c), c
    if mode == "gru":
        xr, xz, xn = tf.split(x_proj, 3, axis=1)
        hr, hz, hn = tf.split(h_proj, 3, axis=1)
        rg, z = tf.sigmoid(xr + hr), tf.sigmoid(xz + hz)
        n = tf.tanh(xn + rg * hn)
        return (1 - z) * n + z * h, c
    act = tf.tanh if mode == "rnn_tanh" else tf.nn.relu
    return act(x_proj + h_proj), c


def _reference(tf, mode, x, h0, c0, weights, dirs, lengths=None):
    """cuDNN's stack in TF ops on time-major x [time, batch, in] (python-unrolled)."""
    time = x.shape[0]
    layers = len(weights) // dirs
    finals_h, finals_c = [], []
    inp = x
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            w, r, bw, br = (tf.constant(v) for v in weights[k])
            h, c = h0[k], (c0[k] if mode == "lstm" else None)
            steps = range(time - 1, -1, -1) if d else range(time)
            seq = [None] * time
            for t in steps:
                new_h, new_c = _cell(tf, mode, tf.matmul(inp[t], w, transpose_b=True) + bw, h, c, r, br)
                if lengths is None:
                    h, c = new_h, new_c
                    seq[t] = h
                else:
                    live = tf.constant((t < lengths)[:, None])
                    h = tf.where(tf.broadcast_to(live, new_h.shape), new_h, h)
                    if c is not None:
                        c = tf.where(tf.broadcast_to(live, new_c.shape), new_c, c)
                    seq[t] = tf.where(tf.broadcast_to(live, new_h.shape), new_h, tf.zeros_like(new_h))
            outs.append(tf.stack(seq))
            finals_h.append(h)
            finals_c.append(c)
        inp = tf.concat(outs, axis=2) if dirs == 2 else outs[0]
    return inp, tf.stack(finals_h), (tf.stack(finals_c) if mode == "lstm" else None)


CASES = [
    ("lstm", 1, "unidirectional", f32),
    ("lstm", 2, "bidirectional", f32),
    ("gru", 1, "unidirectional", f32),
    ("gru", 2, "bidirectional", f64),
    ("rnn_tanh", 2, "unidirectional", f32),
    ("rnn_relu", 1, "bidirectional", f32),
]


@pytest.mark.parametrize("mode,layers,direction,dtype", CASES, ids=[f"{m}-{n}-{d[:3]}" for m, n, d, _ in CASES])
@pytest.mark.parametrize("version", ["CudnnRNN", "CudnnRNNV2", "CudnnRNNV3"])
def test_forward_and_gradients_match_tf_reference(tf1, mode, layers, direction, dtype, version):
    rng = np.random.default_rng(len(mode) + layers)
    time, batch, input_size, units = 5, 3, 4, 3
    dirs = 2 if direction == "bidirectional" else 1
    weights, params = _canonical(rng, mode, layers, dirs, input_size, units, dtype)
    x = rng.standard_normal((time, batch, input_size)).astype(dtype)
    h0 = (rng.standard_normal((layers * dirs, batch, units)) * 0.5).astype(dtype)
    c0 = (rng.standard_normal((layers * dirs, batch, units)) * 0.5).astype(dtype)
    lengths = np.array([5, 3, 1], np.int32) if version == "CudnnRNNV3" else None
    dy = rng.standard_normal((time, batch, dirs * units)).astype(dtype)

    with tf1.Graph().as_default():
        tx, th, tc = tf1.constant(x), tf1.constant(h0), tf1.constant(c0)
        out, out_h, out_c = _reference(tf1, mode, tx, th, tc, weights, dirs, lengths)
        wrt = [tx, th] + ([tc] if mode == "lstm" else [])
        loss = tf1.reduce_sum(out * dy) + tf1.reduce_sum(out_h) + (tf1.reduce_sum(out_c * 2) if mode == "lstm" else 0)
        fetch = [out, out_h] + ([out_c] if mode == "lstm" else []) + tf1.gradients(loss, wrt)
        with tf1.Session() as sess:
            expected = sess.run(fetch)

    with tm.Graph().as_default():
        tx, th, tc, tp = tm.constant(x), tm.constant(h0), tm.constant(c0), tm.constant(params)
        kwargs = dict(input=tx, input_h=th, input_c=tc, params=tp, rnn_mode=mode, direction=direction)
        if version == "CudnnRNNV3":
            kwargs["sequence_lengths"] = tm.constant(lengths)
        outs = getattr(tm.raw_ops, version)(**kwargs)
        out, out_h, out_c = outs[0], outs[1], outs[2]
        wrt = [tx, th] + ([tc] if mode == "lstm" else [])
        loss = tm.reduce_sum(out * dy) + tm.reduce_sum(out_h) + (tm.reduce_sum(out_c * 2) if mode == "lstm" else 0)
        fetch = [out, out_h] + ([out_c] if mode == "lstm" else []) + tm.gradients(loss, wrt)
        with tm.Session() as sess:
            actual = sess.run(fetch)
        assert [o.type for o in tm.get_default_graph().get_operations() if o.type.startswith("CudnnRNNBackprop")] == [
            version.replace("CudnnRNN", "CudnnRNNBackprop")
        ]
    tol = 1e-5 if dtype == f32 else 1e-10
    for ours, theirs in zip(actual, expected):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=tol * 10, atol=tol)


def test_lstm_equals_tfs_block_lstm_v2_kernel(tf1):
    """Forward against TF's own CPU LSTM kernel: BlockLSTMV2 with w = [W; R]^T and b = b_W + b_R (IFCO gates)."""
    import tensorflow as tf

    rng = np.random.default_rng(3)
    weights, params = _canonical(rng, "lstm", 1, 1, 4, 5)
    w, r, bw, br = weights[0]
    x = rng.standard_normal((6, 2, 4)).astype(f32)
    h0, c0 = rng.standard_normal((1, 2, 5)).astype(f32), rng.standard_normal((1, 2, 5)).astype(f32)
    with tf1.Graph().as_default():
        block = tf.raw_ops.BlockLSTMV2(
            seq_len_max=np.int64(6), x=x, cs_prev=c0[0], h_prev=h0[0], w=np.concatenate([w, r], 1).T,
            wci=np.zeros(5, f32), wcf=np.zeros(5, f32), wco=np.zeros(5, f32), b=bw + br,
        )  # fmt: skip
        with tf1.Session() as sess:
            _, cs, _, _, _, _, h = sess.run(block)
    with tm.Graph().as_default():
        out, out_h, out_c, _ = tm.raw_ops.CudnnRNN(input=x, input_h=h0, input_c=c0, params=params)
        with tm.Session() as sess:
            out, out_h, out_c = sess.run([out, out_h, out_c])
    np.testing.assert_allclose(out, h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out_h[0], h[-1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out_c[0], cs[-1], rtol=1e-5, atol=1e-6)


def test_batch_major_v3_and_static_shapes_match_tfs_shape_functions(tf1):
    """time_major=False transposes in and out; static shapes are what TF's shape functions give (TF builds the op
    on a CPU graph, it only cannot run it)."""
    import tensorflow as tf

    rng = np.random.default_rng(9)
    weights, params = _canonical(rng, "gru", 1, 2, 4, 3)
    x = rng.standard_normal((2, 5, 4)).astype(f32)  # batch-major
    h0, c0 = np.zeros((2, 2, 3), f32), np.zeros((2, 2, 3), f32)
    lengths = np.array([5, 2], np.int32)
    shapes = []
    for api, raw in ((tf1, tf.raw_ops), (tm, tm.raw_ops)):
        with api.Graph().as_default():
            outs = raw.CudnnRNNV3(input=x, input_h=h0, input_c=c0, params=params, sequence_lengths=lengths,
                                  rnn_mode="gru", direction="bidirectional", time_major=False)  # fmt: skip
            shapes.append([o.shape.as_list() if o.shape.rank is not None else None for o in outs])
            if api is tm:
                with tm.Session() as sess:
                    batch_major = sess.run(outs[0])
    assert shapes[1] == shapes[0]
    with tm.Graph().as_default():
        outs = tm.raw_ops.CudnnRNNV3(input=np.transpose(x, (1, 0, 2)), input_h=h0, input_c=c0, params=params,
                                     sequence_lengths=lengths, rnn_mode="gru", direction="bidirectional")  # fmt: skip
        with tm.Session() as sess:
            time_major = sess.run(outs[0])
    np.testing.assert_allclose(batch_major, np.transpose(time_major, (1, 0, 2)), rtol=1e-6)


def test_gradient_refuses_inference_mode_as_tf(tf1):
    import tensorflow as tf

    rng = np.random.default_rng(1)
    _, params = _canonical(rng, "lstm", 1, 1, 2, 2)
    x, h = np.ones((2, 1, 2), f32), np.zeros((1, 1, 2), f32)
    messages = []
    for api, raw in ((tf1, tf.raw_ops), (tm, tm.raw_ops)):
        with api.Graph().as_default():
            tx = api.constant(x)
            out = raw.CudnnRNN(input=tx, input_h=h, input_c=h, params=params, is_training=False)[0]
            with pytest.raises(ValueError) as error:
                api.gradients(out, tx)
            messages.append(str(error.value))
    assert messages[1] == messages[0]


@pytest.mark.parametrize(
    "kwargs,error",
    [
        ({"input_mode": "skip_input"}, tm.errors.UnimplementedError),
        ({"input_mode": "auto_select"}, tm.errors.UnimplementedError),
        ({"params": np.zeros(7, f32)}, tm.errors.InvalidArgumentError),
        ({"dropout": 0.5, "layers": 2}, tm.errors.UnimplementedError),
    ],
    ids=["skip-input", "auto-select-equal-widths", "params-size", "dropout"],
)
def test_unsupported_and_bad_inputs_raise_torchmeta_errors(kwargs, error):
    kwargs = dict(kwargs)
    layers = kwargs.pop("layers", 1)
    _, params = _canonical(np.random.default_rng(2), "lstm", layers, 1, 2, 2)
    params = kwargs.pop("params", params)
    h = np.zeros((layers, 1, 2), f32)
    with tm.Graph().as_default():
        out = tm.raw_ops.CudnnRNN(input=np.ones((2, 1, 2), f32), input_h=h, input_c=h, params=params, **kwargs)[0]
        with tm.Session() as sess, pytest.raises(error):
            sess.run(out)


# ---------------------------------------------------------------------------------------------
# CudnnRNNParamsSize and the params <-> canonical conversions. TF has GPU kernels only: their OpDefs and shape
# functions are checked against TF (tests/ops/test_op_defs.py and here), their values against the layout TF's
# Python writes (tf_keras' gru_lstm_utils.canonical_to_params, which feeds CudnnRNNV3 on a GPU) and round trips.

PARAM_CASES = [
    ("lstm", 1, "unidirectional", f32),
    ("gru", 2, "bidirectional", f64),
    ("rnn_tanh", 3, "unidirectional", np.float16),
    ("rnn_relu", 2, "bidirectional", f32),
    ("lstm", 2, "bidirectional", f64),
]


def _canonical_list(weights):
    """The canonical tensors in TF's region order: per (layer, direction) each gate's W then each gate's R, as
    [units, width] matrices; then per (layer, direction) each gate's b_W then b_R."""
    mats, vecs = [], []
    for w, r, bw, br in weights:
        g = w.shape[0] // r.shape[1]
        mats += np.split(w, g) + np.split(r, g)
        vecs += np.split(bw, g) + np.split(br, g)
    return mats, vecs


def _convert(r, layers, units, input_size, mode, direction, dtype, params=None, canonical=None, version=""):
    common = dict(rnn_mode=mode, direction=direction)
    sizes = dict(num_layers=tm.constant(layers), num_units=tm.constant(units), input_size=tm.constant(input_size))
    if params is not None:
        n = len(canonical[0])
        counts = {"num_params": n} if not version else {"num_params_weights": n, "num_params_biases": n}
        op = getattr(r, f"CudnnRNNParamsToCanonical{version}")
        weights, biases = op(params=params if isinstance(params, tm.Tensor) else tm.constant(params), **counts,
                             **sizes, **common)  # fmt: skip
        return [*weights, *biases]
    op = getattr(r, f"CudnnRNNCanonicalToParams{version}")
    weights, biases = ([tm.constant(t) for t in ts] for ts in canonical)
    return op(weights=weights, biases=biases, **sizes, **common)


@pytest.mark.parametrize("version", ["", "V2"])
@pytest.mark.parametrize(
    "mode,layers,direction,dtype", PARAM_CASES, ids=[f"{m}-{n}-{d[:3]}" for m, n, d, _ in PARAM_CASES]
)
def test_params_round_trip_on_the_canonical_layout(mode, layers, direction, dtype, version):
    """CanonicalToParams writes the weights then the biases, flattened in region order (the buffer the CudnnRNN
    tests run on); ParamsToCanonical hands back [units, width] matrices and [units] vectors, bit for bit;
    CudnnRNNParamsSize is the buffer's length."""
    rng = np.random.default_rng(7)
    input_size, units, dirs = 5, 3, 2 if direction == "bidirectional" else 1
    weights, params = _canonical(rng, mode, layers, dirs, input_size, units, dtype)
    canonical = _canonical_list(weights)
    r = tm.raw_ops
    with tm.Graph().as_default(), tm.Session() as sess:
        to_params = _convert(r, layers, units, input_size, mode, direction, dtype, canonical=canonical, version=version)
        back = _convert(r, layers, units, input_size, mode, direction, dtype, to_params, canonical, version)
        size = r.CudnnRNNParamsSize(
            num_layers=tm.constant(layers), num_units=tm.constant(units), input_size=tm.constant(input_size),
            T=tm.as_dtype(dtype), S=tm.int64, rnn_mode=mode, direction=direction,
        )  # fmt: skip
        got_params, got_back, got_size = sess.run([to_params, back, size])
    assert got_params.dtype == dtype
    np.testing.assert_array_equal(got_params, params)
    assert got_size.tolist() == [params.size] and got_size.dtype == np.int64
    expected = canonical[0] + canonical[1]
    assert [t.shape for t in got_back] == [t.shape for t in expected]
    for mine, theirs in zip(got_back, expected):
        assert mine.dtype == dtype
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_params_equal_tf_keras_canonical_to_params(tf1, mode):
    """tf_keras' LSTM/GRU GPU path builds CudnnRNNV3's params with gru_lstm_utils.canonical_to_params from its
    kernels (split per gate, transposed) and biases (cuDNN's b_W zero, b_R the layer's bias): our
    CudnnRNNCanonicalToParams on the same canonical tensors gives TF's buffer bit for bit, and
    CudnnRNNParamsToCanonical takes TF's buffer apart into the transposed gate kernels and the biases."""
    import tensorflow as tf
    from tf_keras.src.layers.rnn import gru_lstm_utils

    rng = np.random.default_rng(3)
    gates, input_size, units = GATES[mode], 4, 3
    kernel = rng.standard_normal((input_size, gates * units)).astype(f32)
    recurrent = rng.standard_normal((units, gates * units)).astype(f32)
    bias = rng.standard_normal(2 * gates * units).astype(f32)
    with tf.Graph().as_default():
        weights = tf.split(kernel, gates, axis=1) + tf.split(recurrent, gates, axis=1)
        built = gru_lstm_utils.canonical_to_params(
            weights=weights, biases=tf.split(bias, 2 * gates), shape=tf.constant([-1]), transpose_weights=True
        )
        with tf1.Session() as sess:
            tf_params = sess.run(built)
    canonical = (
        [w.T.copy() for w in np.split(kernel, gates, axis=1) + np.split(recurrent, gates, axis=1)],
        np.split(bias, 2 * gates),
    )
    r = tm.raw_ops
    with tm.Graph().as_default(), tm.Session() as sess:
        ours = sess.run(_convert(r, 1, units, input_size, mode, "unidirectional", f32, canonical=canonical))
        taken_apart = sess.run(_convert(r, 1, units, input_size, mode, "unidirectional", f32, tf_params, canonical))
    np.testing.assert_array_equal(ours, tf_params)
    for mine, theirs in zip(taken_apart, canonical[0] + canonical[1]):
        np.testing.assert_array_equal(mine, theirs)


def _param_graphs(lib, r):
    sizes = dict(num_layers=lib.constant(2), num_units=lib.constant(3), input_size=lib.constant(4))
    params = lib.placeholder(lib.float32, [None])
    w = [lib.placeholder(lib.float32)] * 4
    return [
        r.CudnnRNNParamsSize(**sizes, T=lib.float32, S=lib.int32, rnn_mode="gru"),
        *r.CudnnRNNParamsToCanonical(params=params, num_params=4, **sizes, rnn_mode="rnn_tanh")[0],
        *r.CudnnRNNParamsToCanonical(params=params, num_params=4, **sizes, rnn_mode="rnn_tanh")[1],
        *r.CudnnRNNParamsToCanonicalV2(params=params, num_params_weights=4, num_params_biases=2, **sizes)[0],
        *r.CudnnRNNParamsToCanonicalV2(params=params, num_params_weights=4, num_params_biases=2, **sizes)[1],
        r.CudnnRNNCanonicalToParams(weights=w, biases=w, **sizes, rnn_mode="rnn_tanh"),
        r.CudnnRNNCanonicalToParamsV2(weights=w, biases=w[:2], **sizes),
    ]


def test_param_ops_static_shapes_and_shape_errors_match_tf(tf1):
    import tensorflow as tf

    shapes = []
    for lib, r in ((tf1, tf.raw_ops), (tm, tm.raw_ops)):
        with lib.Graph().as_default():
            shapes.append([t.shape.as_list() if t.shape.rank is not None else None for t in _param_graphs(lib, r)])
    assert shapes[1] == shapes[0]
    for build in (
        lambda lib, r: r.CudnnRNNParamsSize(
            num_layers=lib.constant([2]), num_units=lib.constant(3), input_size=lib.constant(4), T=lib.float32,
            S=lib.int32,
        ),
        lambda lib, r: r.CudnnRNNParamsToCanonical(
            params=lib.constant([[1.0]]), num_params=2, num_layers=lib.constant(1), num_units=lib.constant(1),
            input_size=lib.constant(1), rnn_mode="rnn_relu",
        ),
    ):  # fmt: skip
        messages = []
        for lib, r in ((tf1, tf.raw_ops), (tm, tm.raw_ops)):
            with lib.Graph().as_default(), pytest.raises(ValueError) as e:
                build(lib, r)
            messages.append(str(e.value).split(" for '")[0])
        assert messages[1] == messages[0]


def test_tf_has_no_cpu_kernel_for_the_param_ops(tf1):
    """Why these ops are compared with the layout and round trips rather than run in TF: TF 2.21 registers them
    for the GPU only."""
    import tensorflow as tf

    with tf.Graph().as_default():
        size = tf.raw_ops.CudnnRNNParamsSize(
            num_layers=tf.constant(1), num_units=tf.constant(2), input_size=tf.constant(3), T=tf.float32, S=tf.int32
        )
        with tf1.Session() as sess, pytest.raises(tf.errors.OpError, match="CudnnRNNParamsSize"):
            sess.run(size)


def _lstm_sizes(lib, layers=1):
    return dict(num_layers=lib.constant(layers), num_units=lib.constant(2), input_size=lib.constant(3))


@pytest.mark.parametrize(
    "build, error, message",
    [
        (
            lambda r: r.CudnnRNNParamsToCanonical(params=tm.zeros([56]), num_params=4, **_lstm_sizes(tm)),
            tm.errors.InvalidArgumentError,
            "C Number of params mismatch. Expected 4, got 8",
        ),
        (
            lambda r: r.CudnnRNNParamsToCanonical(params=tm.zeros([56]), num_params=3, **_lstm_sizes(tm, 2)),
            tm.errors.InvalidArgumentError,
            "Number of params (weights) is not a multipleof num_layers * num_dirs.",
        ),
        (
            lambda r: r.CudnnRNNParamsToCanonical(params=tm.zeros([55]), num_params=8, **_lstm_sizes(tm)),
            tm.errors.InvalidArgumentError,
            "Invalid params size: expected 56 elements, got 55",
        ),
        (
            lambda r: r.CudnnRNNCanonicalToParams(
                weights=[tm.zeros([2, 3])] * 4 + [tm.zeros([2, 2])] * 3 + [tm.zeros([3])],
                biases=[tm.zeros([2])] * 8,
                **_lstm_sizes(tm),
            ),
            tm.errors.InvalidArgumentError,
            "Params size mismatch. Expected 4, got 3",
        ),
        (
            lambda r: r.CudnnRNNParamsSize(
                num_layers=tm.constant(1),
                num_units=tm.constant(3),
                input_size=tm.constant(3),
                T=tm.float32,
                S=tm.int32,
                input_mode="auto_select",
            ),
            tm.errors.UnimplementedError,
            "input_mode 'skip_input'",
        ),
        (
            lambda r: r.CudnnRNNParamsSize(**_lstm_sizes(tm), T=tm.float32, S=tm.int32, num_proj=1),
            tm.errors.UnimplementedError,
            "num_proj",
        ),
    ],
    ids=["num-params", "not-a-multiple", "params-size", "canonical-size", "auto-select-skip", "num-proj"],
)
def test_param_op_errors(build, error, message):
    """TF's kernel wording (including its missing spaces); a buffer of the wrong size, which TF's GPU kernel reads
    without checking (cuDNN sized it), is refused."""
    with tm.Graph().as_default(), tm.Session() as sess, pytest.raises(error) as e:
        sess.run(build(tm.raw_ops))
    assert message in str(e.value)
