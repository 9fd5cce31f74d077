"""A TF1 policy-gradient (REINFORCE with a baseline) agent on a tiny corridor, in the style of the classic
reinforcement-learning tutorials.

    python examples/policy_gradient.py [--episodes 40] [--save_dir /tmp/policy_gradient] [--init_from PREFIX]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). The
environment is a numpy corridor of 6 cells: the agent starts in cell 1, moves left or right, and is paid 1 on
reaching the last cell (and -0.05 a step). The policy and the value baseline share a hidden layer over the
one-hot cell (``tf.one_hot``); actions are drawn in the graph by ``tf.random.categorical`` under a graph-level
seed. After each episode the discounted returns are computed in the graph by ``tf.scan`` (``reverse=True``)
over the rewards fed from Python; the advantage is the return minus the baseline under ``tf.stop_gradient``;
the loss is the policy's cross entropy (``tf.nn.softmax_cross_entropy_with_logits_v2`` of the one-hot actions)
weighted by the advantage, plus the baseline's ``tf.losses.huber_loss``, minimized by RMSProp.
"""

import os

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("episodes", 40, "Episodes to train on.")
flags.DEFINE_integer("max_steps", 20, "Steps an episode may last.")
flags.DEFINE_float("gamma", 0.9, "Discount.")
flags.DEFINE_string("save_dir", "/tmp/policy_gradient", "Where the checkpoint goes.")
flags.DEFINE_string("init_from", "", "A checkpoint to start from.")
FLAGS = flags.FLAGS

CELLS, ACTIONS = 6, 2


def env_step(cell, action):
    """The next cell, the reward and whether the episode ended (action 0: left, 1: right)."""
    cell = max(0, cell - 1) if action == 0 else cell + 1
    if cell == CELLS - 1:
        return cell, 1.0, True
    return cell, -0.05, False


def main(_):
    tf.set_random_seed(42)
    states = tf.placeholder(tf.int32, [None], name="states")
    actions = tf.placeholder(tf.int32, [None], name="actions")
    rewards = tf.placeholder(tf.float32, [None], name="rewards")
    with tf.variable_scope("agent"):
        hidden = tf.layers.dense(tf.one_hot(states, CELLS), 16, activation=tf.nn.tanh, name="hidden")
        logits = tf.layers.dense(hidden, ACTIONS, name="policy")
        value = tf.squeeze(tf.layers.dense(hidden, 1, name="value"), axis=1)
    sample = tf.squeeze(tf.random.categorical(logits, 1), axis=1)
    returns = tf.scan(lambda later, r: r + FLAGS.gamma * later, rewards, initializer=0.0, reverse=True)
    advantage = returns - tf.stop_gradient(value)
    crossent = tf.nn.softmax_cross_entropy_with_logits_v2(labels=tf.one_hot(actions, ACTIONS), logits=logits)
    policy_loss = tf.reduce_mean(crossent * advantage)
    value_loss = tf.losses.huber_loss(returns, value)
    loss = policy_loss + 0.5 * value_loss
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.RMSPropOptimizer(0.03).minimize(loss, global_step=global_step)
    probabilities = tf.nn.softmax(logits)
    saver = tf.train.Saver()
    print("variables:", " ".join(v.op.name for v in tf.global_variables()))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if FLAGS.init_from:
            saver.restore(sess, FLAGS.init_from)
            print("restored at step", sess.run(global_step))
        for _ in range(FLAGS.episodes):
            cell, done, visited, taken, paid = 1, False, [], [], []
            while not done and len(visited) < FLAGS.max_steps:
                action = int(sess.run(sample, {states: [cell]})[0])
                visited.append(cell)
                taken.append(action)
                cell, reward, done = env_step(cell, action)
                paid.append(reward)
            feed = {states: visited, actions: taken, rewards: paid}
            first_return, value_error, _ = sess.run([returns[0], value_loss, train_op], feed)
            moves = "".join("LR"[a] for a in taken)
            print(f"episode {sess.run(global_step)}: {moves} return {first_return:.6f} value loss {value_error:.6f}")
        policy = sess.run(probabilities, {states: list(range(CELLS))})
        print("p(right):", " ".join(f"{p:.6f}" for p in policy[:, 1]))
        prefix = saver.save(sess, os.path.join(FLAGS.save_dir, "agent.ckpt"), global_step=global_step)
        print("model saved in", prefix)


if __name__ == "__main__":
    tf.app.run()
