"""A TF1 text classifier fed by a tf.data pipeline of variable-length sequences: padded batches of TFRecords.

    python examples/text_classifier_pipeline.py [--data_dir /tmp/text_data] [--epochs 3]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). The program
writes TFRecord files of ``tf.train.Example``s, each a token sequence of 3 to 12 ids (an int64 list of
varying length) and a label, and reads them back through ``TFRecordDataset(filenames placeholder) ->
map(parse_single_example, num_parallel_calls=2) -> shuffle(seed) -> padded_batch -> prefetch`` and an
initializable iterator, re-initialized for every epoch and for the test file. The tokens are parsed as a
``VarLenFeature`` (a SparseTensor, densified in the map function). The model is tf.layers: embeddings, a
``conv1d``, a max over the (masked) time steps, a dense layer; trained with Adagrad until each epoch's
OutOfRangeError.
"""

import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_string("data_dir", "/tmp/text_data", "Where the TFRecord files are written.")
flags.DEFINE_integer("epochs", 3, "Passes over the training file.")
flags.DEFINE_integer("batch_size", 16, "Sequences per batch.")
flags.DEFINE_float("learning_rate", 0.3, "Adagrad learning rate.")
FLAGS = flags.FLAGS

VOCAB, CLASSES = 20, 3


def write_records(path, n, seed):
    """Sequences whose label is the most frequent of the token groups {0-5}, {6-12}, {13-19}."""
    rng = np.random.RandomState(seed)
    with tf.python_io.TFRecordWriter(path) as writer:
        for _ in range(n):
            label = rng.randint(CLASSES)
            length = rng.randint(3, 13)
            groups = np.where(rng.uniform(size=length) < 0.6, label, rng.randint(CLASSES, size=length))
            tokens = [int(rng.choice(np.arange(VOCAB)[np.arange(VOCAB) * CLASSES // VOCAB == g])) for g in groups]
            example = tf.train.Example(
                features=tf.train.Features(
                    feature={
                        "tokens": tf.train.Feature(int64_list=tf.train.Int64List(value=tokens)),
                        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
                    }
                )
            )
            writer.write(example.SerializeToString())


def parse(record):
    features = tf.parse_single_example(
        record,
        {"tokens": tf.VarLenFeature(tf.int64), "label": tf.FixedLenFeature([], tf.int64)},
    )
    tokens = tf.cast(tf.sparse_tensor_to_dense(features["tokens"]), tf.int32)
    return tokens, tf.size(tokens), features["label"]


def model(tokens, lengths):
    embeddings = tf.get_variable("embeddings", [VOCAB + 1, 8])
    x = tf.nn.embedding_lookup(embeddings, tokens)
    h = tf.layers.conv1d(x, 16, 3, padding="same", activation=tf.nn.relu)
    mask = tf.sequence_mask(lengths, tf.shape(tokens)[1], dtype=tf.float32)
    pooled = tf.reduce_max(h * tf.expand_dims(mask, -1), axis=1)
    return tf.layers.dense(pooled, CLASSES)


def main(_):
    os.makedirs(FLAGS.data_dir, exist_ok=True)
    train_file = os.path.join(FLAGS.data_dir, "train.tfrecord")
    test_file = os.path.join(FLAGS.data_dir, "test.tfrecord")
    write_records(train_file, 160, seed=0)
    write_records(test_file, 48, seed=1)

    tf.set_random_seed(7)
    filenames = tf.placeholder(tf.string, [None], name="filenames")
    dataset = tf.data.TFRecordDataset(filenames)
    dataset = dataset.map(parse, num_parallel_calls=2)
    dataset = dataset.shuffle(64, seed=3)
    dataset = dataset.padded_batch(
        FLAGS.batch_size, padded_shapes=([None], [], []), padding_values=(VOCAB, 0, tf.constant(0, tf.int64))
    )
    dataset = dataset.prefetch(1)
    iterator = tf.data.make_initializable_iterator(dataset)
    tokens, lengths, labels = iterator.get_next()
    logits = model(tokens, lengths)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdagradOptimizer(FLAGS.learning_rate).minimize(loss, global_step=global_step)
    correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, 1), labels), tf.int32))

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for epoch in range(FLAGS.epochs):
            sess.run(iterator.initializer, {filenames: [train_file]})
            losses, shapes = [], []
            while True:
                try:
                    value, batch_tokens, _ = sess.run([loss, tokens, train_op])
                except tf.errors.OutOfRangeError:
                    break
                losses.append(value)
                shapes.append("x".join(map(str, batch_tokens.shape)))
            print(f"epoch {epoch + 1}: mean loss {np.mean(losses):.6f} batches {' '.join(shapes)}")
        sess.run(iterator.initializer, {filenames: [test_file]})
        right = total = 0
        while True:
            try:
                c, n = sess.run([correct, tf.size(labels)])
            except tf.errors.OutOfRangeError:
                break
            right, total = right + c, total + n
        print(f"trained {sess.run(global_step)} steps; test accuracy {right / total:.6f} of {total}")


if __name__ == "__main__":
    tf.app.run()
