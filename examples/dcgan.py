"""A TF1 DCGAN on scikit-learn's 8x8 digits: generator and discriminator shared through variable scopes.

    python examples/dcgan.py [--steps 200] [--dir dcgan-model] [--restore PREFIX]

Runs unchanged in TensorFlow: replace the ``import torchmeta as tf`` line with
``import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()``. The discriminator is built twice,
for real and for generated images, the second time inside ``variable_scope("discriminator",
reuse=True)``; the sampler reuses the generator with batch norm in inference mode. Each optimizer
trains its own scope's variables (``tf.trainable_variables(scope=...)``), the generator's after its
batch-norm updates. ``--restore PREFIX`` samples from a checkpoint instead of training.
"""

import argparse

import numpy as np

import torchmeta as tf

NOISE = 16


def load_digits():
    from sklearn.datasets import load_digits as sk_load_digits

    return (sk_load_digits().data / 16.0).astype(np.float32).reshape(-1, 8, 8, 1)


def generator(z, training, reuse=False):
    with tf.variable_scope("generator", reuse=reuse):
        net = tf.layers.dense(z, 2 * 2 * 32)
        net = tf.reshape(net, [-1, 2, 2, 32])
        net = tf.nn.relu(tf.layers.batch_normalization(net, training=training))
        net = tf.layers.conv2d_transpose(net, 16, 3, strides=2, padding="same")
        net = tf.nn.relu(tf.layers.batch_normalization(net, training=training))
        net = tf.layers.conv2d_transpose(net, 1, 3, strides=2, padding="same")
        return tf.nn.sigmoid(net)


def discriminator(images, reuse=False):
    with tf.variable_scope("discriminator", reuse=reuse):
        net = tf.nn.leaky_relu(tf.layers.conv2d(images, 16, 3, strides=2, padding="same"), 0.2)
        net = tf.nn.leaky_relu(tf.layers.conv2d(net, 32, 3, strides=2, padding="same"), 0.2)
        return tf.layers.dense(tf.layers.flatten(net), 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--dir", default="dcgan-model")
    parser.add_argument("--restore", default=None, help="sample from this checkpoint instead of training")
    args = parser.parse_args(argv)
    data = load_digits()

    tf.reset_default_graph()
    tf.set_random_seed(2)
    real = tf.placeholder(tf.float32, [None, 8, 8, 1], name="real")
    z = tf.placeholder(tf.float32, [None, NOISE], name="z")
    fake = generator(z, training=True)
    d_real = discriminator(real)
    d_fake = discriminator(fake, reuse=True)
    samples = generator(z, training=False, reuse=True)
    d_loss = tf.losses.sigmoid_cross_entropy(tf.ones_like(d_real), d_real, label_smoothing=0.1) + (
        tf.losses.sigmoid_cross_entropy(tf.zeros_like(d_fake), d_fake)
    )
    g_loss = tf.losses.sigmoid_cross_entropy(tf.ones_like(d_fake), d_fake)
    d_vars = tf.trainable_variables(scope="discriminator")
    g_vars = tf.trainable_variables(scope="generator")
    d_train = tf.train.AdamOptimizer(2e-3, beta1=0.5).minimize(d_loss, var_list=d_vars)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS, scope="generator")):
        g_train = tf.train.AdamOptimizer(2e-3, beta1=0.5).minimize(g_loss, var_list=g_vars)
    saver = tf.train.Saver()

    rng = np.random.default_rng(3)
    fixed_z = rng.uniform(-1, 1, (8, NOISE)).astype(np.float32)
    with tf.Session() as sess:
        losses = []
        if args.restore:
            saver.restore(sess, args.restore)
            prefix = args.restore
        else:
            sess.run(tf.global_variables_initializer())
            for _ in range(args.steps):
                batch = data[rng.integers(0, len(data), args.batch)]
                noise = rng.uniform(-1, 1, (args.batch, NOISE)).astype(np.float32)
                d, _ = sess.run([d_loss, d_train], {real: batch, z: noise})
                g, _ = sess.run([g_loss, g_train], {z: noise})
                losses.append((float(d), float(g)))
            prefix = saver.save(sess, args.dir + "/dcgan")
        images = sess.run(samples, {z: fixed_z})
        print(f"last losses (d, g): {losses[-1] if losses else None}; sample mean {images.mean():.3f}")
        return {
            "losses": losses,
            "samples": images,
            "prefix": prefix,
            "variables": [v.op.name for v in tf.global_variables()],
            "generator_variables": [v.op.name for v in g_vars],
        }


if __name__ == "__main__":
    main()
