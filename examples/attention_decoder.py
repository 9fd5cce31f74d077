"""A TF1 attention decoder written by hand with tf.while_loop, in the style of the classic seq2seq tutorials.

    python examples/attention_decoder.py [--steps 40] [--save_dir /tmp/attention_decoder] [--init_from PREFIX]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). The task is
to sort a sequence of 5 digits. The encoder is a GRU unrolled by ``tf.nn.raw_rnn`` (its ``loop_fn`` reads the
inputs from a ``TensorArray``). The decoder is a ``tf.while_loop`` over the output positions whose body
computes additive (Bahdanau) attention over the encoder outputs, steps an LSTMCell, writes the logits and the
attention weights into ``TensorArray``s, and chooses the next input with ``tf.cond``: the true previous digit
(teacher forcing, with a probability fed through a placeholder) or its own prediction (``tf.argmax``), decided
by a seeded ``tf.random_uniform`` draw made after the step's logits (with no data or control input from the
loop, TensorFlow's executor would run the iterations' draws in whatever order its threads reach them). The loss is differentiated through the loop, its gradients clipped
(``tf.clip_by_value``) and applied by Adam with ``tf.train.polynomial_decay``. Greedy decoding is the same loop
with the teacher-forcing probability at 0.
"""

import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("steps", 40, "Training steps.")
flags.DEFINE_integer("batch_size", 16, "Sequences per step.")
flags.DEFINE_integer("hidden", 24, "Units of the encoder and the decoder.")
flags.DEFINE_float("teacher_forcing", 0.75, "Probability of feeding the true previous digit while training.")
flags.DEFINE_string("save_dir", "/tmp/attention_decoder", "Where the checkpoint goes.")
flags.DEFINE_string("init_from", "", "A checkpoint to start from.")
FLAGS = flags.FLAGS

DIGITS, LENGTH, GO, EMBED = 10, 5, 10, 8


def make_batch(rng, size):
    x = rng.randint(0, DIGITS, size=(size, LENGTH)).astype(np.int32)
    return x, np.sort(x, axis=1)


def encode(inputs):
    """A GRU over [batch, time, depth] inputs by tf.nn.raw_rnn; the outputs as [batch, time, hidden]."""
    batch = tf.shape(inputs)[0]
    inputs_ta = tf.TensorArray(tf.float32, size=LENGTH).unstack(tf.transpose(inputs, [1, 0, 2]))
    cell = tf.nn.rnn_cell.GRUCell(FLAGS.hidden, name="encoder_gru")

    def loop_fn(time, cell_output, cell_state, loop_state):
        if cell_output is None:
            next_state = cell.zero_state(batch, tf.float32)
        else:
            next_state = cell_state
        finished = time >= LENGTH
        next_input = tf.cond(
            finished, lambda: tf.zeros([batch, EMBED], tf.float32), lambda: inputs_ta.read(tf.minimum(time, LENGTH - 1))
        )
        return finished, next_input, next_state, cell_output, loop_state

    outputs_ta, final_state, _ = tf.nn.raw_rnn(cell, loop_fn)
    return tf.transpose(outputs_ta.stack(), [1, 0, 2]), final_state


