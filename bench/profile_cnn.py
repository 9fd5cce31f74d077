"""A torch.profiler per-op summary of one bench/models.py workload's training step under torchmeta,
next to the hand-written PyTorch eager step, with each convolution's achieved GFLOP/s against a
measured float32 matmul peak of this machine.

    python bench/profile_cnn.py [--kind cnn] [--steps 20] [--threads 1] [--out bench/results/cnn_profile.txt]
    python bench/profile_cnn.py --accounting [--kind resnet] [--mode train|infer] [--out PATH]

``--accounting`` writes the per-kernel account of one workload (training step or inference) instead: the
machine's measured matmul peak at this thread count, TensorFlow's and torchmeta's step (CPU time, the same
process, alternating rounds), torchmeta's kernel calls by CPU time with the GFLOP/s each convolution and
matmul achieves and its share of the peak, TensorFlow's ops inside its own graph (RunMetadata step_stats of
traced runs) next to torchmeta's kernels, op family by op family, and every convolution layer of the graph
run alone as TensorFlow's op (a one-op session) and as torchmeta's kernel on the same shapes, forward and
gradients.

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# issue 16 measures against TF's oneDNN kernels, which TF leaves off by default on some CPUs (the AVX2-only bench machine)
# (bench/run.py --tf-onednn on); export TF_ENABLE_ONEDNN_OPTS=0 to profile against its Eigen kernels.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as bench/run.py sets it

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torchmeta as tm
from bench import models, run


def torchmeta_step(kind, batch, x, y):
    g = tm.Graph()
    with g.as_default():
        tm.set_random_seed(1)
        xp, labels, _, train_op = models.GRAPHS[kind](tm, batch)
        sess = tm.Session(graph=g)
        sess.run(tm.global_variables_initializer())
    feed = {xp: x, labels: y}
    return lambda: sess.run(train_op, feed)


def pytorch_step(kind, x, y):
    model = models.torch_model(kind)
    opt = models.torch_optimizer(kind, model.parameters())
    xt, yt = torch.from_numpy(models.to_torch_layout(kind, x)), torch.from_numpy(y)

    def step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()

    return step


def traced_op_times(api, kind, batch, x, y, steps):
    """Milliseconds per step for each TF op type, from ``steps`` traced runs (RunMetadata.step_stats,
    which TensorFlow and torchmeta both fill) of the same training graph."""
    g = api.Graph()
    with g.as_default():
        api.set_random_seed(1)
        xp, labels, _, train_op = models.GRAPHS[kind](api, batch)
        if api is tm:
            sess = api.Session(graph=g)
        else:
            config = api.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
            sess = api.Session(graph=g, config=config)
        sess.run(api.global_variables_initializer())
        feed = {xp: x, labels: y}
        for _ in range(3):
            sess.run(train_op, feed)
        options = api.RunOptions(trace_level=api.RunOptions.FULL_TRACE)
        totals = {}
        for _ in range(steps):
            meta = api.RunMetadata()
            sess.run(train_op, feed, options=options, run_metadata=meta)
            for dev in meta.step_stats.dev_stats:
                if "CPU" not in dev.device.upper() or "/stream" in dev.device:
                    continue
                for node in dev.node_stats:
                    op = node.timeline_label.split("=")[-1].split("(")[0].strip() if node.timeline_label else ""
                    op = op or node.node_name
                    totals[op] = totals.get(op, 0.0) + node.all_end_rel_micros / 1e3
    return {op: ms / steps for op, ms in totals.items()}


def build(api, kind, batch, x, y, infer=False, config=None):
    """A session of ``api`` (TF or torchmeta) running ``kind``'s training step, or with ``infer`` its
    logits (batch norm with moving statistics): (session, fetch, feed)."""
    g = api.Graph()
    with g.as_default():
        api.set_random_seed(1)
        kwargs = {"training": False} if infer and kind in ("resnet", "mobilenet") else {}
        xp, labels, logits, train_op = models.GRAPHS[kind](api, batch, **kwargs)
        sess = api.Session(graph=g, config=config) if config is not None else api.Session(graph=g)
        sess.run(api.global_variables_initializer())
    if infer:
        return sess, logits, {xp: x}
    return sess, train_op, {xp: x, labels: y}


def kernel_times(kind, batch, x, y, steps, infer=False):
    """torchmeta's CPU milliseconds per training step (or inference) for each kernel call of the lowered
    module (its fx nodes' targets wrapped with a process-time clock), keyed by (TF op type, kernel), and
    the step's total CPU time."""
    sess, train_op, feed = build(tm, kind, batch, x, y, infer)
    for _ in range(3):
        sess.run(train_op, feed)
    totals: dict = {}
    flops: dict = {}

    def timed(fn, key):
        def call(*args, **kwargs):
            start = time.process_time()
            out = fn(*args, **kwargs)
            totals[key] = totals.get(key, 0.0) + time.process_time() - start
            flops[key] = flops.get(key, 0) + _flops(key[1], args, kwargs, out)
            return out

        return call

    for program in sess._programs.values():
        for compiled in program.by_shapes.values():
            for node in compiled.gm.graph.nodes:
                if node.op == "call_function":
                    key = (node.meta.get("tf_op", "?"), getattr(node.target, "__name__", str(node.target)))
                    node.target = timed(node.target, key)
            compiled.gm.recompile()
            if not getattr(compiled.forward, "one_thread", False):  # (threads.one_thread_forward)
                compiled.forward = compiled.gm.forward
    start = time.process_time()
    for _ in range(steps):
        sess.run(train_op, feed)
    step = (time.process_time() - start) / steps * 1e3
    return {k: (v / steps * 1e3, flops[k] / steps) for k, v in totals.items()}, step


# TF's graph optimizer renames ops (oneDNN's _MklNative*, the remapper's fused ops); both sides are
# grouped into these families, named by the TF1 op types a graph has before rewriting.
_FAMILIES = {
    "Conv2D": "convolutions (forward)",
    "DepthwiseConv2dNative": "convolutions (forward)",
    "FusedConv2D": "convolutions (forward)",
    "FusedDepthwiseConv2dNative": "convolutions (forward)",
    "Conv2DBackpropInput": "convolution gradients",
    "Conv2DBackpropFilter": "convolution gradients",
    "DepthwiseConv2dNativeBackpropInput": "convolution gradients",
    "DepthwiseConv2dNativeBackpropFilter": "convolution gradients",
    "FusedBatchNormV3": "FusedBatchNorm (+ Relu)",
    "FusedBatchNormEx": "FusedBatchNorm (+ Relu)",
    "FusedBatchNormGradV3": "FusedBatchNormGradV3",
    "ReluGrad": "ReluGrad",
    "Relu": "Relu, AddV2 (residual add + relu)",
    "AddV2": "Relu, AddV2 (residual add + relu)",
    "AddN": "AddN",
    "ApplyMomentum": "optimizer (Apply*)",
    "ApplyAdam": "optimizer (Apply*)",
    "MaxPool": "MaxPool, MaxPoolGrad",
    "MaxPoolGrad": "MaxPool, MaxPoolGrad",
    "MatMul": "MatMul, BiasAdd (+ Relu), BiasAddGrad",
    "FusedMatMul": "MatMul, BiasAdd (+ Relu), BiasAddGrad",
    "BiasAdd": "MatMul, BiasAdd (+ Relu), BiasAddGrad",
    "BiasAddGrad": "MatMul, BiasAdd (+ Relu), BiasAddGrad",
}


# torchmeta's fusions recorded on the op that ends them (a Relu, a BiasAdd) count as what they compute
_KERNEL_FAMILIES = {
    "conv2d_bias_relu": "convolutions (forward)",
    "conv2d_add_relu": "convolutions (forward)",
    "conv2d_batch_norm_relu": "convolutions (forward)",
    "fused_matmul_bias": "MatMul, BiasAdd (+ Relu), BiasAddGrad",
    "fused_matmul_bias_relu": "MatMul, BiasAdd (+ Relu), BiasAddGrad",
    "fused_batch_norm_relu": "FusedBatchNorm (+ Relu)",
}


def _op_family(op_type, kernel=None):
    """The family of a TF op type, its oneDNN (_MklNative*, _Mkl*) or remapper (_Fused*) name included, or
    of torchmeta's fused ``kernel`` (by its name) run for it."""
    if kernel in _KERNEL_FAMILIES:
        return _KERNEL_FAMILIES[kernel]
    for prefix in ("_MklNative", "_Mkl", "_"):
        if op_type.startswith(prefix):
            op_type = op_type[len(prefix) :]
            break
    return _FAMILIES.get(op_type, "other ops")


def tf_graph_times(sess, fetch, feed, steps):
    """TensorFlow's CPU milliseconds per run of ``fetch`` for each op family, inside its own graph: the
    runs traced (RunOptions FULL_TRACE), each node's all_end_rel_micros summed per family (wall clock) and
    scaled by the process's CPU time over wall time of those runs (the machine is shared: a node's wall time
    includes time this process waited for a core). Returns (family -> ms, traced CPU ms per run)."""
    import tensorflow.compat.v1 as tf

    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    totals: dict = {}
    cpu = wall = 0.0
    for _ in range(steps):
        meta = tf.RunMetadata()
        c0, w0 = time.process_time(), time.perf_counter()
        sess.run(fetch, feed, options=options, run_metadata=meta)
        cpu, wall = cpu + time.process_time() - c0, wall + time.perf_counter() - w0
        for dev in meta.step_stats.dev_stats:
            for node in dev.node_stats:
                label = node.timeline_label
                op = label.split("=")[-1].split("(")[0].strip() if label else node.node_name
                family = _op_family(op)
                totals[family] = totals.get(family, 0.0) + node.all_end_rel_micros / 1e3
    scale = cpu / wall if wall else 1.0
    return {k: v * scale / steps for k, v in totals.items()}, cpu / steps * 1e3


def _flops(name, args, kwargs, out):
    """Multiply-adds x 2 of a convolution or matmul kernel call (0 for other kernels)."""
    if name in (
        "conv2d",
        "conv2d_keeping_padded",
        "conv2d_keeping_filter",
        "conv2d_keeping_padded_and_filter",
        "conv2d_bias_relu",
        "conv2d_batch_norm_relu",
        "conv2d_add_relu",
    ):
        kh, kw, f_in = args[1].shape[:3]
        return 2 * out.numel() * kh * kw * (1 if kwargs.get("depthwise") else f_in)
    if name == "depthwise_conv2d_native":
        kh, kw = args[1].shape[:2]
        return 2 * out.numel() * kh * kw
    if name == "depthwise_conv2d_backprop_input_and_filter":
        kh, kw = args[1].shape[:2]
        return 4 * args[2].numel() * kh * kw
    if name == "conv2d_backprop_input_and_filter":
        kh, kw, f_in = args[1].shape[:3]
        return 4 * args[2].numel() * kh * kw * f_in
    if name == "conv2d_backprop_filter":
        kh, kw, f_in = out.shape[:3]
        return 2 * args[2].numel() * kh * kw * f_in
    if name == "conv2d_backprop_filter_static":  # (input, out_backprop), filter_sizes static
        kh, kw, f_in = out.shape[:3]
        return 2 * args[1].numel() * kh * kw * f_in
    if name == "conv2d_backprop_input":
        kh, kw, f_in = args[1].shape[:3]
        return 2 * args[2].numel() * kh * kw * f_in
    if name == "sum_of_matmuls":
        a = args[0]
        return 2 * out.numel() * (a.shape[0] if kwargs.get("transpose_a") else a.shape[1]) * (len(args) // 2)
    if name in ("mat_mul", "fused_matmul_bias", "sliced_matmul") and out.dim() == 2:
        a = args[0]
        return 2 * out.numel() * (a.shape[0] if kwargs.get("transpose_a") else a.shape[1])
    return 0


def compare_ops(kind, batch, x, y, steps, peak):
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    theirs = traced_op_times(tf, kind, batch, x, y, steps)
    ours, step = kernel_times(kind, batch, x, y, steps)
    out = io.StringIO()
    their_total = sum(theirs.values())
    print("TensorFlow, share of a traced training step per op type (RunMetadata step_stats, wall clock, 1", file=out)
    print(f"intra/inter-op thread; {their_total:.1f} ms per traced step):", file=out)
    for k, v in sorted(theirs.items(), key=lambda kv: -kv[1])[:14]:
        print(f"  {k:<40} {v / their_total:6.1%}", file=out)
    print(f"\ntorchmeta, CPU ms per training step per kernel call ({step:.1f} ms per step, untraced):", file=out)
    for (op, fn), (v, n) in sorted(ours.items(), key=lambda kv: -kv[1][0])[:14]:
        rate = f"{n / v / 1e6:6.1f} GFLOP/s ({n / v / 1e6 / peak:4.0%} of the matmul peak)" if n and v else ""
        print(f"  {op + ' -> ' + fn:<56} {v:7.2f} ms {v / step:6.1%}  {rate}", file=out)
    return out.getvalue()


def summarize(step, steps, peak, title):
    for _ in range(3):
        step()
    start = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True, with_flops=True) as prof:
        for _ in range(steps):
            step()
    wall = (time.perf_counter() - start) / steps
    out = io.StringIO()
    events = prof.key_averages()
    total_flops = sum(e.flops for e in events)
    print(f"== {title}: {wall * 1e3:.1f} ms per step under the profiler ({steps} steps)", file=out)
    print(events.table(sort_by="self_cpu_time_total", row_limit=25, max_name_column_width=48), file=out)
    print("ops with FLOPs the profiler counts (self time per step, GFLOP/s, share of the matmul peak):", file=out)
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total):
        if e.flops and e.self_cpu_time_total:
            per_step = e.self_cpu_time_total / steps / 1e3
            rate = e.flops / (e.cpu_time_total * 1e-6) / 1e9
            print(f"  {e.key:<40} {per_step:8.2f} ms  {rate:7.1f} GFLOP/s  {rate / peak:5.0%}", file=out)
    print(f"  all counted FLOPs: {total_flops / steps / 1e9:.2f} GFLOP per step", file=out)
    by_shape = prof.key_averages(group_by_input_shape=True)
    print("\nthe 12 most expensive ops by input shape (self time):", file=out)
    print(by_shape.table(sort_by="self_cpu_time_total", row_limit=12, max_name_column_width=40), file=out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# --accounting: where a workload's time goes, kernel by kernel, against the machine's matmul peak


def _cpu_ms(fn, n):
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) / n * 1e3


