"""A TF1 MNIST-style CNN with tf.layers, trained on scikit-learn's 8x8 digits: a classic tf.app.run program.

    python examples/cnn_layers.py [--epochs=4] [--batch=32] [--dir=cnn-model] [--restore=PREFIX]

Runs unchanged in TensorFlow: replace the ``import torchmeta as tf`` line with
``import tensorflow.compat.v1 as tf``. Variables are named as TF names them (``model/conv2d/kernel``,
``model/batch_normalization/moving_mean``, ``model/dense_1/bias``, ...), so a checkpoint either program
writes restores in the other (``--restore=PREFIX`` evaluates one instead of training).
The model: conv 16 (3x3) + max pool + batch norm, conv 32 + flatten, dense 64 + dropout, dense 10;
the evaluation tower reuses the training tower's variables through ``variable_scope(reuse=True)``.
The program prints its variables, the test accuracy, the logits of the first test images and where it
saved the model.
"""

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("epochs", 4, "Passes over the training images.")
flags.DEFINE_integer("batch", 32, "Images per training step.")
flags.DEFINE_string("dir", "cnn-model", "Directory the trained model is saved in.")
flags.DEFINE_string("restore", None, "Evaluate this checkpoint instead of training.")
FLAGS = flags.FLAGS


def load_digits():
    from sklearn.datasets import load_digits as sk_load_digits

    data = sk_load_digits()
    x = (data.data / 16.0).astype(np.float32).reshape(-1, 8, 8, 1)
    y = data.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return (x[:1437], y[:1437]), (x[1437:], y[1437:])


def model(images, training):
    net = tf.layers.conv2d(images, 16, 3, padding="same", activation=tf.nn.relu)
    net = tf.layers.max_pooling2d(net, 2, 2)
    net = tf.layers.batch_normalization(net, training=training)
    net = tf.layers.conv2d(net, 32, 3, padding="same", activation=tf.nn.relu)
    net = tf.layers.flatten(net)
    net = tf.layers.dense(net, 64, activation=tf.nn.relu, kernel_regularizer=tf.keras.regularizers.l2(1e-4))
    net = tf.layers.dropout(net, rate=0.3, training=training)
    return tf.layers.dense(net, 10)


def train_and_evaluate(epochs=4, batch=32, model_dir="cnn-model", restore=None):
    """Trains (or restores ``restore``) and evaluates; returns the accuracy, the checkpoint prefix, the
    variables' names and the logits of the first 8 test images."""
    (x_train, y_train), (x_test, y_test) = load_digits()

    tf.reset_default_graph()
    tf.set_random_seed(1)
    images = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    with tf.variable_scope("model"):
        logits = model(images, training=True)
    with tf.variable_scope("model", reuse=True):
        eval_logits = model(images, training=False)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits) + tf.losses.get_regularization_loss()
    global_step = tf.train.get_or_create_global_step()
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = tf.train.AdamOptimizer(0.003).minimize(loss, global_step=global_step)
    correct = tf.equal(tf.argmax(eval_logits, 1), labels)
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")
    saver = tf.train.Saver()

    with tf.Session() as sess:
        if restore:
            saver.restore(sess, restore)
            prefix = restore
        else:
            sess.run(tf.global_variables_initializer())
            order = np.random.default_rng(1)
            for _ in range(epochs):
                perm = order.permutation(len(x_train))
                for start in range(0, len(x_train), batch):
                    idx = perm[start : start + batch]
                    sess.run(train_op, {images: x_train[idx], labels: y_train[idx]})
            prefix = saver.save(sess, model_dir + "/model", global_step=global_step)
        test_accuracy = float(sess.run(accuracy, {images: x_test, labels: y_test}))
        return {
            "accuracy": test_accuracy,
            "prefix": prefix,
            "variables": [v.op.name for v in tf.global_variables()],
            "logits": sess.run(eval_logits, {images: x_test[:8]}),
        }


def main(argv):
    result = train_and_evaluate(FLAGS.epochs, FLAGS.batch, FLAGS.dir, FLAGS.restore)
    print("variables:", " ".join(result["variables"]))
    print(f"test accuracy {result['accuracy']:.6f}")
    print("logits of the first test images:", " ".join(repr(float(v)) for v in result["logits"].ravel()))
    print("model saved in", result["prefix"])
    return 0


if __name__ == "__main__":
    tf.app.run()
