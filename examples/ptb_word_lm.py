"""TensorFlow's PTB word-level language model tutorial (models/tutorials/rnn/ptb) in its TF1 shape, on tiny data.

    python examples/ptb_word_lm.py [--save_path /tmp/ptb] [--max_max_epoch 3] [--rnn_mode loop|static|dynamic]

Runs unchanged in TensorFlow (change the import line to ``import tensorflow.compat.v1 as tf``). As the
tutorial: a ``PTBInput`` reads [batch, num_steps] windows of the word ids with ``tf.train.range_input_producer``
and ``tf.strided_slice`` (queue runners), a ``PTBModel`` embeds them (``tf.get_variable`` and
``tf.nn.embedding_lookup`` under ``tf.device("/cpu:0")``), runs a MultiRNNCell of LSTMs wrapped in DropoutWrapper
(keep_prob < 1 only when training) from ``cell.zero_state``, unrolled by hand in ``tf.variable_scope("RNN")``
with ``reuse_variables()`` (or by ``tf.nn.static_rnn`` / ``tf.nn.dynamic_rnn``), a sequence loss written by
hand, ``tf.clip_by_global_norm`` gradients applied by GradientDescent whose learning rate is a non-trainable
Variable set with ``tf.assign`` through a placeholder. The Valid and Test models share the variables
(``reuse=True``) under a ``tf.random_uniform_initializer``. ``run_epoch`` feeds each step's final state back
as the next step's initial state. A ``tf.train.Supervisor`` initializes (or restores the latest checkpoint of
``--save_path``), starts its services (its checkpoint thread saves ``model.ckpt-0`` at once) and the queue
runners; the model is saved at the end. The perplexities are printed per epoch.
"""

import os

import numpy as np

import torchmeta as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_string("save_path", "/tmp/ptb", "Model output directory (the Supervisor's logdir).")
flags.DEFINE_integer("max_max_epoch", 3, "Epochs to train.")
flags.DEFINE_string("rnn_mode", "loop", "How the LSTMs are unrolled: loop, static or dynamic.")
FLAGS = flags.FLAGS


class SmallConfig:
    """The tutorial's small config, shrunk to run in seconds."""

    init_scale = 0.1
    learning_rate = 1.0
    max_grad_norm = 5
    num_layers = 2
    num_steps = 5
    hidden_size = 16
    max_epoch = 1
    max_max_epoch = 3
    keep_prob = 0.8
    lr_decay = 0.5
    batch_size = 4
    vocab_size = 24


def synthetic_ptb(vocab_size, seed=0):
    """Train, valid and test word ids: sentences from a tiny Markov chain over the vocabulary, 0 ending each."""
    rng = np.random.RandomState(seed)
    successors = rng.randint(1, vocab_size, size=(vocab_size, 3))

    def text(words):
        ids, word = [], 0
        while len(ids) < words:
            word = successors[word, rng.randint(3)] if rng.rand() > 0.15 else 0
            ids.append(int(word))
        return ids

    return text(440), text(150), text(150)


def ptb_producer(raw_data, batch_size, num_steps, name=None):
    """reader.ptb_producer: the i-th [batch_size, num_steps] window of the data and the next words."""
    with tf.name_scope(name, "PTBProducer", [raw_data, batch_size, num_steps]):
        raw_data = tf.convert_to_tensor(raw_data, name="raw_data", dtype=tf.int32)
        data_len = tf.size(raw_data)
        batch_len = data_len // batch_size
        data = tf.reshape(raw_data[0 : batch_size * batch_len], [batch_size, batch_len])
        epoch_size = (batch_len - 1) // num_steps
        assertion = tf.assert_positive(epoch_size, message="epoch_size == 0, decrease batch_size or num_steps")
        with tf.control_dependencies([assertion]):
            epoch_size = tf.identity(epoch_size, name="epoch_size")
        i = tf.train.range_input_producer(epoch_size, shuffle=False).dequeue()
        x = tf.strided_slice(data, [0, i * num_steps], [batch_size, (i + 1) * num_steps])
        x.set_shape([batch_size, num_steps])
        y = tf.strided_slice(data, [0, i * num_steps + 1], [batch_size, (i + 1) * num_steps + 1])
        y.set_shape([batch_size, num_steps])
        return x, y


