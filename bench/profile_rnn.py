"""Where the time of the MLP and LSTM workloads of bench/run.py goes: torchmeta's CPU time per kernel call of
the lowered module (each matmul kernel with its achieved GFLOP/s against a measured float32 matmul peak of this
machine), TensorFlow's traced time per op type for the same graph, and the step times of TF, torchmeta and the
hand-written PyTorch eager step measured alternately in one process.

    python bench/profile_rnn.py [--only mnist_mlp_train,lstm_cls_train,lstm_cls_infer] [--steps 20]
                                [--out bench/results/rnn_profile.txt]
    python bench/profile_rnn.py --matmuls --out bench/results/mlp_matmuls.txt
    python bench/profile_rnn.py --thread-products 2 --out bench/results/rnn_threads.txt

``--matmuls`` compares the MNIST MLP step's products at their shapes: TF's kernels (traced in the step and as
one-op sessions) against torch's entry points. ``--thread-products N`` times the recurrent workloads' products
at one and at N intra-op threads (CPU and wall time per call). Everything else runs on one intra-op thread.
Implementations alternate in an order that changes per round (bench/run.py's round_order). Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# issue 16 measures against TF's oneDNN kernels, which TF leaves off by default on some CPUs (the AVX2-only bench machine)
# (bench/run.py --tf-onednn on); export TF_ENABLE_ONEDNN_OPTS=0 to profile against its Eigen kernels.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torchmeta as tm
from bench import run
from torchmeta.ops.matmul_ops import mat_mul as tm_mat_mul
from torchmeta.runtime.specialize import fused_matmul_bias as tm_fused_matmul_bias

_MATMULS = {"mat_mul", "fused_matmul_bias", "fused_matmul_bias_relu", "sliced_matmul", "sliced_matmul_invariant_b"}


def _cpu_time(fn):
    start = time.process_time()
    fn()
    return time.process_time() - start


def matmul_flops(name, args, kwargs, out) -> int:
    """2 x the multiply-adds of a matmul kernel call of the lowered module (0 for other kernels)."""
    if name == "sum_of_matmuls":
        a = args[0]
        return 2 * out.numel() * (a.shape[0] if kwargs.get("transpose_a") else a.shape[1]) * (len(args) // 2)
    if name in _MATMULS and isinstance(out, torch.Tensor) and out.dim() == 2:
        a = args[0]
        inner = a.shape[0] if kwargs.get("transpose_a") else a.shape[1]
        return 2 * out.numel() * inner
    return 0


def kernel_times(runner, steps):
    """CPU ms per step of each kernel of the runner's lowered module(s) (fx targets wrapped with a CPU clock),
    keyed by (TF op type, kernel), with the FLOPs per step of matmul kernels, and the step's CPU ms."""
    totals: dict = {}
    flops: dict = {}

    def timed(fn, key):
        def call(*args, **kwargs):
            start = time.process_time()
            out = fn(*args, **kwargs)
            totals[key] = totals.get(key, 0.0) + time.process_time() - start
            flops[key] = flops.get(key, 0) + matmul_flops(key[1], args, kwargs, out)
            return out

        return call

    for _ in range(3):
        runner()
    for program in runner.sess._programs.values():
        for compiled in program.by_shapes.values():
            for node in compiled.gm.graph.nodes:
                if node.op == "call_function":
                    key = (node.meta.get("tf_op", "?"), getattr(node.target, "__name__", str(node.target)))
                    node.target = timed(node.target, key)
            compiled.gm.recompile()
            if not getattr(compiled.forward, "one_thread", False):  # (threads.one_thread_forward)
                compiled.forward = compiled.gm.forward
    step = sum(_cpu_time(runner) for _ in range(steps)) / steps * 1e3
    return {k: (v / steps * 1e3, flops[k] / steps) for k, v in totals.items()}, step


