"""Regenerates the golden checkpoints in this directory with real TensorFlow (tensorflow-cpu 2.21).

Run from the repository root:  python tests/data/checkpoints/generate.py

- ``dtypes/ckpt``: one SaveV2 call saving every tensor of ``tests/io/checkpoint_cases.DTYPE_CASES``
  (every TF dtype a checkpoint can hold, scalars, empty tensors, strings incl. empty ones).
- ``saver/model-3``: a TF1 ``Saver`` checkpoint (``global_step=3``) of ``SAVER_VARIABLES`` plus the
  partitioned variables of ``SAVER_PARTITIONED`` (``fixed_size_partitioner``).
- ``sharded/model``: a sharded TF1 ``Saver`` checkpoint, one device group per entry of ``SHARDED_VARIABLES``.

The files are small (under 2 KB each); tests compare torchmeta's bytes with them.
"""

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(HERE))))

from tests.io import checkpoint_cases as cases  # noqa: E402
from tests.io import tf_helpers  # noqa: E402


def main():
    for sub in ("dtypes", "saver", "sharded"):
        shutil.rmtree(os.path.join(HERE, sub), ignore_errors=True)
        os.makedirs(os.path.join(HERE, sub))
    tf_helpers.save_v2(os.path.join(HERE, "dtypes", "ckpt"), cases.DTYPE_CASES)
    tf_helpers.saver_save(os.path.join(HERE, "saver", "model"), global_step=3)
    tf_helpers.saver_save_sharded(os.path.join(HERE, "sharded", "model"))
    for root, _, files in sorted(os.walk(HERE)):
        for name in sorted(files):
            if not name.endswith(".py"):
                path = os.path.join(root, name)
                print(f"{os.path.relpath(path, HERE)}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
