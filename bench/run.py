"""torchmeta vs TensorFlow (tf.compat.v1 Session) vs hand-written PyTorch, side by side in one run.

    python bench/run.py [--device cpu|cuda] [--threads 1,2] [--rounds 9] [--clock cpu] [--only seed_mlp_train,...]
                        [--json PATH] [--compile] [--cuda-graph] [--tf-onednn default|on|off]

Each workload is built the same way in TensorFlow and torchmeta (the same TF1 code with `tf` bound to
either), and, where it makes sense, as hand-written PyTorch. After warm-up the implementations run
alternately, round after round; each round times a batch of calls of each, and the table shows the median
per-call time of each and the ratios torchmeta/TF and torchmeta/PyTorch. Results go to JSON too
(default bench/results/latest.json) so runs can be compared. Not part of the test suite.

The order within a round changes from round to round (``round_order``: the rotations of the implementations'
list, forwards and backwards), so that no implementation is always timed first or always right after the same
other one: the order alone moved a ratio by several percent (the LSTM classifier read 1.03x TF timed right after
TF and 0.95x timed before it). It is not TensorFlow's thread pools billing the next implementation: with
``--clock cpu`` each batch is also timed with the calling thread's CPU clock, and the JSON keeps, per
implementation, the CPU time other threads of the process used meanwhile (``other_threads_seconds``): for a
one-thread torchmeta or PyTorch batch timed right after TensorFlow it is about 3 µs per call, nothing against
steps of milliseconds. TensorFlow itself does almost all of its work on its pool threads, which is why the CPU
clock is the process's (all threads), not the calling thread's.

With ``--device cuda`` torchmeta and PyTorch run on the GPU (wall clock, synchronized after each batch of
calls); TensorFlow runs on its GPU when it has one, else on the CPU, and then no ratio to it is computed.
``--cuda-graph`` adds torchmeta's step captured into a CUDA graph (``Session.make_static_step``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# With --clock cpu, OpenMP's idle worker threads (torch's intra-op threads beyond the first) must sleep, not
# spin: spinning counts as the process's CPU time (a 2-thread torch step read 5-20x its work that way on the
# loaded machine) and steals the cores from everyone else. libgomp reads it once, before torch loads it.
if "--clock=cpu" in sys.argv or any(a == "--clock" and b == "cpu" for a, b in zip(sys.argv, sys.argv[1:])):
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import itertools

import torchmeta
from bench import models


def matmul_peak(n=2048, reps=5):
    """GFLOP/s of a float32 n x n matmul on this machine, the peak the profiles (profile_cnn.py, profile_rnn.py)
    compare kernels with: best of ``reps``, CPU time of this process, which other processes on the shared
    machine disturb less than wall-clock time."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(reps):
        start = time.process_time()
        a @ b
        best = min(best, time.process_time() - start)
    return 2 * n**3 / best / 1e9


# ---------------------------------------------------------------------------------------------
# Graph builders: plain TF1 code, run with `tf` = tensorflow.compat.v1 or torchmeta


def mlp_logits(tf, x, sizes):
    h = x
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        with tf.name_scope(f"layer{i}"):
            w = tf.Variable(tf.truncated_normal([n_in, n_out], stddev=1.0 / math.sqrt(float(n_in))), name="weights")
            b = tf.Variable(tf.zeros([n_out]), name="biases")
            h = tf.matmul(h, w) + b
            if i < len(sizes) - 2:
                h = tf.nn.relu(h)
    return h


def mlp_graph(tf, sizes, batch):
    x = tf.placeholder(tf.float32, [None, sizes[0]], name="x")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    logits = mlp_logits(tf, x, sizes)
    xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
    loss = tf.reduce_mean(xent, name="xentropy_mean")
    train_op = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    return x, labels, logits, loss, train_op


