"""A TF1 bidirectional LSTM sequence tagger, in the style of the classic NER / POS-tagging tutorials.

    python examples/bilstm_tagger.py [--steps 40] [--save_dir /tmp/bilstm_tagger] [--init_from PREFIX]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). Sentences of
3 to 10 tokens, padded to the longest of their batch, are tagged with one of three tags that depend on a token
and the next one, so the tagger needs both directions. The model: a trainable embedding
(``tf.nn.embedding_lookup``), ``tf.nn.bidirectional_dynamic_rnn`` of two LSTMCells with ``sequence_length``,
the two directions' outputs concatenated into a dense projection, a per-token
``sparse_softmax_cross_entropy_with_logits`` masked with ``tf.sequence_mask`` and averaged over the real
tokens, clipped gradients (``tf.clip_by_global_norm``) into Adam. ``--init_from`` restores a checkpoint
(variables, Adam's slots and the global step) before training.
"""

import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("steps", 40, "Training steps.")
flags.DEFINE_integer("batch_size", 16, "Sentences per step.")
flags.DEFINE_integer("hidden", 24, "Units of each direction's LSTM.")
flags.DEFINE_float("learning_rate", 0.02, "Adam's learning rate.")
flags.DEFINE_float("grad_clip", 1.0, "Global norm the gradients are clipped to.")
flags.DEFINE_string("save_dir", "/tmp/bilstm_tagger", "Where the checkpoint goes.")
flags.DEFINE_string("init_from", "", "A checkpoint to start from.")
FLAGS = flags.FLAGS

VOCAB, TAGS, EMBED, MAX_LEN = 12, 3, 16, 10


def make_batch(rng, size):
    """Padded token ids, tags (0 at padding) and lengths; a token's tag is (token + next token) % 3."""
    lengths = rng.randint(3, MAX_LEN + 1, size=size)
    width = lengths.max()
    tokens = np.zeros((size, width), np.int32)
    tags = np.zeros((size, width), np.int32)
    for i, n in enumerate(lengths):
        sentence = rng.randint(1, VOCAB, size=n)
        following = np.append(sentence[1:], 0)
        tokens[i, :n] = sentence
        tags[i, :n] = (sentence + following) % TAGS
    return tokens, tags, lengths.astype(np.int32)


def build():
    tokens = tf.placeholder(tf.int32, [None, None], name="tokens")
    tags = tf.placeholder(tf.int32, [None, None], name="tags")
    lengths = tf.placeholder(tf.int32, [None], name="lengths")
    embedding = tf.get_variable("embedding", [VOCAB, EMBED], initializer=tf.random_uniform_initializer(-0.5, 0.5))
    inputs = tf.nn.embedding_lookup(embedding, tokens)
    cell_fw = tf.nn.rnn_cell.LSTMCell(FLAGS.hidden, name="fw")
    cell_bw = tf.nn.rnn_cell.LSTMCell(FLAGS.hidden, name="bw")
    (out_fw, out_bw), _ = tf.nn.bidirectional_dynamic_rnn(
        cell_fw, cell_bw, inputs, sequence_length=lengths, dtype=tf.float32
    )
    outputs = tf.concat([out_fw, out_bw], axis=-1)
    logits = tf.layers.dense(outputs, TAGS, name="projection")
    mask = tf.sequence_mask(lengths, maxlen=tf.shape(tokens)[1], dtype=tf.float32)
    crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tags, logits=logits)
    loss = tf.reduce_sum(crossent * mask) / tf.reduce_sum(mask)
    predictions = tf.argmax(logits, axis=-1, output_type=tf.int32)
    correct = tf.cast(tf.equal(predictions, tags), tf.float32) * mask
    accuracy = tf.reduce_sum(correct) / tf.reduce_sum(mask)
    return tokens, tags, lengths, loss, accuracy, predictions


def main(_):
    rng = np.random.RandomState(0)
    tf.set_random_seed(7)
    tokens, tags, lengths, loss, accuracy, predictions = build()
    global_step = tf.train.get_or_create_global_step()
    tvars = tf.trainable_variables()
    grads, norm = tf.clip_by_global_norm(tf.gradients(loss, tvars), FLAGS.grad_clip)
    train_op = tf.train.AdamOptimizer(FLAGS.learning_rate).apply_gradients(zip(grads, tvars), global_step=global_step)
    saver = tf.train.Saver()
    print("variables:", " ".join(v.op.name for v in tf.global_variables()))
    test_tokens, test_tags, test_lengths = make_batch(np.random.RandomState(99), 64)
    test_feed = {tokens: test_tokens, tags: test_tags, lengths: test_lengths}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if FLAGS.init_from:
            saver.restore(sess, FLAGS.init_from)
            print("restored at step", sess.run(global_step))
        for _ in range(FLAGS.steps):
            x, y, n = make_batch(rng, FLAGS.batch_size)
            value, clipped, _ = sess.run([loss, norm, train_op], {tokens: x, tags: y, lengths: n})
            step = sess.run(global_step)
            print(f"step {step}: batch {x.shape[0]}x{x.shape[1]} loss {value:.6f} norm {clipped:.6f}")
        test_loss, test_accuracy, predicted = sess.run([loss, accuracy, predictions], test_feed)
        print(f"test loss {test_loss:.6f} accuracy {test_accuracy:.6f}")
        n = test_lengths[0]
        print("tokens:", " ".join(map(str, test_tokens[0, :n])))
        print("tags:", " ".join(map(str, test_tags[0, :n])), "predicted:", " ".join(map(str, predicted[0, :n])))
        prefix = saver.save(sess, os.path.join(FLAGS.save_dir, "tagger.ckpt"), global_step=global_step)
        print("model saved in", prefix)


if __name__ == "__main__":
    tf.app.run()
