"""TF1 programs in examples/ run unchanged in both frameworks (only the import line differs), name their
variables alike, and each one's checkpoint restores in the other to the same numbers."""

from __future__ import annotations

import contextlib
import os
import sys
import types

import numpy as np
import pytest

import torchmeta as tm

EXAMPLES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
TORCHMETA_IMPORT = "import torchmeta as tf\n"
TENSORFLOW_IMPORT = "import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()  # noqa: E702\n"


# The modules load() made of programs with TensorFlow's import line.
_WITH_TENSORFLOW: set[str] = set()


@pytest.fixture(autouse=True)
def _forget_programs_flags():
    """A program loaded with TensorFlow's import line defines its tf.app.flags in absl's one registry of the
    process. They are removed after the test, so that a TF module defining a flag of the same name later in
    this worker still imports (saved_model_cli's --dir, as examples/cnn_layers.py's: DuplicateFlagError)."""
    yield
    absl_flags = sys.modules.get("absl.flags")
    if absl_flags is None:
        return
    registry = absl_flags.FLAGS
    for module, defined in list(registry.flags_by_module_dict().items()):
        if module in _WITH_TENSORFLOW:
            for flag in defined:
                if flag.name in registry:
                    delattr(registry, flag.name)


def load(name: str, framework: str) -> types.ModuleType:
    """examples/<name>.py as a module, with TensorFlow swapped in for torchmeta when asked."""
    path = os.path.join(EXAMPLES, f"{name}.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    assert source.count(TORCHMETA_IMPORT) == 1, "a TF1 program imports torchmeta once, as tf"
    if framework == "tensorflow":
        source = source.replace(TORCHMETA_IMPORT, TENSORFLOW_IMPORT)
        _WITH_TENSORFLOW.add(f"{name}_{framework}")
    module = types.ModuleType(f"{name}_{framework}")
    module.__file__ = path
    # In sys.modules as an import puts it: a program defining flags may then be loaded again (absl, and
    # tf.app.flags here, ignore a flag defined again by a module of the same name but another identity).
    sys.modules[module.__name__] = module
    exec(compile(source, path, "exec"), module.__dict__)
    return module


def to_tf_checkpoint(prefix: str, dst: str) -> str:
    """torchmeta's default safetensors checkpoint as a TF V2 checkpoint (the converter CLI's function)."""
    from converters.safetensors_to_tf_checkpoint import convert

    convert(prefix + ".safetensors", dst)
    return dst


def _cnn_program(framework, tmp_path, *args):
    """examples/cnn_layers.py run as written (tf.app.run parses the flags) with ``framework``'s import line;
    its printed variables, accuracy, logits and checkpoint prefix."""
    from tests.programs import run_program

    with open(os.path.join(EXAMPLES, "cnn_layers.py"), encoding="utf-8") as f:
        source = f.read()
    cwd = tmp_path / framework
    cwd.mkdir(exist_ok=True)
    proc = run_program(source, framework, list(args), cwd=str(cwd), name="cnn_layers.py")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = {}
    for line in proc.stdout.splitlines():
        if line.startswith("variables: "):
            out["variables"] = line.split(": ", 1)[1].split()
        elif line.startswith("test accuracy "):
            out["accuracy"] = float(line.split()[-1])
        elif line.startswith("logits of the first test images: "):
            out["logits"] = np.array([float(v) for v in line.split(": ", 1)[1].split()], np.float32)
        elif line.startswith("model saved in "):
            out["prefix"] = line[len("model saved in ") :]
    assert set(out) == {"variables", "accuracy", "logits", "prefix"}, proc.stdout
    return out


@pytest.mark.slow
def test_cnn_with_tf_layers_runs_in_both_and_checkpoints_cross(tmp_path):
    """The tf.layers CNN as a tf.app.run program with flags, unchanged in both frameworks but the import line:
    the same variables, both learn, and each one's checkpoint evaluates in the other to its accuracy and
    logits."""
    pytest.importorskip("sklearn")
    a = _cnn_program("torchmeta", tmp_path, "--epochs=3", f"--dir={tmp_path / 'tm'}")
    b = _cnn_program("tensorflow", tmp_path, "--epochs", "3", "--dir", str(tmp_path / "tf"))
    assert a["variables"] == b["variables"]
    assert "model/batch_normalization/moving_mean" in a["variables"]
    assert a["accuracy"] >= 0.9 and b["accuracy"] >= 0.9
    # TensorFlow's checkpoint in the torchmeta program: TF's accuracy and logits.
    again = _cnn_program("torchmeta", tmp_path, f"--restore={b['prefix']}")
    assert again["accuracy"] == pytest.approx(b["accuracy"], abs=1e-6)
    np.testing.assert_allclose(again["logits"], b["logits"], rtol=1e-4, atol=1e-4)
    # torchmeta's checkpoint in the TensorFlow program.
    converted = to_tf_checkpoint(a["prefix"], str(tmp_path / "converted" / "model"))
    back = _cnn_program("tensorflow", tmp_path, "--restore", converted)
    assert back["accuracy"] == pytest.approx(a["accuracy"], abs=1e-6)
    np.testing.assert_allclose(back["logits"], a["logits"], rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_dcgan_with_variable_scope_reuse_runs_in_both_and_checkpoints_cross(tf1, tmp_path):
    pytest.importorskip("sklearn")
    ours = load("dcgan", "torchmeta")
    theirs = load("dcgan", "tensorflow")
    a = ours.main(["--steps", "40", "--dir", str(tmp_path / "tm")])
    b = theirs.main(["--steps", "40", "--dir", str(tmp_path / "tf")])
    assert a["variables"] == b["variables"]
    assert a["generator_variables"] == b["generator_variables"]
    assert "discriminator/dense/kernel" in a["variables"] and "generator/conv2d_transpose_1/bias" in a["variables"]
    assert np.isfinite(a["losses"]).all() and np.isfinite(b["losses"]).all()
    again = ours.main(["--restore", b["prefix"]])
    np.testing.assert_allclose(again["samples"], b["samples"], rtol=1e-4, atol=1e-5)
    back = theirs.main(["--restore", to_tf_checkpoint(a["prefix"], str(tmp_path / "converted" / "dcgan"))])
    np.testing.assert_allclose(back["samples"], a["samples"], rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_is_training_cnn_trains_to_tfs_losses_and_checkpoints_cross(tf1, tmp_path):
    """Batch norm (fused and not) and dropout behind an is_training placeholder, a tf.case learning rate,
    moving averages and streaming metrics: the same losses (dropout's masks and the initial weights are TF's
    random streams), the same evaluation, and each checkpoint's averaged weights evaluate alike in the other
    framework.

    The free-running losses, moving means and logits are compared at TF's own spread, not float32 rounding:
    near step 28 a batch norm output in front of a Relu and a max pool is within float32 rounding of zero,
    and which side of zero rounding puts it decides where that window's gradient goes; TF itself lands on
    either side by its thread count. Measured on an AVX2 AMD EPYC, 70 steps, TF 2.21 against itself: oneDNN
    kernels on one intra-op thread against two, 1.0e-3 apart in the losses (relative), 1.2e-3 in the moving
    means and 7.1e-3 in the logits (absolute); Eigen kernels on one thread against two, the same. (The same
    program in float64, with the float32 run's initial weights and dropout masks, stays within 7e-7 of TF's
    default two-thread oneDNN losses and of torchmeta's, and 1e-3 from the others.) The tolerances below are
    about three times TF's spread. Step for step from TF's state every loss and variable
    agrees to float32 rounding: test_is_training_cnn_steps_as_tf_from_tfs_state."""
    pytest.importorskip("sklearn")
    ours = load("is_training_cnn", "torchmeta")
    theirs = load("is_training_cnn", "tensorflow")
    a = ours.main(["--steps", "70", "--dir", str(tmp_path / "tm")])
    b = theirs.main(["--steps", "70", "--dir", str(tmp_path / "tf")])
    assert a["variables"] == b["variables"]
    for name in (
        "batch_normalization/moving_mean",
        "batch_normalization_1/moving_variance",
        "dense/kernel/ExponentialMovingAverage",
    ):
        assert name in a["variables"]
    assert len(a["losses"]) == 70
    np.testing.assert_allclose(a["losses"], b["losses"], rtol=3e-3, atol=1e-5)
    assert a["accuracy"] == pytest.approx(b["accuracy"], abs=1e-6) and a["accuracy"] >= 0.85
    assert a["per_class"] == pytest.approx(b["per_class"], abs=1e-6)
    np.testing.assert_allclose(a["moving_mean"], b["moving_mean"], rtol=1e-4, atol=4e-3)
    np.testing.assert_allclose(a["logits"], b["logits"], rtol=1e-4, atol=2e-2)
    # TensorFlow's checkpoint, its averaged weights in each program.
    again, reference = ours.main(["--restore", b["prefix"]]), theirs.main(["--restore", b["prefix"]])
    assert again["accuracy"] == pytest.approx(reference["accuracy"], abs=1e-6)
    np.testing.assert_allclose(again["logits"], reference["logits"], rtol=1e-4, atol=1e-4)
    # torchmeta's checkpoint, likewise.
    converted = to_tf_checkpoint(a["prefix"], str(tmp_path / "converted" / "model"))
    back, reference = theirs.main(["--restore", converted]), ours.main(["--restore", a["prefix"]])
    assert back["accuracy"] == pytest.approx(reference["accuracy"], abs=1e-6)
    np.testing.assert_allclose(back["logits"], reference["logits"], rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_is_training_cnn_steps_as_tf_from_tfs_state(tf1):
    """The is_training_cnn program's 70 training steps (main's batches), each from TensorFlow's state:
    torchmeta's variables take TF's values, then both run the step (dropout's masks are the same Philox
    stream in both): the loss and every variable after it (weights, momentum slots, moving statistics and
    averages, the global step) agree to float32 rounding at every step, across the learning rate's
    boundaries (tf.case) too."""
    pytest.importorskip("sklearn")
    ours, theirs = load("is_training_cnn", "torchmeta"), load("is_training_cnn", "tensorflow")
    (x, labels), _ = ours.load_digits()
    order = np.random.default_rng(1).permutation(len(x))
    with contextlib.ExitStack() as stack:
        runs = []
        for module in (ours, theirs):
            module.tf.reset_default_graph()
            module.tf.set_random_seed(3)
            g = module.build_graph()
            sess = stack.enter_context(module.tf.Session())
            sess.run(module.tf.global_variables_initializer())
            runs.append((g, sess, module.tf.global_variables()))
        (_, sess_a, vars_a), (_, sess_b, vars_b) = runs
        names = [v.op.name for v in vars_a]
        assert names == [v.op.name for v in vars_b] and "global_step" in names
        for step in range(70):
            for v, value in zip(vars_a, sess_b.run(vars_b), strict=True):
                v.load(value, sess_a)
            start = (step * 32) % (len(x) - 32)
            batch = order[start : start + 32]
            losses = [
                sess.run(
                    [g["loss"], g["train_op"]],
                    {g["images"]: x[batch], g["labels"]: labels[batch], g["is_training"]: True},
                )[0]
                for g, sess, _ in runs
            ]
            np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4, atol=1e-5, err_msg=f"loss of step {step}")
            for name, a, b in zip(names, sess_a.run(vars_a), sess_b.run(vars_b), strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=f"{name} after step {step}")


@pytest.mark.slow
def test_lstm_dynamic_rnn_trains_step_for_step_as_tf_and_checkpoints_cross(tf1, tmp_path):
    ours = load("lstm_dynamic_rnn", "torchmeta")
    theirs = load("lstm_dynamic_rnn", "tensorflow")
    # Seeded: both start from the same weights, and torchmeta's Adam steps give TensorFlow's losses.
    a = ours.main(["--steps", "40", "--dir", str(tmp_path / "tm")])
    b = theirs.main(["--steps", "40", "--dir", str(tmp_path / "tf")])
    assert a["variables"] == b["variables"]
    assert "rnn/lstm_cell/kernel" in a["variables"] and "rnn/lstm_cell/bias/Adam_1" in a["variables"]
    np.testing.assert_allclose(a["losses"], b["losses"], rtol=1e-4, atol=1e-5)
    assert b["losses"][-1] < 0.5 * b["losses"][0] and b["accuracy"] >= 0.8
    assert a["accuracy"] == pytest.approx(b["accuracy"], abs=1e-2)
    np.testing.assert_allclose(a["logits"], b["logits"], rtol=1e-3, atol=1e-3)
    # TensorFlow's trained checkpoint in the torchmeta program, and torchmeta's in TensorFlow's.
    again = ours.main(["--restore", b["prefix"]])
    assert again["accuracy"] == pytest.approx(b["accuracy"], abs=1e-6)
    np.testing.assert_allclose(again["logits"], b["logits"], rtol=1e-4, atol=1e-4)
    back = theirs.main(["--restore", to_tf_checkpoint(a["prefix"], str(tmp_path / "converted" / "model"))])
    assert back["accuracy"] == pytest.approx(a["accuracy"], abs=1e-6)
    np.testing.assert_allclose(back["logits"], a["logits"], rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_word2vec_with_nce_loss_trains_as_tf_and_checkpoints_cross(tf1, tmp_path):
    """Seeded, both programs start from the same embeddings and sample the same negative classes, so
    every step's loss is TensorFlow's; the trained embeddings restore in the other framework."""
    ours = load("word2vec", "torchmeta")
    theirs = load("word2vec", "tensorflow")
    a = ours.main(["--steps", "200", "--dir", str(tmp_path / "tm")])
    b = theirs.main(["--steps", "200", "--dir", str(tmp_path / "tf")])
    assert a["variables"] == b["variables"] == ["embeddings", "nce_weights", "nce_biases"]
    np.testing.assert_allclose(a["losses"], b["losses"], rtol=1e-4, atol=1e-5)
    assert np.mean(b["losses"][-50:]) < 0.5 * np.mean(b["losses"][:10])
    np.testing.assert_allclose(a["similarity"], b["similarity"], rtol=1e-3, atol=1e-3)
    again = ours.main(["--restore", b["prefix"]])
    np.testing.assert_allclose(again["similarity"], b["similarity"], rtol=1e-5, atol=1e-5)
    back = theirs.main(["--restore", to_tf_checkpoint(a["prefix"], str(tmp_path / "converted" / "word2vec"))])
    np.testing.assert_allclose(back["similarity"], a["similarity"], rtol=1e-5, atol=1e-5)


def test_programs_import_only_torchmeta():
    for name in ("cnn_layers", "dcgan", "lstm_dynamic_rnn", "word2vec", "is_training_cnn"):
        module = load(name, "torchmeta")
        assert module.tf is tm


def _cnn_training_graph(module):
    def program(tf):
        images = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
        labels = tf.placeholder(tf.int64, [None], name="labels")
        with tf.variable_scope("model"):
            logits = module.model(images, training=True)
        with tf.variable_scope("model", reuse=True):
            module.model(images, training=False)
        loss = tf.losses.sparse_softmax_cross_entropy(labels, logits) + tf.losses.get_regularization_loss()
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train_op = tf.train.AdamOptimizer(0.003).minimize(loss, global_step=tf.train.get_or_create_global_step())
        return {"train": train_op}

    return program


def _dcgan_training_graph(module):
    def program(tf):
        real = tf.placeholder(tf.float32, [None, 8, 8, 1], name="real")
        z = tf.placeholder(tf.float32, [None, module.NOISE], name="z")
        fake = module.generator(z, training=True)
        d_real = module.discriminator(real)
        d_fake = module.discriminator(fake, reuse=True)
        module.generator(z, training=False, reuse=True)
        d_loss = tf.losses.sigmoid_cross_entropy(tf.ones_like(d_real), d_real, label_smoothing=0.1)
        g_loss = tf.losses.sigmoid_cross_entropy(tf.ones_like(d_fake), d_fake)
        d_train = tf.train.AdamOptimizer(2e-3, beta1=0.5).minimize(
            d_loss, var_list=tf.trainable_variables(scope="discriminator")
        )
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS, scope="generator")):
            g_train = tf.train.AdamOptimizer(2e-3, beta1=0.5).minimize(
                g_loss, var_list=tf.trainable_variables(scope="generator")
            )
        return {"d": d_train, "g": g_train}

    return program


def _is_training_graph(module):
    def program(tf):
        g = module.build_graph()
        return {"train": g["train_op"], "accuracy": g["accuracy"]}

    return program


def _lstm_training_graph(module):
    def program(tf):
        inputs = tf.placeholder(tf.float32, [None, module.STEPS, module.FEATURES], name="inputs")
        lengths = tf.placeholder(tf.int32, [None], name="lengths")
        labels = tf.placeholder(tf.int64, [None], name="labels")
        loss = tf.losses.sparse_softmax_cross_entropy(labels, module.model(inputs, lengths))
        train_op = tf.train.AdamOptimizer(0.01).minimize(loss, global_step=tf.train.get_or_create_global_step())
        return {"train": train_op}

    return program


@pytest.mark.parametrize(
    ("name", "graph"),
    [
        ("cnn_layers", _cnn_training_graph),
        ("dcgan", _dcgan_training_graph),
        ("is_training_cnn", _is_training_graph),
        ("lstm_dynamic_rnn", _lstm_training_graph),
    ],
)
def test_training_graph_is_tfs_node_for_node(tf1, name, graph):
    """The whole training graph (layers, losses, gradients, optimizer slots and updates) equals TF's."""
    from tests.api import tf_programs as P

    tf_graph, _ = P.build(tf1, graph(load(name, "tensorflow")))
    tm_graph, _ = P.build(tm, graph(load(name, "torchmeta")))
    theirs, ours = P.nodes(tf_graph), P.nodes(tm_graph)
    assert [n[:2] for n in ours] == [n[:2] for n in theirs]
    assert ours == theirs
