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
