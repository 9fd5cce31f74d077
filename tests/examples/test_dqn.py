"""examples/dqn.py, a TF1 deep Q-network (online and target networks under two variable scopes, a target update
by tf.group of tf.assigns, clipped gradients into centered RMSProp or Adam, numpy replay and epsilon-greedy), run
as written in a fresh process under torchmeta and, with the import line switched, under TensorFlow: both start
from TF's seeded weights and the same numpy streams, so every printed loss, Q value and action must agree, and
each framework trains on from the other's checkpoint (both networks, optimizer slots, global step)."""

from __future__ import annotations

import re

import pytest

from tests.examples.test_tf1_programs import to_tf_checkpoint
from tests.examples.test_tutorial_programs import assert_same_output, run, saved_prefix, without

VARIANTS = {
    # double Q-learning, Q(s, a) by one_hot and a sum, centered RMSProp without momentum, numpy epsilon-greedy
    "baselines-defaults": (),
    # baselines' build_act (tf.random_uniform, tf.where, tf.cond, an eps variable assigned through a tf.cond),
    # a dueling head, Q(s, a) by tf.gather_nd, plain DQN targets, Adam's slots in the checkpoint, every variable a
    # resource variable (tf.enable_resource_variables)
    "dueling-adam-act-in-graph-resource": (
        "--act_in_graph",
        "--dueling",
        "--select=gather_nd",
        "--nodouble_q",
        "--optimizer=adam",
        "--resource_variables",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_dqn_prints_tfs_numbers_and_continues_the_other_frameworks_checkpoint(tmp_path, variant):
    flags = VARIANTS[variant]
    ours = run("dqn", "torchmeta", tmp_path / "tm", f"--save_dir={tmp_path / 'tm' / 'ckpt'}", *flags)
    theirs = run("dqn", "tensorflow", tmp_path / "tf", f"--save_dir={tmp_path / 'tf' / 'ckpt'}", *flags)
    assert_same_output(without(ours, "model saved in"), without(theirs, "model saved in"))
    assert "online: deepq/q_func/conv1/w deepq/q_func/conv1/biases deepq/q_func/conv2/kernel" in theirs
    assert "target: deepq/target_q_func/conv1/w" in theirs
    assert len(re.findall(r"^target network updated after \d+ updates$", theirs, re.M)) == 5
    assert len(re.findall(r"^step \d+: loss ", theirs, re.M)) == 26
    if variant == "baselines-defaults":  # the shortest walk: it learned
        assert "greedy walk: DRRRDRDD" in theirs.splitlines()
    assert saved_prefix(theirs).endswith("-260")
    continued = []
    for framework, prefix in [
        ("torchmeta", saved_prefix(theirs)),
        ("tensorflow", saved_prefix(theirs)),
        ("tensorflow", to_tf_checkpoint(saved_prefix(ours), str(tmp_path / "converted" / "dqn.ckpt-260"))),
    ]:
        cwd = tmp_path / f"again{len(continued)}"
        args = ("--steps=60", f"--init_from={prefix}", f"--save_dir={cwd / 'ckpt'}", *flags)
        continued.append(out := run("dqn", framework, cwd, *args))
        assert "restored at step 260" in out.splitlines()
        assert saved_prefix(out).endswith("-280")
    reference = without(continued[1], "model saved in")
    assert_same_output(without(continued[0], "model saved in"), reference)
    assert_same_output(without(continued[2], "model saved in"), reference)
