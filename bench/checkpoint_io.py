"""Checkpoint read/write throughput and peak memory (not part of the test suite).

    python bench/checkpoint_io.py [--gb 1.0] [--dir /tmp/tm_bench] [--tf]

Writes ~GB of float32 (16 tensors) as a V2 bundle and as safetensors, reads them back several ways, and
measures each reader's peak RSS (VmHWM) in a fresh subprocess reading a checkpoint into torch tensors.
Numbers are with a warm page cache (the files were just written); nothing is fsynced. Reads run twice: the
first run also pays for fresh memory from the kernel (page faults), as a restore in a new process does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from torchmeta import io

N_TENSORS = 16


def tensors_of(total_bytes: int) -> dict[str, np.ndarray]:
    per = total_bytes // N_TENSORS // 4
    rng = np.random.default_rng(0)
    return {f"layer_{i:02d}/kernel": rng.standard_normal(per, dtype=np.float32) for i in range(N_TENSORS)}


def timed(label: str, nbytes: int, fn, repeat: int = 1):
    """Runs ``fn`` ``repeat`` times; prints each run's time and throughput."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    text = "  ".join(f"{t:5.2f} s {nbytes / t / 1e9:5.2f} GB/s" for t in runs)
    print(f"{label:<58} {text}", flush=True)


def status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


# -- peak-memory scenarios, each run in a fresh interpreter ---------------------------------------------------

SCENARIOS = {
    "baseline (import torchmeta, open the reader)": "baseline",
    "tf: get_tensor_torch, keep all (mmap, default)": "tf_mmap_keep",
    "tf: get_tensor_torch(mmap=False), keep all": "tf_read_keep",
    "tf: get_tensor (numpy), keep all": "tf_numpy_keep",
    "tf: restore into existing tensors, out=": "tf_out",
    "tf: restore into existing tensors, t = get_tensor_torch; v.copy_(t)": "tf_copy",
    "safetensors: get_tensor_torch, keep all": "st_keep",
    "safetensors: restore into existing tensors, out=": "st_out",
}


def run_scenario(kind: str, prefix: str, st_prefix: str) -> dict:
    reader = io.SafetensorsReader(st_prefix) if kind.startswith("st") else io.CheckpointReader(prefix)
    names = reader.keys()
    kept = []
    if kind in ("tf_out", "tf_copy", "st_out"):
        variables = {n: torch.empty(reader.get_shape(n), dtype=torch.float32) for n in names}
        for v in variables.values():
            v.fill_(0)  # touch the pages, as real variables would be
    for name in names:
        if kind == "baseline":
            break
        if kind in ("tf_mmap_keep", "st_keep"):
            kept.append(reader.get_tensor_torch(name))
        elif kind == "tf_read_keep":
            kept.append(reader.get_tensor_torch(name, mmap=False))
        elif kind == "tf_numpy_keep":
            kept.append(reader.get_tensor(name))
        elif kind in ("tf_out", "st_out"):
            reader.get_tensor_torch(name, out=variables[name])
        elif kind == "tf_copy":
            t = reader.get_tensor_torch(name)
            variables[name].copy_(t)
            del t
    return {"hwm": status_mb("VmHWM"), "anon": status_mb("RssAnon"), "file": status_mb("RssFile")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--dir", default="/tmp/tm_bench")
    parser.add_argument("--tf", action="store_true", help="also time TensorFlow's SaveV2 / reader")
    parser.add_argument("--scenario", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        print(json.dumps(run_scenario(*args.scenario)))
        return

    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir)
    total = int(args.gb * 1e9)
    values = tensors_of(total)
    nbytes = sum(v.nbytes for v in values.values())
    prefix = os.path.join(args.dir, "tf", "model")
    st_prefix = os.path.join(args.dir, "model")
    print(f"{N_TENSORS} float32 tensors, {nbytes / 1e9:.2f} GB; torch {torch.__version__}, {os.cpu_count()} CPUs")

    timed("write_bundle (V2: crc32c + data + index, temp+rename)", nbytes, lambda: io.write_bundle(prefix, values))
    timed("save_safetensors (temp+rename)", nbytes, lambda: io.save_safetensors(st_prefix, values))
    torch_values = {n: torch.from_numpy(v) for n, v in values.items()}
    timed("write_bundle from torch tensors", nbytes, lambda: io.write_bundle(prefix, torch_values))
    torch_values.clear()

    reader = io.CheckpointReader(prefix)
    timed("tf get_tensor -> numpy (read + crc)", nbytes, lambda: [reader.get_tensor(n) for n in reader], repeat=2)
    timed(
        "tf get_tensor_torch (mmap + crc, touching every page)",
        nbytes,
        lambda: [float(reader.get_tensor_torch(n).sum()) for n in reader],
        repeat=2,
    )
    timed(
        "tf get_tensor_torch(mmap=False)",
        nbytes,
        lambda: [reader.get_tensor_torch(n, mmap=False) for n in reader],
        repeat=2,
    )
    outs = {n: torch.empty(values[n].shape) for n in values}
    timed(
        "tf get_tensor_torch(out=existing)",
        nbytes,
        lambda: [reader.get_tensor_torch(n, out=outs[n]) for n in reader],
        repeat=2,
    )
    st = io.SafetensorsReader(st_prefix)
    timed(
        "safetensors get_tensor_torch + sum (mmap)",
        nbytes,
        lambda: [float(st.get_tensor_torch(n).sum()) for n in st],
        repeat=2,
    )
    timed("safetensors get_tensor -> numpy", nbytes, lambda: [st.get_tensor(n) for n in st], repeat=2)
    reader.close()
    st.close()

    if args.tf:
        import tensorflow as tf

        v1 = tf.compat.v1
        tf_prefix = os.path.join(args.dir, "tfref", "model")
        os.makedirs(os.path.dirname(tf_prefix))
        with tf.Graph().as_default(), v1.Session() as sess:
            placeholders = {n: v1.placeholder(tf.float32, v.shape) for n, v in values.items()}
            op = tf.raw_ops.SaveV2(
                prefix=tf_prefix,
                tensor_names=list(values),
                shape_and_slices=[""] * len(values),
                tensors=list(placeholders.values()),
            )
            feed = {placeholders[n]: v for n, v in values.items()}
            timed("TensorFlow SaveV2 (reference; includes feeding)", nbytes, lambda: sess.run(op, feed))
        tf_reader = tf.train.load_checkpoint(tf_prefix)
        timed(
            "TensorFlow load_checkpoint().get_tensor (reference)",
            nbytes,
            lambda: [tf_reader.get_tensor(n) for n in values],
            repeat=2,
        )

    values.clear()  # free the source data before measuring memory
    print(f"\npeak RSS reading the {nbytes / 1e9:.2f} GB checkpoint in a fresh process (MB):")
    print(f"{'scenario':<68} {'VmHWM':>7} {'RssAnon':>8} {'RssFile':>8}")
    for label, kind in SCENARIOS.items():
        out = subprocess.run(
            [sys.executable, __file__, "--scenario", kind, prefix, st_prefix],
            capture_output=True,
            text=True,
            check=True,
        )
        m = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{label:<68} {m['hwm']:7.0f} {m['anon']:8.0f} {m['file']:8.0f}", flush=True)
    shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