def decode(memory, state, embedding, targets, teacher_forcing):
    """The while_loop decoder: logits [batch, LENGTH, DIGITS] and attention weights [batch, LENGTH, LENGTH]."""
    batch = tf.shape(memory)[0]
    cell = tf.nn.rnn_cell.LSTMCell(FLAGS.hidden, name="decoder_lstm")
    with tf.variable_scope("attention"):
        keys = tf.layers.dense(memory, FLAGS.hidden, use_bias=False, name="keys")
        query_layer = tf.layers.Dense(FLAGS.hidden, use_bias=False, name="query")
        v = tf.get_variable("v", [FLAGS.hidden])
    output_layer = tf.layers.Dense(DIGITS, name="output")
    targets_ta = tf.TensorArray(tf.int32, size=LENGTH).unstack(tf.transpose(targets))
    logits_ta = tf.TensorArray(tf.float32, size=LENGTH)
    weights_ta = tf.TensorArray(tf.float32, size=LENGTH)

    def body(t, previous, cell_state, logits_ta, weights_ta):
        query = tf.expand_dims(query_layer(cell_state.h), 1)
        scores = tf.reduce_sum(v * tf.tanh(keys + query), axis=2)
        weights = tf.nn.softmax(scores)
        context = tf.reduce_sum(tf.expand_dims(weights, 2) * memory, axis=1)
        cell_input = tf.concat([tf.nn.embedding_lookup(embedding, previous), context], axis=1)
        output, cell_state = cell(cell_input, cell_state)
        logits = output_layer(tf.concat([output, context], axis=1))
        # The draw waits for this step's logits: a stateful random op with no inputs from the loop would run
        # whenever TF's executor gets to it, so the iterations could draw in any order.
        with tf.control_dependencies([logits]):
            coin = tf.random_uniform([], seed=3)
        following = tf.cond(
            coin < teacher_forcing,
            lambda: targets_ta.read(t),
            lambda: tf.argmax(logits, axis=1, output_type=tf.int32),
        )
        return t + 1, following, cell_state, logits_ta.write(t, logits), weights_ta.write(t, weights)

    start = tf.fill([batch], GO)
    initial_state = tf.nn.rnn_cell.LSTMStateTuple(tf.zeros_like(state), state)
    _, _, _, logits_ta, weights_ta = tf.while_loop(
        lambda t, *_: t < LENGTH, body, [tf.constant(0), start, initial_state, logits_ta, weights_ta]
    )
    return tf.transpose(logits_ta.stack(), [1, 0, 2]), tf.transpose(weights_ta.stack(), [1, 0, 2])


def main(_):
    rng = np.random.RandomState(5)
    tf.set_random_seed(21)
    sources = tf.placeholder(tf.int32, [None, LENGTH], name="sources")
    targets = tf.placeholder(tf.int32, [None, LENGTH], name="targets")
    teacher_forcing = tf.placeholder_with_default(0.0, [], name="teacher_forcing")
    embedding = tf.get_variable("embedding", [DIGITS + 1, EMBED])
    memory, state = encode(tf.nn.embedding_lookup(embedding, sources))
    logits, attention = decode(memory, state, embedding, targets, teacher_forcing)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits))
    predictions = tf.argmax(logits, axis=2, output_type=tf.int32)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(predictions, targets), tf.float32))
    global_step = tf.train.get_or_create_global_step()
    learning_rate = tf.train.polynomial_decay(0.02, global_step, 60, end_learning_rate=0.005, power=0.5)
    optimizer = tf.train.AdamOptimizer(learning_rate)
    gradients = [(tf.clip_by_value(g, -1.0, 1.0), v) for g, v in optimizer.compute_gradients(loss)]
    train_op = optimizer.apply_gradients(gradients, global_step=global_step)
    saver = tf.train.Saver()
    print("variables:", " ".join(v.op.name for v in tf.trainable_variables()))
    test_x, test_y = make_batch(np.random.RandomState(77), 32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if FLAGS.init_from:
            saver.restore(sess, FLAGS.init_from)
            print("restored at step", sess.run(global_step))
        for _ in range(FLAGS.steps):
            x, y = make_batch(rng, FLAGS.batch_size)
            feed = {sources: x, targets: y, teacher_forcing: FLAGS.teacher_forcing}
            value, rate, _ = sess.run([loss, learning_rate, train_op], feed)
            print(f"step {sess.run(global_step)}: loss {value:.6f} learning rate {rate:.6f}")
        test_loss, test_accuracy, decoded, weights = sess.run(
            [loss, accuracy, predictions, attention], {sources: test_x, targets: test_y}
        )
        print(f"greedy test loss {test_loss:.6f} accuracy {test_accuracy:.6f}")
        print("input:", " ".join(map(str, test_x[0])), "decoded:", " ".join(map(str, decoded[0])))
        print("attention:", " ".join(f"{w:.5f}" for w in weights[0].ravel()))
        prefix = saver.save(sess, os.path.join(FLAGS.save_dir, "sorter.ckpt"), global_step=global_step)
        print("model saved in", prefix)


if __name__ == "__main__":
    tf.app.run()
