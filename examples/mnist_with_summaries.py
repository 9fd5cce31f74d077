"""TensorFlow's classic ``mnist_with_summaries.py`` tutorial (TF 1.x tutorials/mnist), on synthetic digits.

    python examples/mnist_with_summaries.py [--max_steps 40] [--log_dir /tmp/mnist_with_summaries]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). As in the
tutorial: argparse flags handed on through ``tf.app.run(main=main, argv=...)``, a ``tf.InteractiveSession``,
``nn_layer``s whose weights and biases get ``variable_summaries`` (mean, stddev, max, min scalars and a
histogram) and whose pre-activations and activations get histograms, the input as a ``tf.summary.image``,
dropout behind a ``keep_prob`` placeholder (itself a scalar summary), cross entropy and accuracy scalars,
``tf.summary.merge_all`` written by a train and a test ``tf.summary.FileWriter``, and every
``--trace_every``-th training step run with ``tf.RunOptions(trace_level=FULL_TRACE)`` into
``add_run_metadata``. Beyond the tutorial, a ``tf.train.Saver`` keeps a checkpoint every ``--save_every``
steps, and at the end the program reloads ``tf.train.latest_checkpoint`` into a new session and evaluates it.
The data: 28x28 images of noise around one of ten fixed random templates, whose index is the label.
"""

import argparse
import os
import sys

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

FLAGS = None


def read_data_sets(seed=0):
    """Train and test images (its label's template plus noise, in [0, 1]) and int64 labels."""
    rng = np.random.RandomState(seed)
    templates = rng.uniform(size=(10, 784))

    def make(n):
        labels = rng.randint(0, 10, size=n)
        images = np.clip(0.3 * templates[labels] + rng.uniform(0.0, 0.7, size=(n, 784)), 0.0, 1.0)
        return images.astype(np.float32), labels.astype(np.int64)

    return make(300), make(100)


