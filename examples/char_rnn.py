"""A TF1 character-level language model in the style of the classic char-rnn tutorials.

    python examples/char_rnn.py [--steps 30] [--save_dir /tmp/char_rnn] [--init_from PREFIX]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). The model:
an embedding, a MultiRNNCell of two LSTMCells each wrapped in a DropoutWrapper (keep probability fed through
a placeholder_with_default), unrolled over the sequence by static_rnn from the cells' zero state, a softmax layer, a sequence loss (the
per-character cross entropies weighted by a mask and averaged over the weights, as
``tf.contrib.seq2seq.sequence_loss`` computes it), clipped gradients (``tf.clip_by_global_norm``) into Adam.
After training, the program samples text one character at a time: it feeds the last state of the previous
step into the graph's zero-state tensors (as char-rnn does) and draws the next character with
``tf.multinomial``. ``--init_from`` restores a checkpoint before training (the variables' starting values).
"""

import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("steps", 30, "Training steps.")
flags.DEFINE_integer("batch_size", 8, "Sequences per step.")
flags.DEFINE_integer("seq_length", 16, "Characters per sequence.")
flags.DEFINE_integer("rnn_size", 32, "Units of each LSTM layer.")
flags.DEFINE_integer("sample_length", 40, "Characters sampled after training.")
flags.DEFINE_float("keep_prob", 0.8, "Dropout keep probability while training.")
flags.DEFINE_float("grad_clip", 5.0, "Global norm the gradients are clipped to.")
flags.DEFINE_string("save_dir", "/tmp/char_rnn", "Where the checkpoint goes.")
flags.DEFINE_string("init_from", "", "A checkpoint to start from.")
FLAGS = flags.FLAGS

TEXT = (
    "the quick brown fox jumps over the lazy dog. "
    "a stitch in time saves nine. all that glitters is not gold. "
    "the early bird catches the worm. "
) * 6
VOCAB = sorted(set(TEXT))


class Model:
    def __init__(self, training):
        vocab_size = len(VOCAB)
        batch, length = (FLAGS.batch_size, FLAGS.seq_length) if training else (1, 1)
        self.input_data = tf.placeholder(tf.int32, [batch, length], name="input_data")
        self.targets = tf.placeholder(tf.int32, [batch, length], name="targets")
        self.keep_prob = tf.placeholder_with_default(1.0, [], name="keep_prob")
        cells = []
        for _ in range(2):
            cell = tf.nn.rnn_cell.LSTMCell(FLAGS.rnn_size)
            cells.append(tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=self.keep_prob, seed=7))
        self.cell = tf.nn.rnn_cell.MultiRNNCell(cells, state_is_tuple=True)
        self.initial_state = self.cell.zero_state(batch, tf.float32)
        with tf.variable_scope("rnnlm"):
            softmax_w = tf.get_variable("softmax_w", [FLAGS.rnn_size, vocab_size])
            softmax_b = tf.get_variable("softmax_b", [vocab_size], initializer=tf.zeros_initializer())
            embedding = tf.get_variable("embedding", [vocab_size, FLAGS.rnn_size])
        inputs = tf.split(tf.nn.embedding_lookup(embedding, self.input_data), length, 1)
        inputs = [tf.squeeze(x, [1]) for x in inputs]
        outputs, self.final_state = tf.nn.static_rnn(self.cell, inputs, initial_state=self.initial_state)
        output = tf.reshape(tf.concat(outputs, 1), [-1, FLAGS.rnn_size])
        self.logits = tf.reshape(tf.matmul(output, softmax_w) + softmax_b, [batch, length, vocab_size])
        self.probs = tf.nn.softmax(self.logits)
        # sequence_loss: cross entropy per character, weighted, averaged over the weights
        weights = tf.ones([batch, length])
        crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=self.targets, logits=self.logits)
        self.cost = tf.reduce_sum(crossent * weights) / tf.reduce_sum(weights)
        self.sample = tf.multinomial(self.logits[:, -1, :], 1, seed=11)
        if training:
            tvars = tf.trainable_variables()
            grads, self.global_norm = tf.clip_by_global_norm(tf.gradients(self.cost, tvars), FLAGS.grad_clip)
            self.global_step = tf.train.get_or_create_global_step()
            optimizer = tf.train.AdamOptimizer(0.01)
            self.train_op = optimizer.apply_gradients(zip(grads, tvars), global_step=self.global_step)


def batches(ids):
    """Consecutive [batch, seq_length] windows of the text and the same windows one character later."""
    n = FLAGS.batch_size * FLAGS.seq_length
    count = (len(ids) - 1) // n
    for b in range(count):
        x = ids[b * n : (b + 1) * n].reshape(FLAGS.batch_size, FLAGS.seq_length)
        y = ids[b * n + 1 : (b + 1) * n + 1].reshape(FLAGS.batch_size, FLAGS.seq_length)
        yield x, y


def main(_):
    ids = np.array([VOCAB.index(c) for c in TEXT], np.int32)
    tf.set_random_seed(1234)
    with tf.variable_scope("model"):
        model = Model(training=True)
    with tf.variable_scope("model", reuse=True):
        sampler = Model(training=False)
    saver = tf.train.Saver(tf.global_variables())
    print("variables:", " ".join(v.op.name for v in tf.global_variables()))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if FLAGS.init_from:
            saver.restore(sess, FLAGS.init_from)
        step = 0
        while step < FLAGS.steps:
            state = sess.run(model.initial_state)
            for x, y in batches(ids):
                if step == FLAGS.steps:
                    break
                feed = {model.input_data: x, model.targets: y, model.keep_prob: FLAGS.keep_prob}
                for i, (c, h) in enumerate(model.initial_state):
                    feed[c] = state[i].c
                    feed[h] = state[i].h
                cost, norm, state, _ = sess.run(
                    [model.cost, model.global_norm, model.final_state, model.train_op], feed
                )
                step += 1
                print(f"step {step}: loss {cost:.6f} norm {norm:.6f}")
        prefix = saver.save(sess, os.path.join(FLAGS.save_dir, "model.ckpt"), global_step=model.global_step)
        print("model saved in", prefix)
        # sampling: one character at a time, carrying the state
        state = sess.run(sampler.cell.zero_state(1, tf.float32))
        text = "the "
        for char in text[:-1]:
            feed = {sampler.input_data: [[VOCAB.index(char)]]}
            for i, (c, h) in enumerate(sampler.initial_state):
                feed[c], feed[h] = state[i].c, state[i].h
            state = sess.run(sampler.final_state, feed)
        char = text[-1]
        probs = []
        for _ in range(FLAGS.sample_length):
            feed = {sampler.input_data: [[VOCAB.index(char)]]}
            for i, (c, h) in enumerate(sampler.initial_state):
                feed[c], feed[h] = state[i].c, state[i].h
            p, sample, state = sess.run([sampler.probs, sampler.sample, sampler.final_state], feed)
            probs.append(p[0, -1])
            char = VOCAB[int(sample[0, 0])]
            text += char
        print("sample:", repr(text))
        print("probabilities:", " ".join(f"{v:.6f}" for v in np.concatenate(probs)[:200]))


if __name__ == "__main__":
    tf.app.run()
