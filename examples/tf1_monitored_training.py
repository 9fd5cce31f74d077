"""A classic TF1 training script: tf.app.run and flags, MonitoredTrainingSession and hooks, checkpoints.

    python examples/tf1_monitored_training.py --train_dir /tmp/blobs --max_steps 200

It runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``).
A softmax classifier with one hidden layer learns two Gaussian blobs. MonitoredTrainingSession
restores the latest checkpoint in --train_dir, so running the script again with a larger --max_steps
resumes where the last run stopped; checkpoints are written every --checkpoint_steps steps and at the end,
summaries every 10 steps, and the loss is logged every --log_steps steps.
"""

import sys

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_string("train_dir", "/tmp/blobs_train", "Directory for checkpoints and event files.")
flags.DEFINE_integer("max_steps", 200, "Train until the global step reaches this.")
flags.DEFINE_integer("batch_size", 32, "Examples per step.")
flags.DEFINE_float("learning_rate", 0.1, "Initial learning rate (decayed exponentially).")
flags.DEFINE_integer("hidden", 8, "Hidden units.")
flags.DEFINE_integer("checkpoint_steps", 50, "Steps between checkpoints.")
flags.DEFINE_integer("log_steps", 50, "Steps between loss log lines.")
FLAGS = flags.FLAGS


def blobs(n, seed):
    """Two Gaussian blobs in 4-D; label 1 for the blob around +1."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 2, size=n).astype(np.int32)
    centers = np.where(labels[:, None] == 1, 1.0, -1.0)
    features = (centers + rng.normal(scale=0.8, size=(n, 4))).astype(np.float32)
    return features, labels


def inference(x, hidden):
    """logits = W2 relu(W1 x + b1) + b2, with fixed initial values (the same in every framework)."""
    rng = np.random.RandomState(1)
    with tf.name_scope("hidden"):
        w1 = tf.Variable((rng.normal(size=(4, hidden)) * 0.5).astype(np.float32), name="weights")
        b1 = tf.Variable(np.zeros(hidden, np.float32), name="biases")
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
    with tf.name_scope("softmax_linear"):
        w2 = tf.Variable((rng.normal(size=(hidden, 2)) * 0.5).astype(np.float32), name="weights")
        b2 = tf.Variable(np.zeros(2, np.float32), name="biases")
        return tf.matmul(h, w2) + b2


def main(argv):
    if len(argv) > 1:
        raise ValueError(f"Unknown arguments: {argv[1:]}")
    features, labels = blobs(2048, seed=0)
    with tf.Graph().as_default():
        global_step = tf.train.get_or_create_global_step()
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        y = tf.placeholder(tf.int32, [None], name="y")
        logits = inference(x, FLAGS.hidden)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits), name="loss")
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), y), tf.float32))
        tf.summary.scalar("loss", loss)
        tf.summary.scalar("accuracy", accuracy)
        lr = tf.train.exponential_decay(FLAGS.learning_rate, global_step, 100, 0.9, staircase=True)
        train_op = tf.train.MomentumOptimizer(lr, 0.9).minimize(loss, global_step=global_step)

        hooks = [
            tf.train.StopAtStepHook(last_step=FLAGS.max_steps),
            tf.train.NanTensorHook(loss),
            tf.train.LoggingTensorHook({"step": global_step, "loss": loss}, every_n_iter=FLAGS.log_steps),
        ]
        final = tf.train.FinalOpsHook([global_step, loss, accuracy], {x: features, y: labels})
        with tf.train.MonitoredTrainingSession(
            checkpoint_dir=FLAGS.train_dir,
            hooks=hooks,
            chief_only_hooks=[final],
            save_checkpoint_steps=FLAGS.checkpoint_steps,
            save_summaries_steps=10,
            log_step_count_steps=None,
        ) as sess:
            i = 0
            while not sess.should_stop():
                start = (i * FLAGS.batch_size) % len(features)
                batch = slice(start, start + FLAGS.batch_size)
                sess.run(train_op, {x: features[batch], y: labels[batch]})
                i += 1
        step, final_loss, final_accuracy = final.final_ops_values
        print(f"step {step}: loss {final_loss:.6f}, accuracy {final_accuracy:.4f}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    tf.app.run()
