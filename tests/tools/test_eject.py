"""eject: graphs written by TensorFlow become torch-only modules that give TF's outputs, in a clean virtual
environment holding only torch, safetensors and numpy (and their dependencies): no torchmeta, no TensorFlow."""

import atexit
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

import torchmeta as tm
from torchmeta import errors
from torchmeta.tools import eject as eject_lib

from ..saved_model.helpers import X, build, save


def _requirement_closure(names) -> list:
    """The installed distributions ``names`` need, with their dependencies (markers evaluated, no extras)."""
    import importlib.metadata as md

    from packaging.requirements import Requirement

    seen: dict = {}
    todo = list(names)
    while todo:
        dist = md.distribution(todo.pop())
        key = dist.metadata["Name"].lower()
        if key in seen:
            continue
        seen[key] = dist
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return list(seen.values())


_VENV: dict = {}


def _clean_venv() -> str:
    """A real virtual environment (``python -m venv``, no pip) whose site-packages holds only torch, safetensors,
    numpy and what they require (links to this environment's installed copies): no torchmeta, no TensorFlow.
    Made once per test process (in a temporary directory removed at exit); returns its interpreter."""
    if "python" in _VENV:
        return _VENV["python"]
    root = tempfile.mkdtemp(prefix="torchmeta-clean-venv-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    venv = Path(root) / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    site = subprocess.run(
        [python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    for dist in _requirement_closure(["torch", "safetensors", "numpy"]):
        for top in {str(f).split("/")[0] for f in dist.files or []}:
            if top in ("..", "__pycache__") or top.endswith(".pth"):
                continue
            source = dist.locate_file(top)
            target = os.path.join(site, top)
            if os.path.exists(source) and not os.path.lexists(target):
                os.symlink(source, target)
    _VENV["python"] = python
    return python


def test_clean_venv_has_torch_but_not_torchmeta_or_tensorflow():
    python = _clean_venv()
    script = (
        "import importlib.util as u, sys; "
        "print(sys.prefix != sys.base_prefix, [u.find_spec(m) is not None for m in "
        "('torch', 'safetensors', 'numpy', 'torchmeta', 'tensorflow', 'tf_keras')])"
    )
    done = subprocess.run([python, "-I", "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split("\n")[0] == "True [True, True, True, False, False, False]"


def _run_standalone(out_dir, inputs: dict, tmp_path) -> dict:
    """Runs ``<out_dir>/model.py`` in a clean venv (``_clean_venv``: only torch, safetensors, numpy installed)."""
    python = _clean_venv()
    for name, value in inputs.items():
        np.save(tmp_path / f"in_{name}.npy", value)
    script = textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = [{os.fspath(out_dir)!r}]
        import importlib.util
        assert importlib.util.find_spec("torchmeta") is None, "torchmeta must not be importable here"
        import numpy as np
        import torch
        import model
        m = model.load()
        with torch.no_grad():
            out = m(*[torch.from_numpy(np.load({str(tmp_path)!r} + f"/in_{{k}}.npy")) for k in {list(inputs)!r}])
        outs = out if isinstance(out, tuple) else (out,)
        for i, o in enumerate(outs):
            np.save({str(tmp_path)!r} + f"/out_{{i}}.npy", o.numpy())
        print(len(outs))
        """
    )
    done = subprocess.run([python, "-I", "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return [np.load(tmp_path / f"out_{i}.npy") for i in range(int(done.stdout.split()[-1]))]


def _import_generated(path):
    spec = importlib.util.spec_from_file_location(f"ejected_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # imported as a user's `import model` would be (torch.compile looks it up)
    spec.loader.exec_module(module)
    return module


def _check(got, expected, rtol=1e-5, atol=1e-6):
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


@pytest.mark.slow
def test_saved_model_written_by_tensorflow_ejects_and_runs_without_torchmeta(tf1, tmp_path):
    export_dir = str(tmp_path / "export")
    with tf1.Graph().as_default():
        model = build(tf1)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            save(tf1, sess, export_dir, model, second_graph=False)
            expected = sess.run([model["logits"], model["y"]], {model["x"]: X})
    written = eject_lib.eject_saved_model(export_dir, tmp_path / "out")
    assert [os.path.basename(p) for p in written] == ["model.py", "model.safetensors"]
    with open(written[0]) as f:
        source = f.read()
    assert "torchmeta" not in source.replace("generated by torchmeta", "")
    assert "self.w = torch.nn.Parameter(" in source and "torch.matmul(x, self.w)" in source
    logits, y = _run_standalone(tmp_path / "out", {"x": X}, tmp_path)  # sorted output keys: logits, y
    _check(logits, expected[0])
    _check(y, expected[1])


def _cnn(tf):
    """A small CNN in TF1 ops: conv (SAME, stride 2) + bias + relu, max pool (SAME), avg pool (VALID), batch norm
    at inference, flatten, dense, softmax."""
    rng = np.random.RandomState(0)
    x = tf.placeholder(tf.float32, [None, 9, 9, 2], name="images")
    w = tf.Variable(rng.randn(3, 3, 2, 4).astype(np.float32) * 0.3, name="conv1/weights")
    b = tf.Variable(rng.randn(4).astype(np.float32) * 0.1, name="conv1/biases")
    h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"), b))
    h = tf.nn.max_pool(h, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
    h = tf.nn.avg_pool(h, [1, 2, 2, 1], [1, 1, 1, 1], "SAME")
    scale = tf.Variable(rng.rand(4).astype(np.float32) + 0.5, name="bn/gamma")
    offset = tf.Variable(rng.randn(4).astype(np.float32) * 0.1, name="bn/beta")
    mean = tf.Variable(rng.randn(4).astype(np.float32) * 0.1, name="bn/moving_mean", trainable=False)
    var = tf.Variable(rng.rand(4).astype(np.float32) + 0.5, name="bn/moving_variance", trainable=False)
    h = tf.nn.fused_batch_norm(h, scale, offset, mean, var, epsilon=1e-3, is_training=False)[0]
    flat = tf.reshape(h, [-1, 3 * 3 * 4])
    dw = tf.Variable(rng.randn(36, 5).astype(np.float32) * 0.2, name="dense/kernel")
    logits = tf.matmul(flat, dw, name="logits")
    return x, tf.nn.softmax(tf.tanh(logits) * 2.0 - tf.reduce_mean(logits, axis=1, keepdims=True), name="probs")


def test_cnn_meta_graph_and_checkpoint_eject_trains_and_exports(tf1, tmp_path):
    images = np.random.RandomState(1).rand(3, 9, 9, 2).astype(np.float32)
    with tf1.Graph().as_default():
        x, probs = _cnn(tf1)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            prefix = tf1.train.Saver().save(sess, str(tmp_path / "ckpt" / "cnn"))
            expected = sess.run(probs, {x: images})
    written = eject_lib.eject(prefix + ".meta", tmp_path / "out", ["images:0"], ["probs:0"], checkpoint=prefix)
    module = _import_generated(written[0]).load()
    with torch.no_grad():
        _check(module(torch.from_numpy(images)).numpy(), expected)
    # the variables are Parameters named after TF's (trainable) and buffers (not trainable)
    assert sorted(n for n, _ in module.named_parameters()) == [
        "bn_beta",
        "bn_gamma",
        "conv1_biases",
        "conv1_weights",
        "dense_kernel",
    ]
    # torch.optim trains it; torch.export accepts it
    opt = torch.optim.SGD(module.parameters(), lr=0.5)
    target = torch.tensor([0, 1, 2])
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = torch.nn.functional.nll_loss(torch.log(module(torch.from_numpy(images))), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    exported = torch.export.export(module, (torch.from_numpy(images),))
    torch.testing.assert_close(exported.module()(torch.from_numpy(images)), module(torch.from_numpy(images)))


@pytest.mark.slow
def test_torch_compile_runs_an_ejected_cnn_to_tensorflows_outputs(tf1, tmp_path):
    images = np.random.RandomState(7).rand(4, 9, 9, 2).astype(np.float32)
    with tf1.Graph().as_default():
        x, probs = _cnn(tf1)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            prefix = tf1.train.Saver().save(sess, str(tmp_path / "ckpt" / "cnn"))
            expected = sess.run(probs, {x: images})
    written = eject_lib.eject(prefix + ".meta", tmp_path / "out", ["images:0"], ["probs:0"], checkpoint=prefix)
    module = _import_generated(written[0]).load()
    compiled = torch.compile(module, fullgraph=True)  # one graph: no Python fallbacks in the generated forward
    with torch.no_grad():
        _check(compiled(torch.from_numpy(images)).numpy(), expected, rtol=1e-5, atol=1e-6)
        _check(compiled(torch.from_numpy(images[:2])).numpy(), expected[:2], rtol=1e-5, atol=1e-6)


def test_unsupported_ops_are_named_in_one_error(tmp_path):
    x = tm.placeholder(tm.float32, [None, 3], name="x")
    values, _ = tm.nn.top_k(tm.math.erf(x, name="erf"), 2, name="top")
    y = tm.math.lgamma(values, name="lgamma")
    with pytest.raises(errors.UnimplementedError) as info:
        eject_lib.eject(tm.get_default_graph(), tmp_path / "out", ["x:0"], [y])
    message = str(info.value)
    assert "Erf ('erf')" in message and "TopKV2 ('top')" in message and "Lgamma ('lgamma')" in message
    assert not (tmp_path / "out").exists()  # nothing written


def _eject_tensorflow_graph(tf1, tmp_path, build, feeds: dict, name="model"):
    """Builds ``build(tf)`` in TensorFlow, saves its .meta and checkpoint, runs it on ``feeds`` ({placeholder
    name: value}); ejects the .meta with the checkpoint. Returns (written files, TF's outputs, output names)."""
    with tf1.Graph().as_default() as graph:
        outputs = build(tf1)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            prefix = tf1.train.Saver().save(sess, str(tmp_path / "ckpt" / name)) if tf1.global_variables() else None
            if prefix is None:
                prefix = str(tmp_path / name)
                tf1.train.export_meta_graph(prefix + ".meta", graph=graph)
            expected = sess.run(outputs, {graph.get_tensor_by_name(k): v for k, v in feeds.items()})
        names = [t.name for t in outputs]
    written = eject_lib.eject(
        prefix + ".meta",
        tmp_path / f"out_{name}",
        list(feeds),
        names,
        checkpoint=prefix if os.path.exists(prefix + ".index") else None,
    )
    return written, expected, names


def test_cumulative_sums_strided_slices_and_padding_match_tensorflow(tf1, tmp_path):
    """Cumsum/Cumprod (exclusive, reverse, int32), StridedSlice with run-time bounds and negative strides,
    explicit padding (Conv2D/DepthwiseConv2dNative/MaxPool EXPLICIT, Pad before a VALID conv), PadV2, MirrorPad
    and run-time paddings: a TF-written graph ejected, run without torchmeta, TF's outputs."""
    rng = np.random.RandomState(4)
    images = rng.randn(2, 5, 6, 3).astype(np.float32)
    x_value = rng.randn(4, 6).astype(np.float32)
    feeds = {
        "images:0": images,
        "x:0": x_value,
        "begin:0": np.array([1, 4], np.int32),
        "pads:0": np.array([[1, 0], [2, 3]], np.int32),
    }

    def build(tf):
        x = tf.placeholder(tf.float32, [None, 6], name="x")
        begin = tf.placeholder(tf.int32, [2], name="begin")
        pads = tf.placeholder(tf.int32, [2, 2], name="pads")
        img = tf.placeholder(tf.float32, [None, 5, 6, 3], name="images")
        w = tf.Variable(rng.randn(3, 3, 3, 4).astype(np.float32) * 0.3, name="w")
        dw = tf.Variable(rng.randn(2, 3, 3, 2).astype(np.float32) * 0.3, name="dw")
        xi = tf.cast(x * 3.0, tf.int32)
        return [
            tf.cumsum(x, axis=1, exclusive=True, reverse=True),
            tf.cumsum(x, axis=0, reverse=True),
            tf.cumsum(xi, axis=1, exclusive=True),
            tf.cumprod(x, axis=1),
            tf.cumprod(x, axis=0, exclusive=True),
            tf.strided_slice(x, begin, [4, 0], [1, -1]),  # run-time begin, a negative stride
            x[::-1, 5:0:-2],
            x[..., ::-3],
            tf.strided_slice(x, begin, [3, 6], [1, 2], shrink_axis_mask=1),
            x[begin[0] :, tf.newaxis, -1],
            tf.nn.conv2d(img, w, [1, 2, 1, 1], padding=[[0, 0], [1, 2], [2, 0], [0, 0]]),
            tf.nn.depthwise_conv2d(img, dw, [1, 1, 1, 1], padding=[[0, 0], [0, 1], [1, 1], [0, 0]]),
            tf.nn.max_pool(img, [1, 2, 3, 1], [1, 2, 2, 1], padding=[[0, 0], [1, 1], [0, 2], [0, 0]]),
            tf.nn.conv2d(tf.pad(img, [[0, 0], [1, 1], [2, 2], [0, 0]]), w, [1, 1, 1, 1], "VALID"),
            tf.pad(x, [[0, 1], [2, 0]], constant_values=-2.5),
            tf.pad(img, [[0, 0], [2, 1], [1, 2], [0, 0]], mode="REFLECT"),
            tf.pad(img, [[0, 0], [2, 1], [1, 3], [0, 0]], mode="SYMMETRIC"),
            tf.pad(x, pads),
            tf.pad(x, pads, mode="REFLECT"),
        ]

    written, expected, _ = _eject_tensorflow_graph(tf1, tmp_path, build, feeds)
    source = Path(written[0]).read_text()
    assert "def strided_slice(" in source and "def cumulative(" in source and "def pad(" in source
    assert "padding=[[1, 2], [2, 0]]" in source and "depthwise=True" in source
    got = _run_standalone(tmp_path / "out_model", {k.split(":")[0]: v for k, v in feeds.items()}, tmp_path)
    assert len(got) == len(expected)
    for g, want in zip(got, expected):
        _check(g, want, rtol=1e-5, atol=1e-5)


def test_random_ops_draw_from_torch_with_tensorflows_distributions(tf1, tmp_path):
    """Random ops become torch's (torch.manual_seed repeats them; TF's Philox streams are not reproduced): TF's
    shapes and dtypes, TF's ranges and moments over many draws; dropout with keep_prob 1 gives TF's outputs."""
    n = 200_000
    x_value = np.random.RandomState(5).randn(8, 5).astype(np.float32)

    def build(tf):
        x = tf.placeholder(tf.float32, [None, 5], name="x")
        keep = tf.placeholder_with_default(1.0, [], name="keep")
        return [
            tf.random_normal([n], mean=1.0, stddev=2.0, seed=1),
            tf.random_uniform([n], minval=-1.0, maxval=3.0, seed=2),
            tf.random_uniform([n], minval=-3, maxval=4, dtype=tf.int32, seed=3),
            tf.truncated_normal([n], stddev=0.5, seed=4),
            tf.random_shuffle(x, seed=5),
            tf.multinomial(tf.log([[0.2, 0.8], [0.7, 0.3]]), n, seed=6),
            tf.nn.dropout(x, keep_prob=keep, seed=7),
        ]

    written, theirs, _ = _eject_tensorflow_graph(tf1, tmp_path, build, {"x:0": x_value, "keep:0": np.float32(1.0)})
    source = Path(written[0]).read_text()
    assert "torch.randn(" in source and "TF seeds (0, 1); torch's generator" not in source
    assert "TF seeds (" in source and "torch.nn.init.trunc_normal_(" in source
    model = _import_generated(written[0]).load()
    with torch.no_grad():
        torch.manual_seed(0)
        ours = [t.numpy() for t in model(torch.from_numpy(x_value), torch.tensor(1.0))]
        torch.manual_seed(0)
        again = [t.numpy() for t in model(torch.from_numpy(x_value), torch.tensor(1.0))]
        half = model(torch.from_numpy(x_value), torch.tensor(0.5))[-1].numpy()
    for a, b, t in zip(ours, again, theirs):
        assert a.shape == t.shape and a.dtype == t.dtype
        np.testing.assert_array_equal(a, b)  # torch.manual_seed repeats a run
    normal, uniform, ints, truncated, shuffled, samples, dropped = ours
    for got, want in ((normal, theirs[0]), (truncated, theirs[3])):
        assert abs(got.mean() - want.mean()) < 0.02 and abs(got.std() - want.std()) < 0.02
    assert uniform.min() >= -1.0 and uniform.max() < 3.0 and abs(uniform.mean() - 1.0) < 0.02
    assert np.array_equal(np.unique(ints), np.unique(theirs[2])) and np.array_equal(np.unique(ints), np.arange(-3, 4))
    assert np.abs(truncated).max() <= 1.0 and np.abs(theirs[3]).max() <= 1.0
    np.testing.assert_array_equal(np.sort(shuffled, axis=0), np.sort(x_value, axis=0))
    assert abs(samples[0].mean() - 0.8) < 0.01 and abs(samples[1].mean() - 0.3) < 0.01
    np.testing.assert_array_equal(dropped, theirs[6])  # keep_prob 1: TF's values exactly
    kept = half != 0
    assert 0.4 < kept.mean() < 0.6
    np.testing.assert_allclose(half[kept], x_value[kept] * 2.0, rtol=1e-6)


@pytest.mark.slow
def test_tf1_conditionals_eject_to_cond_calls_that_torch_export_accepts(tf1, tmp_path):
    """tf.cond (Switch/Merge, nested, a variable read in a branch) ejects to branch functions and ``cond`` calls
    (a Python ``if`` eagerly, torch.cond under torch.compile/torch.export); the module, run without torchmeta,
    gives TF's outputs on both branches; torch.compile(fullgraph=True) and torch.export run it to the same
    numbers on every path; it trains."""
    x_value = np.random.RandomState(6).randn(3, 4).astype(np.float32)

    def build(tf):
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        p = tf.placeholder(tf.bool, [], name="p")
        q = tf.placeholder(tf.bool, [], name="q")
        w = tf.Variable(np.arange(16, dtype=np.float32).reshape(4, 4) / 10.0, name="w")
        inner = lambda: tf.cond(q, lambda: tf.matmul(x, w), lambda: tf.nn.relu(x) - 1.0)  # noqa: E731
        y = tf.cond(p, inner, lambda: x * 2.0)
        z = tf.cond(tf.reduce_sum(x) > 0.0, lambda: tf.reduce_max(x, axis=1), lambda: tf.reduce_min(x, axis=1))
        return [y + 1.0, z]

    results = {}
    for p_value in (True, False):
        for q_value in (True, False):
            feeds = {"x:0": x_value, "p:0": np.bool_(p_value), "q:0": np.bool_(q_value)}
            name = f"m_{p_value}_{q_value}"
            written, expected, _ = _eject_tensorflow_graph(tf1, tmp_path, build, feeds, name=name)
            results[(p_value, q_value)] = (written, expected, feeds)
    written, _, _ = results[(True, True)]
    source = Path(written[0]).read_text().split("def forward")[1]
    # each conditional is two local functions and a cond call, nested as the tf.conds are
    assert "        def cond_Merge_then():\n            def cond_cond_Merge_then():\n" in source
    assert "        (cond_Merge,) = cond(p, cond_Merge_then, cond_Merge_else)" in source
    assert "            (cond_cond_Merge,) = cond(q, cond_cond_Merge_then, cond_cond_Merge_else)" in source
    assert "= cond(Greater, " in source
    assert "Switch" not in source.replace("# Switch", "") and "if p" not in source.split("def load")[0]
    for (p_value, q_value), (written, expected, feeds) in results.items():
        sub = tmp_path / f"run_{p_value}_{q_value}"
        sub.mkdir()
        got = _run_standalone(os.path.dirname(written[0]), {k.split(":")[0]: v for k, v in feeds.items()}, sub)
        for g, want in zip(got, expected):
            _check(g, want)
    module = _import_generated(results[(False, True)][0][0]).load()
    compiled = torch.compile(module, fullgraph=True)  # torch.cond: no graph break on the predicates
    for p_value in (True, False):
        args = (torch.from_numpy(x_value), torch.tensor(p_value), torch.tensor(True))
        with torch.no_grad():
            for g, want in zip(compiled(*args), results[(p_value, True)][1]):
                _check(g.numpy(), want)
    # torch.export accepts it: the predicates (inputs p, q and the data-dependent sum(x) > 0) stay data, so one
    # exported program takes every path, TF's outputs on each
    exported = torch.export.export(module, (torch.from_numpy(x_value), torch.tensor(True), torch.tensor(True)))
    for (p_value, q_value), (_, expected, _) in results.items():
        args = (torch.from_numpy(x_value), torch.tensor(p_value), torch.tensor(q_value))
        with torch.no_grad():
            for g, want in zip(exported.module()(*args), expected):
                _check(g.numpy(), want)
    negative = torch.from_numpy(-np.abs(x_value))  # the other branch of sum(x) > 0
    with torch.no_grad():
        torch.testing.assert_close(exported.module()(negative, *args[1:])[1], negative.amin(dim=1))
        torch.testing.assert_close(exported.module()(-negative, *args[1:])[1], (-negative).amax(dim=1))
    # and it trains through the branch taken
    opt = torch.optim.SGD(module.parameters(), lr=0.1)
    loss = module(torch.from_numpy(x_value), torch.tensor(True), torch.tensor(True))[0].square().sum()
    loss.backward()
    assert module.w.grad is not None and float(module.w.grad.abs().sum()) > 0
    opt.step()


def test_slicing_gathers_and_dynamic_shapes_match_tensorflow(tf1, tmp_path):
    """StridedSlice (masks, shrink, new axis, ellipsis), Slice, Pad, GatherV2, Tile, a shape computed at run time
    (Shape -> StridedSlice -> Pack -> Reshape) and SelectV2 over a comparison, against TF."""
    x_value = np.random.RandomState(2).randn(2, 5, 4).astype(np.float32)

    def build_graph(tf):
        x = tf.placeholder(tf.float32, [None, 5, 4], name="x")
        a = x[:, 1:4, ::2]
        b = x[0, ..., tf.newaxis, 1]
        c = tf.slice(x, [0, 2, 1], [-1, 2, 3])
        d = tf.pad(c, [[0, 0], [1, 2], [0, 1]])
        g = tf.gather(x, tf.constant([3, 0, 3]), axis=1)
        t = tf.tile(a, [1, 2, 1])
        flat = tf.reshape(g, tf.stack([tf.shape(g)[0], -1]))
        s = tf.where_v2(flat > 0.0, flat, tf.zeros_like(flat) - 1.0)
        return x, [a, b, d, t, s]

    with tf1.Graph().as_default():
        x, outs = build_graph(tf1)
        with tf1.Session() as sess:
            expected = sess.run(outs, {x: x_value})
    with tm.Graph().as_default() as graph:
        x, outs = build_graph(tm)
        written = eject_lib.eject(graph, tmp_path / "out", [x], outs)
    module = _import_generated(written[0]).load()
    got = module(torch.from_numpy(x_value))
    for g, want in zip(got, expected):
        _check(g.numpy(), want)


@pytest.mark.slow
def test_tensorflow2_saved_model_ejects_with_its_functions_inlined(tmp_path):
    """A TF2 tf.Module (tf.saved_model.save): the serving signature is a StatefulPartitionedCall of the traced
    tf.function; eject inlines the function bodies, the resource variables become Parameters, and the module
    (run without torchmeta) gives TF's outputs."""
    export_dir = str(tmp_path / "tf2")
    x_value = np.random.RandomState(3).rand(2, 6, 6, 1).astype(np.float32)
    np.save(tmp_path / "x.npy", x_value)
    script = textwrap.dedent(
        f"""
        import os
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
        import numpy as np
        import tensorflow as tf

        class Net(tf.Module):
            def __init__(self):
                rng = np.random.RandomState(0)
                self.kernel = tf.Variable(rng.randn(3, 3, 1, 4).astype(np.float32), name="kernel")
                self.dense = tf.Variable(rng.randn(36, 3).astype(np.float32) * 0.1, name="dense")
                self.bias = tf.Variable(np.array([0.1, -0.2, 0.3], np.float32), name="bias")

            @tf.function
            def features(self, images):
                h = tf.nn.relu(tf.nn.conv2d(images, self.kernel, 1, "SAME"))
                return tf.nn.max_pool2d(h, 2, 2, "VALID")

            @tf.function(input_signature=[tf.TensorSpec([None, 6, 6, 1], tf.float32, name="images")])
            def __call__(self, images):
                flat = tf.reshape(self.features(images), [-1, 36])
                return {{"probs": tf.nn.softmax(tf.matmul(flat, self.dense) + self.bias)}}

        net = Net()
        tf.saved_model.save(net, {export_dir!r}, signatures=net.__call__)
        np.save({str(tmp_path / "want.npy")!r}, net(tf.constant(np.load({str(tmp_path / "x.npy")!r})))["probs"].numpy())
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=300)
    written = eject_lib.eject_saved_model(export_dir, tmp_path / "out")
    with open(written[0]) as f:
        source = f.read()
    assert "self.kernel = torch.nn.Parameter(" in source and "PartitionedCall_" not in source.split("def forward")[1]
    (probs,) = _run_standalone(tmp_path / "out", {"images": x_value}, tmp_path)
    _check(probs, np.load(tmp_path / "want.npy"))


@pytest.mark.slow
def test_tf2_conditionals_eject_to_cond_calls_that_torch_export_accepts(tmp_path):
    """A TF2 SavedModel's tf.cond (If/StatelessIf, nested, one on a data-dependent predicate) ejects to ``cond``
    calls over branch functions; run without torchmeta, and as one torch.export program, it gives TF's outputs on
    every path."""
    from ..saved_model.helpers import GATE_X, save_tf2_conditional

    export_dir, expected = save_tf2_conditional(tmp_path)
    written = eject_lib.eject_saved_model(export_dir, tmp_path / "out")
    forward = Path(written[0]).read_text().split("def forward")[1]
    assert "        (cond_merge_0,) = cond(serving_default_training, cond_merge_0_then, cond_merge_0_else)" in forward
    assert "            (cond_1_then_cond_1_cond_merge_0,) = cond(serving_default_training, " in forward  # nested
    assert "        (cond_1_merge_0,) = cond(Greater_1, cond_1_merge_0_then, cond_1_merge_0_else)" in forward
    module = _import_generated(written[0]).load()
    exported = torch.export.export(module, (torch.tensor(True), torch.from_numpy(GATE_X)))
    for training in (True, False):
        for sign in (1, -1):
            run = tmp_path / f"run_{training}_{sign}"
            run.mkdir()
            inputs = {"training": np.bool_(training), "x": GATE_X * sign}
            g, h = _run_standalone(tmp_path / "out", inputs, run)
            _check(g, expected[f"g_{training}_{sign}"])
            _check(h, expected[f"h_{training}_{sign}"])
            # one exported program (torch.cond on the input and on the data-dependent sum(x) > 0) takes every path
            with torch.no_grad():
                g, h = exported.module()(torch.tensor(training), torch.from_numpy(GATE_X * sign))
            _check(g.numpy(), expected[f"g_{training}_{sign}"])
            _check(h.numpy(), expected[f"h_{training}_{sign}"])