def traced_op_times(runner, tf, steps):
    """TF's ms per step per op type from traced runs (RunMetadata.step_stats)."""
    totals: dict = {}
    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    for _ in range(steps):
        meta = tf.RunMetadata()
        runner.sess.run(runner.fetch, runner.feed, options=options, run_metadata=meta)
        for dev in meta.step_stats.dev_stats:
            if "CPU" not in dev.device.upper() or "/stream" in dev.device:
                continue
            for node in dev.node_stats:
                label = node.timeline_label
                op = (label.split("=")[-1].split("(")[0].strip() if label else "") or node.node_name
                totals[op] = totals.get(op, 0.0) + node.all_end_rel_micros / 1e3
    return {op: ms / steps for op, ms in totals.items()}


def step_times(impls, rounds=7, calls=5):
    """Median CPU ms per call of each implementation, run alternately round after round, in an order that
    changes per round (``run.round_order``)."""
    samples: dict = {k: [] for k in impls}
    for fn in impls.values():
        for _ in range(3):
            fn()
    for r in range(rounds):
        for k in run.round_order(impls, r):
            samples[k].append(_cpu_time(lambda fn=impls[k]: [fn() for _ in range(calls)]) / calls * 1e3)
    return {k: statistics.median(v) for k, v in samples.items()}


# ---------------------------------------------------------------------------------------------
# --matmuls: the MNIST MLP step's products at their exact shapes, TF's kernels against torch's entry points


def mlp_products(sizes, batch):
    """The training step's matmuls of an MLP (bench/run.py's mlp_graph): (TF node, a's shape, b's shape,
    transpose_a, transpose_b, fused bias + Relu) for the forward products, the gradients of the hidden
    activations (none for the input's: TF prunes it) and the weight gradients."""
    last = len(sizes) - 2
    out = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        out.append((f"layer{i}/{'Relu' if i < last else 'add'}", (batch, n_in), (n_in, n_out), False, False, i < last))
    for i in range(last, -1, -1):
        n_in, n_out = sizes[i], sizes[i + 1]
        if i > 0:
            out.append((f"gradients/layer{i}/MatMul_grad/MatMul", (batch, n_out), (n_in, n_out), False, True, None))
        out.append((f"gradients/layer{i}/MatMul_grad/MatMul_1", (batch, n_in), (batch, n_out), True, False, None))
    return out


def _traced_node_ms(sess, fetch, feed, tf, names, traces):
    """Median ms of each node in ``names`` over ``traces`` FULL_TRACE runs (RunMetadata.step_stats), with the
    kernel TF ran for it (its timeline label's op, e.g. _MklMatMul after TF's oneDNN rewrite)."""
    samples, kernels = {n: [] for n in names}, {}
    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    for _ in range(traces):
        meta = tf.RunMetadata()
        sess.run(fetch, feed, options=options, run_metadata=meta)
        for dev in meta.step_stats.dev_stats:
            for node in dev.node_stats:
                if node.node_name in samples:
                    samples[node.node_name].append(node.all_end_rel_micros / 1e3)
                    kernels[node.node_name] = node.timeline_label.split("=")[-1].split("(")[0].strip()
    return {n: statistics.median(v) for n, v in samples.items() if v}, kernels


