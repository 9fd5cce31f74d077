"""A TF1 CNN whose batch norm and dropout switch on an ``is_training`` placeholder, trained and evaluated.

    python examples/is_training_cnn.py [--steps 90] [--dir is-training-model] [--restore PREFIX]

Runs unchanged in TensorFlow: replace the ``import torchmeta as tf`` line with
``import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()``. One graph serves training and
evaluation: ``is_training`` (a ``placeholder_with_default(False)``) is fed True for training steps, so
``tf.layers.batch_normalization`` (fused after the convolution, plain after the dense layer) and
``tf.layers.dropout`` build ``tf.cond``s between their training and inference branches, and the moving
statistics update under the cond through UPDATE_OPS. The learning rate is a ``piecewise_constant``
schedule (a ``tf.case``), an ExponentialMovingAverage keeps shadows of the weights, and the evaluation
streams ``tf.metrics`` over the test set. Variables are named as TF names them, so a checkpoint either
program writes restores in the other (``--restore PREFIX`` evaluates one, with the averaged weights).
"""

import argparse

import numpy as np

import torchmeta as tf


def load_digits():
    from sklearn.datasets import load_digits as sk_load_digits

    data = sk_load_digits()
    x = (data.data / 16.0).astype(np.float32).reshape(-1, 8, 8, 1)
    y = data.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return (x[:1437], y[:1437]), (x[1437:], y[1437:])


def model(images, is_training):
    net = tf.layers.conv2d(images, 8, 3, padding="same", use_bias=False)
    net = tf.nn.relu(tf.layers.batch_normalization(net, training=is_training, momentum=0.9))
    net = tf.layers.max_pooling2d(net, 2, 2)
    net = tf.layers.flatten(net)
    net = tf.layers.dense(net, 32)
    net = tf.nn.relu(tf.layers.batch_normalization(net, training=is_training, momentum=0.9))
    net = tf.layers.dropout(net, rate=0.25, training=is_training, seed=7)
    return tf.layers.dense(net, 10)


def build_graph():
    """The training and evaluation graph in the default graph: placeholders, loss, train op, metrics."""
    images = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    is_training = tf.placeholder_with_default(False, [], name="is_training")
    logits = model(images, is_training)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    global_step = tf.train.get_or_create_global_step()
    learning_rate = tf.train.piecewise_constant(global_step, [30, 60], [0.05, 0.02, 0.005])
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        minimize = tf.train.MomentumOptimizer(learning_rate, 0.9).minimize(loss, global_step=global_step)
    ema = tf.train.ExponentialMovingAverage(0.9, num_updates=global_step)
    with tf.control_dependencies([minimize]):
        train_op = ema.apply(tf.trainable_variables())
    predictions = tf.argmax(logits, 1)
    accuracy, accuracy_update = tf.metrics.accuracy(labels, predictions)
    per_class, per_class_update = tf.metrics.mean_per_class_accuracy(labels, predictions, 10)
    return {
        "images": images,
        "labels": labels,
        "is_training": is_training,
        "logits": logits,
        "loss": loss,
        "train_op": train_op,
        "global_step": global_step,
        "ema": ema,
        "accuracy": accuracy,
        "accuracy_update": accuracy_update,
        "per_class": per_class,
        "per_class_update": per_class_update,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=90)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--dir", default="is-training-model")
    parser.add_argument("--restore", default=None, help="evaluate this checkpoint (its averaged weights)")
    args = parser.parse_args(argv)
    (x_train, y_train), (x_test, y_test) = load_digits()

    tf.reset_default_graph()
    tf.set_random_seed(3)
    g = build_graph()
    images, labels, is_training, loss, logits = (g[k] for k in ("images", "labels", "is_training", "loss", "logits"))
    ema = g["ema"]

    with tf.Session() as sess:
        losses = []
        if args.restore:
            tf.train.Saver(ema.variables_to_restore()).restore(sess, args.restore)
            prefix = args.restore
        else:
            sess.run(tf.global_variables_initializer())
            order = np.random.default_rng(1)
            perm = order.permutation(len(x_train))
            for step in range(args.steps):
                start = (step * args.batch) % (len(x_train) - args.batch)
                idx = perm[start : start + args.batch]
                feed = {images: x_train[idx], labels: y_train[idx], is_training: True}
                losses.append(float(sess.run([loss, g["train_op"]], feed)[0]))
            prefix = tf.train.Saver().save(sess, args.dir + "/model", global_step=g["global_step"])
        sess.run(tf.local_variables_initializer())
        for start in range(0, len(x_test), 90):
            batch = {images: x_test[start : start + 90], labels: y_test[start : start + 90]}
            sess.run([g["accuracy_update"], g["per_class_update"]], batch)
        test_accuracy, test_per_class = (float(v) for v in sess.run([g["accuracy"], g["per_class"]]))
        print(f"test accuracy {test_accuracy:.4f}, mean per-class accuracy {test_per_class:.4f}")
        return {
            "losses": losses,
            "accuracy": test_accuracy,
            "per_class": test_per_class,
            "prefix": prefix,
            "variables": [v.op.name for v in tf.global_variables()],
            "logits": sess.run(logits, {images: x_test[:8]}),
            "moving_mean": sess.run(tf.global_variables("batch_normalization_1/moving_mean")[0]),
        }


if __name__ == "__main__":
    main()