def step_times(impls, rounds, n):
    """Median CPU milliseconds per call of each of ``impls`` (name -> callable), alternating rounds in an order
    that changes per round (``run.round_order``)."""
    for fn in impls.values():
        for _ in range(3):
            fn()
    samples = {name: [] for name in impls}
    for r in range(rounds):
        for name in run.round_order(impls, r):
            samples[name].append(_cpu_ms(impls[name], n))
    return {name: sorted(v)[len(v) // 2] for name, v in samples.items()}


_CONV_TYPES = ("Conv2D", "DepthwiseConv2dNative")


def conv_layers(tf, kind, batch):
    """(op type, input shape, filter shape, strides, padding) of every forward convolution of ``kind``'s
    TF graph, in graph order."""
    g = tf.Graph()
    with g.as_default():
        models.GRAPHS[kind](tf, batch)
    layers = []
    for op in g.get_operations():
        if op.type in _CONV_TYPES and not op.name.startswith("gradients"):
            x, w = op.inputs[0].shape.as_list(), op.inputs[1].shape.as_list()
            x[0] = batch
            layers.append((op.type, x, w, list(op.get_attr("strides")), op.get_attr("padding").decode()))
    return layers


def _layer_flops(op_type, out_shape, w):
    return 2 * int(np.prod(out_shape)) * w[0] * w[1] * (1 if op_type == "DepthwiseConv2dNative" else w[2])


def layer_times(tf, layer, reps):
    """One convolution layer alone, as TF's ops in a one-thread session (forward; the input and filter
    gradients) and as torchmeta's kernels (forward; the fused input + filter gradient): CPU milliseconds
    per call (TF's minus the cost of an empty session run) and the layer's FLOPs."""
    from torchmeta.ops import conv_grad_ops, conv_ops

    op_type, xs, ws, strides, padding = layer
    depthwise = op_type == "DepthwiseConv2dNative"
    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
    config = tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    g = tf.Graph()
    with g.as_default():
        x, w = tf.Variable(xv), tf.Variable(wv)
        conv = tf.nn.depthwise_conv2d_native if depthwise else tf.nn.conv2d
        y = conv(x, w, strides, padding)
        dyv = rng.standard_normal(y.shape.as_list()).astype(np.float32)
        dy = tf.Variable(dyv)
        raw = tf.raw_ops
        grad_in = raw.DepthwiseConv2dNativeBackpropInput if depthwise else raw.Conv2DBackpropInput
        grad_f = raw.DepthwiseConv2dNativeBackpropFilter if depthwise else raw.Conv2DBackpropFilter
        gx = grad_in(input_sizes=xs, filter=w, out_backprop=dy, strides=strides, padding=padding)
        gw = grad_f(input=x, filter_sizes=ws, out_backprop=dy, strides=strides, padding=padding)
        sess = tf.Session(graph=g, config=config)
        sess.run(tf.global_variables_initializer())
        noop = tf.no_op()
        # one element of each result is fetched, so that copying the result out does not count
        fy, fg = y[0, 0, 0, 0], [gx[0, 0, 0, 0], gw[0, 0, 0, 0]]
        times = step_times(
            {
                "noop": lambda: sess.run(noop),
                "tf_fwd": lambda: sess.run(fy),
                "tf_bwd": lambda: sess.run(fg),
            },
            5,
            reps,
        )
        sess.close()
    X, W, DY = torch.from_numpy(xv), torch.from_numpy(wv), torch.from_numpy(dyv)
    kw = dict(strides=strides, padding=padding, explicit_paddings=[], data_format="NHWC", dilations=[1, 1, 1, 1])
    # a Conv2D whose gradient TF's graph computes keeps its asymmetric padding's copy for it (specialization's
    # conv2d_keeping_padded): the forward pads a new tensor object per call, as in a step; the gradients get X,
    # on which one forward kept its copy
    fwd = conv_ops.depthwise_conv2d_native if depthwise else conv_ops.conv2d_keeping_padded
    bwd = (
        conv_grad_ops.depthwise_conv2d_backprop_input_and_filter
        if depthwise
        else conv_grad_ops.conv2d_backprop_input_and_filter
    )
    fwd(X, W, **kw)
    ours = step_times({"fwd": lambda: fwd(X.view(X.shape), W, **kw), "bwd": lambda: bwd(X, W, DY, **kw)}, 5, reps)
    flops = _layer_flops(op_type, dyv.shape, ws)
    return {
        "tf_fwd": max(times["tf_fwd"] - times["noop"], 1e-6),
        "tf_bwd": max(times["tf_bwd"] - times["noop"], 1e-6),
        "tm_fwd": ours["fwd"],
        "tm_bwd": ours["bwd"],
        "flops": flops,
    }


def layout_times(layer, reps):
    """One convolution layer in torch's four configurations: NCHW or channels_last memory, oneDNN
    (torch.backends.mkldnn) enabled or not; CPU ms of the forward and of both gradients (one
    convolution_backward). torchmeta runs NHWC graphs as channels_last with oneDNN enabled."""
    op_type, xs, ws, strides, padding = layer
    depthwise = op_type == "DepthwiseConv2dNative"
    n, h, w, c = xs
    kh, kw = ws[0], ws[1]
    groups = c if depthwise else 1
    weight = torch.randn(ws[2] * ws[3] if depthwise else ws[3], 1 if depthwise else ws[2], kh, kw)
    x = torch.randn(n, c, h, w)
    stride = (strides[1], strides[2])
    pad = ((kh - 1) // 2, (kw - 1) // 2) if padding == "SAME" else (0, 0)
    backward = torch.ops.aten.convolution_backward
    out = {}
    for fmt in ("NCHW", "channels_last"):
        xi = x if fmt == "NCHW" else x.contiguous(memory_format=torch.channels_last)
        for onednn in (True, False):
            with torch.backends.mkldnn.flags(enabled=onednn):
                y = torch.nn.functional.conv2d(xi, weight, None, stride, pad, 1, groups)
                dy = torch.randn_like(y)
                out[fmt, onednn] = step_times(
                    {
                        "fwd": lambda xi=xi: torch.nn.functional.conv2d(xi, weight, None, stride, pad, 1, groups),
                        "bwd": lambda xi=xi, dy=dy: backward(
                            dy, xi, weight, None, stride, pad, (1, 1), False, (0, 0), groups, (True, True, False)
                        ),
                    },
                    3,
                    reps,
                )
    return out


def layouts(kind, reps):
    """The text of ``layout_times`` for every convolution layer of ``kind``."""
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    batch, _ = models.SHAPES[kind]
    out = io.StringIO()
    print(
        f"== {kind}: each convolution layer in torch's memory formats, oneDNN on/off (CPU ms: forward / both "
        "gradients; symmetric padding)",
        file=out,
    )
    configs = [("NCHW", True), ("channels_last", True), ("NCHW", False), ("channels_last", False)]
    heads = ["NCHW", "channels_last", "NCHW no oneDNN", "cl no oneDNN"]
    print(f"  {'layer':<40} " + " ".join(f"{h:>17}" for h in heads), file=out)
    for layer in conv_layers(tf, kind, batch):
        op_type, xs, ws, strides, _ = layer
        name = f"{'dw ' if op_type != 'Conv2D' else ''}{'x'.join(map(str, xs[1:]))} * {'x'.join(map(str, ws))}"
        name += f" s{strides[1]}"
        r = layout_times(layer, reps)
        cells = [f"{r[k]['fwd']:7.2f} / {r[k]['bwd']:6.2f}" for k in configs]
        print(f"  {name:<40} " + " ".join(f"{c:>17}" for c in cells), file=out)
    return out.getvalue()


_TARGETS = {"train": (1.0, 1.1), "infer": (0.5, None)}  # issue 16: x TF, x the PyTorch eager version


def accounting(kind, mode, steps, rounds, peak, threads):
    """The per-kernel account of ``kind``'s training step or inference, as text."""
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    infer = mode == "infer"
    batch, shape = models.SHAPES[kind]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)
    config = tf.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)
    tf_sess, tf_fetch, tf_feed = build(tf, kind, batch, x, y, infer, config)
    tm_sess, tm_fetch, tm_feed = build(tm, kind, batch, x, y, infer)
    model = models.torch_model(kind)
    xt = torch.from_numpy(models.to_torch_layout(kind, x))
    if infer:
        model.eval()

        def pytorch():
            with torch.no_grad():
                return model(xt).numpy()

    else:
        pytorch = pytorch_step(kind, x, y)
    load_start = os.getloadavg()[0]
    steps_ms = step_times(
        {
            "tf": lambda: tf_sess.run(tf_fetch, tf_feed),
            "torchmeta": lambda: tm_sess.run(tm_fetch, tm_feed),
            "pytorch": pytorch,
        },
        rounds,
        max(1, steps // 2),
    )
    tm_ms, tf_ms, pt_ms = steps_ms["torchmeta"], steps_ms["tf"], steps_ms["pytorch"]
    theirs, traced_ms = tf_graph_times(tf_sess, tf_fetch, tf_feed, steps)
    ours, step = kernel_times(kind, batch, x, y, steps, infer)
    layers = conv_layers(tf, kind, batch)
    per_layer = [(layer, layer_times(tf, layer, max(2, steps // 2))) for layer in layers]
    load_end = os.getloadavg()[0]

    out = io.StringIO()
    what = "inference (logits)" if infer else "training step"
    tf_target, pt_target = _TARGETS[mode]
    print(f"bench/profile_cnn.py --accounting --kind {kind} --mode {mode} --threads {threads}", file=out)
    print(
        f"torch {torch.__version__}, TF {tf.__version__}, torchmeta {tm.__version__}, {os.cpu_count()} CPUs shared "
        f"with other sessions (load average {load_start:.1f} at start, {load_end:.1f} at end); CPU time of this "
        f"process, {threads} thread(s).",
        file=out,
    )
    print(f"measured float32 matmul peak (2048^3, CPU time, {threads} thread(s)): {peak:.1f} GFLOP/s\n", file=out)
    print(f"== {kind} {what}: median CPU ms per call, {rounds} alternating rounds in this process", file=out)
    print(f"  TensorFlow {tf_ms:8.2f} ms", file=out)
    print(
        f"  torchmeta  {tm_ms:8.2f} ms   {tm_ms / tf_ms:5.2f}x TF (target <= {tf_target}x: "
        f"{'met' if tm_ms <= tf_target * tf_ms else f'not met, {tm_ms - tf_target * tf_ms:.2f} ms over'})",
        file=out,
    )
    pt_note = ""
    if pt_target is not None:
        met = tm_ms <= pt_target * pt_ms
        pt_note = f" (target <= {pt_target}x: {'met' if met else f'not met, {tm_ms - pt_target * pt_ms:.2f} ms over'})"
    print(f"  PyTorch    {pt_ms:8.2f} ms   torchmeta/PyTorch {tm_ms / pt_ms:5.2f}x{pt_note}", file=out)

    print(f"\n== torchmeta's kernel calls ({step:.2f} CPU ms per call, clocked per fx node, {steps} calls)", file=out)
    print(f"  {'TF op -> kernel':<62} {'ms':>7} {'share':>6}  {'GFLOP/s':>8} {'of peak':>7}", file=out)
    conv_ms = conv_flops = 0.0
    for (op, fn), (v, n) in sorted(ours.items(), key=lambda kv: -kv[1][0]):
        if v < 0.02 * step and not n:
            continue
        rate = n / v / 1e6 if n and v else None
        cols = f"{rate:8.1f} {rate / peak:6.0%}" if rate else ""
        print(f"  {op + ' -> ' + fn:<62} {v:7.2f} {v / step:6.1%}  {cols}", file=out)
        if n and ("conv" in fn):
            conv_ms, conv_flops = conv_ms + v, conv_flops + n
    in_kernels = sum(v for v, _ in ours.values())
    print(
        f"  (not listed: {sum(1 for v, n in ours.values() if v < 0.02 * step and not n)} op -> kernel pairs under 2% each; all "
        f"kernel calls {in_kernels:.2f} ms, the rest of the call, {step - in_kernels:.2f} ms, is the session and "
        "the generated module's Python)",
        file=out,
    )
    if conv_ms:
        rate = conv_flops / conv_ms / 1e6
        print(
            f"  all convolution kernels: {conv_ms:.2f} ms ({conv_ms / step:.0%} of the call), {rate:.1f} GFLOP/s "
            f"({rate / peak:.0%} of the matmul peak)",
            file=out,
        )

    print(
        "\n== in the graph: TensorFlow's ops (its traced calls) vs torchmeta's kernel calls (its clocked calls), by op "
        "family: each family's share of its side's call, times that side's median call above (CPU ms)",
        file=out,
    )
    print(f"  {'op family':<44} {'TF':>7} {'tm':>7} {'tm - TF':>8} {'tm/TF':>6}", file=out)
    session = "session, generated module (Python)"
    mine: dict = {}
    for (op, fn), (v, _) in ours.items():
        mine[_op_family(op, fn)] = mine.get(_op_family(op, fn), 0.0) + v
    mine[session] = max(step - sum(v for v, _ in ours.values()), 0.0)
    theirs = dict(theirs)
    theirs[session] = max(traced_ms - sum(theirs.values()), 0.0)
    mine_total, their_total = sum(mine.values()), sum(theirs.values())
    mine = {k: v / mine_total * tm_ms for k, v in mine.items()}
    theirs = {k: v / their_total * tf_ms for k, v in theirs.items()}
    for fam in sorted(set(mine) | set(theirs), key=lambda k: -(mine.get(k, 0.0) + theirs.get(k, 0.0))):
        a, b = theirs.get(fam, 0.0), mine.get(fam, 0.0)
        ratio = f"{b / a:6.2f}" if a > 0.005 else ""
        print(f"  {fam:<44} {a:7.2f} {b:7.2f} {b - a:+8.2f} {ratio}", file=out)
    print(
        f"  {'all (the median calls)':<44} {tf_ms:7.2f} {tm_ms:7.2f} {tm_ms - tf_ms:+8.2f} {tm_ms / tf_ms:6.2f}",
        file=out,
    )
    print(
        f"  (TF: {steps} calls traced (RunOptions FULL_TRACE), {traced_ms:.2f} CPU ms each; a family's time is its nodes' "
        f"all_end_rel_micros; the session row is the traced call's time less its nodes' (wall time scaled by the "
        f"traced calls' CPU over wall time). torchmeta: {steps} calls with every fx node clocked (process CPU time), "
        f"{step:.2f} ms each; the session row is the call less its kernels (TF's includes the tracing's own cost). "
        "Shares, not times, carry over: a traced "
        "or clocked call runs slower than a plain one, and the load differs between the two measurements. The "
        "families group TF1 op types before TF's rewriting (oneDNN _MklNative*, remapper fusions such as "
        "_FusedBatchNormEx) and torchmeta's fusions by the op they replace: a batch norm's fused Relu counts as "
        "FusedBatchNorm on both sides, a fused input + filter gradient as convolution gradients)",
        file=out,
    )

    print(
        "\n== each convolution layer alone: TF's op (one-op session) vs torchmeta's kernel, CPU ms per call", file=out
    )
    print(
        f"  {'layer':<46} {'TF fwd':>7} {'tm fwd':>7} {'GF/s':>6} {'peak':>5} | {'TF grads':>8} {'tm grads':>8} "
        f"{'GF/s':>6} {'peak':>5}",
        file=out,
    )
    sums = np.zeros(4)
    for (op_type, xs, ws, strides, padding), r in per_layer:
        name = f"{'dw ' if op_type != 'Conv2D' else ''}{'x'.join(map(str, xs[1:]))} * {'x'.join(map(str, ws))}"
        name += f" s{strides[1]} {padding}"
        f_rate, b_rate = r["flops"] / r["tm_fwd"] / 1e6, 2 * r["flops"] / r["tm_bwd"] / 1e6
        print(
            f"  {name:<46} {r['tf_fwd']:7.2f} {r['tm_fwd']:7.2f} {f_rate:6.1f} {f_rate / peak:5.0%} | "
            f"{r['tf_bwd']:8.2f} {r['tm_bwd']:8.2f} {b_rate:6.1f} {b_rate / peak:5.0%}",
            file=out,
        )
        sums += [r["tf_fwd"], r["tm_fwd"], r["tf_bwd"], r["tm_bwd"]]
    print(
        f"  {'all layers':<46} {sums[0]:7.2f} {sums[1]:7.2f} {'':>12} | {sums[2]:8.2f} {sums[3]:8.2f}",
        file=out,
    )
    print(
        "  (grads: the input and filter gradients together; GF/s and peak are torchmeta's, the layer's FLOPs "
        "(2 x multiply-adds, x2 for the gradients) over its CPU time, against the matmul peak above)",
        file=out,
    )
    print(f"\n== what holds the target (<= {tf_target}x TF)", file=out)
    target_ms = tf_target * tf_ms
    if tm_ms <= target_ms:
        print("  met", file=out)
        return out.getvalue()
    top = sorted(ours.items(), key=lambda kv: -kv[1][0])[:4]
    for (op, fn), (v, n) in top:
        rate = f", {n / v / 1e6:.1f} GFLOP/s = {n / v / 1e6 / peak:.0%} of the matmul peak" if n and v else ""
        print(f"  {fn} ({op}): {v / step:.0%} of the call{rate}", file=out)
    share = conv_ms / step if conv_ms else 0.0
    rest = (1 - share) * tm_ms  # the call's other kernels and overhead, at this run's median
    if conv_ms:
        need = target_ms - rest
        tf_layers = sums[0] + (0 if infer else sums[2])
        tm_layers = sums[1] + (0 if infer else sums[3])
        print(
            f"  the convolutions are {share:.0%} of torchmeta's call ({share * tm_ms:.1f} of {tm_ms:.1f} ms); alone, "
            f"torchmeta's convolution kernels take {tm_layers:.1f} ms per call against TF's ops' {tf_layers:.1f} ms",
            file=out,
        )
        if need <= 0:
            print(
                f"  the rest of the call alone ({rest:.1f} ms) is over the target ({target_ms:.1f} ms): the other "
                "kernels hold it",
                file=out,
            )
        else:
            rate = conv_flops / need / 1e6
            print(
                f"  meeting it with the rest as it is needs the convolutions in {need:.1f} ms: {rate:.0f} GFLOP/s, "
                f"{rate / peak:.0%} of the measured matmul peak (now {conv_flops / conv_ms / 1e6 / peak:.0%})",
                file=out,
            )
    return out.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", default="cnn", choices=sorted(models.GRAPHS))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--out",
        default=None,
        help="default: bench/results/<kind>_profile.txt, or with --accounting bench/results/<kind>_<mode>_kernels.txt",
    )
    parser.add_argument("--accounting", action="store_true", help="the per-kernel account (see above)")
    parser.add_argument("--mode", default="train", choices=["train", "infer"])
    parser.add_argument(
        "--layouts", action="store_true", help="each conv layer in NCHW/channels_last, oneDNN on/off (torch only)"
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    results = os.path.join(os.path.dirname(__file__), "results")
    if args.layouts:
        text = f"bench/profile_cnn.py --layouts --kind {args.kind} --threads {args.threads}\n" + layouts(
            args.kind, max(2, args.steps // 4)
        )
        out = args.out or os.path.join(results, f"{args.kind}_layouts.txt")
        with open(out, "w") as f:
            f.write(text)
        print(text)
        return 0
    if args.accounting:
        peak = run.matmul_peak()
        text = accounting(args.kind, args.mode, args.steps, args.rounds, peak, args.threads)
        out = args.out or os.path.join(results, f"{args.kind}_{args.mode}_kernels.txt")
        with open(out, "w") as f:
            f.write(text)
        print(text)
        return 0
    args.out = args.out or os.path.join(results, f"{args.kind}_profile.txt")
    batch, shape = models.SHAPES[args.kind]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)
    peak = run.matmul_peak()
    header = (
        f"bench/profile_cnn.py --kind {args.kind} --steps {args.steps} --threads {args.threads}\n"
        f"torch {torch.__version__}, torchmeta {tm.__version__}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f} at start; measured float32 matmul peak (2048^3, CPU time): {peak:.1f} GFLOP/s\n"
    )
    text = header + "\n" + summarize(torchmeta_step(args.kind, batch, x, y), args.steps, peak, "torchmeta")
    text += "\n" + summarize(pytorch_step(args.kind, x, y), args.steps, peak, "PyTorch eager (NCHW)")
    text += "\n" + compare_ops(args.kind, batch, x, y, args.steps, peak)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
