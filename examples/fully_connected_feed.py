"""TensorFlow's classic ``fully_connected_feed.py`` MNIST tutorial (TF 1.x tutorials/mnist), on synthetic digits.

    python examples/fully_connected_feed.py [--max_steps 60] [--train_dir /tmp/fully_connected_feed]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). As in the
tutorial: flags through ``tf.app.flags``, placeholders of a fixed batch size fed from ``DataSet.next_batch``,
``mnist.inference`` (two ReLU layers and a linear one, each in a ``tf.name_scope`` with ``tf.truncated_normal``
weights), ``mnist.loss``, ``mnist.training`` (a loss summary, GradientDescent with a ``global_step``
variable), ``mnist.evaluation`` (``tf.nn.in_top_k``), a ``tf.summary.FileWriter(train_dir, sess.graph)`` written
every ``--summary_every`` steps, a checkpoint (``saver.save(..., global_step=step)``) and ``do_eval`` on the
three data sets every ``--eval_every`` steps (the precisions also go to the event file, as a hand-made
``tf.Summary``). The data: 28x28 images of noise around one of ten fixed random templates, whose index is the
label (no download). With ``--restore`` the program instead evaluates
``tf.train.latest_checkpoint(train_dir)`` and prints the global step it holds.
"""

import math
import os
import time

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

NUM_CLASSES = 10
IMAGE_SIZE = 28
IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE

flags = tf.app.flags
FLAGS = flags.FLAGS
flags.DEFINE_float("learning_rate", 0.1, "Initial learning rate.")
flags.DEFINE_integer("max_steps", 60, "Number of steps to run trainer.")
flags.DEFINE_integer("hidden1", 32, "Number of units in hidden layer 1.")
flags.DEFINE_integer("hidden2", 16, "Number of units in hidden layer 2.")
flags.DEFINE_integer("batch_size", 20, "Batch size.  Must divide evenly into the dataset sizes.")
flags.DEFINE_integer("summary_every", 10, "Steps between summaries (and printed losses).")
flags.DEFINE_integer("eval_every", 30, "Steps between checkpoints and evaluations.")
flags.DEFINE_string("train_dir", "/tmp/fully_connected_feed", "Directory to put the training data.")
flags.DEFINE_boolean("restore", False, "Evaluate the latest checkpoint in train_dir instead of training.")


# -- input_data: a synthetic stand-in for tensorflow.examples.tutorials.mnist.input_data ----------------------


class DataSet:
    """input_data's DataSet: images, labels and next_batch, shuffled anew every epoch."""

    def __init__(self, images, labels, seed):
        self._images, self._labels = images, labels
        self._num_examples = len(images)
        self._rng = np.random.RandomState(seed)
        self._index_in_epoch = self._num_examples  # the first batch shuffles

    @property
    def images(self):
        return self._images

    @property
    def labels(self):
        return self._labels

    @property
    def num_examples(self):
        return self._num_examples

    def next_batch(self, batch_size):
        if self._index_in_epoch + batch_size > self._num_examples:
            perm = self._rng.permutation(self._num_examples)
            self._images, self._labels = self._images[perm], self._labels[perm]
            self._index_in_epoch = 0
        start = self._index_in_epoch
        self._index_in_epoch += batch_size
        return self._images[start : self._index_in_epoch], self._labels[start : self._index_in_epoch]


class DataSets:
    pass


def read_data_sets(seed=0):
    """Train, validation and test sets: each image its label's template plus noise, in [0, 1]."""
    rng = np.random.RandomState(seed)
    templates = rng.uniform(size=(NUM_CLASSES, IMAGE_PIXELS))

    def make(n):
        labels = rng.randint(0, NUM_CLASSES, size=n)
        images = np.clip(0.35 * templates[labels] + rng.uniform(0.0, 0.65, size=(n, IMAGE_PIXELS)), 0.0, 1.0)
        return images.astype(np.float32), labels.astype(np.int32)

    data_sets = DataSets()
    data_sets.train = DataSet(*make(400), seed=1)
    data_sets.validation = DataSet(*make(100), seed=2)
    data_sets.test = DataSet(*make(100), seed=3)
    return data_sets


# -- mnist.py: the model -------------------------------------------------------------------------------------


def inference(images, hidden1_units, hidden2_units):
    with tf.name_scope("hidden1"):
        weights = tf.Variable(
            tf.truncated_normal([IMAGE_PIXELS, hidden1_units], stddev=1.0 / math.sqrt(float(IMAGE_PIXELS))),
            name="weights",
        )
        biases = tf.Variable(tf.zeros([hidden1_units]), name="biases")
        hidden1 = tf.nn.relu(tf.matmul(images, weights) + biases)
    with tf.name_scope("hidden2"):
        weights = tf.Variable(
            tf.truncated_normal([hidden1_units, hidden2_units], stddev=1.0 / math.sqrt(float(hidden1_units))),
            name="weights",
        )
        biases = tf.Variable(tf.zeros([hidden2_units]), name="biases")
        hidden2 = tf.nn.relu(tf.matmul(hidden1, weights) + biases)
    with tf.name_scope("softmax_linear"):
        weights = tf.Variable(
            tf.truncated_normal([hidden2_units, NUM_CLASSES], stddev=1.0 / math.sqrt(float(hidden2_units))),
            name="weights",
        )
        biases = tf.Variable(tf.zeros([NUM_CLASSES]), name="biases")
        logits = tf.matmul(hidden2, weights) + biases
    return logits


