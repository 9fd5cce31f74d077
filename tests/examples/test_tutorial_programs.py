"""Classic TF1 tutorial programs in examples/ (a char-RNN, a seq2seq model decoding in a tf.while_loop, a VAE
checkpointed mid-training, a padded-batch tf.data text classifier), each run as written (tf.app.run) in a fresh
process under torchmeta and, with the import line switched, under TensorFlow. The graphs are seeded and
torchmeta draws TensorFlow's random numbers, so both start from the same weights (and dropout masks and
samples): every printed number must agree, and each framework's checkpoint continues in the other."""

from __future__ import annotations

import os
import re
import shutil

import numpy as np
import pytest

from tests.examples.test_tf1_programs import to_tf_checkpoint
from tests.programs import run_program

EXAMPLES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
NUMBER = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")


def run(name, framework, cwd, *args):
    """examples/<name>.py run in ``cwd`` with ``framework``'s import line; its stdout."""
    with open(os.path.join(EXAMPLES, f"{name}.py"), encoding="utf-8") as f:
        source = f.read()
    os.makedirs(cwd, exist_ok=True)
    proc = run_program(source, framework, list(args), cwd=str(cwd), name=f"{name}.py")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def assert_same_output(ours, theirs, rtol=1e-4, atol=1e-5):
    """The same lines, words and integers; the decimals within float32 rounding of each other."""
    ours, theirs = ours.splitlines(), theirs.splitlines()
    assert [NUMBER.sub("<x>", line) for line in ours] == [NUMBER.sub("<x>", line) for line in theirs]
    a = [float(v) for line in ours for v in NUMBER.findall(line)]
    b = [float(v) for line in theirs for v in NUMBER.findall(line)]
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def without(text, *prefixes):
    return "\n".join(line for line in text.splitlines() if not line.startswith(prefixes))


def saved_prefix(text):
    return re.search(r"^model saved in (\S+)$", text, re.M).group(1)


@pytest.mark.slow
def test_char_rnn_trains_samples_and_continues_from_the_other_frameworks_checkpoint(tmp_path):
    """MultiRNNCell of DropoutWrapper'd LSTMs, a sequence loss, clipped Adam, tf.multinomial sampling that
    feeds each step's state back: the same losses, norms, samples and probabilities; the slot variables are
    named as TF names them inside variable_scope("model") (``model/model/rnnlm/softmax_w/Adam``)."""
    ours = run("char_rnn", "torchmeta", tmp_path / "tm", f"--save_dir={tmp_path / 'tm' / 'ckpt'}")
    theirs = run("char_rnn", "tensorflow", tmp_path / "tf", f"--save_dir={tmp_path / 'tf' / 'ckpt'}")
    assert_same_output(without(ours, "model saved in"), without(theirs, "model saved in"))
    assert "model/model/rnnlm/softmax_w/Adam_1" in ours.splitlines()[0].split()
    losses = [float(v) for v in re.findall(r"loss (\S+)", theirs)]
    assert len(losses) == 30 and losses[-1] < losses[0] - 0.3
    # Each continues training from the other's checkpoint (variables, Adam's slots, the global step).
    tf_prefix, tm_prefix = saved_prefix(theirs), saved_prefix(ours)
    again = run(
        "char_rnn",
        "torchmeta",
        tmp_path / "tm2",
        "--steps=8",
        f"--init_from={tf_prefix}",
        f"--save_dir={tmp_path / 'tm2'}",
    )
    reference = run(
        "char_rnn",
        "tensorflow",
        tmp_path / "tf2",
        "--steps=8",
        f"--init_from={tf_prefix}",
        f"--save_dir={tmp_path / 'tf2'}",
    )
    assert_same_output(without(again, "model saved in"), without(reference, "model saved in"))
    assert saved_prefix(again).endswith("model.ckpt-38")
    converted = to_tf_checkpoint(tm_prefix, str(tmp_path / "converted" / "model.ckpt-30"))
    back = run(
        "char_rnn",
        "tensorflow",
        tmp_path / "tf3",
        "--steps=8",
        f"--init_from={converted}",
        f"--save_dir={tmp_path / 'tf3'}",
    )
    assert_same_output(without(back, "model saved in"), without(reference, "model saved in"))


