"""A TF1 deep Q-network on a tiny grid walk, in the style of the public DQN implementations (the DeepMind-Atari
reimplementations, OpenAI baselines' deepq in its TF1 form).

    python examples/dqn.py [--steps 300] [--save_dir /tmp/dqn] [--init_from PREFIX] [--optimizer rmsprop|adam]
        [--dueling] [--select one_hot|gather_nd] [--nodouble_q] [--act_in_graph] [--resource_variables]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). The environment
is a deterministic numpy 5x5 grid: the agent starts in a corner and is paid 1 for reaching the opposite one
(-0.01 a step, 20 steps at most); it sees the grid as a 5x5x2 image (its own cell, the goal's cell). One
function builds the online network under ``q_func`` and the target network under ``target_q_func`` (and the
online network again, reused, on the next observations for double Q-learning): a convolution made by hand
(``tf.get_variable`` + ``tf.nn.conv2d`` + ``tf.nn.bias_add``), a ``tf.layers.conv2d`` and two
``tf.layers.dense``. Actions are ``tf.argmax`` of the Q values, epsilon-greedy in numpy from a seeded generator;
Q(s, a) is picked by ``tf.one_hot`` and a sum, the next state's value by ``tf.gather_nd`` of ``tf.stack``'ed
indices; the TD target is masked by ``1 - done`` under ``tf.stop_gradient``; the loss is baselines' Huber loss
built with ``tf.where`` (``tf.losses.huber_loss`` is printed beside it); gradients from ``compute_gradients``
are each clipped by ``tf.clip_by_norm`` before ``apply_gradients`` of a centered RMSProp (or Adam). The target
network is synchronised by ``tf.group`` of ``tf.assign``s over the two scopes' variables (from
``tf.get_collection``) sorted by name. Replay is a numpy ring buffer; a Saver keeps everything. With
``--resource_variables`` every variable is a resource variable (``tf.enable_resource_variables()``).
"""

import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_integer("steps", 300, "Environment steps to run.")
flags.DEFINE_integer("learning_starts", 40, "Environment steps before the first update.")
flags.DEFINE_integer("target_update", 50, "Updates between target network synchronisations.")
flags.DEFINE_integer("batch_size", 16, "Transitions per update.")
flags.DEFINE_integer("buffer_size", 1000, "Replay buffer capacity.")
flags.DEFINE_float("gamma", 0.9, "Discount.")
flags.DEFINE_float("learning_rate", 0.002, "Learning rate.")
flags.DEFINE_float("momentum", 0.0, "RMSProp's momentum.")
flags.DEFINE_float("grad_norm_clipping", 10.0, "Each gradient's norm is clipped to this.")
flags.DEFINE_string("optimizer", "rmsprop", "rmsprop (centered, DeepMind's settings) or adam.")
flags.DEFINE_boolean("double_q", True, "Pick the next action with the online network.")
flags.DEFINE_boolean("dueling", False, "A state value plus mean-centred advantages.")
flags.DEFINE_string("select", "one_hot", "How Q(s, a) is picked: one_hot (and a sum) or gather_nd.")
flags.DEFINE_boolean("act_in_graph", False, "Epsilon-greedy in the graph (baselines' build_act), not numpy.")
flags.DEFINE_boolean("resource_variables", False, "Resource variables (tf.enable_resource_variables()).")
flags.DEFINE_integer("seed", 0, "Graph and numpy seed.")
flags.DEFINE_integer("log_every", 10, "Print every this many environment steps.")
flags.DEFINE_string("save_dir", "/tmp/dqn", "Where the checkpoint goes.")
flags.DEFINE_string("init_from", "", "A checkpoint to start from.")
FLAGS = flags.FLAGS

SIZE, ACTIONS, MAX_EPISODE_STEPS = 5, 4, 20
MOVES = [(-1, 0), (1, 0), (0, -1), (0, 1)]  # up, down, left, right