def lstm_graph(tf, steps, batch, hidden):
    """A static LSTM-like recurrence from MatMul/Sigmoid/Tanh/Mul/Add (no control flow)."""
    xs = [tf.placeholder(tf.float32, [None, hidden], name=f"x{t}") for t in range(steps)]
    target = tf.placeholder(tf.float32, [None, hidden], name="target")
    w = tf.Variable(tf.truncated_normal([2 * hidden, 4 * hidden], stddev=0.05), name="w")
    b = tf.Variable(tf.zeros([4 * hidden]), name="b")
    h = tf.zeros([batch, hidden])
    c = tf.zeros([batch, hidden])
    for x in xs:
        gates = tf.matmul(tf.concat([x, h], 1), w) + b
        i, f, o, g = tf.split(gates, 4, axis=1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
    loss = tf.reduce_mean(tf.square(h - target))
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return xs, target, loss, train_op


# ---------------------------------------------------------------------------------------------
# Workloads


class Runner:
    """One ``sess.run(fetch, feed)`` call, kept apart so that --cuda-graph can make a static step of it."""

    def __init__(self, sess, fetch, feed):
        self.sess, self.fetch, self.feed = sess, fetch, feed

    def __call__(self):
        return self.sess.run(self.fetch, self.feed)


def cuda_graph_step(runner):
    """torchmeta's step for ``runner`` captured into a CUDA graph (Session.make_static_step), or None when
    the graph cannot be captured (the reason is printed)."""
    feed = {k: v for k, v in runner.feed.items()}
    try:
        step = runner.sess.make_static_step(runner.fetch, feed)
    except torchmeta.errors.OpError as e:
        print(f"  (no CUDA graph: {e.message})", flush=True)
        return None
    return lambda: step(feed)


class Workload:
    name = ""
    description = ""
    torch_baseline = True

    def __init__(self, device):
        self.device = device
        self.rng = np.random.default_rng(0)

    def tf_step(self, tf, session_config):
        raise NotImplementedError

    def tm_step(self, tm):
        return self.tf_step(tm, tm.ConfigProto(device=self.device))

    def torch_step(self):
        return None


class MLPTrain(Workload):
    def __init__(self, device, sizes, batch, name, description):
        super().__init__(device)
        self.sizes, self.batch, self.name, self.description = sizes, batch, name, description
        self.x = self.rng.standard_normal((batch, sizes[0])).astype(np.float32)
        self.y = self.rng.integers(0, sizes[-1], batch).astype(np.int32)

    def tf_step(self, tf, config):
        g = tf.Graph()
        with g.as_default():
            x, labels, _, _, train_op = mlp_graph(tf, self.sizes, self.batch)
            sess = tf.Session(graph=g, config=config)
            sess.run(tf.global_variables_initializer())
        feed = {x: self.x, labels: self.y}
        return Runner(sess, train_op, feed)

    def torch_step(self):
        layers = []
        for i, (a, b) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            layers.append(torch.nn.Linear(a, b))
            if i < len(self.sizes) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers).to(self.device)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        x, y = self.x, self.y.astype(np.int64)
        dev = self.device

        def step():
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x).to(dev)), torch.from_numpy(y).to(dev))
            loss.backward()
            opt.step()

        return step


class MLPInfer(MLPTrain):
    def tf_step(self, tf, config):
        g = tf.Graph()
        with g.as_default():
            x, _, logits, _, _ = mlp_graph(tf, self.sizes, self.batch)
            sess = tf.Session(graph=g, config=config)
            sess.run(tf.global_variables_initializer())
        feed = {x: self.x}
        return Runner(sess, logits, feed)

    def torch_step(self):
        layers = []
        for i, (a, b) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            layers.append(torch.nn.Linear(a, b))
            if i < len(self.sizes) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers).to(self.device)
        x, dev = self.x, self.device

        def step():
            with torch.no_grad():
                return model(torch.from_numpy(x).to(dev)).cpu().numpy()

        return step


