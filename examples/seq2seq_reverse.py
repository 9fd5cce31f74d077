"""A TF1 sequence-to-sequence model that learns to reverse digit strings, decoding greedily in a tf.while_loop.

    python examples/seq2seq_reverse.py [--steps 150] [--save_dir /tmp/seq2seq] [--restore PREFIX]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). The encoder:
an embedding and a GRUCell run by dynamic_rnn over sequences of 3 to 7 digits (``sequence_length``). The
decoder: a second GRUCell starting from the encoder's final state, trained with teacher forcing (dynamic_rnn
over the target shifted right behind a GO symbol), its outputs projected to the vocabulary by a ``tf.layers.Dense``
layer; the loss is the cross entropy per target digit masked by ``tf.sequence_mask``. At inference the same
cell and layer decode greedily inside ``tf.while_loop``: each step's argmax is embedded and fed back, and a
TensorArray collects the predictions. Trained with RMSProp on seeded initial weights; ``--restore`` evaluates a
checkpoint instead of training.
"""

import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("steps", 150, "Training steps.")
flags.DEFINE_integer("batch_size", 32, "Sequences per step.")
flags.DEFINE_integer("units", 48, "GRU units of the encoder and the decoder.")
flags.DEFINE_float("learning_rate", 0.003, "RMSProp learning rate.")
flags.DEFINE_string("save_dir", "/tmp/seq2seq", "Where the checkpoint goes.")
flags.DEFINE_string("restore", "", "Evaluate this checkpoint instead of training.")
FLAGS = flags.FLAGS

DIGITS, GO, MAX_LEN = 10, 10, 7


def make_batch(rng, n):
    lengths = rng.randint(3, MAX_LEN + 1, size=n).astype(np.int32)
    source = np.zeros((n, MAX_LEN), np.int32)
    target = np.zeros((n, MAX_LEN), np.int32)
    for i, length in enumerate(lengths):
        digits = rng.randint(0, DIGITS, size=length)
        source[i, :length] = digits
        target[i, :length] = digits[::-1]
    return source, lengths, target


def build():
    source = tf.placeholder(tf.int32, [None, MAX_LEN], name="source")
    lengths = tf.placeholder(tf.int32, [None], name="lengths")
    target = tf.placeholder(tf.int32, [None, MAX_LEN], name="target")
    batch = tf.shape(source)[0]
    embedding = tf.get_variable("embedding", [DIGITS + 1, 16])
    with tf.variable_scope("encoder"):
        encoder_cell = tf.nn.rnn_cell.GRUCell(FLAGS.units)
        _, encoder_state = tf.nn.dynamic_rnn(
            encoder_cell, tf.nn.embedding_lookup(embedding, source), sequence_length=lengths, dtype=tf.float32
        )
    decoder_cell = tf.nn.rnn_cell.GRUCell(FLAGS.units)
    projection = tf.layers.Dense(DIGITS, name="projection")
    go = tf.fill([batch, 1], GO)
    decoder_inputs = tf.nn.embedding_lookup(embedding, tf.concat([go, target[:, :-1]], 1))
    with tf.variable_scope("decoder"):
        outputs, _ = tf.nn.dynamic_rnn(
            decoder_cell, decoder_inputs, sequence_length=lengths, initial_state=encoder_state
        )
    logits = projection(outputs)
    mask = tf.sequence_mask(lengths, MAX_LEN, dtype=tf.float32)
    crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=logits)
    loss = tf.reduce_sum(crossent * mask) / tf.reduce_sum(mask)

    # greedy decoding: the same cell and projection, one step per loop iteration
    def cond(t, state, inputs, predictions):
        return t < MAX_LEN

    def body(t, state, inputs, predictions):
        with tf.variable_scope("decoder/rnn", reuse=True):
            output, state = decoder_cell(inputs, state)
        prediction = tf.argmax(projection(output), axis=1, output_type=tf.int32)
        return t + 1, state, tf.nn.embedding_lookup(embedding, prediction), predictions.write(t, prediction)

    start = (
        tf.constant(0),
        encoder_state,
        tf.nn.embedding_lookup(embedding, tf.fill([batch], GO)),
        tf.TensorArray(tf.int32, size=MAX_LEN),
    )
    _, _, _, predictions = tf.while_loop(cond, body, start, name="greedy_decoder")
    decoded = tf.transpose(predictions.stack(), [1, 0], name="decoded")
    correct = tf.reduce_sum(tf.cast(tf.equal(decoded, target), tf.float32) * mask) / tf.reduce_sum(mask)
    return dict(source=source, lengths=lengths, target=target, loss=loss, decoded=decoded, accuracy=correct)


def main(_):
    tf.set_random_seed(42)
    model = build()
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.RMSPropOptimizer(FLAGS.learning_rate).minimize(model["loss"], global_step=global_step)
    saver = tf.train.Saver()
    print("variables:", " ".join(v.op.name for v in tf.global_variables()))
    rng = np.random.RandomState(0)
    test_source, test_lengths, test_target = make_batch(np.random.RandomState(1), 64)
    test_feed = {model["source"]: test_source, model["lengths"]: test_lengths, model["target"]: test_target}
    with tf.Session() as sess:
        if FLAGS.restore:
            saver.restore(sess, FLAGS.restore)
        else:
            sess.run(tf.global_variables_initializer())
            for step in range(1, FLAGS.steps + 1):
                source, lengths, target = make_batch(rng, FLAGS.batch_size)
                feed = {model["source"]: source, model["lengths"]: lengths, model["target"]: target}
                loss, _ = sess.run([model["loss"], train_op], feed)
                print(f"step {step}: loss {loss:.6f}")
            print("model saved in", saver.save(sess, os.path.join(FLAGS.save_dir, "model"), global_step=global_step))
        loss, accuracy, decoded = sess.run([model["loss"], model["accuracy"], model["decoded"]], test_feed)
        print(f"test loss {loss:.6f} accuracy {accuracy:.6f}")
        for i in range(4):
            print("reversed", test_source[i, : test_lengths[i]].tolist(), "->", decoded[i, : test_lengths[i]].tolist())


if __name__ == "__main__":
    tf.app.run()