def matmul_report(tf, rounds=9, calls=5):
    """Each matmul of mnist_mlp_train's step: TF's traced time in the training step and as a one-op session,
    and torch's entry points at the same shapes (medians, alternating rounds in an order changing per round)."""
    import numpy as np

    sizes, batch = [784, 1024, 1024, 10], 128
    products = mlp_products(sizes, batch)
    config = tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    workload = run.MLPTrain("cpu", sizes, batch, "mnist_mlp_train", "")
    step = workload.tf_step(tf, config)
    for _ in range(3):
        step()
    in_step, kernels = _traced_node_ms(step.sess, step.fetch, step.feed, tf, [p[0] for p in products], rounds)
    rng = np.random.default_rng(0)
    lines = []
    for name, sa, sb, ta, tb, bias_relu in products:
        a = rng.standard_normal(sa).astype(np.float32)
        b = rng.standard_normal(sb).astype(np.float32)
        n_out = sb[0] if tb else sb[1]
        bias = rng.standard_normal(n_out).astype(np.float32)
        g = tf.Graph()
        with g.as_default():
            va, vb, vbias = tf.Variable(a), tf.Variable(b), tf.Variable(bias)
            product = tf.matmul(va, vb, transpose_a=ta, transpose_b=tb)
            if bias_relu is not None:
                product = product + vbias
                product = tf.nn.relu(product) if bias_relu else product
            node = product.op.name
            fetch = tf.reduce_sum(product)
            sess = tf.Session(graph=g, config=config)
            sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(fetch)
        one_op, one_op_kernel = _traced_node_ms(sess, fetch, None, tf, [node], rounds)
        x = torch.from_numpy(a).t() if ta else torch.from_numpy(a)
        y = torch.from_numpy(b).t() if tb else torch.from_numpy(b)
        bt = torch.from_numpy(bias)
        m = x.shape[0]

        def ours(x=x, y=y, bt=bt, bias_relu=bias_relu):
            if bias_relu is None:
                return torch.mm(x, y)
            out = torch.addmm(bt, x, y)
            return torch.relu_(out) if bias_relu else out

        def onednn(x=x, y=y, bt=bt, bias_relu=bias_relu):
            # oneDNN's matmul as torch exposes it: the weight as [out, in], laid out per call (it changes
            # every training step; for the hidden gradient it already is: W itself)
            w = y.t().contiguous()
            post = "relu" if bias_relu else "none"
            return torch.ops.mkldnn._linear_pointwise(
                x.contiguous(), w, bt if bias_relu is not None else None, post, [], ""
            )

        def mkl_packed(x=x, y=y, m=m):
            # MKL's packed sgemm: the weight packed per call (training changes it every step)
            w = y.t().contiguous()
            return torch.ops.mkl._mkl_linear(x.contiguous(), torch.ops.mkl._mkl_reorder_linear_weight(w, m), w, None, m)

        prepacked_w = y.t().contiguous()
        prepacked = torch.ops.mkl._mkl_reorder_linear_weight(prepacked_w, m)

        def mkl_prepacked(x=x, m=m, prepacked=prepacked, prepacked_w=prepacked_w):
            return torch.ops.mkl._mkl_linear(x.contiguous(), prepacked, prepacked_w, None, m)

        impls = {"torch.mm/addmm": ours, "oneDNN linear": onednn, "MKL packed": mkl_packed, "prepacked": mkl_prepacked}
        times = step_times(impls, rounds, calls)
        flops = 2 * x.shape[0] * x.shape[1] * y.shape[1]
        shape = f"{'x'.join(map(str, sa))}{'^T' if ta else ''} @ {'x'.join(map(str, sb))}{'^T' if tb else ''}"
        lines.append(
            f"  {name:<42} {shape:<24} TF in step {in_step.get(name, float('nan')):6.3f} ({kernels.get(name, '?')}), "
            f"one-op {one_op.get(node, float('nan')):6.3f} ({one_op_kernel.get(node, '?')}); torch "
            + ", ".join(f"{k} {v:6.3f}" for k, v in times.items())
            + f"  [{flops / times['torch.mm/addmm'] / 1e6:5.1f} GFLOP/s]"
        )
        sess.close()
    step.sess.close()
    total_tf = sum(in_step.values())
    return (
        f"== mnist_mlp_train's matmuls, ms per call (TF: median of {rounds} traced runs, kernel time of the node; "
        f"torch: CPU time, median of {rounds} alternating rounds of {calls} calls); in TF's step together "
        f"{total_tf:.2f} ms\n" + "\n".join(lines) + "\n"
    )