@pytest.mark.slow
def test_seq2seq_greedy_while_loop_decoding_is_tfs_and_checkpoints_cross(tmp_path):
    """GRU encoder/decoder with dynamic_rnn and sequence lengths, RMSProp, greedy decoding in a tf.while_loop
    writing a TensorArray: the same losses, test accuracy and decoded digits; each evaluates the other's
    checkpoint to the other's numbers."""
    ours = run("seq2seq_reverse", "torchmeta", tmp_path / "tm", f"--save_dir={tmp_path / 'tm' / 'ckpt'}")
    theirs = run("seq2seq_reverse", "tensorflow", tmp_path / "tf", f"--save_dir={tmp_path / 'tf' / 'ckpt'}")
    assert_same_output(without(ours, "model saved in"), without(theirs, "model saved in"))
    losses = [float(v) for v in re.findall(r"step \d+: loss (\S+)", theirs)]
    assert len(losses) == 150 and np.mean(losses[-10:]) < np.mean(losses[:10]) - 0.3
    evaluation = without(theirs, "step ", "model saved in", "variables:")
    again = run("seq2seq_reverse", "torchmeta", tmp_path / "tm2", f"--restore={saved_prefix(theirs)}")
    assert_same_output(without(again, "variables:"), evaluation, rtol=1e-5)
    converted = to_tf_checkpoint(saved_prefix(ours), str(tmp_path / "converted" / "model-150"))
    back = run("seq2seq_reverse", "tensorflow", tmp_path / "tf2", f"--restore={converted}")
    assert_same_output(without(back, "variables:"), without(ours, "step ", "model saved in", "variables:"), rtol=1e-5)


def _checkpoint_dir(src_files, dst, step):
    """A checkpoint directory holding ``src_files`` whose state names ``vae.ckpt-<step>`` (relative)."""
    os.makedirs(dst)
    for path in src_files:
        shutil.copy(path, dst)
    with open(os.path.join(dst, "checkpoint"), "w") as f:
        f.write(f'model_checkpoint_path: "vae.ckpt-{step}"\nall_model_checkpoint_paths: "vae.ckpt-{step}"\n')
    return dst


@pytest.mark.slow
def test_vae_with_exponential_decay_rewinds_and_resumes_as_tf(tmp_path):
    """Reparameterized sampling (tf.random_normal), exponential_decay on the global step, Momentum, a Saver
    keeping 3 checkpoints: training, restoring step 40's checkpoint in the same session and training on (the
    random stream goes on, the learning rate comes back), then resuming in a new process from the latest
    checkpoint; and each framework resumes from the other's checkpoint to the same numbers."""
    dirs = {fw: tmp_path / fw / "train" for fw in ("torchmeta", "tensorflow")}
    first = {fw: run("vae", fw, tmp_path / fw, f"--train_dir={d}", "--rewind_to=40") for fw, d in dirs.items()}
    assert_same_output(first["torchmeta"], first["tensorflow"])
    assert "rewound to step 40" in first["torchmeta"]
    assert "checkpoints: vae.ckpt-20 vae.ckpt-40 vae.ckpt-60" in first["torchmeta"]
    rates = re.findall(r"step 16: loss \S+ learning rate (\S+)", first["tensorflow"])
    assert rates == ["0.040000"]
    # TF's step-60 checkpoint resumed by both; torchmeta's (converted) resumed by TensorFlow.
    tf_files = [str(p) for p in dirs["tensorflow"].iterdir() if p.name.startswith("vae.ckpt-60")]
    cross = _checkpoint_dir(tf_files, tmp_path / "cross-tm", 60)
    converted = tmp_path / "converted"
    to_tf_checkpoint(str(dirs["torchmeta"] / "vae.ckpt-60"), str(converted / "vae.ckpt-60"))
    back = _checkpoint_dir([str(p) for p in converted.iterdir()], tmp_path / "cross-tf", 60)
    resumed = {fw: run("vae", fw, tmp_path / fw, f"--train_dir={d}", "--steps=80") for fw, d in dirs.items()}
    assert_same_output(resumed["torchmeta"], resumed["tensorflow"])
    assert resumed["torchmeta"].startswith("resumed from vae.ckpt-60\nstep 61:")
    assert_same_output(
        run("vae", "torchmeta", tmp_path / "x", f"--train_dir={cross}", "--steps=80"), resumed["tensorflow"]
    )
    assert_same_output(
        run("vae", "tensorflow", tmp_path / "y", f"--train_dir={back}", "--steps=80"), resumed["torchmeta"]
    )