class PTBInput:
    def __init__(self, config, data, name=None):
        self.batch_size = batch_size = config.batch_size
        self.num_steps = num_steps = config.num_steps
        self.epoch_size = ((len(data) // batch_size) - 1) // num_steps
        self.input_data, self.targets = ptb_producer(data, batch_size, num_steps, name=name)


class PTBModel:
    def __init__(self, is_training, config, input_):
        self._input = input_
        batch_size = input_.batch_size
        num_steps = input_.num_steps
        size = config.hidden_size
        vocab_size = config.vocab_size

        with tf.device("/cpu:0"):
            embedding = tf.get_variable("embedding", [vocab_size, size], dtype=tf.float32)
            inputs = tf.nn.embedding_lookup(embedding, input_.input_data)
        if is_training and config.keep_prob < 1:
            inputs = tf.nn.dropout(inputs, config.keep_prob)

        def make_cell():
            if FLAGS.rnn_mode == "loop":
                cell = tf.nn.rnn_cell.BasicLSTMCell(
                    size, forget_bias=0.0, state_is_tuple=True, reuse=tf.get_variable_scope().reuse
                )
            else:
                cell = tf.nn.rnn_cell.LSTMCell(size, forget_bias=0.0, reuse=tf.get_variable_scope().reuse)
            if is_training and config.keep_prob < 1:
                cell = tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=config.keep_prob)
            return cell

        cell = tf.nn.rnn_cell.MultiRNNCell([make_cell() for _ in range(config.num_layers)], state_is_tuple=True)
        self._initial_state = cell.zero_state(batch_size, tf.float32)
        state = self._initial_state
        if FLAGS.rnn_mode == "loop":
            outputs = []
            with tf.variable_scope("RNN"):
                for time_step in range(num_steps):
                    if time_step > 0:
                        tf.get_variable_scope().reuse_variables()
                    (cell_output, state) = cell(inputs[:, time_step, :], state)
                    outputs.append(cell_output)
            output = tf.reshape(tf.concat(outputs, 1), [-1, size])
        elif FLAGS.rnn_mode == "static":
            inputs = tf.unstack(inputs, num=num_steps, axis=1)
            outputs, state = tf.nn.static_rnn(cell, inputs, initial_state=self._initial_state)
            output = tf.reshape(tf.concat(outputs, 1), [-1, size])
        else:
            outputs, state = tf.nn.dynamic_rnn(cell, inputs, initial_state=self._initial_state)
            output = tf.reshape(outputs, [-1, size])

        softmax_w = tf.get_variable("softmax_w", [size, vocab_size], dtype=tf.float32)
        softmax_b = tf.get_variable("softmax_b", [vocab_size], dtype=tf.float32)
        logits = tf.matmul(output, softmax_w) + softmax_b
        # sequence_loss_by_example with unit weights: the cross entropy of each word, summed over the batch
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.reshape(input_.targets, [-1]), logits=logits)
        self._cost = cost = tf.reduce_sum(loss) / batch_size
        self._final_state = state

        if not is_training:
            return

        self._lr = tf.Variable(0.0, trainable=False)
        tvars = tf.trainable_variables()
        grads, _ = tf.clip_by_global_norm(tf.gradients(cost, tvars), config.max_grad_norm)
        optimizer = tf.train.GradientDescentOptimizer(self._lr)
        self._train_op = optimizer.apply_gradients(zip(grads, tvars), global_step=tf.train.get_or_create_global_step())
        self._new_lr = tf.placeholder(tf.float32, shape=[], name="new_learning_rate")
        self._lr_update = tf.assign(self._lr, self._new_lr)

    def assign_lr(self, session, lr_value):
        session.run(self._lr_update, feed_dict={self._new_lr: lr_value})

    @property
    def input(self):
        return self._input

    @property
    def initial_state(self):
        return self._initial_state

    @property
    def cost(self):
        return self._cost

    @property
    def final_state(self):
        return self._final_state

    @property
    def lr(self):
        return self._lr

    @property
    def train_op(self):
        return self._train_op


