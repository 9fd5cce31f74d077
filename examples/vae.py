"""A TF1 variational autoencoder on binary patterns, with a decaying learning rate and checkpoints mid-training.

    python examples/vae.py [--steps 60] [--train_dir /tmp/vae] [--rewind_to 0]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). The encoder
(dense layers) gives the mean and log variance of a 2-d latent code; the code is sampled by
reparameterization (``mu + exp(logvar / 2) * tf.random_normal(...)``, no tf.distributions); the decoder gives
the logits of 16 pixels. The loss is the Bernoulli reconstruction cross entropy plus the KL divergence to
N(0, I), minimized by Momentum with ``tf.train.exponential_decay`` on the global step. A Saver writes a
checkpoint every ``--save_every`` steps (``max_to_keep=3``). On start the program resumes from the latest
checkpoint in ``--train_dir`` if there is one; with ``--rewind_to N`` it trains to the end, then restores the
step-N checkpoint in the same session and trains again from there (the global step, and so the learning
rate, come back with it).
"""

import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("steps", 60, "Train until the global step reaches this.")
flags.DEFINE_integer("batch_size", 32, "Patterns per step.")
flags.DEFINE_integer("save_every", 20, "Steps between checkpoints.")
flags.DEFINE_integer("rewind_to", 0, "After training, restore this step's checkpoint and train again (0: no).")
flags.DEFINE_string("train_dir", "/tmp/vae", "Checkpoint directory.")
FLAGS = flags.FLAGS

PIXELS, LATENT = 16, 2


def make_data(n, seed):
    """Four prototype patterns with 10% of the pixels flipped."""
    rng = np.random.RandomState(seed)
    prototypes = rng.randint(0, 2, size=(4, PIXELS))
    x = prototypes[rng.randint(0, 4, size=n)]
    flip = rng.uniform(size=x.shape) < 0.1
    return np.where(flip, 1 - x, x).astype(np.float32)


def build(x):
    with tf.variable_scope("encoder"):
        h = tf.layers.dense(x, 32, activation=tf.nn.relu)
        mu = tf.layers.dense(h, LATENT, name="mu")
        logvar = tf.layers.dense(h, LATENT, name="logvar")
    eps = tf.random_normal(tf.shape(mu), seed=5, name="eps")
    z = mu + tf.exp(0.5 * logvar) * eps
    with tf.variable_scope("decoder"):
        h = tf.layers.dense(z, 32, activation=tf.nn.relu)
        logits = tf.layers.dense(h, PIXELS)
    reconstruction = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), axis=1)
    kl = -0.5 * tf.reduce_sum(1.0 + logvar - tf.square(mu) - tf.exp(logvar), axis=1)
    return tf.reduce_mean(reconstruction + kl, name="loss"), mu


def main(_):
    data = make_data(512, seed=0)
    tf.set_random_seed(2024)
    x = tf.placeholder(tf.float32, [None, PIXELS], name="x")
    loss, mu = build(x)
    global_step = tf.train.get_or_create_global_step()
    learning_rate = tf.train.exponential_decay(0.05, global_step, 15, 0.8, staircase=True)
    train_op = tf.train.MomentumOptimizer(learning_rate, 0.9).minimize(loss, global_step=global_step)
    saver = tf.train.Saver(max_to_keep=3)
    checkpoint = os.path.join(FLAGS.train_dir, "vae.ckpt")

    def train(sess):
        step = sess.run(global_step)
        while step < FLAGS.steps:
            batch = data[(step * FLAGS.batch_size) % len(data) :][: FLAGS.batch_size]
            value, rate, _ = sess.run([loss, learning_rate, train_op], {x: batch})
            step = sess.run(global_step)
            print(f"step {step}: loss {value:.6f} learning rate {rate:.6f}")
            if step % FLAGS.save_every == 0:
                saver.save(sess, checkpoint, global_step=step)

    with tf.Session() as sess:
        latest = tf.train.latest_checkpoint(FLAGS.train_dir)
        if latest:
            saver.restore(sess, latest)
            print("resumed from", os.path.basename(latest))
        else:
            sess.run(tf.global_variables_initializer())
        train(sess)
        if FLAGS.rewind_to:
            saver.restore(sess, f"{checkpoint}-{FLAGS.rewind_to}")
            print("rewound to step", sess.run(global_step))
            train(sess)
        kept = tf.train.get_checkpoint_state(FLAGS.train_dir).all_model_checkpoint_paths
        print("checkpoints:", " ".join(os.path.basename(p) for p in kept))
        print("codes:", " ".join(f"{v:.5f}" for v in sess.run(mu, {x: data[:6]}).ravel()))


if __name__ == "__main__":
    tf.app.run()
