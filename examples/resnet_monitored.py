"""A TF1 CIFAR-style residual network trained by MonitoredTrainingSession, in the style of the classic ResNet
tutorials.

    python examples/resnet_monitored.py [--max_steps 24] [--train_dir /tmp/resnet]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). The data are
8x8 RGB images of one of three colour gradients, with noise. The model: a 3x3 convolution, two residual blocks
(``tf.layers.batch_normalization(training=is_training)`` with its moving averages updated through
``tf.GraphKeys.UPDATE_OPS``, ReLU, a strided 1x1 projection shortcut in the second), global average pooling
and a dense layer; cross entropy plus L2 weight decay. ``tf.train.piecewise_constant`` sets the learning rate
of ``tf.train.MomentumOptimizer(use_nesterov=True)``. ``tf.train.MonitoredTrainingSession`` runs it with a
``StopAtStepHook``, writes checkpoints (``save_checkpoint_steps``) and the merged summaries (a scalar and a
histogram, ``save_summaries_steps``) to ``--train_dir``, and resumes from the latest checkpoint there when run
again with a larger ``--max_steps``. At the end the program evaluates the last checkpoint with
``is_training=False`` in a plain Session and prints what the event files hold (``tf.train.summary_iterator``).
"""

import glob
import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("max_steps", 24, "Train until the global step reaches this.")
flags.DEFINE_integer("batch_size", 16, "Images per step.")
flags.DEFINE_integer("checkpoint_steps", 8, "Steps between checkpoints.")
flags.DEFINE_integer("summary_steps", 6, "Steps between summaries.")
flags.DEFINE_string("train_dir", "/tmp/resnet", "Checkpoint and event file directory.")
FLAGS = flags.FLAGS

SIZE, CLASSES = 8, 3


def make_data(rng, n):
    """Class 0: red rises left to right; 1: green rises top to bottom; 2: blue falls along the diagonal."""
    labels = rng.randint(0, CLASSES, size=n)
    ramp = np.linspace(0.0, 1.0, SIZE, dtype=np.float32)
    images = rng.normal(0.0, 0.8, size=(n, SIZE, SIZE, 3)).astype(np.float32)
    images[labels == 0, :, :, 0] += ramp[None, None, :]
    images[labels == 1, :, :, 1] += ramp[None, :, None]
    images[labels == 2, :, :, 2] += 1.0 - (ramp[None, :, None] + ramp[None, None, :]) / 2
    return images, labels.astype(np.int32)


def residual_block(x, filters, strides, is_training, name):
    with tf.variable_scope(name):
        shortcut = x
        if strides != 1 or x.shape[-1] != filters:
            shortcut = tf.layers.conv2d(x, filters, 1, strides=strides, use_bias=False, name="projection")
        h = tf.layers.conv2d(x, filters, 3, strides=strides, padding="same", use_bias=False, name="conv1")
        h = tf.nn.relu(tf.layers.batch_normalization(h, training=is_training, name="bn1"))
        h = tf.layers.conv2d(h, filters, 3, padding="same", use_bias=False, name="conv2")
        h = tf.layers.batch_normalization(h, training=is_training, name="bn2")
        return tf.nn.relu(h + shortcut)


def model(images, is_training):
    with tf.variable_scope("resnet", reuse=tf.AUTO_REUSE):
        h = tf.layers.conv2d(images, 8, 3, padding="same", use_bias=False, name="stem")
        h = tf.nn.relu(tf.layers.batch_normalization(h, training=is_training, name="stem_bn"))
        h = residual_block(h, 8, 1, is_training, "block1")
        h = residual_block(h, 16, 2, is_training, "block2")
        h = tf.reduce_mean(h, axis=[1, 2], name="global_pool")
        return tf.layers.dense(h, CLASSES, name="logits")


def main(_):
    rng = np.random.RandomState(1)
    train_x, train_y = make_data(rng, 256)
    test_x, test_y = make_data(np.random.RandomState(2), 64)
    tf.set_random_seed(3)
    images = tf.placeholder(tf.float32, [None, SIZE, SIZE, 3], name="images")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    logits = model(images, is_training=True)
    cross_entropy = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    decay = 1e-3 * tf.add_n([tf.nn.l2_loss(v) for v in tf.trainable_variables() if "kernel" in v.name])
    loss = cross_entropy + decay
    global_step = tf.train.get_or_create_global_step()
    learning_rate = tf.train.piecewise_constant(global_step, [10, 20], [0.1, 0.03, 0.01])
    optimizer = tf.train.MomentumOptimizer(learning_rate, 0.9, use_nesterov=True)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = optimizer.minimize(loss, global_step=global_step)
    tf.summary.scalar("cross_entropy", cross_entropy)
    tf.summary.scalar("learning_rate", learning_rate)
    tf.summary.histogram("logits", logits)
    test_logits = model(images, is_training=False)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(test_logits, 1, output_type=tf.int32), labels), tf.float32))
    hooks = [tf.train.StopAtStepHook(last_step=FLAGS.max_steps)]
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=FLAGS.train_dir,
        hooks=hooks,
        save_checkpoint_steps=FLAGS.checkpoint_steps,
        save_summaries_steps=FLAGS.summary_steps,
        log_step_count_steps=0,
    ) as sess:
        batch = 0  # every run feeds the images: the summary hook adds the merged summaries to some of them
        while not sess.should_stop():
            start = (batch * FLAGS.batch_size) % len(train_x)
            feed = {
                images: train_x[start : start + FLAGS.batch_size],
                labels: train_y[start : start + FLAGS.batch_size],
            }
            value, rate, _ = sess.run([loss, learning_rate, train_op], feed)
            batch += 1
            print(f"batch {batch}: loss {value:.6f} learning rate {rate:.4f}")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        latest = tf.train.latest_checkpoint(FLAGS.train_dir)
        saver.restore(sess, latest)
        print("evaluating", os.path.basename(latest))
        print(f"test accuracy {sess.run(accuracy, {images: test_x, labels: test_y}):.6f}")
        mean = tf.get_default_graph().get_tensor_by_name("resnet/block2/bn2/moving_mean:0")
        print("block2/bn2 moving mean:", " ".join(f"{v:.6f}" for v in sess.run(mean)))
    for path in sorted(glob.glob(os.path.join(FLAGS.train_dir, "events.out.tfevents.*"))):
        for event in tf.train.summary_iterator(path):
            for value in event.summary.value:
                if value.HasField("histo"):
                    histo = value.histo
                    print(f"event step {event.step}: {value.tag} histogram of {histo.num:.0f} min {histo.min:.6f} "
                          f"max {histo.max:.6f} sum {histo.sum:.6f} buckets {len(histo.bucket)}")  # fmt: skip
                elif value.HasField("simple_value"):
                    print(f"event step {event.step}: {value.tag} {value.simple_value:.6f}")


if __name__ == "__main__":
    tf.app.run()