@pytest.mark.slow
def test_padded_batch_text_pipeline_trains_as_tf(tmp_path):
    """TFRecordDataset(filenames placeholder) -> map(parse_single_example with a VarLenFeature,
    num_parallel_calls=2) -> shuffle(seed) -> padded_batch -> prefetch through a re-initialized initializable
    iterator into a tf.layers conv1d model: the same batch shapes, epoch losses and test accuracy."""
    ours = run("text_classifier_pipeline", "torchmeta", tmp_path / "tm", f"--data_dir={tmp_path / 'tm'}")
    theirs = run("text_classifier_pipeline", "tensorflow", tmp_path / "tf", f"--data_dir={tmp_path / 'tf'}")
    assert_same_output(ours, theirs)
    assert "16x9" in ours and "16x12" in ours  # batches padded to their own longest sequence
    assert ours.splitlines()[-1].startswith("trained 30 steps; test accuracy")
    assert float(re.search(r"accuracy (\S+)", ours).group(1)) > 0.6


# name, the flag counting its training steps, that flag's value for the run from a checkpoint and the steps it
# adds, the printed losses' pattern
CONTINUED_PROGRAMS = [
    ("bilstm_tagger", "steps", 6, 6, r"^step \d+: batch \S+ loss (\S+)"),
    ("wgan_gp", "steps", 3, 3, r"^step \d+: wasserstein \S+ penalty (\S+)"),
    ("policy_gradient", "episodes", 5, 5, r"^episode \d+: \S+ return \S+ value loss (\S+)"),
    ("attention_decoder", "steps", 6, 6, r"^step \d+: loss (\S+)"),
    ("ragged_bag_of_words", "epochs", 1, 8, r"(?<= )(\d\.\d+)(?= |$)"),
    ("transformer", "steps", 6, 6, r"^step \d+: loss (\S+)"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "steps_flag", "again", "more", "loss_pattern"), CONTINUED_PROGRAMS)
def test_program_prints_tfs_numbers_and_continues_the_other_frameworks_checkpoint(
    tmp_path, name, steps_flag, again, more, loss_pattern
):
    """bilstm_tagger: bidirectional_dynamic_rnn with sequence_length, a sequence_mask'ed loss, clipped Adam.
    wgan_gp: a gradient penalty (tf.gradients of the critic, differentiated again), AUTO_REUSE, two Adams on
    trainable_variables(scope=...). policy_gradient: tf.random.categorical under a graph seed, tf.scan(reverse)
    returns, stop_gradient, huber_loss, RMSProp. attention_decoder: tf.nn.raw_rnn, a tf.while_loop writing
    TensorArrays with a seeded tf.cond inside, differentiated through, polynomial_decay. ragged_bag_of_words:
    tf.data maps over ragged batches (strings.split, map_flat_values, a ragged operator, row_lengths), unbatch
    and batch again, RaggedTensors from the iterator padded by to_tensor, Adagrad. transformer: multi-head
    attention (tf.layers.dense, heads by reshape/transpose, -1e9 padding and causal tf.matrix_band_part biases), a
    tf.range/sin/cos position signal, tf.einsum, layer norm by tf.nn.moments, label-smoothed
    tf.losses.softmax_cross_entropy, Adam on the Noam schedule (tf.minimum/tf.rsqrt of the global step), greedy
    decoding in a tf.while_loop with shape_invariants over the reused decoder.
    Every printed number is TF's; the loss falls; each framework trains on from the other's checkpoint
    (variables, optimizer slots, global step) to the same numbers."""
    ours = run(name, "torchmeta", tmp_path / "tm", f"--save_dir={tmp_path / 'tm' / 'ckpt'}")
    theirs = run(name, "tensorflow", tmp_path / "tf", f"--save_dir={tmp_path / 'tf' / 'ckpt'}")
    assert_same_output(without(ours, "model saved in"), without(theirs, "model saved in"))
    training = "\n".join(line for line in theirs.splitlines() if line.startswith(("step ", "episode ", "epoch ")))
    losses = [float(v) for v in re.findall(loss_pattern, training, re.M)]
    assert len(losses) >= 12 and np.mean(losses[-4:]) < np.mean(losses[:4])
    steps = int(saved_prefix(theirs).rsplit("-", 1)[1])
    continued = {}
    for framework, prefix in [
        ("torchmeta", saved_prefix(theirs)),
        ("tensorflow", saved_prefix(theirs)),
        ("tensorflow", to_tf_checkpoint(saved_prefix(ours), str(tmp_path / "converted" / f"model-{steps}"))),
    ]:
        cwd = tmp_path / f"again{len(continued)}"
        args = (f"--{steps_flag}={again}", f"--init_from={prefix}", f"--save_dir={cwd / 'ckpt'}")
        continued[len(continued)] = out = run(name, framework, cwd, *args)
        assert f"restored at step {steps}" in out.splitlines()
        assert saved_prefix(out).endswith(f"-{steps + more}")
    reference = without(continued[1], "model saved in")
    assert_same_output(without(continued[0], "model saved in"), reference)
    assert_same_output(without(continued[2], "model saved in"), reference)


