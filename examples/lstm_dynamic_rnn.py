"""A TF1 LSTM classifier with tf.nn.dynamic_rnn on synthetic variable-length sequences.

    python examples/lstm_dynamic_rnn.py [--steps 60] [--dir lstm-model] [--restore PREFIX]

Runs unchanged in TensorFlow: replace the ``import torchmeta as tf`` line with
``import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()``. Each sequence has 3 features per
step and 4 to 12 steps (``sequence_length``); its class is the feature with the largest sum over its
steps. The model: an LSTMCell(32) run by dynamic_rnn (variables ``rnn/lstm_cell/kernel`` and
``rnn/lstm_cell/bias``, as TF names them), its final ``h`` into a dense layer of 3 logits, trained
with Adam. The graph is seeded and torchmeta draws TensorFlow's random numbers, so both programs
start from the same weights and print the same losses. The trained variables are saved
(``<dir>/model-<step>``); ``--restore PREFIX`` evaluates a checkpoint instead of training.
"""

import argparse

import numpy as np

import torchmeta as tf

STEPS, FEATURES, CLASSES = 12, 3, 3


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, STEPS, FEATURES)).astype(np.float32)
    lengths = rng.integers(4, STEPS + 1, n).astype(np.int32)
    x[np.arange(STEPS)[None, :] >= lengths[:, None]] = 0.0  # padding past each sequence's end
    y = x.sum(axis=1).argmax(axis=1).astype(np.int64)
    return x, lengths, y


def model(inputs, lengths):
    cell = tf.nn.rnn_cell.LSTMCell(32)
    _, state = tf.nn.dynamic_rnn(cell, inputs, sequence_length=lengths, dtype=tf.float32)
    return tf.layers.dense(state.h, CLASSES, name="logits")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--dir", default="lstm-model")
    parser.add_argument("--restore", default=None, help="evaluate this checkpoint instead of training")
    args = parser.parse_args(argv)
    x_train, len_train, y_train = make_data(1024, seed=0)
    x_test, len_test, y_test = make_data(256, seed=1)

    tf.reset_default_graph()
    tf.set_random_seed(3)
    inputs = tf.placeholder(tf.float32, [None, STEPS, FEATURES], name="inputs")
    lengths = tf.placeholder(tf.int32, [None], name="lengths")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    logits = model(inputs, lengths)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdamOptimizer(0.01).minimize(loss, global_step=global_step)
    correct = tf.equal(tf.argmax(logits, 1), labels)
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")
    saver = tf.train.Saver()
    test_feed = {inputs: x_test, lengths: len_test, labels: y_test}

    losses = []
    with tf.Session() as sess:
        if args.restore:
            saver.restore(sess, args.restore)
            prefix = args.restore
        else:
            sess.run(tf.global_variables_initializer())
            for step in range(args.steps):
                start = (step * args.batch) % len(x_train)
                idx = slice(start, start + args.batch)
                feed = {inputs: x_train[idx], lengths: len_train[idx], labels: y_train[idx]}
                losses.append(float(sess.run([loss, train_op], feed)[0]))
            prefix = saver.save(sess, args.dir + "/model", global_step=global_step)
            print(f"step {args.steps}: loss {losses[-1]:.4f}")
        test_accuracy = float(sess.run(accuracy, test_feed))
        print(f"test accuracy {test_accuracy:.4f}")
        return {
            "accuracy": test_accuracy,
            "losses": losses,
            "prefix": prefix,
            "variables": [v.op.name for v in tf.global_variables()],
            "logits": sess.run(logits, {inputs: x_test[:8], lengths: len_test[:8]}),
        }


if __name__ == "__main__":
    main()
