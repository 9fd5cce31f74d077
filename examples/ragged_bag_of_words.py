"""A TF1 bag-of-words sentiment classifier over a tf.data pipeline of ragged token batches.

    python examples/ragged_bag_of_words.py [--epochs 6] [--save_dir /tmp/ragged_bow] [--init_from PREFIX]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). Sentences
and labels are sliced into a dataset, shuffled with a seed, batched, and mapped to ragged batches of words
(``tf.strings.split(..., result_type="RaggedTensor")``), hashed into buckets on the ragged tensor's flat values
(``tf.ragged.map_flat_values(tf.strings.to_hash_bucket_fast, ...)``) and shifted by one with a ragged operator
(bucket 0 is the padding). A second map keeps the ragged ids and adds their lengths (``row_lengths``); after
``unbatch`` and ``batch`` again the iterator yields RaggedTensors, which the model pads (``to_tensor``), embeds,
and averages under a ``tf.sequence_mask``; a dense layer gives the logits, trained by Adagrad.
"""

import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("epochs", 6, "Passes over the sentences.")
flags.DEFINE_integer("batch_size", 6, "Sentences per step.")
flags.DEFINE_integer("buckets", 64, "Hash buckets of the words.")
flags.DEFINE_string("save_dir", "/tmp/ragged_bow", "Where the checkpoint goes.")
flags.DEFINE_string("init_from", "", "A checkpoint to start from.")
FLAGS = flags.FLAGS

GOOD = ["great", "fine", "lovely", "superb", "happy", "good"]
BAD = ["awful", "poor", "sad", "dull", "bad", "boring"]
FILLER = ["the", "movie", "was", "plot", "really", "quite", "and", "a", "story"]


def make_sentences(rng, n):
    sentences, labels = [], []
    for _ in range(n):
        label = rng.randint(0, 2)
        words = list(rng.choice(FILLER, size=rng.randint(2, 7)))
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randint(0, len(words) + 1), rng.choice(GOOD if label else BAD))
        sentences.append(" ".join(words))
        labels.append(label)
    return np.array(sentences, dtype=object), np.array(labels, np.int64)


def pipeline(sentences, labels):
    def tokenize(text, label):
        words = tf.strings.split(text, result_type="RaggedTensor")
        ids = tf.ragged.map_flat_values(tf.strings.to_hash_bucket_fast, words, FLAGS.buckets - 1) + 1
        return ids, label

    dataset = tf.data.Dataset.from_tensor_slices((sentences, labels)).shuffle(64, seed=5)
    dataset = dataset.batch(FLAGS.batch_size).map(tokenize)
    dataset = dataset.map(lambda ids, label: (ids, ids.row_lengths(), label))
    return dataset.unbatch().batch(FLAGS.batch_size)


def main(_):
    rng = np.random.RandomState(0)
    sentences, labels = make_sentences(rng, 48)
    test_sentences, test_labels = make_sentences(np.random.RandomState(1), 24)
    tf.set_random_seed(8)
    sentence_ph = tf.placeholder(tf.string, [None], name="sentences")
    label_ph = tf.placeholder(tf.int64, [None], name="labels")
    iterator = tf.data.make_initializable_iterator(pipeline(sentence_ph, label_ph))
    ids, lengths, label = iterator.get_next()
    padded = ids.to_tensor()
    embedding = tf.get_variable("embedding", [FLAGS.buckets, 8], initializer=tf.random_normal_initializer(0.0, 0.3))
    mask = tf.sequence_mask(lengths, tf.shape(padded)[1], dtype=tf.float32)
    summed = tf.reduce_sum(tf.nn.embedding_lookup(embedding, padded) * mask[:, :, None], axis=1)
    mean = summed / tf.cast(lengths, tf.float32)[:, None]
    logits = tf.squeeze(tf.layers.dense(mean, 1, name="output"), axis=1)
    targets = tf.cast(label, tf.float32)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits))
    correct = tf.reduce_sum(tf.cast(tf.equal(tf.cast(logits > 0, tf.int64), label), tf.int32))
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdagradOptimizer(0.5).minimize(loss, global_step=global_step)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if FLAGS.init_from:
            saver.restore(sess, FLAGS.init_from)
            print("restored at step", sess.run(global_step))
        for epoch in range(FLAGS.epochs):
            sess.run(iterator.initializer, {sentence_ph: sentences, label_ph: labels})
            losses = []
            while True:
                try:
                    value, batch, _ = sess.run([loss, padded, train_op])
                except tf.errors.OutOfRangeError:
                    break
                losses.append(value)
            print(
                f"epoch {epoch + 1}: last batch {batch.shape[0]}x{batch.shape[1]} losses",
                " ".join(f"{v:.6f}" for v in losses),
            )
        sess.run(iterator.initializer, {sentence_ph: test_sentences, label_ph: test_labels})
        right, first = 0, None
        while True:
            try:
                count, batch_ids = sess.run([correct, ids])
            except tf.errors.OutOfRangeError:
                break
            right += count
            first = batch_ids.to_list()[0] if first is None else first
        print(f"test accuracy {right / len(test_labels):.6f}")
        print("first test ids:", " ".join(map(str, first)))
        prefix = saver.save(sess, os.path.join(FLAGS.save_dir, "bow.ckpt"), global_step=global_step)
        print("model saved in", prefix)


if __name__ == "__main__":
    tf.app.run()
