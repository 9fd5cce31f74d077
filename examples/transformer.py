"""A Transformer in TF1 style (as tensor2tensor and the "Attention Is All You Need" TF1 reimplementations wrote
it), trained for a few steps on a tiny synthetic task: reverse each padded sequence of tokens.

    python examples/transformer.py [--steps 40] [--save_dir /tmp/transformer] [--init_from PREFIX]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). The encoder:
token embeddings (``tf.get_variable``, scaled by sqrt(d_model)) plus a sinusoidal position signal built from
``tf.range``, ``tf.sin``/``tf.cos`` and ``tf.concat``; blocks of multi-head self-attention (``tf.layers.dense``
for Q/K/V, heads split by ``tf.reshape``/``tf.transpose``, ``tf.matmul(q, k, transpose_b=True)`` scaled by
1/sqrt(depth), padding masked by adding -1e9, ``tf.nn.softmax``) and a feed-forward layer written with
``tf.einsum``, each wrapped in dropout (``tf.nn.dropout``; ``tf.layers.dropout`` on the
attention weights behind a ``training`` placeholder), a residual and a layer normalization written with ``tf.nn.moments`` and
``get_variable``'d gain and bias. The decoder's blocks add a causal mask (``tf.matrix_band_part``) and attention
over the encoder's output; it is trained on the targets shifted right (``tf.pad``), and its output
projection is the embedding (``tf.einsum``). The loss is
``tf.losses.softmax_cross_entropy`` on ``tf.one_hot`` labels with label smoothing, weighted by the padding mask;
Adam follows the Noam schedule computed from ``tf.train.get_or_create_global_step`` (``tf.cast``, ``tf.rsqrt``,
``tf.minimum``). Prediction is greedy, as tensor2tensor's: a ``tf.while_loop`` with ``shape_invariants`` reruns
the decoder (``reuse=True``) on its growing output and appends the ``tf.argmax`` of the last position.
``--init_from`` restores a checkpoint and trains on. (With ``--warmup_steps=10`` the rate peaks at 0.056 and
training turns chaotic: TensorFlow against itself, oneDNN on two threads and Eigen on one, drifts apart from
step 19 by float32 rounding, as torchmeta and TensorFlow do; the default warm-up keeps them together.)
"""

import math
import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("steps", 40, "Training steps.")
flags.DEFINE_integer("batch_size", 16, "Sequences per step.")
flags.DEFINE_integer("d_model", 32, "Model width.")
flags.DEFINE_integer("num_heads", 4, "Attention heads.")
flags.DEFINE_integer("d_ff", 64, "Feed-forward width.")
flags.DEFINE_integer("num_blocks", 2, "Encoder blocks.")
flags.DEFINE_integer("warmup_steps", 40, "Noam warm-up steps.")
flags.DEFINE_float("keep_prob", 0.9, "Dropout keep probability while training.")
flags.DEFINE_float("label_smoothing", 0.1, "Label smoothing.")
flags.DEFINE_string("save_dir", "/tmp/transformer", "Where the checkpoint goes.")
flags.DEFINE_string("init_from", "", "A checkpoint to start from.")
FLAGS = flags.FLAGS

VOCAB, MAX_LEN, PAD = 12, 8, 0


def make_batch(rng, size):
    """Token ids 1..VOCAB-1 of random lengths padded with 0; the targets are each sequence reversed."""
    x = np.zeros((size, MAX_LEN), np.int32)
    y = np.zeros((size, MAX_LEN), np.int32)
    for i in range(size):
        n = rng.randint(3, MAX_LEN + 1)
        tokens = rng.randint(1, VOCAB, size=n)
        x[i, :n] = tokens
        y[i, :n] = tokens[::-1]
    return x, y


def positional_encoding(length, channels, min_timescale=1.0, max_timescale=1.0e4):
    """tensor2tensor's get_timing_signal_1d: sines and cosines of geometrically spaced wavelengths."""
    position = tf.cast(tf.range(length), tf.float32)
    num_timescales = channels // 2
    log_timescale_increment = math.log(float(max_timescale) / float(min_timescale)) / (float(num_timescales) - 1)
    inv_timescales = min_timescale * tf.exp(tf.cast(tf.range(num_timescales), tf.float32) * -log_timescale_increment)
    scaled_time = tf.expand_dims(position, 1) * tf.expand_dims(inv_timescales, 0)
    signal = tf.concat([tf.sin(scaled_time), tf.cos(scaled_time)], axis=1)
    return tf.reshape(signal, [1, length, channels])


def layer_norm(x, epsilon=1e-6, scope="layer_norm"):
    with tf.variable_scope(scope):
        depth = x.get_shape()[-1]
        gain = tf.get_variable("gain", [depth], initializer=tf.ones_initializer())
        bias = tf.get_variable("bias", [depth], initializer=tf.zeros_initializer())
        mean, variance = tf.nn.moments(x, [-1], keep_dims=True)
        return (x - mean) * tf.rsqrt(variance + epsilon) * gain + bias


