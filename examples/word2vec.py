"""A TF1 skip-gram word2vec with tf.nn.nce_loss on a tiny corpus (the classic word2vec_basic shape).

    python examples/word2vec.py [--steps 300] [--dir w2v-model] [--restore PREFIX]

Runs unchanged in TensorFlow: replace the ``import torchmeta as tf`` line with
``import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()``. The graph is seeded, and torchmeta
draws TensorFlow's random numbers, so both programs start from the same embeddings, sample the same
negative classes (log-uniform over the vocabulary, most frequent words first) and print the same
losses. Variables ``embeddings``, ``nce_weights`` and ``nce_biases`` restore across the frameworks.
"""

import argparse
import collections

import numpy as np

import torchmeta as tf

CORPUS = """
the king rules the kingdom and the queen rules the kingdom
the king and the queen live in the castle
a man walks to the castle and a woman walks to the castle
the man is a king and the woman is a queen
the dog runs in the park and the cat sleeps in the house
a dog and a cat play in the park near the house
the cat chases the dog and the dog chases the cat
"""
EMBEDDING, WINDOW, NUM_SAMPLED = 16, 2, 6


def build_dataset(text):
    """Word ids by frequency (0 = most frequent), and the (center, context) skip-gram pairs."""
    words = text.split()
    counts = collections.Counter(words)
    vocab = sorted(counts, key=lambda w: (-counts[w], w))
    index = {w: i for i, w in enumerate(vocab)}
    ids = [index[w] for w in words]
    pairs = [
        (ids[i], ids[j])
        for i in range(len(ids))
        for j in range(max(0, i - WINDOW), min(len(ids), i + WINDOW + 1))
        if j != i
    ]
    return vocab, np.array(pairs, np.int64)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--dir", default="w2v-model")
    parser.add_argument("--restore", default=None, help="look up neighbours in this checkpoint instead of training")
    args = parser.parse_args(argv)
    vocab, pairs = build_dataset(CORPUS)
    vocab_size = len(vocab)

    tf.reset_default_graph()
    tf.set_random_seed(1)
    train_inputs = tf.placeholder(tf.int32, [None], name="train_inputs")
    train_labels = tf.placeholder(tf.int64, [None, 1], name="train_labels")
    embeddings = tf.Variable(tf.random_uniform([vocab_size, EMBEDDING], -1.0, 1.0), name="embeddings")
    embed = tf.nn.embedding_lookup(embeddings, train_inputs)
    nce_weights = tf.Variable(
        tf.truncated_normal([vocab_size, EMBEDDING], stddev=1.0 / np.sqrt(EMBEDDING)), name="nce_weights"
    )
    nce_biases = tf.Variable(tf.zeros([vocab_size]), name="nce_biases")
    loss = tf.reduce_mean(
        tf.nn.nce_loss(
            weights=nce_weights,
            biases=nce_biases,
            labels=train_labels,
            inputs=embed,
            num_sampled=NUM_SAMPLED,
            num_classes=vocab_size,
        )
    )
    train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    norm = tf.sqrt(tf.reduce_sum(tf.square(embeddings), 1, keepdims=True))
    normalized = embeddings / norm
    similarity = tf.matmul(normalized, normalized, transpose_b=True)
    saver = tf.train.Saver()

    losses = []
    with tf.Session() as sess:
        if args.restore:
            saver.restore(sess, args.restore)
            prefix = args.restore
        else:
            sess.run(tf.global_variables_initializer())
            order = np.random.default_rng(0).permutation(len(pairs))
            for step in range(args.steps):
                start = (step * args.batch) % len(pairs)
                batch = pairs[order[start : start + args.batch]]
                feed = {train_inputs: batch[:, 0].astype(np.int32), train_labels: batch[:, 1:]}
                losses.append(float(sess.run([loss, train_op], feed)[0]))
            prefix = saver.save(sess, args.dir + "/word2vec")
            print(f"step {args.steps}: average loss of the last 50 steps {np.mean(losses[-50:]):.4f}")
        sim = sess.run(similarity)
        neighbours = {}
        for word in ("king", "dog", "castle"):
            nearest = [vocab[i] for i in (-sim[vocab.index(word)]).argsort()[1:4]]
            neighbours[word] = nearest
            print(f"nearest to {word}: {', '.join(nearest)}")
        return {
            "losses": losses,
            "prefix": prefix,
            "similarity": sim,
            "neighbours": neighbours,
            "variables": [v.op.name for v in tf.global_variables()],
        }


if __name__ == "__main__":
    main()