@pytest.mark.slow
def test_resnet_under_monitored_training_session_is_tfs_and_resumes_from_the_other_frameworks_checkpoint(tmp_path):
    """Residual blocks with batch_normalization(training=...) and UPDATE_OPS, piecewise_constant into Nesterov
    Momentum, MonitoredTrainingSession with a StopAtStepHook writing checkpoints and merged summaries (scalars
    and a histogram, read back by tf.train.summary_iterator): TF's losses, learning rates, moving means, events
    and test accuracy; then each framework resumes to step 32 from the other's train_dir."""
    dirs = {fw: tmp_path / fw / "train" for fw in ("torchmeta", "tensorflow")}
    first = {fw: run("resnet_monitored", fw, tmp_path / fw, f"--train_dir={d}") for fw, d in dirs.items()}
    assert_same_output(first["torchmeta"], first["tensorflow"])
    assert "evaluating model.ckpt-24" in first["tensorflow"]
    assert "event step 19: logits histogram of 48" in first["tensorflow"]
    losses = [float(v) for v in re.findall(r"^batch \d+: loss (\S+)", first["tensorflow"], re.M)]
    assert len(losses) == 24 and np.mean(losses[-4:]) < np.mean(losses[:4]) / 2
    # TF's train_dir resumed by both; torchmeta's (its step-24 checkpoint converted) resumed by TensorFlow
    shutil.copytree(dirs["tensorflow"], tmp_path / "tf-for-tm")
    shutil.copytree(dirs["tensorflow"], tmp_path / "tf-for-tf")
    converted = tmp_path / "tm-for-tf"
    shutil.copytree(dirs["torchmeta"], converted, ignore=shutil.ignore_patterns("model.ckpt-*", "checkpoint"))
    to_tf_checkpoint(str(dirs["torchmeta"] / "model.ckpt-24"), str(converted / "model.ckpt-24"))
    shutil.copy(dirs["torchmeta"] / "model.ckpt-24.meta", converted)
    with open(converted / "checkpoint", "w") as f:
        f.write('model_checkpoint_path: "model.ckpt-24"\nall_model_checkpoint_paths: "model.ckpt-24"\n')
    more = "--max_steps=32"
    resumed = run("resnet_monitored", "tensorflow", tmp_path / "a", f"--train_dir={tmp_path / 'tf-for-tf'}", more)
    assert "evaluating model.ckpt-32" in resumed and "batch 8: loss" in resumed and "batch 9:" not in resumed
    ours = run("resnet_monitored", "torchmeta", tmp_path / "b", f"--train_dir={tmp_path / 'tf-for-tm'}", more)
    assert_same_output(ours, resumed)
    reference = run("resnet_monitored", "torchmeta", tmp_path / "c", f"--train_dir={dirs['torchmeta']}", more)
    theirs = run("resnet_monitored", "tensorflow", tmp_path / "d", f"--train_dir={converted}", more)
    assert_same_output(theirs, reference)