def split_heads(x, num_heads):
    """[batch, length, d] -> [batch, heads, length, d / heads]"""
    batch, length = tf.shape(x)[0], tf.shape(x)[1]
    depth = x.get_shape().as_list()[-1] // num_heads
    return tf.transpose(tf.reshape(x, [batch, length, num_heads, depth]), [0, 2, 1, 3])


def combine_heads(x):
    """[batch, heads, length, depth] -> [batch, length, heads * depth]"""
    x = tf.transpose(x, [0, 2, 1, 3])
    heads, depth = x.get_shape().as_list()[-2:]
    return tf.reshape(x, [tf.shape(x)[0], tf.shape(x)[1], heads * depth])


def multihead_attention(x, bias, num_heads, training, scope="multihead_attention", memory=None):
    memory = x if memory is None else memory
    with tf.variable_scope(scope):
        d_model = x.get_shape().as_list()[-1]
        q = tf.layers.dense(x, d_model, use_bias=False, name="q")
        k = tf.layers.dense(memory, d_model, use_bias=False, name="k")
        v = tf.layers.dense(memory, d_model, use_bias=False, name="v")
        q, k, v = split_heads(q, num_heads), split_heads(k, num_heads), split_heads(v, num_heads)
        depth = d_model // num_heads
        logits = tf.matmul(q, k, transpose_b=True) / tf.sqrt(tf.cast(depth, tf.float32))
        logits += bias
        weights = tf.nn.softmax(logits, name="attention_weights")
        weights = tf.layers.dropout(weights, rate=1.0 - FLAGS.keep_prob, training=training)
        context = combine_heads(tf.matmul(weights, v))
        return tf.layers.dense(context, d_model, use_bias=False, name="output_transform"), weights


def feed_forward(x, d_ff, keep_prob, scope="ffn"):
    with tf.variable_scope(scope):
        d_model = x.get_shape().as_list()[-1]
        w1 = tf.get_variable("w1", [d_model, d_ff])
        b1 = tf.get_variable("b1", [d_ff], initializer=tf.zeros_initializer())
        w2 = tf.get_variable("w2", [d_ff, d_model])
        hidden = tf.nn.relu(tf.einsum("btd,df->btf", x, w1) + b1)
        hidden = tf.nn.dropout(hidden, keep_prob)
        return tf.einsum("btf,fd->btd", hidden, w2)


def encoder(tokens, keep_prob, training):
    padding = tf.cast(tf.equal(tokens, PAD), tf.float32)  # [batch, length]
    attention_bias = tf.expand_dims(tf.expand_dims(padding * -1e9, 1), 1)  # [batch, 1, 1, length]
    embedding = tf.get_variable(
        "embedding", [VOCAB, FLAGS.d_model], initializer=tf.random_normal_initializer(0.0, FLAGS.d_model**-0.5)
    )
    x = tf.nn.embedding_lookup(embedding, tokens) * FLAGS.d_model**0.5
    x += positional_encoding(tf.shape(tokens)[1], FLAGS.d_model)
    x = tf.nn.dropout(x, keep_prob)
    attention = []
    for i in range(FLAGS.num_blocks):
        with tf.variable_scope(f"block_{i}"):
            y, weights = multihead_attention(x, attention_bias, FLAGS.num_heads, training)
            x = layer_norm(x + tf.nn.dropout(y, keep_prob), scope="attention_norm")
            y = feed_forward(x, FLAGS.d_ff, keep_prob)
            x = layer_norm(x + tf.nn.dropout(y, keep_prob), scope="ffn_norm")
            attention.append(weights)
    return x, attention_bias, 1.0 - padding, attention


def shift_right(targets):
    """The decoder's inputs: the targets one position later, 0 (the start symbol) first."""
    return tf.pad(targets, [[0, 0], [1, 0]])[:, :-1]