class GridWalk:
    """The agent walks from (0, 0) to (SIZE-1, SIZE-1); walls keep it on the grid."""

    def reset(self):
        self.row, self.col, self.t = 0, 0, 0
        return self.observe()

    def observe(self):
        obs = np.zeros((SIZE, SIZE, 2), np.uint8)
        obs[self.row, self.col, 0] = 255
        obs[SIZE - 1, SIZE - 1, 1] = 255
        return obs

    def step(self, action):
        dr, dc = MOVES[action]
        self.row = min(max(self.row + dr, 0), SIZE - 1)
        self.col = min(max(self.col + dc, 0), SIZE - 1)
        self.t += 1
        if (self.row, self.col) == (SIZE - 1, SIZE - 1):
            return self.observe(), 1.0, True
        return self.observe(), -0.01, self.t >= MAX_EPISODE_STEPS


class ReplayBuffer:
    def __init__(self, size, rng):
        self.obs = np.zeros((size, SIZE, SIZE, 2), np.uint8)
        self.actions = np.zeros(size, np.int32)
        self.rewards = np.zeros(size, np.float32)
        self.next_obs = np.zeros((size, SIZE, SIZE, 2), np.uint8)
        self.dones = np.zeros(size, np.float32)
        self.size, self.next, self.count, self.rng = size, 0, 0, rng

    def add(self, obs, action, reward, next_obs, done):
        i = self.next
        self.obs[i], self.actions[i], self.rewards[i], self.next_obs[i], self.dones[i] = (
            obs,
            action,
            reward,
            next_obs,
            done,
        )
        self.next = (self.next + 1) % self.size
        self.count = min(self.count + 1, self.size)

    def sample(self, batch_size):
        idx = self.rng.randint(0, self.count, size=batch_size)
        return self.obs[idx], self.actions[idx], self.rewards[idx], self.next_obs[idx], self.dones[idx]


def conv(inputs, filters, kernel, stride, name):
    """The DeepMind reimplementations' convolution: variables made by hand, tf.nn.conv2d, bias, relu."""
    with tf.variable_scope(name):
        w = tf.get_variable(
            "w",
            [kernel, kernel, inputs.get_shape()[-1], filters],
            tf.float32,
            tf.truncated_normal_initializer(0, 0.1),
        )
        b = tf.get_variable("biases", [filters], initializer=tf.constant_initializer(0.01))
        out = tf.nn.bias_add(tf.nn.conv2d(inputs, w, [1, stride, stride, 1], padding="SAME"), b)
    return tf.nn.relu(out)


def q_network(obs, num_actions, scope, reuse=False):
    """Observations come as uint8 images, scaled in the graph as the Atari agents do."""
    with tf.variable_scope(scope, reuse=reuse):
        out = tf.cast(obs, tf.float32) / 255.0
        out = conv(out, 8, 3, 1, "conv1")
        out = tf.layers.conv2d(out, 16, 3, strides=2, padding="valid", activation=tf.nn.relu, name="conv2")
        out = tf.reshape(out, [-1, int(np.prod(out.get_shape().as_list()[1:]))])
        action_scores = tf.layers.dense(tf.layers.dense(out, 32, tf.nn.relu, name="fc"), num_actions, name="q")
        if not FLAGS.dueling:
            return action_scores
        state_score = tf.layers.dense(tf.layers.dense(out, 32, tf.nn.relu, name="fc_v"), 1, name="v")
        action_scores_centered = action_scores - tf.expand_dims(tf.reduce_mean(action_scores, 1), 1)
        return state_score + action_scores_centered


def huber_loss(x, delta=1.0):
    """baselines.common.tf_util.huber_loss."""
    return tf.where(tf.abs(x) < delta, tf.square(x) * 0.5, delta * (tf.abs(x) - 0.5 * delta))


def pick(q, actions):
    """Q(s, a) for each row's action."""
    if FLAGS.select == "one_hot":
        return tf.reduce_sum(q * tf.one_hot(actions, ACTIONS), 1)
    return tf.gather_nd(q, tf.stack([tf.range(tf.shape(actions)[0]), actions], axis=1))