def thread_report(threads, rounds=9, calls=50):
    """The recurrent workloads' products (and one of the MNIST MLP's) at one and at ``threads`` intra-op
    threads: CPU and wall-clock microseconds per call, medians of alternating rounds in one process (the
    thread count switched per batch with torch.set_num_threads)."""
    m = torch.randn
    cls_x, cls_w, cls_b, cls_grad = m(64, 156), m(156, 512), m(512), m(64, 512)
    cls_kept = cls_w[28:].t().contiguous()  # what sliced_matmul_invariant_b multiplies by
    dyn_w, dyn_grad = m(256, 512), m(32, 512)
    dyn_kept = dyn_w[128:].t().contiguous()
    acc = m(156, 512)
    mlp_x, mlp_w = m(128, 1024), m(1024, 1024)
    products = {
        "lstm_cls forward addmm 64x156 @ 156x512 + bias": lambda: torch.addmm(cls_b, cls_x, cls_w),
        "lstm_cls h-gradient 64x512 @ 512x128 (contiguous, as kept)": lambda: torch.mm(cls_grad, cls_kept),
        "lstm_cls h-gradient 64x512 @ 512x128 (W's rows, transposed view)": lambda: torch.mm(cls_grad, cls_w[28:].t()),
        "lstm_cls weight gradient, one addmm_ 156x64 @ 64x512": lambda: acc.addmm_(cls_x.t(), cls_grad),
        "dynamic_rnn h-gradient 32x512 @ 512x128 (contiguous, as kept)": lambda: torch.mm(dyn_grad, dyn_kept),
        "dynamic_rnn h-gradient 32x512 @ 512x128 (W's rows, transposed view)": (
            lambda: torch.mm(dyn_grad, dyn_w[128:].t())
        ),
        "mnist_mlp layer1 128x1024 @ 1024x1024": lambda: torch.mm(mlp_x, mlp_w),
        # the same products through torchmeta's kernels, which take TF's threads-per-product rule
        # (matmul_ops.run_product: one thread below 1.01 x L2 of operands and result)
        "lstm_cls forward, torchmeta's fused_matmul_bias": lambda: tm_fused_matmul_bias(
            cls_x, cls_w, cls_b, False, False
        ),
        "lstm_cls h-gradient, torchmeta's mat_mul (contiguous)": lambda: tm_mat_mul(cls_grad, cls_kept, False, False),
        "dynamic_rnn h-gradient, torchmeta's mat_mul (contiguous)": lambda: tm_mat_mul(
            dyn_grad, dyn_kept, False, False
        ),
        "mnist_mlp layer1, torchmeta's mat_mul": lambda: tm_mat_mul(mlp_x, mlp_w, False, False),
    }
    samples = {(name, n): [] for name in products for n in (1, threads)}
    for r in range(rounds):
        for n in (1, threads) if r % 2 == 0 else (threads, 1):
            torch.set_num_threads(n)
            for name in run.round_order(products, r):
                fn = products[name]
                fn()
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(calls if "mnist" not in name else 3):
                    fn()
                k = calls if "mnist" not in name else 3
                samples[name, n].append(((time.process_time() - cpu) / k * 1e6, (time.perf_counter() - wall) / k * 1e6))
    torch.set_num_threads(1)
    lines = [
        f"== products at 1 and {threads} intra-op threads (OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}): "
        f"CPU / wall-clock us per call, medians of {rounds} alternating rounds"
    ]
    for name in products:
        cells = []
        for n in (1, threads):
            v = samples[name, n]
            cells.append(
                f"{n} thread{'s' if n > 1 else ''}: {statistics.median(a for a, _ in v):8.1f} / "
                f"{statistics.median(b for _, b in v):8.1f}"
            )
        lines.append(f"  {name:<68} " + "   ".join(cells))
    return "\n".join(lines) + "\n"