def decoder(inputs, memory, memory_bias, keep_prob, training):
    length = tf.shape(inputs)[1]
    causal = tf.matrix_band_part(tf.ones([length, length]), -1, 0)
    self_bias = tf.reshape(-1e9 * (1.0 - causal), [1, 1, length, length])
    embedding = tf.get_variable(
        "embedding", [VOCAB, FLAGS.d_model], initializer=tf.random_normal_initializer(0.0, FLAGS.d_model**-0.5)
    )
    x = tf.nn.embedding_lookup(embedding, inputs) * FLAGS.d_model**0.5
    x += positional_encoding(length, FLAGS.d_model)
    x = tf.nn.dropout(x, keep_prob)
    for i in range(FLAGS.num_blocks):
        with tf.variable_scope(f"block_{i}"):
            y, _ = multihead_attention(x, self_bias, FLAGS.num_heads, training, scope="self_attention")
            x = layer_norm(x + tf.nn.dropout(y, keep_prob), scope="self_attention_norm")
            y, _ = multihead_attention(
                x, memory_bias, FLAGS.num_heads, training, scope="encdec_attention", memory=memory
            )
            x = layer_norm(x + tf.nn.dropout(y, keep_prob), scope="encdec_attention_norm")
            y = feed_forward(x, FLAGS.d_ff, keep_prob)
            x = layer_norm(x + tf.nn.dropout(y, keep_prob), scope="ffn_norm")
    # the output projection shares the embedding (tensor2tensor's shared_embedding_and_softmax_weights)
    return tf.einsum("btd,vd->btv", x, embedding)


def greedy_decode(memory, memory_bias, max_length):
    """tensor2tensor's greedy decoding: the decoder rerun on its growing output in a tf.while_loop."""
    batch = tf.shape(memory)[0]

    def body(i, decoded):
        with tf.variable_scope("decoder", reuse=True):
            logits = decoder(decoded, memory, memory_bias, 1.0, False)
        next_id = tf.argmax(logits[:, -1, :], axis=-1, output_type=tf.int32)
        return i + 1, tf.concat([decoded, tf.expand_dims(next_id, 1)], axis=1)

    _, decoded = tf.while_loop(
        lambda i, decoded: i < max_length,
        body,
        [tf.constant(0), tf.zeros([batch, 1], tf.int32)],
        shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, None])],
    )
    return decoded[:, 1:]


def noam_learning_rate(global_step, d_model, warmup_steps):
    step = tf.cast(global_step, tf.float32) + 1.0
    return d_model**-0.5 * tf.minimum(tf.rsqrt(step), step * warmup_steps**-1.5)


def main(_):
    tf.set_random_seed(42)
    tokens = tf.placeholder(tf.int32, [None, None], name="tokens")
    targets = tf.placeholder(tf.int32, [None, None], name="targets")
    keep_prob = tf.placeholder_with_default(1.0, [], name="keep_prob")
    training = tf.placeholder_with_default(False, [], name="training")
    with tf.variable_scope("encoder"):
        memory, memory_bias, nonpadding, attention = encoder(tokens, keep_prob, training)
    with tf.variable_scope("decoder"):
        logits = decoder(shift_right(targets), memory, memory_bias, keep_prob, training)
    onehot = tf.one_hot(targets, VOCAB)
    loss = tf.losses.softmax_cross_entropy(onehot, logits, weights=nonpadding, label_smoothing=FLAGS.label_smoothing)
    predictions = greedy_decode(memory, memory_bias, tf.shape(tokens)[1])
    correct = tf.cast(tf.equal(predictions, targets), tf.float32) * nonpadding
    accuracy = tf.reduce_sum(correct) / tf.reduce_sum(nonpadding)
    global_step = tf.train.get_or_create_global_step()
    learning_rate = noam_learning_rate(global_step, FLAGS.d_model, FLAGS.warmup_steps)
    optimizer = tf.train.AdamOptimizer(learning_rate, beta1=0.9, beta2=0.98, epsilon=1e-9)
    train_op = optimizer.minimize(loss, global_step=global_step)
    saver = tf.train.Saver()
    print("variables:", " ".join(v.op.name for v in tf.global_variables()))

    rng = np.random.RandomState(0)
    test_x, test_y = make_batch(np.random.RandomState(99), 4)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if FLAGS.init_from:
            saver.restore(sess, FLAGS.init_from)
            print("restored at step", sess.run(global_step))
        for _ in range(FLAGS.steps):
            x, y = make_batch(rng, FLAGS.batch_size)
            feed = {tokens: x, targets: y, keep_prob: FLAGS.keep_prob, training: True}
            step_loss, rate, _ = sess.run([loss, learning_rate, train_op], feed)
            print(f"step {sess.run(global_step)}: loss {step_loss:.6f} learning rate {rate:.8f}")
        prefix = saver.save(sess, os.path.join(FLAGS.save_dir, "model.ckpt"), global_step=global_step)
        print("model saved in", prefix)
        pred, acc, test_loss, weights = sess.run(
            [predictions, accuracy, loss, attention[-1]], {tokens: test_x, targets: test_y}
        )
        print(f"test loss {test_loss:.6f} accuracy {acc:.6f}")
        for source, guess in zip(test_x, pred):
            n = int(np.count_nonzero(source))
            print("greedy:", " ".join(map(str, source[:n])), "->", " ".join(map(str, guess[:n])))
        print("attention of the last block, head 0:", " ".join(f"{v:.6f}" for v in weights[0, 0].ravel()))


if __name__ == "__main__":
    tf.app.run()
