"""A TF1 conditional Wasserstein GAN with gradient penalty (WGAN-GP), in the style of the classic tutorials.

    python examples/wgan_gp.py [--steps 12] [--save_dir /tmp/wgan_gp] [--init_from PREFIX]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). The data are
6x6 one-channel images of a horizontal or a vertical bar (the class), with noise. The generator maps noise and
the one-hot class through dense layers and a ``conv2d_transpose``; the critic is a function of the image and
the class built with ``tf.get_variable`` under ``tf.variable_scope("critic", reuse=tf.AUTO_REUSE)`` and called
three times (real, fake and interpolated images). The gradient penalty takes ``tf.gradients`` of the critic
at random interpolates, so the critic's training step differentiates a gradient (second order through the
convolution, leaky ReLU and dense layers). Two Adam optimizers train the critic (``--critic_iters`` steps per
generator step) and the generator on their own ``var_list``s, taken with ``tf.trainable_variables(scope=...)``.
"""

import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("steps", 12, "Generator steps.")
flags.DEFINE_integer("critic_iters", 3, "Critic steps per generator step.")
flags.DEFINE_integer("batch_size", 16, "Images per step.")
flags.DEFINE_float("penalty", 10.0, "Weight of the gradient penalty.")
flags.DEFINE_string("save_dir", "/tmp/wgan_gp", "Where the checkpoint goes.")
flags.DEFINE_string("init_from", "", "A checkpoint to start from.")
FLAGS = flags.FLAGS

SIZE, CLASSES, NOISE = 6, 2, 8


def real_images(rng, labels):
    """A bright row (class 0) or column (class 1) at a random place, plus noise; NHWC."""
    images = rng.normal(0.0, 0.1, size=(len(labels), SIZE, SIZE, 1)).astype(np.float32)
    for i, (label, where) in enumerate(zip(labels, rng.randint(0, SIZE, size=len(labels)))):
        if label == 0:
            images[i, where, :, 0] += 1.0
        else:
            images[i, :, where, 0] += 1.0
    return images


def generator(z, onehot):
    with tf.variable_scope("generator"):
        h = tf.layers.dense(tf.concat([z, onehot], axis=1), 3 * 3 * 8, activation=tf.nn.relu)
        h = tf.reshape(h, [-1, 3, 3, 8])
        return tf.layers.conv2d_transpose(h, 1, 3, strides=2, padding="same", activation=tf.tanh)


def critic(images, onehot):
    with tf.variable_scope("critic", reuse=tf.AUTO_REUSE):
        filters = tf.get_variable("conv/filters", [3, 3, 1, 8])
        bias = tf.get_variable("conv/bias", [8], initializer=tf.zeros_initializer())
        h = tf.nn.leaky_relu(tf.nn.conv2d(images, filters, [1, 2, 2, 1], "SAME") + bias, alpha=0.2)
        h = tf.concat([tf.reshape(h, [-1, 3 * 3 * 8]), onehot], axis=1)
        w = tf.get_variable("out/weights", [3 * 3 * 8 + CLASSES, 1])
        b = tf.get_variable("out/bias", [1], initializer=tf.zeros_initializer())
        return tf.squeeze(tf.matmul(h, w) + b, axis=1)


def main(_):
    rng = np.random.RandomState(3)
    tf.set_random_seed(11)
    real = tf.placeholder(tf.float32, [None, SIZE, SIZE, 1], name="real")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    onehot = tf.one_hot(labels, CLASSES)
    z = tf.random_normal([tf.shape(labels)[0], NOISE], seed=1, name="z")
    fake = generator(z, onehot)
    d_real, d_fake = critic(real, onehot), critic(fake, onehot)
    alpha = tf.random_uniform([tf.shape(labels)[0], 1, 1, 1], seed=2, name="alpha")
    interpolates = real + alpha * (fake - real)
    slopes_grad = tf.gradients(critic(interpolates, onehot), [interpolates])[0]
    slopes = tf.sqrt(tf.reduce_sum(tf.square(slopes_grad), axis=[1, 2, 3]) + 1e-10)
    penalty = tf.reduce_mean(tf.square(slopes - 1.0))
    wasserstein = tf.reduce_mean(d_real) - tf.reduce_mean(d_fake)
    d_loss = -wasserstein + FLAGS.penalty * penalty
    g_loss = -tf.reduce_mean(d_fake)
    d_vars = tf.trainable_variables(scope="critic")
    g_vars = tf.trainable_variables(scope="generator")
    global_step = tf.train.get_or_create_global_step()
    d_train = tf.train.AdamOptimizer(1e-3, beta1=0.5, beta2=0.9, name="critic_adam").minimize(d_loss, var_list=d_vars)
    g_train = tf.train.AdamOptimizer(1e-3, beta1=0.5, beta2=0.9, name="generator_adam").minimize(
        g_loss, var_list=g_vars, global_step=global_step
    )
    saver = tf.train.Saver()
    print("critic variables:", " ".join(v.op.name for v in d_vars))
    print("generator variables:", " ".join(v.op.name for v in g_vars))
    fixed_labels = np.array([0, 1, 0, 1], np.int32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if FLAGS.init_from:
            saver.restore(sess, FLAGS.init_from)
            print("restored at step", sess.run(global_step))
        for _ in range(FLAGS.steps):
            for _ in range(FLAGS.critic_iters):
                y = rng.randint(0, CLASSES, size=FLAGS.batch_size).astype(np.int32)
                w, gp, _ = sess.run([wasserstein, penalty, d_train], {real: real_images(rng, y), labels: y})
            y = rng.randint(0, CLASSES, size=FLAGS.batch_size).astype(np.int32)
            g, _ = sess.run([g_loss, g_train], {labels: y})
            print(f"step {sess.run(global_step)}: wasserstein {w:.6f} penalty {gp:.6f} generator loss {g:.6f}")
        samples = sess.run(fake, {labels: fixed_labels})
        print("sample row means:", " ".join(f"{v:.5f}" for v in samples[:, :, :, 0].mean(axis=2).ravel()))
        prefix = saver.save(sess, os.path.join(FLAGS.save_dir, "wgan.ckpt"), global_step=global_step)
        print("model saved in", prefix)


if __name__ == "__main__":
    tf.app.run()
