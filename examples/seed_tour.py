"""The main job: the seed document's flows end to end, in a fresh directory.

    python examples/seed_tour.py [--dir DIR] [--device cuda]

1. build the inference graph, run it, save it with its MetaGraph (export_inference_graph.py);
2. import that MetaGraph, extend it into a training graph and train it (import_and_extend.py);
3. train with periodic saves, then continue from the saved MetaGraph alone (continue_training.py);
4. recover hyper-parameters from the latest checkpoint's MetaGraph (hparams.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import continue_training
import export_inference_graph
import hparams
import import_and_extend


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", default=None, help="work directory (default: a new temporary one)")
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    root = args.dir or tempfile.mkdtemp(prefix="torchmeta_seed_")
    device = ["--device", args.device]
    print("== 1. export the inference graph")
    export_inference_graph.main(["--dir", os.path.join(root, "my-save-dir"), *device])
    print("== 2. import it and extend it into a training graph")
    import_and_extend.main(["--dir", os.path.join(root, "my-save-dir"), *device])
    print("== 3. save with a global step, continue training from the .meta")
    continue_training.main(["--dir", os.path.join(root, "train"), *device])
    print("== 4. retrieve hyper-parameters")
    hparams.main(["--dir", os.path.join(root, "train_dir"), *device])
    print(f"all files are under {root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
