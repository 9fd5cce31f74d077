"""The seed document's inference graph, both ways: TF builds and exports it and torchmeta runs it to
TF's logits; torchmeta builds and exports it and TensorFlow runs it to torchmeta's logits."""

import math
import os

import numpy as np

import torchmeta as tm


def build_inference_graph(tf):
    """The seed's inference graph, written exactly as the document writes it (only `tf` varies)."""
    images = tf.constant(1.2, tf.float32, shape=[100, 28])
    with tf.name_scope("hidden1"):
        weights = tf.Variable(tf.truncated_normal([28, 128], stddev=1.0 / math.sqrt(float(28))), name="weights")
        biases = tf.Variable(tf.zeros([128]), name="biases")
        hidden1 = tf.nn.relu(tf.matmul(images, weights) + biases)
    with tf.name_scope("hidden2"):
        weights = tf.Variable(tf.truncated_normal([128, 32], stddev=1.0 / math.sqrt(float(128))), name="weights")
        biases = tf.Variable(tf.zeros([32]), name="biases")
        hidden2 = tf.nn.relu(tf.matmul(hidden1, weights) + biases)
    with tf.name_scope("softmax_linear"):
        weights = tf.Variable(tf.truncated_normal([32, 10], stddev=1.0 / math.sqrt(float(32))), name="weights")
        biases = tf.Variable(tf.zeros([10]), name="biases")
        logits = tf.matmul(hidden2, weights) + biases
        tf.add_to_collection("logits", logits)
    return logits


def _graph_summary(graph):
    return [
        (op.name, op.type, [t.name for t in op.inputs], [c.name for c in op.control_inputs])
        for op in graph.get_operations()
    ]


def test_same_graph_as_tensorflow(tf1):
    g1, g2 = tf1.Graph(), tm.Graph()
    with g1.as_default():
        build_inference_graph(tf1)
        tf1.initialize_all_variables()
    with g2.as_default():
        build_inference_graph(tm)
        tm.initialize_all_variables()
    assert _graph_summary(g2) == _graph_summary(g1)


def test_tf_exports_torchmeta_runs_to_tf_logits(tf1, tmp_path):
    prefix = str(tmp_path / "tf-model")
    g = tf1.Graph()
    with g.as_default():
        logits = build_inference_graph(tf1)
        init_all_op = tf1.initialize_all_variables()
        with tf1.Session() as sess:
            sess.run(init_all_op)
            expected = sess.run(logits)
            tf1.train.Saver().save(sess, prefix)  # also writes tf-model.meta
    with tm.Graph().as_default():
        saver = tm.train.import_meta_graph(prefix + ".meta")
        ours = tm.get_collection("logits")[0]
        with tm.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_allclose(sess.run(ours), expected, rtol=1e-5, atol=1e-6)


def test_torchmeta_exports_tf_runs_to_torchmeta_logits(tf1, tmp_path):
    prefix = str(tmp_path / "tm-model")
    with tm.Graph().as_default():
        logits = build_inference_graph(tm)
        init_all_op = tm.initialize_all_variables()
        with tm.Session() as sess:
            sess.run(init_all_op)
            expected = sess.run(logits)
            tm.train.Saver(format="tf").save(sess, prefix)
    assert os.path.exists(prefix + ".meta") and os.path.exists(prefix + ".index")
    g = tf1.Graph()
    with g.as_default():
        saver = tf1.train.import_meta_graph(prefix + ".meta")
        theirs = tf1.get_collection("logits")[0]
        with tf1.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_allclose(sess.run(theirs), expected, rtol=1e-5, atol=1e-6)


def test_variable_values_fed_to_both_give_the_same_logits(tf1):
    """Same variable values in both frameworks (assigned explicitly), same logits."""
    rng = np.random.default_rng(3)
    values = {}
    results = []
    for api in (tf1, tm):
        g = api.Graph()
        with g.as_default():
            logits = build_inference_graph(api)
            with api.Session() as sess:
                sess.run(api.global_variables_initializer())
                for v in api.global_variables():
                    key = v.op.name
                    if key not in values:
                        values[key] = rng.standard_normal(v.shape.as_list()).astype(np.float32)
                    v.load(values[key], sess)
                results.append(sess.run(logits))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-5)