def build_act(q_values, obs):
    """baselines' build_act: epsilon-greedy in the graph, epsilon a variable updated when fed >= 0."""
    stochastic = tf.placeholder(tf.bool, (), name="stochastic")
    update_eps = tf.placeholder(tf.float32, (), name="update_eps")
    eps = tf.get_variable("eps", (), initializer=tf.constant_initializer(0))
    deterministic_actions = tf.argmax(q_values, axis=1)
    batch_size = tf.shape(obs)[0]
    random_actions = tf.random_uniform(tf.stack([batch_size]), minval=0, maxval=ACTIONS, dtype=tf.int64)
    chose_random = tf.random_uniform(tf.stack([batch_size]), minval=0, maxval=1, dtype=tf.float32) < eps
    stochastic_actions = tf.where(chose_random, random_actions, deterministic_actions)
    output_actions = tf.cond(stochastic, lambda: stochastic_actions, lambda: deterministic_actions)
    update_eps_expr = eps.assign(tf.cond(update_eps >= 0, lambda: update_eps, lambda: eps))
    return {"stochastic": stochastic, "update_eps": update_eps, "actions": output_actions, "update": update_eps_expr}


def build_train():
    obs_t = tf.placeholder(tf.uint8, [None, SIZE, SIZE, 2], name="obs_t")
    act_t = tf.placeholder(tf.int32, [None], name="action")
    rew_t = tf.placeholder(tf.float32, [None], name="reward")
    obs_tp1 = tf.placeholder(tf.uint8, [None, SIZE, SIZE, 2], name="obs_tp1")
    done_mask = tf.placeholder(tf.float32, [None], name="done")
    importance_weights = tf.placeholder(tf.float32, [None], name="weight")
    with tf.variable_scope("deepq"):
        q_t = q_network(obs_t, ACTIONS, scope="q_func")
        q_func_vars = tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope=tf.get_variable_scope().name + "/q_func")
        deterministic_actions = tf.argmax(q_t, axis=1)
        act = build_act(q_t, obs_t)
        q_tp1 = q_network(obs_tp1, ACTIONS, scope="target_q_func")
        target_q_func_vars = tf.get_collection(
            tf.GraphKeys.TRAINABLE_VARIABLES, scope=tf.get_variable_scope().name + "/target_q_func"
        )
        q_t_selected = pick(q_t, act_t)
        if FLAGS.double_q:
            q_tp1_online = q_network(obs_tp1, ACTIONS, scope="q_func", reuse=True)
            best = tf.argmax(q_tp1_online, 1, output_type=tf.int32)
        else:
            best = tf.argmax(q_tp1, 1, output_type=tf.int32)
        q_tp1_best = tf.gather_nd(q_tp1, tf.stack([tf.range(tf.shape(best)[0]), best], axis=1))
        q_tp1_best_masked = (1.0 - done_mask) * q_tp1_best
        q_t_selected_target = rew_t + FLAGS.gamma * q_tp1_best_masked
        td_error = q_t_selected - tf.stop_gradient(q_t_selected_target)
        errors = huber_loss(td_error)
        loss = tf.reduce_mean(importance_weights * errors)
        tf_huber = tf.losses.huber_loss(tf.stop_gradient(q_t_selected_target), q_t_selected)
        global_step = tf.train.get_or_create_global_step()
        if FLAGS.optimizer == "rmsprop":
            optimizer = tf.train.RMSPropOptimizer(
                FLAGS.learning_rate, decay=0.95, momentum=FLAGS.momentum, epsilon=0.01, centered=True
            )
        else:
            optimizer = tf.train.AdamOptimizer(FLAGS.learning_rate, epsilon=1e-4)
        gradients = optimizer.compute_gradients(loss, var_list=q_func_vars)
        for i, (grad, var) in enumerate(gradients):
            if grad is not None:
                gradients[i] = (tf.clip_by_norm(grad, FLAGS.grad_norm_clipping), var)
        optimize_expr = optimizer.apply_gradients(gradients, global_step=global_step)
        update_target_expr = []
        for var, var_target in zip(
            sorted(q_func_vars, key=lambda v: v.name), sorted(target_q_func_vars, key=lambda v: v.name)
        ):
            update_target_expr.append(tf.assign(var_target, var))
        update_target_expr = tf.group(*update_target_expr)
    return {
        "obs_t": obs_t,
        "act_t": act_t,
        "rew_t": rew_t,
        "obs_tp1": obs_tp1,
        "done": done_mask,
        "weight": importance_weights,
        "build_act": act,
        "q_t": q_t,
        "act": deterministic_actions,
        "loss": loss,
        "tf_huber": tf_huber,
        "td_error": td_error,
        "train": optimize_expr,
        "update_target": update_target_expr,
        "global_step": global_step,
        "q_vars": q_func_vars,
        "target_vars": target_q_func_vars,
    }


