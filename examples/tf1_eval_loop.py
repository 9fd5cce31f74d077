"""A classic TF1 evaluation loop: restore the latest checkpoint, stream metrics over batches, report them.

    python examples/tf1_eval_loop.py --train_dir /tmp/blobs --eval_batches 8

It runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``) and
evaluates the classifier examples/tf1_monitored_training.py trains. The streaming metrics are built the
way tf.metrics builds them: local variables (total, count) that update ops accumulate batch by batch, and
a value op dividing them; the local variables are reset before the loop.
"""

import sys

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_string("train_dir", "/tmp/blobs_train", "Directory of the checkpoints to evaluate.")
flags.DEFINE_integer("eval_batches", 8, "Number of batches to evaluate.")
flags.DEFINE_integer("batch_size", 64, "Examples per batch.")
flags.DEFINE_integer("hidden", 8, "Hidden units (as trained).")
FLAGS = flags.FLAGS


def blobs(n, seed):
    """Two Gaussian blobs in 4-D; label 1 for the blob around +1 (the training example's data)."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 2, size=n).astype(np.int32)
    centers = np.where(labels[:, None] == 1, 1.0, -1.0)
    features = (centers + rng.normal(scale=0.8, size=(n, 4))).astype(np.float32)
    return features, labels


def inference(x, hidden):
    """The trained model's graph (its variables get their values from the checkpoint)."""
    with tf.name_scope("hidden"):
        w1 = tf.Variable(tf.zeros([4, hidden]), name="weights")
        b1 = tf.Variable(tf.zeros([hidden]), name="biases")
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
    with tf.name_scope("softmax_linear"):
        w2 = tf.Variable(tf.zeros([hidden, 2]), name="weights")
        b2 = tf.Variable(tf.zeros([2]), name="biases")
        return tf.matmul(h, w2) + b2


def streaming_mean(values, name):
    """(value, update_op) of the mean of every value seen, kept in two local variables."""
    with tf.name_scope(name):
        total = tf.Variable(0.0, trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES], name="total")
        count = tf.Variable(0.0, trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES], name="count")
        values = tf.cast(values, tf.float32)
        update_total = tf.assign_add(total, tf.reduce_sum(values))
        update_count = tf.assign_add(count, tf.cast(tf.size(values), tf.float32))
        value = tf.div_no_nan(total, count, name="value")
        update_op = tf.div_no_nan(update_total, update_count, name="update_op")
    return value, update_op


def main(argv):
    if len(argv) > 1:
        raise ValueError(f"Unknown arguments: {argv[1:]}")
    features, labels = blobs(FLAGS.eval_batches * FLAGS.batch_size, seed=1)
    with tf.Graph().as_default():
        global_step = tf.train.get_or_create_global_step()
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        y = tf.placeholder(tf.int32, [None], name="y")
        logits = inference(x, FLAGS.hidden)
        predictions = tf.argmax(logits, 1, output_type=tf.int32)
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
        accuracy, update_accuracy = streaming_mean(tf.equal(predictions, y), "accuracy")
        mean_loss, update_loss = streaming_mean(losses, "mean_loss")
        saver = tf.train.Saver(tf.global_variables())
        checkpoint = tf.train.latest_checkpoint(FLAGS.train_dir)
        if checkpoint is None:
            tf.logging.error("No checkpoint found in %s", FLAGS.train_dir)
            return 1
        with tf.Session() as sess:
            saver.restore(sess, checkpoint)
            sess.run(tf.local_variables_initializer())
            for i in range(FLAGS.eval_batches):
                batch = slice(i * FLAGS.batch_size, (i + 1) * FLAGS.batch_size)
                running = sess.run([update_accuracy, update_loss], {x: features[batch], y: labels[batch]})
                tf.logging.info("batch %d: accuracy %.4f, loss %.4f", i, running[0], running[1])
            step, final_accuracy, final_loss = sess.run([global_step, accuracy, mean_loss])
        print(f"step {step}: accuracy {final_accuracy:.4f}, mean loss {final_loss:.6f}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    tf.app.run()
