"""One model written by TensorFlow and by torchmeta from the same code: ``build(tf)`` runs with either module."""

import numpy as np

X = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3)
W = np.arange(6, dtype=np.float32).reshape(3, 2) / 7.0 - 0.3
B = np.array([0.25, -0.5], dtype=np.float32)


def build(tf, asset_path=None):
    """The seed-style MLP head: x -> softmax(x @ w + b), plus (optionally) an asset whose path a main op stores."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(W, name="w")
    b = tf.Variable(B, name="b")
    logits = tf.add(tf.matmul(x, w), b, name="logits")
    y = tf.nn.softmax(logits, name="y")
    out = {"x": x, "w": w, "b": b, "logits": logits, "y": y}
    if asset_path is not None:
        asset = tf.constant(asset_path, name="vocab_path")
        tf.add_to_collection(tf.GraphKeys.ASSET_FILEPATHS, asset)
        stored = tf.Variable(b"", name="stored_path", trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES])
        out.update(asset=asset, stored=stored)
        out["main_op"] = tf.group(tf.local_variables_initializer(), name="main_op_init")
        with tf.control_dependencies([out["main_op"]]):
            out["main_op"] = tf.group(tf.assign(stored, asset), name="main_op")
    return out


def save(tf, sess, export_dir, model, as_text=False, second_graph=True):
    """A SavedModel with a serving MetaGraph (predict + regression-free signatures) and, optionally, a train one."""
    sm = tf.saved_model
    builder = sm.builder.SavedModelBuilder(export_dir)
    signatures = {
        sm.signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY: sm.signature_def_utils.predict_signature_def(
            {"x": model["x"]}, {"y": model["y"], "logits": model["logits"]}
        )
    }
    assets = [model["asset"]] if "asset" in model else None
    builder.add_meta_graph_and_variables(
        sess,
        [sm.tag_constants.SERVING],
        signature_def_map=signatures,
        assets_collection=assets,
        main_op=model.get("main_op"),
    )
    if second_graph:
        builder.add_meta_graph([sm.tag_constants.TRAINING, "extra"])
    return builder.save(as_text=as_text)


# A TF2 model (tf.Module, tf.saved_model.save) written by TensorFlow 2.21 in a subprocess (the suite's TF runs in
# TF1 mode): trainable float variables, a non-trainable one, an int one; a tf.function calling another; a second
# function with a Python default; and TF's outputs and gradients (GradientTape) for IMAGES.
IMAGES = np.random.RandomState(3).rand(2, 6, 6, 1).astype(np.float32)
TF2_MODULE_SCRIPT = """
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np
import tensorflow as tf

export_dir, images_path, out_path, traces = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "traces"

class Net(tf.Module):
    def __init__(self):
        rng = np.random.RandomState(0)
        self.kernel = tf.Variable(rng.randn(3, 3, 1, 4).astype(np.float32), name="kernel")
        self.dense = tf.Variable(rng.randn(36, 3).astype(np.float32) * 0.1, name="dense")
        self.bias = tf.Variable(np.array([0.1, -0.2, 0.3], np.float32), name="bias")
        self.scale = tf.Variable(2.0, trainable=False, name="scale")
        self.steps = tf.Variable(3, name="steps")

    @tf.function(input_signature=None if traces else [tf.TensorSpec([None, 6, 6, 1], tf.float32, name="images")])
    def features(self, images):
        h = tf.nn.relu(tf.nn.conv2d(images, self.kernel, 1, "SAME"))
        return tf.nn.max_pool2d(h, 2, 2, "VALID")

    @tf.function(input_signature=[tf.TensorSpec([None, 6, 6, 1], tf.float32, name="images")])
    def __call__(self, images):
        flat = tf.reshape(self.features(images), [-1, 36])
        return {"probs": tf.nn.softmax(tf.matmul(flat, self.dense) * self.scale + self.bias)}

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32), tf.TensorSpec([2], tf.int32, name="pair")])
    def extra(self, a, pair, flag=True):
        return a * tf.cast(tf.reduce_sum(pair), tf.float32)

net = Net()
if traces:  # three concrete functions of `features`
    net.features(tf.zeros([1, 6, 6, 1]))
    net.features(tf.zeros([2, 6, 6, 1]))
tf.saved_model.save(net, export_dir, signatures=net.__call__)
images = tf.constant(np.load(images_path))
with tf.GradientTape() as tape:
    probs = net(images)["probs"]
    loss = tf.reduce_sum(probs * tf.constant([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]]))
grads = tape.gradient(loss, [net.kernel, net.dense, net.bias])
np.savez(out_path, probs=probs.numpy(), kernel=grads[0].numpy(), dense=grads[1].numpy(), bias=grads[2].numpy())
"""
LOSS_WEIGHTS = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]], np.float32)


def save_tf2_module(tmp_path, traces=False) -> tuple[str, dict]:
    """Writes the TF2 model's SavedModel under ``tmp_path``; returns (its directory, TF's probs and gradients)."""
    import subprocess
    import sys

    export_dir = str(tmp_path / ("tf2_traces" if traces else "tf2"))
    np.save(tmp_path / "images.npy", IMAGES)
    out = tmp_path / "tf2_expected.npz"
    argv = [sys.executable, "-c", TF2_MODULE_SCRIPT, export_dir, str(tmp_path / "images.npy"), str(out)]
    subprocess.run([*argv, "traces" if traces else "one"], check=True, capture_output=True, timeout=300)
    with np.load(out) as data:
        return export_dir, dict(data)