def train():
    (train_images, train_labels), (test_images, test_labels) = read_data_sets()
    tf.set_random_seed(FLAGS.seed)
    sess = tf.InteractiveSession()

    # Input placeholders
    with tf.name_scope("input"):
        x = tf.placeholder(tf.float32, [None, 784], name="x-input")
        y_ = tf.placeholder(tf.int64, [None], name="y-input")

    with tf.name_scope("input_reshape"):
        image_shaped_input = tf.reshape(x, [-1, 28, 28, 1])
        tf.summary.image("input", image_shaped_input, 10)

    def weight_variable(shape):
        """Create a weight variable with appropriate initialization."""
        initial = tf.truncated_normal(shape, stddev=0.1)
        return tf.Variable(initial)

    def bias_variable(shape):
        """Create a bias variable with appropriate initialization."""
        initial = tf.constant(0.1, shape=shape)
        return tf.Variable(initial)

    def variable_summaries(var):
        """Attach a lot of summaries to a Tensor (for TensorBoard visualization)."""
        with tf.name_scope("summaries"):
            mean = tf.reduce_mean(var)
            tf.summary.scalar("mean", mean)
            with tf.name_scope("stddev"):
                stddev = tf.sqrt(tf.reduce_mean(tf.square(var - mean)))
            tf.summary.scalar("stddev", stddev)
            tf.summary.scalar("max", tf.reduce_max(var))
            tf.summary.scalar("min", tf.reduce_min(var))
            tf.summary.histogram("histogram", var)

    def nn_layer(input_tensor, input_dim, output_dim, layer_name, act=tf.nn.relu):
        """Reusable code for making a simple neural net layer."""
        with tf.name_scope(layer_name):
            with tf.name_scope("weights"):
                weights = weight_variable([input_dim, output_dim])
                variable_summaries(weights)
            with tf.name_scope("biases"):
                biases = bias_variable([output_dim])
                variable_summaries(biases)
            with tf.name_scope("Wx_plus_b"):
                preactivate = tf.matmul(input_tensor, weights) + biases
                tf.summary.histogram("pre_activations", preactivate)
            activations = act(preactivate, name="activation")
            tf.summary.histogram("activations", activations)
            return activations

    hidden1 = nn_layer(x, 784, FLAGS.hidden, "layer1")

    with tf.name_scope("dropout"):
        keep_prob = tf.placeholder(tf.float32)
        tf.summary.scalar("dropout_keep_probability", keep_prob)
        dropped = tf.nn.dropout(hidden1, keep_prob)

    # Do not apply softmax activation yet, see below.
    y = nn_layer(dropped, FLAGS.hidden, 10, "layer2", act=tf.identity)

    with tf.name_scope("cross_entropy"):
        with tf.name_scope("total"):
            cross_entropy = tf.losses.sparse_softmax_cross_entropy(labels=y_, logits=y)
    tf.summary.scalar("cross_entropy", cross_entropy)

    with tf.name_scope("train"):
        train_step = tf.train.AdamOptimizer(FLAGS.learning_rate).minimize(cross_entropy)

    with tf.name_scope("accuracy"):
        with tf.name_scope("correct_prediction"):
            correct_prediction = tf.equal(tf.argmax(y, 1), y_)
        with tf.name_scope("accuracy"):
            accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    tf.summary.scalar("accuracy", accuracy)

    # Merge all the summaries and write them out to FLAGS.log_dir
    merged = tf.summary.merge_all()
    train_writer = tf.summary.FileWriter(FLAGS.log_dir + "/train", sess.graph)
    test_writer = tf.summary.FileWriter(FLAGS.log_dir + "/test")
    tf.global_variables_initializer().run()
    saver = tf.train.Saver(max_to_keep=2)

    position = [0]

    def feed_dict(train):
        """Make a TensorFlow feed_dict: maps data onto Tensor placeholders."""
        if train:
            start = position[0]
            position[0] = (start + FLAGS.batch_size) % len(train_images)
            xs = train_images[start : start + FLAGS.batch_size]
            ys = train_labels[start : start + FLAGS.batch_size]
            k = FLAGS.dropout
        else:
            xs, ys = test_images, test_labels
            k = 1.0
        return {x: xs, y_: ys, keep_prob: k}

    for i in range(FLAGS.max_steps):
        if i % 10 == 0:  # Record summaries and test-set accuracy
            summary, acc = sess.run([merged, accuracy], feed_dict=feed_dict(False))
            test_writer.add_summary(summary, i)
            print(f"Accuracy at step {i}: {acc}")
        else:  # Record train set summaries, and train
            if i % FLAGS.trace_every == FLAGS.trace_every - 1:  # Record execution stats
                run_options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
                run_metadata = tf.RunMetadata()
                summary, _ = sess.run(
                    [merged, train_step], feed_dict=feed_dict(True), options=run_options, run_metadata=run_metadata
                )
                train_writer.add_run_metadata(run_metadata, f"step{i:03d}")
                train_writer.add_summary(summary, i)
                print("Adding run metadata for", i)
            else:  # Record a summary
                summary, _ = sess.run([merged, train_step], feed_dict=feed_dict(True))
                train_writer.add_summary(summary, i)
        if i % FLAGS.save_every == FLAGS.save_every - 1:
            saver.save(sess, os.path.join(FLAGS.log_dir, "model.ckpt"), global_step=i)
    train_writer.close()
    test_writer.close()
    print(f"Final test accuracy {accuracy.eval(feed_dict=feed_dict(False)):.6f}")
    sess.close()

    kept = tf.train.get_checkpoint_state(FLAGS.log_dir).all_model_checkpoint_paths
    print("Checkpoints kept:", " ".join(os.path.basename(path) for path in kept))
    latest = tf.train.latest_checkpoint(FLAGS.log_dir)
    with tf.Session() as restored:
        saver.restore(restored, latest)
        acc, loss = restored.run([accuracy, cross_entropy], feed_dict=feed_dict(False))
        print(f"Restored {os.path.basename(latest)}: test accuracy {acc}, cross entropy {loss:.6f}")


def main(_):
    if tf.gfile.Exists(FLAGS.log_dir):
        tf.gfile.DeleteRecursively(FLAGS.log_dir)
    tf.gfile.MakeDirs(FLAGS.log_dir)
    train()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--max_steps", type=int, default=40, help="Number of steps to run trainer.")
    parser.add_argument("--learning_rate", type=float, default=0.001, help="Initial learning rate")
    parser.add_argument("--dropout", type=float, default=0.9, help="Keep probability for training dropout.")
    parser.add_argument("--hidden", type=int, default=64, help="Units in the hidden layer.")
    parser.add_argument("--batch_size", type=int, default=50, help="Training images per step.")
    parser.add_argument("--trace_every", type=int, default=20, help="Steps between FULL_TRACE runs.")
    parser.add_argument("--save_every", type=int, default=10, help="Steps between checkpoints.")
    parser.add_argument("--seed", type=int, default=2017, help="The graph-level random seed.")
    parser.add_argument(
        "--log_dir",
        type=str,
        default=os.path.join(os.getenv("TEST_TMPDIR", "/tmp"), "tensorflow/mnist/logs/mnist_with_summaries"),
        help="Summaries log directory",
    )
    FLAGS, unparsed = parser.parse_known_args()
    tf.app.run(main=main, argv=[sys.argv[0], *unparsed])