class LSTMTrain(Workload):
    name = "lstm5_train"
    description = "static 5-step LSTM-like recurrence (batch 32, hidden 128), one training step"

    def __init__(self, device, steps=5, batch=32, hidden=128):
        super().__init__(device)
        self.steps, self.batch, self.hidden = steps, batch, hidden
        self.xs = [self.rng.standard_normal((batch, hidden)).astype(np.float32) for _ in range(steps)]
        self.target = self.rng.standard_normal((batch, hidden)).astype(np.float32)

    def tf_step(self, tf, config):
        g = tf.Graph()
        with g.as_default():
            xs, target, _, train_op = lstm_graph(tf, self.steps, self.batch, self.hidden)
            sess = tf.Session(graph=g, config=config)
            sess.run(tf.global_variables_initializer())
        feed = dict(zip(xs, self.xs))
        feed[target] = self.target
        return Runner(sess, train_op, feed)

    def torch_step(self):
        hdim, dev = self.hidden, self.device
        w = torch.nn.Parameter(torch.randn(2 * hdim, 4 * hdim, device=dev) * 0.05)
        b = torch.nn.Parameter(torch.zeros(4 * hdim, device=dev))
        opt = torch.optim.SGD([w, b], lr=0.1)
        xs, target = self.xs, self.target

        def step():
            opt.zero_grad(set_to_none=True)
            h = torch.zeros(self.batch, hdim, device=dev)
            c = torch.zeros(self.batch, hdim, device=dev)
            for x in xs:
                gates = torch.cat([torch.from_numpy(x).to(dev), h], 1) @ w + b
                i, f, o, g = gates.chunk(4, 1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            loss = ((h - torch.from_numpy(target).to(dev)) ** 2).mean()
            loss.backward()
            opt.step()

        return step


class DynamicRNNTrain(Workload):
    """TF1's dynamic_rnn over an LSTMCell: a while loop over TensorArrays, trained through TF's gradient
    while frame (stack accumulators). TensorFlow builds the graph and exports it as a .meta; torchmeta
    imports that file (it has no dynamic_rnn builder of its own to compare with)."""

    name = "dynamic_rnn20_train"
    description = "tf.nn.dynamic_rnn LSTM, 20 steps (batch 32, hidden 128), one training step"

    def __init__(self, device, steps=20, batch=32, hidden=128, control_flow="v1", name=None, description=None):
        """``control_flow``: the while loop TF builds, "v1" (Enter/Merge/Switch/Exit frames: TF1's, and what
        ``disable_v2_behavior`` gives) or "v2" (a While op over library functions with TensorList
        accumulators: TF2's, and the graphs tf.compat.v1 code builds in TF 2.x without disabling v2)."""
        super().__init__(device)
        self.steps, self.batch, self.hidden = steps, batch, hidden
        self.control_flow = control_flow
        self.name = name or self.name
        self.description = description or self.description
        self.x = self.rng.standard_normal((batch, steps, hidden)).astype(np.float32)
        self.target = self.rng.standard_normal((batch, steps, hidden)).astype(np.float32)
        self.path = None

    def _build(self, tf):
        x = tf.placeholder(tf.float32, [self.batch, self.steps, self.hidden], name="x")
        target = tf.placeholder(tf.float32, [self.batch, self.steps, self.hidden], name="target")
        cell = tf.nn.rnn_cell.LSTMCell(self.hidden)
        outputs, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        loss = tf.reduce_mean(tf.square(outputs - target), name="loss")
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
        return x, target, train_op

    def tf_step(self, tf, config):
        g = tf.Graph()
        v2 = tf.control_flow_v2_enabled()
        (tf.enable_control_flow_v2 if self.control_flow == "v2" else tf.disable_control_flow_v2)()
        try:
            with g.as_default():
                x, target, train_op = self._build(tf)
        finally:
            (tf.enable_control_flow_v2 if v2 else tf.disable_control_flow_v2)()
        with g.as_default():
            sess = tf.Session(graph=g, config=config)
            sess.run(tf.global_variables_initializer())
            if self.path is None:
                self.path = os.path.join(tempfile.mkdtemp(prefix="tm_bench_"), "dynamic_rnn.meta")
                tf.train.export_meta_graph(self.path)
        feed = {x: self.x, target: self.target}
        return Runner(sess, train_op, feed)

    def tm_step(self, tm):
        if self.path is None:
            import tensorflow.compat.v1 as tf_ref

            self.tf_step(tf_ref, tf_ref.ConfigProto())
        g = tm.Graph()
        with g.as_default():
            tm.train.import_meta_graph(self.path)
            sess = tm.Session(graph=g, config=tm.ConfigProto(device=self.device))
            sess.run(tm.global_variables_initializer())
        feed = {"x:0": self.x, "target:0": self.target}
        return Runner(sess, "train", feed)

    def torch_step(self):
        """The same LSTM (TF's LSTMCell: one matmul of [x, h], gates i, j, f, o, forget bias 1) as a Python
        loop in PyTorch eager, autograd for the backward pass."""
        hdim, dev = self.hidden, self.device
        w = torch.nn.Parameter(torch.randn(2 * hdim, 4 * hdim, device=dev) * 0.05)
        b = torch.nn.Parameter(torch.zeros(4 * hdim, device=dev))
        opt = torch.optim.SGD([w, b], lr=0.1)
        x_np, target_np = self.x, self.target

        def step():
            opt.zero_grad(set_to_none=True)
            x = torch.from_numpy(x_np).to(dev)
            target = torch.from_numpy(target_np).to(dev)
            h = torch.zeros(self.batch, hdim, device=dev)
            c = torch.zeros(self.batch, hdim, device=dev)
            outs = []
            for t in range(self.steps):
                gates = torch.addmm(b, torch.cat([x[:, t], h], 1), w)
                i, j, f, o = gates.chunk(4, 1)
                c = torch.sigmoid(f + 1.0) * c + torch.sigmoid(i) * torch.tanh(j)
                h = torch.sigmoid(o) * torch.tanh(c)
                outs.append(h)
            loss = (torch.stack(outs, 1) - target).square().mean()
            loss.backward()
            opt.step()

        return step


class ModelTrain(Workload):
    """A model of bench/models.py (``kind``), one training step; ``infer``: the logits only."""

    infer = False

    def __init__(self, device, kind, description):
        super().__init__(device)
        self.kind, self.description = kind, description
        self.name = f"{kind}_{'infer' if self.infer else 'train'}"
        batch, shape = models.SHAPES[kind]
        self.batch = batch
        self.x = self.rng.standard_normal((batch, *shape)).astype(np.float32)
        self.y = self.rng.integers(0, 10, batch).astype(np.int64)

    def tf_step(self, tf, config):
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(1)
            kwargs = {"training": False} if self.kind in ("resnet", "mobilenet") and self.infer else {}
            x, labels, logits, train_op = models.GRAPHS[self.kind](tf, self.batch, **kwargs)
            sess = tf.Session(graph=g, config=config)
            sess.run(tf.global_variables_initializer())
        if self.infer:
            feed = {x: self.x}
            return Runner(sess, logits, feed)
        feed = {x: self.x, labels: self.y}
        return Runner(sess, train_op, feed)

    def torch_step(self):
        torch.manual_seed(1)
        model = models.torch_model(self.kind).to(self.device)
        x_np, y_np, dev = models.to_torch_layout(self.kind, self.x), self.y, self.device
        if self.infer:
            model.eval()

            def infer():
                with torch.no_grad():
                    return model(torch.from_numpy(x_np).to(dev)).cpu().numpy()

            return infer
        opt = models.torch_optimizer(self.kind, model.parameters())

        def step():
            opt.zero_grad(set_to_none=True)
            logits = model(torch.from_numpy(x_np).to(dev))
            loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y_np).to(dev))
            loss.backward()
            opt.step()

        return step