def loss(logits, labels):
    labels = tf.to_int64(labels)
    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
    return tf.reduce_mean(cross_entropy, name="xentropy_mean")


def training(loss, learning_rate):
    tf.summary.scalar("loss", loss)
    optimizer = tf.train.GradientDescentOptimizer(learning_rate)
    global_step = tf.Variable(0, name="global_step", trainable=False)
    train_op = optimizer.minimize(loss, global_step=global_step)
    return train_op


def evaluation(logits, labels):
    correct = tf.nn.in_top_k(logits, labels, 1)
    return tf.reduce_sum(tf.cast(correct, tf.int32))


# -- fully_connected_feed.py ---------------------------------------------------------------------------------


def placeholder_inputs(batch_size):
    images_placeholder = tf.placeholder(tf.float32, shape=(batch_size, IMAGE_PIXELS))
    labels_placeholder = tf.placeholder(tf.int32, shape=(batch_size))
    return images_placeholder, labels_placeholder


def fill_feed_dict(data_set, images_pl, labels_pl):
    images_feed, labels_feed = data_set.next_batch(FLAGS.batch_size)
    feed_dict = {
        images_pl: images_feed,
        labels_pl: labels_feed,
    }
    return feed_dict


def do_eval(sess, eval_correct, images_placeholder, labels_placeholder, data_set):
    true_count = 0  # Counts the number of correct predictions.
    steps_per_epoch = data_set.num_examples // FLAGS.batch_size
    num_examples = steps_per_epoch * FLAGS.batch_size
    for _ in range(steps_per_epoch):
        feed_dict = fill_feed_dict(data_set, images_placeholder, labels_placeholder)
        true_count += sess.run(eval_correct, feed_dict=feed_dict)
    precision = float(true_count) / num_examples
    print(f"  Num examples: {num_examples}  Num correct: {true_count}  Precision @ 1: {precision:0.04f}")
    return precision


def run_training():
    data_sets = read_data_sets()
    with tf.Graph().as_default():
        tf.set_random_seed(1234)
        images_placeholder, labels_placeholder = placeholder_inputs(FLAGS.batch_size)
        logits = inference(images_placeholder, FLAGS.hidden1, FLAGS.hidden2)
        loss_op = loss(logits, labels_placeholder)
        train_op = training(loss_op, FLAGS.learning_rate)
        eval_correct = evaluation(logits, labels_placeholder)
        summary = tf.summary.merge_all()
        init = tf.global_variables_initializer()
        saver = tf.train.Saver()
        sess = tf.Session()
        if FLAGS.restore:
            checkpoint = tf.train.latest_checkpoint(FLAGS.train_dir)
            saver.restore(sess, checkpoint)
            global_step = tf.get_default_graph().get_tensor_by_name("global_step:0")
            print(f"Restored {os.path.basename(checkpoint)} at global step {sess.run(global_step)}")
            print("Test Data Eval:")
            do_eval(sess, eval_correct, images_placeholder, labels_placeholder, data_sets.test)
            return
        summary_writer = tf.summary.FileWriter(FLAGS.train_dir, sess.graph)
        sess.run(init)
        for step in range(FLAGS.max_steps):
            start_time = time.time()
            feed_dict = fill_feed_dict(data_sets.train, images_placeholder, labels_placeholder)
            _, loss_value = sess.run([train_op, loss_op], feed_dict=feed_dict)
            duration = time.time() - start_time
            if step % FLAGS.summary_every == 0:
                print(f"Step {step}: loss = {loss_value:.6f} ({duration:.3f} sec)")
                summary_str = sess.run(summary, feed_dict=feed_dict)
                summary_writer.add_summary(summary_str, step)
                summary_writer.flush()
            if (step + 1) % FLAGS.eval_every == 0 or (step + 1) == FLAGS.max_steps:
                checkpoint_file = os.path.join(FLAGS.train_dir, "model.ckpt")
                saver.save(sess, checkpoint_file, global_step=step)
                precisions = []
                for name, data_set in [
                    ("Training", data_sets.train),
                    ("Validation", data_sets.validation),
                    ("Test", data_sets.test),
                ]:
                    print(f"{name} Data Eval:")
                    precision = do_eval(sess, eval_correct, images_placeholder, labels_placeholder, data_set)
                    precisions.append(tf.Summary.Value(tag=f"precision/{name.lower()}", simple_value=precision))
                summary_writer.add_summary(tf.Summary(value=precisions), step)
        summary_writer.close()
        print("Latest checkpoint:", os.path.basename(tf.train.latest_checkpoint(FLAGS.train_dir)))


def main(_):
    if not FLAGS.restore:
        if tf.gfile.Exists(FLAGS.train_dir):
            tf.gfile.DeleteRecursively(FLAGS.train_dir)
        tf.gfile.MakeDirs(FLAGS.train_dir)
    run_training()


if __name__ == "__main__":
    tf.app.run()
