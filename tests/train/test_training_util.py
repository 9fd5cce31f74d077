"""Global-step helpers against TensorFlow's: the variable they create, what they find, what they refuse."""

from __future__ import annotations

import os

import pytest

import torchmeta as tm
from tests.train.helpers import graph_structure, outcome, run_both, tf_proto_as_ours
from torchmeta._proto import graph_pb2

pytest.importorskip("tensorflow")


def _nodes(graph):
    gd = tf_proto_as_ours(graph.as_graph_def(), graph_pb2.GraphDef)
    for node in gd.node:
        node.attr.pop("_has_manual_control_dependencies", None)
    return list(gd.node)


def test_create_global_step_builds_tensorflows_variable(tf1):
    def build(tf):
        g = tf.Graph()
        with g.as_default():
            with tf.name_scope("somewhere"):  # created in the graph's root name scope anyway
                step = tf.train.get_or_create_global_step()
            assert tf.train.get_or_create_global_step() is step
            return g, step

    tf_graph, tf_step = build(tf1)
    tm_graph, tm_step = build(tm)
    assert _nodes(tm_graph) == _nodes(tf_graph)
    assert tm_step.name == tf_step.name == "global_step:0"
    assert tm_graph.get_collection("global_step") == [tm_step]
    assert tm_graph.get_collection("trainable_variables") == []
    with tm.Session(graph=tm_graph) as sess:
        sess.run(tm_step.initializer)
        assert tm.train.global_step(sess, tm_step) == 0
        assert isinstance(tm.train.global_step(sess, tm_step), int)


def test_global_step_lookup_and_errors(tf1):
    def scenario(api, d):
        tf = api.tf
        out = []
        with tf.Graph().as_default() as g:
            out.append(tf.train.get_global_step())
            tf.train.create_global_step()
            out.append(tf.train.get_global_step(g).name)
            out.append(outcome(tf.train.create_global_step)[0:2])
        with tf.Graph().as_default() as g:  # found by name, not collection
            by_name = tf.Variable(3, name="global_step")
            out.append(tf.train.get_global_step().name)
            out.append(tf.train.get_global_step() is by_name or tf.train.get_global_step() == by_name)
        with tf.Graph().as_default():
            tf.Variable(1.5, name="global_step")
            out.append(outcome(tf.train.get_global_step)[0])
        with tf.Graph().as_default():
            tf.Variable([1, 2], name="global_step")
            out.append(outcome(tf.train.get_global_step)[0])
        with tf.Graph().as_default():
            a = tf.Variable(1, name="a")
            b = tf.Variable(2, name="b")
            tf.add_to_collection("global_step", a)
            tf.add_to_collection("global_step", b)
            out.append(tf.train.get_global_step())  # several: logged, None
        out.append(outcome(tf.train.assert_global_step, "not a tensor")[0])
        return out

    tf_out, tm_out = run_both(tf1, scenario, "/unused")
    assert tm_out == tf_out
    assert tf_out[:3] == [None, "global_step:0", ("ValueError", '"global_step" already exists.')]
    assert tf_out[5:] == ["TypeError", "TypeError", None, "TypeError"]


def test_global_step_as_save_step(tf1, tmp_path):
    def scenario(api, d):
        tf = api.tf
        with tf.Graph().as_default():
            step = tf.train.get_or_create_global_step()
            bump = tf.assign_add(step, 41)
            v = tf.Variable(1.0, name="v")
            saver = api.Saver([v, step])
            with api.Session() as sess:
                sess.run(tf.global_variables_initializer())
                sess.run(bump)
                return saver.save(sess, os.path.join(d, "model"), global_step=step)

    tf_out, tm_out = run_both(tf1, scenario, tmp_path)
    assert tm_out == tf_out == "<dir>/model-41"


def test_global_step_read_is_tfs_and_runs_before_initialization(tf1):
    """The hooks' global-step copy (``global_step/add``) reads the step through TF's
    cond(is_variable_initialized, read_value, initial_value): the same nodes, and 0 before the
    variables are initialized."""
    from tensorflow.python.training import training_util as tf_training_util

    from torchmeta.train import training_util as tm_training_util

    def build(api, make_read):
        g = api.Graph()
        with g.as_default():
            step = api.train.get_or_create_global_step()
            read = make_read()
            assert make_read() is read
            with api.Session(graph=g) as sess:
                before = sess.run(read)
                sess.run(step.initializer)
                sess.run(step.assign(7))
                after = sess.run(read)
        return graph_structure(g), read.name, before, after

    ours = build(tm, tm_training_util.get_or_create_global_step_read)
    theirs = build(tf1, tf_training_util._get_or_create_global_step_read)
    assert ours == theirs
    assert ours[1:] == ("global_step/add:0", 0, 7)