class ModelInfer(ModelTrain):
    infer = True


class TrivialFetch(Workload):
    name = "trivial_fetch"
    description = "sess.run of a scalar constant: the per-call overhead"
    torch_baseline = False

    def tf_step(self, tf, config):
        g = tf.Graph()
        with g.as_default():
            c = tf.constant(1.0)
            sess = tf.Session(graph=g, config=config)
        return Runner(sess, c, {})


class ImportAndRun(Workload):
    """Import a MetaGraph of about 20,000 nodes (written by TensorFlow) and run it once, cold."""

    name = "import_20k_first_run"
    description = "import_meta_graph of a ~20,000-node graph + first run, cold"
    torch_baseline = False
    blocks = 2000

    def __init__(self, device):
        super().__init__(device)
        self.path = None

    def _write(self, tf):
        if self.path is not None:
            return
        directory = tempfile.mkdtemp(prefix="tm_bench_")
        self.path = os.path.join(directory, "big.meta")
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [None, 16], name="x")
            w = tf.Variable(tf.ones([16, 16]) * 0.01, name="w")
            h = x
            for i in range(self.blocks):
                with tf.name_scope(f"block{i}"):
                    y = tf.matmul(h, w)
                    y = tf.nn.relu(y + float(i % 3))
                    h = tf.identity(y * 0.5 + h * 0.5, name="out")
            tf.add_to_collection("output", h)
            tf.train.export_meta_graph(self.path)
            self.nodes = len(g.get_operations())

    def tf_step(self, tf, config):
        import tensorflow.compat.v1 as tf_ref

        self._write(tf_ref)
        feed_value = self.rng.standard_normal((4, 16)).astype(np.float32)

        def step():
            g = tf.Graph()
            with g.as_default():
                saver = tf.train.import_meta_graph(self.path)
                del saver
                out = tf.get_collection("output")[0]
                x = g.get_tensor_by_name("x:0")
                with tf.Session(graph=g, config=config) as sess:
                    sess.run(tf.global_variables_initializer())
                    sess.run(out, {x: feed_value})

        return step


