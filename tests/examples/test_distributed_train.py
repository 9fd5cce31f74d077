"""examples/distributed_train.py runs as a job of one (plain python) and under torchrun with 2 processes,
and both train to the same model (each process takes half of every global batch)."""

from __future__ import annotations

import importlib
import os
import re
import sys

import numpy as np
import pytest

from tests.distributed.launch import ROOT, torchrun, wait_all

EXAMPLES = os.path.join(ROOT, "examples")
sys.path.insert(0, EXAMPLES)
ARGS = ["--steps", "20", "--batch", "64"]


@pytest.mark.slow
def test_distributed_train_single_process_and_under_torchrun(tmp_path):
    single = importlib.import_module("distributed_train").main([*ARGS, "--dir", str(tmp_path / "one")])
    assert (single["rank"], single["size"]) == (0, 1)
    assert os.path.exists(tmp_path / "one" / "model.ckpt-20.meta")

    launch = ["--standalone", "--nproc_per_node", "2", "--max-restarts", "0"]  # torchrun picks a free port
    script = os.path.join(EXAMPLES, "distributed_train.py")
    proc = torchrun(launch, [script, *ARGS, "--dir", str(tmp_path / "two")])
    codes, outputs = wait_all([proc], timeout=180)
    assert codes == [0], outputs[0][-3000:]
    # The two processes share torchrun's stdout, so one's line may land in the middle of the other's.
    # The loss is read as digits only: a CI run printed "loss=1.220199704170227RESULT rank=0 ...", the other
    # process's line glued on before this one's newline, and \S+ swallowed it.
    results = sorted(re.findall(r"RESULT rank=(\d) size=(\d) loss=([0-9.eE+-]+)", outputs[0]))
    assert [r[:2] for r in results] == [("0", "2"), ("1", "2")], outputs[0][-3000:]
    # The loss is a float32: compared as float32 values, so that a stray character of the other process's
    # output glued after the digits (a CI run read 1.2201997041702273 beside 1.220199704170227, a double no
    # float32 has) cannot fail the test, while ranks that differ by one float32 ulp still do.
    losses = [float(np.float32(r[2])) for r in results]
    assert losses[0] == losses[1]
    assert losses[0] == pytest.approx(single["loss"], rel=1e-4)
    assert os.path.exists(tmp_path / "two" / "model.ckpt-20.meta")
