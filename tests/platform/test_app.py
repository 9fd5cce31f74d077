"""tf.app.run with tf.app.flags against TensorFlow: one program, run in both frameworks, prints the same.

The program defines flags, then calls ``tf.app.run`` on several command lines (catching the SystemExit
each run ends with, and unparsing the flags between runs), printing what ``main`` received, the flag
values, the exit status, and for bad values the error's class name and message.
"""

from __future__ import annotations

import pytest

from tests.programs import run_program, tf_log_lines

PROGRAM = '''"""A TF1 program: %s takes flags."""
import sys

import torchmeta as tf

flags = tf.app.flags
flags.DEFINE_integer("steps", 3, "training steps")
flags.DEFINE_string("data_dir", "/tmp/data", "where the data lives")
flags.DEFINE_boolean("fake_data", False, "use fake data")
flags.DEFINE_float("learning_rate", 0.1, "learning rate")
flags.DEFINE_list("hidden", "8,4", "hidden layer sizes")
flags.DEFINE_enum("optimizer", "sgd", ["sgd", "adam"], "which optimizer")
flags.DEFINE_multi_string("tag", [], "tags")
FLAGS = flags.FLAGS
tf.logging.set_verbosity(tf.logging.INFO)


def main(argv):
    print("argv", argv[1:])
    print("values", FLAGS.steps, FLAGS.data_dir, FLAGS.fake_data, FLAGS.learning_rate, FLAGS.hidden,
          FLAGS.optimizer, FLAGS.tag)
    tf.logging.info("main ran with %d steps", FLAGS.steps)
    return FLAGS.steps - 3


COMMAND_LINES = [
    [],
    ["--steps=5", "--fake_data", "positional", "--unknown=1", "--learning_rate", "0.5"],
    ["--nofake_data", "--hidden=16,8,4", "--optimizer=adam", "--tag=a", "--tag=b"],
    ["--logtostderr", "--steps", "4", "--", "--steps=9"],
    ["--steps=three"],
    ["--optimizer=rmsprop"],
    ["--help"],
]

for line in COMMAND_LINES:
    print("command line", line)
    sys.stdout.flush()
    try:
        tf.app.run(main, argv=["prog"] + line)
    except SystemExit as e:
        print("exit", e.code)
    except Exception as e:
        print("error", type(e).__name__, e)
    FLAGS.unparse_flags()
    sys.stdout.flush()

# Flags read before anything parsed them: TensorFlow's FLAGS parse sys.argv first.
print("implicit", FLAGS.steps, FLAGS.data_dir)
'''


def _stdout(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    # --help prints the flags' help; keep the lines about this program's own flags (absl adds its own).
    return [line for line in lines if not line.startswith("  ") or ("--" in line and "steps" in line)]


@pytest.mark.slow
def test_app_run_and_flags_match_tensorflow(tmp_path):
    (tmp_path / "tm").mkdir()
    (tmp_path / "tf").mkdir()
    ours = run_program(PROGRAM, "torchmeta", ["--steps=11", "--data_dir=/d"], cwd=str(tmp_path / "tm"))
    theirs = run_program(PROGRAM, "tensorflow", ["--steps=11", "--data_dir=/d"], cwd=str(tmp_path / "tf"))
    assert _stdout(ours) == _stdout(theirs)
    assert "implicit 11 /d" in ours.stdout
    assert "exit 2" in ours.stdout and "--steps: training steps" in ours.stdout
    assert tf_log_lines(ours.stderr) == tf_log_lines(theirs.stderr)
    assert "INFO:tensorflow:main ran with 5 steps" in tf_log_lines(ours.stderr)