def _to_module_step(workload):
    """The same MLP graph as a torch module (to_module), trained with autograd and torch.optim."""
    tm = torchmeta
    g = tm.Graph()
    with g.as_default():
        x = tm.placeholder(tm.float32, [None, workload.sizes[0]], name="x")
        logits = mlp_logits(tm, x, workload.sizes)
    module = tm.to_module(g, inputs=[x], outputs=[logits]).to(workload.device)
    opt = torch.optim.SGD(module.parameters(), lr=0.01)
    xs, ys, dev = workload.x, workload.y.astype(np.int64), workload.device

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(module(torch.from_numpy(xs).to(dev)), torch.from_numpy(ys).to(dev))
        loss.backward()
        opt.step()

    return step


# ---------------------------------------------------------------------------------------------
# Timing


# What the timings read: wall-clock time, or (--clock cpu) the CPU time of this process, every thread
# of it (TensorFlow's included), which other processes on a loaded machine disturb much less.
_clock = time.perf_counter


def _calibrate(fn, target=0.05):
    fn()
    n = 1
    while True:
        start = _clock()
        for _ in range(n):
            fn()
        elapsed = _clock() - start
        if elapsed >= target or n >= 1 << 16:
            return n
        n *= 2


def round_order(names, r):
    """The order in which round ``r`` times the implementations ``names``: the list rotated by ``r // 2``, and
    reversed in odd rounds. Over ``2 * len(names)`` rounds each implementation comes at each place equally often
    and follows each of its neighbours in the list equally often; with three implementations (TF, torchmeta,
    PyTorch) the six rounds are all six orders."""
    names = list(names)
    k = (r // 2) % len(names) if names else 0
    order = names[k:] + names[:k]
    return order[::-1] if r % 2 else order


def _time(fn, n, sync, other_threads=None):
    start, own = _clock(), time.thread_time()
    for _ in range(n):
        fn()
    sync()
    elapsed = (_clock() - start) / n
    if other_threads is not None and _clock is time.process_time:
        other_threads.append(elapsed - (time.thread_time() - own) / n)
    return elapsed


def run_workload(workload, impls, rounds, sync, warmup=None, other_threads=None):
    """Median seconds per call of each of ``impls`` over ``rounds`` rounds, the order changing per round
    (``round_order``); ``other_threads`` (a dict) receives, with the CPU clock, each implementation's median CPU
    seconds per call spent by threads other than the calling one while it ran."""
    for name, fn in impls.items():
        for _ in range(3):  # warm-up: first runs lower, specialize and fill caches (and compile, the second)
            start = time.perf_counter()
            fn()
            if warmup is not None:
                warmup.setdefault(name, []).append(time.perf_counter() - start)
    if "torchmeta_compiled" in impls:
        _finish_trials(impls["torchmeta_compiled"])
    counts = {name: _calibrate(fn) for name, fn in impls.items()}
    samples = {name: [] for name in impls}
    others = {name: [] for name in impls}
    for r in range(rounds):
        for name in round_order(impls, r):
            samples[name].append(_time(impls[name], counts[name], sync, others[name]))
    if other_threads is not None:
        other_threads.update({name: statistics.median(v) for name, v in others.items() if v})
    return {name: statistics.median(v) for name, v in samples.items()}


def _finish_trials(fn, limit=400):
    """Runs a ConfigProto(torch_compile=True) step until each of its compiled modules has kept the compiled or
    the eager module (its trial calls alternate between the two, ``runtime/compiled.py``), so that the timed
    rounds time the kept module, not the trials: a 50 ms step finished its 10 trial calls only during the
    rounds of a 5-round run, and its median was then half compiled, half eager calls."""
    for _ in range(limit):
        stats = fn.sess.compile_stats()
        if not stats or all("kept" in s or "error" in s for s in stats):
            return
        fn()


def run_cold(workload, impls, rounds):
    samples = {name: [] for name in impls}
    for r in range(rounds):
        for name in round_order(impls, r):
            start = time.perf_counter()
            impls[name]()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(v) for name, v in samples.items()}


