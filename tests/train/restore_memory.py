"""Peak resident memory of Saver.restore, measured in a fresh process (used by tests and bench).

    python -m tests.train.restore_memory save DIR FORMAT COUNT MB
    python -m tests.train.restore_memory restore DIR FORMAT COUNT MB {uninitialized|initialized} [graph]

``save`` writes COUNT float32 variables of MB MiB each as DIR/model. ``restore`` builds the same graph in a
new process (initializing the variables first with ``initialized``), resets the kernel's peak-RSS counter
(``/proc/self/clear_refs``), restores, and prints one JSON line: the RSS of the process before any
variable held memory (baseline), the RSS just before the restore, the peak during the restore (VmHWM)
and the restore time. ``graph`` disables Saver.restore's fast path (the restore op runs
through the Session), for comparison.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _graph(tf, count: int, mb: int):
    n = mb * (1 << 20) // 4
    return [tf.Variable(tf.zeros([n]), name=f"v{i}") for i in range(count)]


def main(argv):
    mode, directory, fmt, count, mb = argv[0], argv[1], argv[2], int(argv[3]), int(argv[4])
    import numpy as np

    import torchmeta as tf
    from torchmeta.train import saver as saver_lib

    variables = _graph(tf, count, mb)
    saver = tf.train.Saver(format=fmt)
    sess = tf.Session()
    prefix = os.path.join(directory, "model")
    if mode == "save":
        sess.run(tf.global_variables_initializer())
        for i, v in enumerate(variables):  # distinct contents, so a wrong restore shows
            sess.run(v.assign(tf.fill(v.shape, float(i + 1))))
        saver.save(sess, prefix, write_meta_graph=False, write_state=False)
        return
    if len(argv) > 6 and argv[6] == "graph":
        saver_lib.Saver._use_restore_plan = False
    baseline = _status_kb("VmRSS")  # the process before any variable holds memory
    if argv[5] == "initialized":
        sess.run(tf.global_variables_initializer())
    before = _status_kb("VmRSS")
    reset = _reset_peak()
    start = time.perf_counter()
    saver.restore(sess, prefix)
    seconds = time.perf_counter() - start
    peak = _status_kb("VmHWM")
    values = sess.run(variables[-1])
    correct = bool(np.all(values == float(count)))
    result = {
        "checkpoint_mb": count * mb,
        "baseline_mb": baseline / 1024,
        "rss_before_mb": before / 1024,
        "peak_above_baseline_mb": (peak - baseline) / 1024,
        "peak_mb": peak / 1024,
        "peak_above_before_mb": (peak - before) / 1024,
        "seconds": seconds,
        "peak_reset": reset,
        "values_correct": correct,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
