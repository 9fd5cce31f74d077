"""to_module: TF1 while loops (a dynamic_rnn LSTM that TensorFlow built, exported and trained) run in the module
to TF's outputs and gradients, and the module trains with torch.optim; eject names the loop in its error."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta import errors
from torchmeta.tools import eject as eject_lib

X = np.random.RandomState(0).randn(3, 5, 4).astype(np.float32)
LABELS = np.array([1, 0, 2])


def _dynamic_rnn(tf):
    x = tf.placeholder(tf.float32, [None, 5, 4], name="x")
    cell = tf.nn.rnn_cell.LSTMCell(6)
    outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    w = tf.get_variable("dense", [6, 3], initializer=tf.constant_initializer(np.linspace(-1, 1, 18).reshape(6, 3)))
    logits = tf.matmul(state.h + tf.reduce_mean(outputs, axis=1), w, name="logits")
    return x, logits


def test_dynamic_rnn_runs_in_a_module_to_tensorflows_outputs_and_gradients(tf1, tmp_path):
    with tf1.Graph().as_default():
        x, logits = _dynamic_rnn(tf1)
        loss = tf1.losses.sparse_softmax_cross_entropy(LABELS, logits)
        variables = tf1.trainable_variables()
        grads = tf1.gradients(loss, variables)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            prefix = tf1.train.Saver().save(sess, str(tmp_path / "rnn"))
            want_logits, want_grads = sess.run([logits, grads], {x: X})
        names = {v.op.name: g for v, g in zip(variables, want_grads)}
    module = tm.to_module(prefix + ".meta", ["x:0"], ["logits:0"], checkpoint=prefix)
    got = module(torch.from_numpy(X))
    assert got.shape == want_logits.shape and got.dtype == torch.float32
    np.testing.assert_allclose(got.detach().numpy(), want_logits, rtol=1e-5, atol=1e-6)
    loss = torch.nn.functional.cross_entropy(got, torch.from_numpy(LABELS))
    loss.backward()
    params = dict(module.named_parameters())
    assert sorted(module.tf_variable_names[a] for a in params) == sorted(names)
    for attr, p in params.items():  # autograd through the Python loop gives tf.gradients' values
        np.testing.assert_allclose(p.grad.numpy(), names[module.tf_variable_names[attr]], rtol=1e-4, atol=1e-6)
    opt = torch.optim.SGD(module.parameters(), lr=0.5)
    before = loss.item()
    for _ in range(3):
        opt.step()
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(module(torch.from_numpy(X)), torch.from_numpy(LABELS))
        loss.backward()
    assert loss.item() < before


def test_eject_names_the_while_loop_in_its_error(tmp_path):
    x, logits = _dynamic_rnn(tm)
    with tm.Session() as sess:
        sess.run(tm.global_variables_initializer())
        with pytest.raises(errors.UnimplementedError, match=r"While\(v1\) \('rnn/while"):
            eject_lib.eject(tm.get_default_graph(), tmp_path / "out", ["x:0"], ["logits:0"], session=sess)
    assert not (tmp_path / "out").exists()