def _cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), or platform.processor() elsewhere: kernels differ per CPU (an AVX2-only
    AMD EPYC and an AVX-512 Xeon gave different ratios), so a result names its CPU."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _tf_onednn_enabled():
    """Whether TensorFlow runs its oneDNN CPU kernels in this process (None where TF does not say)."""
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:
        return None
    return bool(_pywrap_util_port.IsMklEnabled())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument(
        "--threads",
        default="2",
        help="intra-op threads for TF and torch alike; a list (1,2) runs one process per count (TensorFlow sizes "
        "its intra-op pool once per process) and writes all rows to one JSON",
    )
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "results", "latest.json"))
    parser.add_argument(
        "--compile", action="store_true", help="also time torchmeta with ConfigProto(torch_compile=True)"
    )
    parser.add_argument(
        "--cuda-graph",
        action="store_true",
        help="with --device cuda: also time torchmeta's step captured into a CUDA graph (Session.make_static_step)",
    )
    parser.add_argument(
        "--clock",
        default="wall",
        choices=["wall", "cpu"],
        help="wall-clock time, or the process's CPU time (all its threads; steadier on a loaded machine)",
    )
    parser.add_argument(
        "--tf-onednn",
        default="default",
        choices=["default", "on", "off"],
        help="TensorFlow's oneDNN CPU kernels (TF_ENABLE_ONEDNN_OPTS): TF 2.21's default turns them on only on CPUs "
        "with AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX, and runs its Eigen kernels elsewhere",
    )
    args = parser.parse_args(argv)
    if args.tf_onednn != "default":  # read once, when TensorFlow first asks (after this)
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if args.tf_onednn == "on" else "0"
    thread_counts = [int(t) for t in args.threads.split(",") if t]
    if len(thread_counts) > 1:
        return _run_per_thread_count(argv if argv is not None else sys.argv[1:], thread_counts, args.json)
    args.threads = thread_counts[0]
    global _clock
    _clock = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda needs a GPU")
    if args.device == "cuda" and args.clock == "cpu":
        parser.error("--clock cpu measures the host's CPU time, not the GPU's: use the wall clock with --device cuda")
    if args.cuda_graph and args.device != "cuda":
        parser.error("--cuda-graph needs --device cuda")

    load_at_start = [round(v, 2) for v in os.getloadavg()]
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    torch.set_num_threads(args.threads)
    tf_config = tf.ConfigProto(intra_op_parallelism_threads=args.threads, inter_op_parallelism_threads=args.threads)
    device = args.device
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    # TensorFlow runs on its GPU when it has one (tensorflow-cpu has none: it stays on the CPU, and then its
    # times are no comparison for a GPU run: no ratio to them is computed).
    tf_device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    tf_comparable = (device == "cuda") == (tf_device == "GPU")

    workloads = [
        MLPTrain(device, [28, 128, 32, 10], 100, "seed_mlp_train", "seed MLP 28-128-32-10, batch 100, training step"),
        MLPInfer(device, [28, 128, 32, 10], 100, "seed_mlp_infer", "seed MLP 28-128-32-10, batch 100, inference"),
        MLPTrain(
            device, [784, 1024, 1024, 10], 128, "mnist_mlp_train", "MLP 784-1024-1024-10, batch 128, training step"
        ),
        LSTMTrain(device),
        DynamicRNNTrain(device),
        *[
            DynamicRNNTrain(
                device,
                steps=100,
                batch=8,
                hidden=32,
                control_flow=cf,
                name=f"dynamic_rnn100_small{'_v2' if cf == 'v2' else ''}_train",
                description=f"tf.nn.dynamic_rnn LSTM, 100 steps (batch 8, hidden 32), {cf} while loop, training step",
            )
            for cf in ("v1", "v2")
        ],
        ModelTrain(device, "cnn", "mnist_deep-shaped CNN (NHWC, batch 50, Adam), training step"),
        ModelInfer(device, "cnn", "mnist_deep-shaped CNN, inference"),
        ModelTrain(device, "resnet", "ResNet-style conv-BN-relu blocks, 32x32x3, batch 32, Momentum, training step"),
        ModelInfer(device, "resnet", "ResNet-style blocks, inference (batch norm with moving statistics)"),
        ModelTrain(
            device,
            "mobilenet",
            "MobileNet-style depthwise-separable blocks, 32x32x3, batch 32, Momentum, training step",
        ),
        ModelInfer(device, "mobilenet", "MobileNet-style blocks, inference (batch norm with moving statistics)"),
        ModelTrain(device, "lstm_cls", "static_rnn BasicLSTMCell classifier, 28x28, batch 64, Adam, training step"),
        ModelInfer(device, "lstm_cls", "static_rnn LSTM classifier, inference"),
        TrivialFetch(device),
        ImportAndRun(device),
    ]
    only = {s for s in args.only.split(",") if s}
    results = []
    print(f"{'workload':<22} {'TF':>10} {'torchmeta':>10} {'PyTorch':>10} {'tm/TF':>7} {'tm/torch':>8}")
    for w in workloads:
        if only and w.name not in only:
            continue
        impls = {"tf": w.tf_step(tf, tf_config)}
        impls["torchmeta"] = w.tm_step(torchmeta)
        if args.cuda_graph and isinstance(impls["torchmeta"], Runner) and not isinstance(w, TrivialFetch):
            impls["torchmeta_cuda_graph"] = cuda_graph_step(impls["torchmeta"])
        if args.compile and not isinstance(w, (ImportAndRun, TrivialFetch)):
            impls["torchmeta_compiled"] = w.tf_step(torchmeta, torchmeta.ConfigProto(device=device, torch_compile=True))
        if w.torch_baseline:
            impls["pytorch"] = w.torch_step()
        if isinstance(w, MLPTrain) and not isinstance(w, MLPInfer):
            impls["to_module"] = _to_module_step(w)
        impls = {k: v for k, v in impls.items() if v is not None}
        if isinstance(w, ImportAndRun):
            times = run_cold(w, impls, max(3, args.rounds // 3))
        else:
            warmup, other_threads = {}, {}
            times = run_workload(w, impls, args.rounds, sync, warmup, other_threads)
        row = {"workload": w.name, "threads": args.threads, "description": w.description, "seconds": times}
        if not isinstance(w, ImportAndRun) and other_threads:
            row["other_threads_seconds"] = other_threads
        if "torchmeta_compiled" in times:
            # ConfigProto(torch_compile=True) runs a subgraph eagerly first and compiles it on its second run:
            # that call's wall-clock time is the compile time (plus one step).
            row["compile_seconds"] = warmup["torchmeta_compiled"][1]
            # Per compiled module (a subgraph at one feed signature, loop bodies included): the graphs
            # torch.compile built (1: no break), which module the signature kept after its timed trial
            # calls, and the trials' best call of the compiled and the eager module (CompiledForward.clock).
            row["compiled_modules"] = [
                {k: v for k, v in r.items() if k != "feed_shapes"}
                for r in impls["torchmeta_compiled"].sess.compile_stats()
            ]
        tm_t, tf_t, pt_t = times.get("torchmeta"), times.get("tf"), times.get("pytorch")
        row["tf_device"] = tf_device
        row["ratio_tm_tf"] = tm_t / tf_t if tf_t and tf_comparable else None
        row["ratio_tm_pytorch"] = tm_t / pt_t if pt_t else None
        if "to_module" in times and pt_t:
            row["ratio_to_module_pytorch"] = times["to_module"] / pt_t
        if "torchmeta_compiled" in times and tf_t and tf_comparable:
            row["ratio_compiled_tf"] = times["torchmeta_compiled"] / tf_t
        if "torchmeta_compiled" in times and tm_t:
            row["ratio_compiled_eager"] = times["torchmeta_compiled"] / tm_t
        if "torchmeta_cuda_graph" in times:
            row["ratio_cuda_graph_tm"] = times["torchmeta_cuda_graph"] / tm_t
        results.append(row)

        def fmt(t):
            return f"{t * 1e6:9.1f}u" if t is not None and t < 1e-2 else (f"{t * 1e3:9.1f}m" if t else f"{'-':>10}")

        ratio = f"{row['ratio_tm_tf']:7.2f}" if row["ratio_tm_tf"] else f"{'-':>7}"
        ratio2 = f"{row['ratio_tm_pytorch']:8.2f}" if row["ratio_tm_pytorch"] else f"{'-':>8}"
        print(f"{w.name:<22} {fmt(tf_t)} {fmt(tm_t)} {fmt(pt_t)} {ratio} {ratio2}", flush=True)
        for extra, base, label in (
            ("to_module", pt_t, "PyTorch"),
            ("torchmeta_compiled", tf_t if tf_comparable else None, "TF"),
            ("torchmeta_cuda_graph", tm_t, "torchmeta"),
        ):
            if extra in times:
                ratio_text = f"  (/{label} {times[extra] / base:.2f})" if base else ""
                if extra == "torchmeta_compiled":
                    ratio_text += f"  (/eager {times[extra] / tm_t:.2f}, compile {row['compile_seconds']:.1f} s)"
                    ratio_text += "".join(
                        f"  [{m['graphs']} graph(s), kept {m.get('kept', '-')}"
                        + (
                            f", trials compiled/eager {m['compiled_seconds'] / m['eager_seconds']:.2f}]"
                            if "compiled_seconds" in m and "eager_seconds" in m
                            else "]"
                        )
                        for m in row["compiled_modules"]
                    )
                print(f"  {extra:<20} {fmt(times[extra])}{ratio_text}", flush=True)
    meta = {
        "device": device,
        "tf_device": tf_device,
        "threads": args.threads,
        "rounds": args.rounds,
        "round_order": "rotated, reversed every other round (bench/run.py round_order)",
        "clock": args.clock,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "load_average_at_start": load_at_start,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "tensorflow": tf.__version__,
        "torchmeta": torchmeta.__version__,
        "machine": platform.machine(),
        "cpu_model": _cpu_model(),
        "cpu_vector_isa": torch.backends.cpu.get_cpu_capability(),
        "tf_onednn": _tf_onednn_enabled(),
        "cpus": os.cpu_count(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
    }
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
    print(f"wrote {args.json}")
    return 0


def _run_per_thread_count(argv, thread_counts, json_path):
    """Runs this script once per thread count (each in its own process) and merges their JSON."""
    import subprocess

    rest, skip = [], False
    for a in argv:  # drop --threads/--json (both spellings) from the arguments passed on
        if skip:
            skip = False
            continue
        if a in ("--threads", "--json"):
            skip = True
            continue
        if a.startswith(("--threads=", "--json=")):
            continue
        rest.append(a)
    runs, results = [], []
    with tempfile.TemporaryDirectory(prefix="tm_bench_") as tmp:
        for n in thread_counts:
            print(f"== {n} thread{'s' if n != 1 else ''}", flush=True)
            part = os.path.join(tmp, f"threads{n}.json")
            subprocess.run(
                [sys.executable, os.path.abspath(__file__), *rest, "--threads", str(n), "--json", part], check=True
            )
            with open(part) as f:
                data = json.load(f)
            runs.append(data["meta"])
            results.extend(data["results"])
    meta = {"threads": thread_counts, "runs": runs}
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
    print(f"wrote {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
