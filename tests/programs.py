"""Running one TF1 program with TensorFlow and with torchmeta: the same source, only the import line differs.

A program is written against torchmeta (``import torchmeta as tf``); for TensorFlow that line becomes
``import tensorflow.compat.v1 as tf``. Each run is a fresh Python process (programs call ``tf.app.run``,
which exits, and define flags in a process-wide registry).
"""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMPORT_LINE = "import torchmeta as tf"
TF_IMPORT_LINE = "import tensorflow.compat.v1 as tf"


def source_for(source: str, framework: str) -> str:
    """``source`` with its import line for ``framework`` ("torchmeta" or "tensorflow")."""
    if IMPORT_LINE not in source.splitlines():
        raise ValueError(f"the program has no line {IMPORT_LINE!r}")
    if framework == "torchmeta":
        return source
    return "\n".join(TF_IMPORT_LINE if line == IMPORT_LINE else line for line in source.splitlines()) + "\n"


def run_program(source: str, framework: str, args=(), cwd=None, timeout=300, name="program.py"):
    """Writes the program for ``framework`` as ``cwd/name`` and runs it there; returns the CompletedProcess."""
    path = os.path.join(cwd, name)
    with open(path, "w") as f:
        f.write(source_for(source, framework))
    env = dict(os.environ)
    env.update(
        PYTHONPATH=ROOT,
        TF_CPP_MIN_LOG_LEVEL="3",
        TF_USE_LEGACY_KERAS="1",
        CUDA_VISIBLE_DEVICES="",
        PYTHONHASHSEED="0",
    )
    return subprocess.run(
        [sys.executable, name, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def tf_log_lines(stderr: str) -> list[str]:
    """The ``LEVEL:tensorflow:message`` lines (TensorFlow also repeats them in absl's format after app.run)."""
    return [
        line
        for line in stderr.splitlines()
        if line.split(":", 1)[0] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") and ":tensorflow:" in line
    ]
