"""A classic TF1 input pipeline: tf.data from TFRecord files of tf.train.Example protos feeding a small model.

    python examples/tf1_data_training.py --data_dir /tmp/tf1_data [--shuffle_buffer 64] [--epochs 4]
        [--parallel_reads 2]

It runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). The
program writes two TFRecord files of Examples (4 float features, an int64 label), then trains a 4-8-2
classifier on ``TFRecordDataset -> map(parse_single_example) -> shuffle -> batch -> repeat`` through an
initializable iterator until the data run out (OutOfRangeError), and evaluates it on a second pipeline
read through a one-shot iterator. The parsing runs inside the dataset's map function (a graph function
in the graph's library), as in TensorFlow. With ``--parallel_reads N`` the files are read N at a time by
``tf.data.experimental.parallel_interleave`` (records alternating between the files).
"""

import os
import sys

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_string("data_dir", "/tmp/tf1_data", "Where the TFRecord files are written.")
flags.DEFINE_integer("epochs", 4, "Passes over the training data.")
flags.DEFINE_integer("batch_size", 16, "Examples per training step.")
flags.DEFINE_integer("shuffle_buffer", 64, "Shuffle buffer size (0: read the records in file order).")
flags.DEFINE_integer("parallel_reads", 0, "Files read at once by a parallel interleave (0: one after the other).")
flags.DEFINE_integer("log_steps", 5, "Print the loss every this many steps.")
flags.DEFINE_float("learning_rate", 0.3, "Gradient descent step size.")
FLAGS = flags.FLAGS

FEATURES = {
    "features": tf.io.FixedLenFeature([4], tf.float32),
    "label": tf.io.FixedLenFeature([], tf.int64),
}


def write_records(path, n, seed):
    """``n`` Examples from two Gaussian blobs in 4-D; label 1 for the blob around +1."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 2, size=n)
    features = np.where(labels[:, None] == 1, 1.0, -1.0) + rng.normal(scale=0.8, size=(n, 4))
    with tf.io.TFRecordWriter(path) as writer:
        for x, y in zip(features.astype(np.float32), labels):
            example = tf.train.Example(
                features=tf.train.Features(
                    feature={
                        "features": tf.train.Feature(float_list=tf.train.FloatList(value=x.tolist())),
                        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(y)])),
                    }
                )
            )
            writer.write(example.SerializeToString())


def parse(record):
    """One serialized Example -> (features, label), inside the dataset's map function."""
    parsed = tf.io.parse_single_example(record, FEATURES)
    return parsed["features"], tf.cast(parsed["label"], tf.int32)


def model_variables():
    """The 4-8-2 classifier's weights, from a seeded numpy generator (both frameworks start alike)."""
    rng = np.random.RandomState(0)
    with tf.name_scope("hidden"):
        w1 = tf.Variable((0.5 * rng.standard_normal((4, 8))).astype(np.float32), name="weights")
        b1 = tf.Variable(tf.zeros([8]), name="biases")
    with tf.name_scope("softmax_linear"):
        w2 = tf.Variable((0.5 * rng.standard_normal((8, 2))).astype(np.float32), name="weights")
        b2 = tf.Variable(tf.zeros([2]), name="biases")
    return w1, b1, w2, b2


def inference(x, variables):
    w1, b1, w2, b2 = variables
    return tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2


def main(_):
    if not os.path.isdir(FLAGS.data_dir):
        os.makedirs(FLAGS.data_dir)
    train_files = [os.path.join(FLAGS.data_dir, f"train-{i}.tfrecord") for i in range(2)]
    for i, path in enumerate(train_files):
        write_records(path, 48, seed=i)
    test_file = os.path.join(FLAGS.data_dir, "test.tfrecord")
    write_records(test_file, 64, seed=10)

    with tf.Graph().as_default():
        filenames = tf.placeholder(tf.string, shape=[None], name="filenames")
        if FLAGS.parallel_reads > 0:
            dataset = tf.data.Dataset.from_tensor_slices(filenames).apply(
                tf.data.experimental.parallel_interleave(tf.data.TFRecordDataset, cycle_length=FLAGS.parallel_reads)
            )
        else:
            dataset = tf.data.TFRecordDataset(filenames)
        dataset = dataset.map(parse, num_parallel_calls=2)
        if FLAGS.shuffle_buffer > 0:
            dataset = dataset.shuffle(FLAGS.shuffle_buffer, seed=7)
        dataset = dataset.batch(FLAGS.batch_size).repeat(FLAGS.epochs)
        iterator = tf.data.make_initializable_iterator(dataset)
        x, y = iterator.get_next()

        variables = model_variables()
        logits = inference(x, variables)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        global_step = tf.train.get_or_create_global_step()
        train_op = tf.train.GradientDescentOptimizer(FLAGS.learning_rate).minimize(loss, global_step=global_step)

        test = tf.data.TFRecordDataset([test_file]).map(parse).batch(32)
        test_x, test_y = tf.data.make_one_shot_iterator(test).get_next()
        test_logits = inference(test_x, variables)
        correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(test_logits, 1, output_type=tf.int32), test_y), tf.int32))

        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(iterator.initializer, feed_dict={filenames: train_files})
            while True:
                try:
                    _, step, value = sess.run([train_op, global_step, loss])
                except tf.errors.OutOfRangeError:
                    break
                if step % FLAGS.log_steps == 0:
                    print(f"step {step}: loss {value:.6f}")
            right = 0
            while True:
                try:
                    right += sess.run(correct)
                except tf.errors.OutOfRangeError:
                    break
            print(f"trained {sess.run(global_step)} steps; test accuracy {right / 64:.4f} ({right}/64)")
    return 0


if __name__ == "__main__":
    tf.app.run(main=main, argv=sys.argv)