def profile_workload(workload, tf, steps, peak):
    out = io.StringIO()
    tf_runner = workload.tf_step(tf, tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1))
    impls = {"TF": tf_runner, "torchmeta": workload.tm_step(tm), "PyTorch": workload.torch_step()}
    times = step_times(impls)
    print(f"== {workload.name}: {workload.description}", file=out)
    print(
        "step, CPU ms (alternating, one process): "
        + ", ".join(f"{k} {v:.2f}" for k, v in times.items())
        + f"; torchmeta/TF {times['torchmeta'] / times['TF']:.2f}, torchmeta/PyTorch "
        f"{times['torchmeta'] / times['PyTorch']:.2f}",
        file=out,
    )
    ours, step = kernel_times(workload.tm_step(tm), steps)
    theirs = traced_op_times(tf_runner, tf, steps)
    their_total = sum(theirs.values())
    total_flops = sum(n for _, n in ours.values())
    matmul_ms = sum(v for (_, fn), (v, _) in ours.items() if fn in _MATMULS or fn == "sum_of_matmuls")
    print(
        f"\ntorchmeta, CPU ms per step per kernel ({step:.2f} ms per step with the kernels timed); matmuls: "
        f"{total_flops / 1e9:.3f} GFLOP per step in {matmul_ms:.2f} ms = {total_flops / matmul_ms / 1e6:.1f} GFLOP/s "
        f"({total_flops / matmul_ms / 1e6 / peak:.0%} of the matmul peak); at the peak they would take "
        f"{total_flops / peak / 1e6:.2f} ms",
        file=out,
    )
    for (op, fn), (v, n) in sorted(ours.items(), key=lambda kv: -kv[1][0])[:16]:
        rate = f"  {n / v / 1e6:6.1f} GFLOP/s ({n / v / 1e6 / peak:4.0%} of peak)" if n and v else ""
        print(f"  {op + ' -> ' + fn:<60} {v:7.3f} ms {v / step:6.1%}{rate}", file=out)
    print(f"\nTensorFlow, share of a traced step per op type ({their_total:.2f} ms per traced step):", file=out)
    for k, v in sorted(theirs.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {k:<40} {v:7.3f} ms {v / their_total:6.1%}", file=out)
    return out.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="mnist_mlp_train,lstm_cls_train,lstm_cls_infer")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "rnn_profile.txt"))
    parser.add_argument(
        "--matmuls",
        action="store_true",
        help="only the MNIST MLP step's matmuls at their shapes: TF's traced kernels vs torch's entry points",
    )
    parser.add_argument(
        "--thread-products",
        type=int,
        default=0,
        metavar="N",
        help="only the recurrent workloads' products, CPU and wall time per call at 1 and N intra-op threads",
    )
    args = parser.parse_args(argv)
    if args.thread_products:
        text = (
            f"bench/profile_rnn.py --thread-products {args.thread_products}\ntorch {torch.__version__}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start\n\n"
            + thread_report(args.thread_products)
            + f"load average at end: {os.getloadavg()[0]:.2f}\n"
        )
        print(text)
        with open(args.out, "w") as f:
            f.write(text)
        return 0
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    torch.set_num_threads(1)
    if args.matmuls:
        text = (
            f"bench/profile_rnn.py --matmuls (1 thread)\ntorch {torch.__version__}, TF {tf.__version__}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start\n\n" + matmul_report(tf)
        )
        text += f"load average at end: {os.getloadavg()[0]:.2f}\n"
        print(text)
        with open(args.out, "w") as f:
            f.write(text)
        return 0
    workloads = {
        "mnist_mlp_train": run.MLPTrain(
            "cpu", [784, 1024, 1024, 10], 128, "mnist_mlp_train", "MLP 784-1024-1024-10, batch 128, training step"
        ),
        "lstm5_train": run.LSTMTrain("cpu"),
        "lstm_cls_train": run.ModelTrain(
            "cpu", "lstm_cls", "static_rnn BasicLSTMCell classifier, 28x28, batch 64, Adam"
        ),
        "lstm_cls_infer": run.ModelInfer("cpu", "lstm_cls", "static_rnn LSTM classifier, inference"),
    }
    peak = run.matmul_peak()
    text = (
        f"bench/profile_rnn.py --only {args.only} --steps {args.steps} (1 thread)\n"
        f"torch {torch.__version__}, torchmeta {tm.__version__}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f} at start; measured float32 matmul peak (2048^3, CPU time): {peak:.1f} GFLOP/s\n"
    )
    for name in args.only.split(","):
        text += "\n" + profile_workload(workloads[name], tf, args.steps, peak)
        print(text.rsplit("\n== ", 1)[-1], flush=True)
    text += f"\nload average at end: {os.getloadavg()[0]:.2f}\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