def run_epoch(session, model, eval_op=None, verbose=False):
    """Runs the model over its data, carrying the LSTM state from window to window; the perplexity."""
    costs = 0.0
    iters = 0
    state = session.run(model.initial_state)
    fetches = {"cost": model.cost, "final_state": model.final_state}
    if eval_op is not None:
        fetches["eval_op"] = eval_op
    for step in range(model.input.epoch_size):
        feed_dict = {}
        for i, (c, h) in enumerate(model.initial_state):
            feed_dict[c] = state[i].c
            feed_dict[h] = state[i].h
        vals = session.run(fetches, feed_dict)
        cost = vals["cost"]
        state = vals["final_state"]
        costs += cost
        iters += model.input.num_steps
        if verbose and step % (model.input.epoch_size // 4) == 1:
            print(f"{step * 1.0 / model.input.epoch_size:.3f} perplexity: {np.exp(costs / iters):.6f}")
    return np.exp(costs / iters)


def main(_):
    config = SmallConfig()
    config.max_max_epoch = FLAGS.max_max_epoch
    eval_config = SmallConfig()
    eval_config.batch_size = 1
    eval_config.num_steps = 1
    train_data, valid_data, test_data = synthetic_ptb(config.vocab_size)

    with tf.Graph().as_default():
        tf.set_random_seed(1)
        initializer = tf.random_uniform_initializer(-config.init_scale, config.init_scale)
        with tf.name_scope("Train"):
            train_input = PTBInput(config=config, data=train_data, name="TrainInput")
            with tf.variable_scope("Model", reuse=None, initializer=initializer):
                m = PTBModel(is_training=True, config=config, input_=train_input)
        with tf.name_scope("Valid"):
            valid_input = PTBInput(config=config, data=valid_data, name="ValidInput")
            with tf.variable_scope("Model", reuse=True, initializer=initializer):
                mvalid = PTBModel(is_training=False, config=config, input_=valid_input)
        with tf.name_scope("Test"):
            test_input = PTBInput(config=eval_config, data=test_data, name="TestInput")
            with tf.variable_scope("Model", reuse=True, initializer=initializer):
                mtest = PTBModel(is_training=False, config=eval_config, input_=test_input)
        print("variables:", " ".join(v.op.name for v in tf.global_variables()))

        sv = tf.train.Supervisor(logdir=FLAGS.save_path)
        with sv.managed_session() as session:
            print("starting at step", session.run(sv.global_step))
            for i in range(config.max_max_epoch):
                lr_decay = config.lr_decay ** max(i + 1 - config.max_epoch, 0.0)
                m.assign_lr(session, config.learning_rate * lr_decay)
                print(f"Epoch: {i + 1} Learning rate: {session.run(m.lr):.3f}")
                train_perplexity = run_epoch(session, m, eval_op=m.train_op, verbose=True)
                print(f"Epoch: {i + 1} Train Perplexity: {train_perplexity:.6f}")
                valid_perplexity = run_epoch(session, mvalid)
                print(f"Epoch: {i + 1} Valid Perplexity: {valid_perplexity:.6f}")
            test_perplexity = run_epoch(session, mtest)
            print(f"Test Perplexity: {test_perplexity:.6f}")
            prefix = sv.saver.save(session, os.path.join(FLAGS.save_path, "model.ckpt"), global_step=sv.global_step)
            print("model saved in", prefix)


if __name__ == "__main__":
    tf.app.run()
