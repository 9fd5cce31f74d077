"""Driver for test_saver_safety: SIGKILLs a process in the middle of Saver.save at every file operation.

    python -m tests.train.kill_saves DIR FORMAT SHARDED SAME_PREFIX

Builds a model, saves checkpoint 1 (values V1) into DIR/base, then for N = 1, 2, ...: copies DIR/base to
DIR/run-N, forks, and the child assigns V2 and saves checkpoint 2 while a hook counts file operations
(opens for writing, renames, removals, directory changes, ``write`` calls from Python) and SIGKILLs the
child at the N-th. The parent then checks that DIR/run-N still restores: the state file's latest
checkpoint must restore to exactly its values (V1 for checkpoint 1, V2 for checkpoint 2). When re-saving
to the same prefix in TensorFlow's format (two files, like TensorFlow) a DataLossError is accepted too;
wrong numbers never are. Stops when a child finishes its save without reaching N. Prints one JSON line:
``{"kills": K, "outcomes": {...}, "failures": [...]}``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch

torch.set_num_threads(1)

import torchmeta as tf  # noqa: E402

V1 = {"a": np.arange(40000, dtype=np.float32).reshape(200, 200), "b": np.array([1, 2, 3], np.int64)}
V2 = {"a": -V1["a"] - 1, "b": np.array([7, 8, 9], np.int64)}
S1, S2 = np.array([b"one", b""], dtype=object), np.array([b"two", b"2"], dtype=object)
_WRITE_MODES = ("w", "x", "a", "+")


def _killer(threshold: int):
    count = [0]

    def hit():
        count[0] += 1
        if count[0] >= threshold:
            os.kill(os.getpid(), signal.SIGKILL)

    def audit(event, args):
        if event == "open":
            mode, flags = args[1], args[2]
            writing = (isinstance(mode, str) and any(m in mode for m in _WRITE_MODES)) or (
                mode is None and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if writing:
                hit()
        elif event in ("os.rename", "os.remove", "os.rmdir", "os.mkdir", "shutil.rmtree", "os.truncate"):
            hit()

    def profile(frame, event, arg):
        if event == "c_call" and getattr(arg, "__name__", "") in ("write", "writelines", "save_file"):
            hit()

    return audit, profile


def main(argv):
    directory, fmt, sharded, same_prefix = argv[0], argv[1], argv[2] == "1", argv[3] == "1"
    with tf.device("/cpu:0"):
        a = tf.Variable(V1["a"], name="a")
        s = tf.Variable(S1, name="s")
    with tf.device("/cpu:1"):
        b = tf.Variable(V1["b"], name="b")
    saver = tf.train.Saver(sharded=sharded, format=fmt, max_to_keep=1)
    assign_v2 = tf.group(tf.assign(a, V2["a"]), tf.assign(b, V2["b"]), tf.assign(s, S2))
    base = os.path.join(directory, "base")
    os.mkdir(base)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    first = saver.save(sess, os.path.join(base, "model"), global_step=None if same_prefix else 1)
    second_name = "model" if same_prefix else "model-2"
    outcomes: dict[str, int] = {}
    failures: list[str] = []
    n = 0
    while True:
        n += 1
        run = os.path.join(directory, f"run-{n}")
        shutil.copytree(base, run)
        with open(os.path.join(run, "checkpoint"), "w") as f:  # the copy's own state file
            f.write(f'model_checkpoint_path: "{os.path.basename(first)}"\n')
        pid = os.fork()
        if pid == 0:
            try:
                sess.run(assign_v2)
                # this run's history: checkpoint 1 in its directory (deleted by the save: max_to_keep=1)
                saver.set_last_checkpoints_with_time([(os.path.join(run, os.path.basename(first)), 0.0)])
                audit, profile = _killer(n)
                sys.addaudithook(audit)
                sys.setprofile(profile)
                saver.save(sess, os.path.join(run, "model"), global_step=None if same_prefix else 2)
                sys.setprofile(None)
            finally:
                os._exit(0)  # finished the whole save without reaching the N-th operation
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        outcome = _check(run, second_name, fmt, same_prefix, killed)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome.startswith("FAIL"):
            failures.append(f"kill at operation {n}: {outcome}")
        shutil.rmtree(run)
        if not killed or n > 400:
            break
    print(json.dumps({"kills": n - 1, "outcomes": outcomes, "failures": failures}))


def _check(run, second_name, fmt, same_prefix, killed) -> str:
    """Restores the latest checkpoint of ``run`` in a fresh graph; says what it found."""
    latest = tf.train.latest_checkpoint(run)
    if latest is None:
        return "FAIL: no usable checkpoint in the state file"
    with tf.Graph().as_default():
        a = tf.Variable(np.zeros_like(V1["a"]), name="a")
        b = tf.Variable(np.zeros_like(V1["b"]), name="b")
        s = tf.Variable(np.array([b"", b""], dtype=object), name="s")
        with tf.Session() as sess:
            try:
                tf.train.Saver().restore(sess, latest)
            except tf.errors.DataLossError as e:
                if same_prefix and fmt == "tf" and killed:
                    return "data loss reported (TF format rewritten in place)"
                return f"FAIL: {type(e).__name__}: {e}"
            except Exception as e:
                return f"FAIL: {type(e).__name__}: {e}"
            got_a, got_b, got_s = sess.run([a, b, s])
    for label, (va, vb, vs) in (("old", (V1["a"], V1["b"], S1)), ("new", (V2["a"], V2["b"], S2))):
        if np.array_equal(got_a, va) and np.array_equal(got_b, vb) and list(got_s) == list(vs):
            expected = "new" if os.path.basename(latest) == second_name and not same_prefix else label
            if label != expected:
                return f"FAIL: {latest} holds the {label} values"
            return f"{label} checkpoint restored"
    return f"FAIL: {latest} restored to values that are neither the old nor the new ones"


if __name__ == "__main__":
    main(sys.argv[1:])