def epsilon_at(t, schedule_steps=150, final=0.1):
    """baselines' LinearSchedule from 1.0."""
    return 1.0 + min(float(t) / schedule_steps, 1.0) * (final - 1.0)


def main(_):
    if FLAGS.resource_variables:
        tf.enable_resource_variables()
    tf.set_random_seed(FLAGS.seed)
    rng = np.random.RandomState(FLAGS.seed)
    g = build_train()
    saver = tf.train.Saver(max_to_keep=2)
    print("online:", " ".join(v.op.name for v in g["q_vars"]))
    print("target:", " ".join(v.op.name for v in g["target_vars"]))
    env, replay = GridWalk(), ReplayBuffer(FLAGS.buffer_size, rng)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if FLAGS.init_from:
            saver.restore(sess, FLAGS.init_from)
            print("restored at step", sess.run(g["global_step"]))
        sess.run(g["update_target"])
        obs, episode_reward, episodes, updates, recent = env.reset(), 0.0, 0, 0, []
        for t in range(FLAGS.steps):
            epsilon = epsilon_at(t)
            if FLAGS.act_in_graph:
                # baselines fetches the action and runs the update in one run; nothing orders the update
                # after the comparison with eps that reads it, and TF reads either value from run to run.
                act = g["build_act"]
                sess.run(act["update"], {act["update_eps"]: epsilon})
                feed = {g["obs_t"]: obs[None], act["stochastic"]: True, act["update_eps"]: -1.0}
                action = int(sess.run(act["actions"], feed)[0])
            elif rng.rand() < epsilon:
                action = rng.randint(ACTIONS)
            else:
                action = int(sess.run(g["act"], {g["obs_t"]: obs[None]})[0])
            new_obs, reward, done = env.step(action)
            replay.add(obs, action, reward, new_obs, float(done))
            obs, episode_reward = new_obs, episode_reward + reward
            if done:
                obs, episodes, recent = env.reset(), episodes + 1, [*recent, episode_reward][-5:]
                episode_reward = 0.0
            if t >= FLAGS.learning_starts:
                o, a, r, o1, d = replay.sample(FLAGS.batch_size)
                feed = {
                    g["obs_t"]: o,
                    g["act_t"]: a,
                    g["rew_t"]: r,
                    g["obs_tp1"]: o1,
                    g["done"]: d,
                    g["weight"]: np.ones_like(r),
                }
                loss, tf_huber, q_t, _ = sess.run([g["loss"], g["tf_huber"], g["q_t"], g["train"]], feed)
                updates += 1
                if updates % FLAGS.target_update == 0:
                    sess.run(g["update_target"])
                    print(f"target network updated after {updates} updates")
                if t % FLAGS.log_every == 0:
                    mean_reward = np.mean(recent) if recent else 0.0
                    print(
                        f"step {t}: loss {loss:.6f} huber {tf_huber:.6f} mean q {q_t.mean():.6f} "
                        f"epsilon {epsilon:.2f} episodes {episodes} mean reward {mean_reward:.4f}"
                    )
        start = GridWalk().reset()
        q_start = sess.run(g["q_t"], {g["obs_t"]: start[None]})[0]
        print("q at the start:", " ".join(f"{q:.6f}" for q in q_start))
        walker, path = GridWalk(), []
        o, done = walker.reset(), False
        while not done:
            a = int(sess.run(g["act"], {g["obs_t"]: o[None]})[0])
            path.append("UDLR"[a])
            o, _, done = walker.step(a)
        print("greedy walk:", "".join(path))
        prefix = saver.save(sess, os.path.join(FLAGS.save_dir, "dqn.ckpt"), global_step=g["global_step"])
        print("model saved in", prefix)


if __name__ == "__main__":
    tf.app.run()
