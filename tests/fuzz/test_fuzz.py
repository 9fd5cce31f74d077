"""The fuzz harness in the suite: every seed and every saved finding replayed, and a short fuzz smoke per target.

The long runs (``python -m tests.fuzz.harness --atheris --runs 1000000``) and their counts are in the README.
"""

import glob
import json
import os
import subprocess
import sys
import time

import pytest

from tests.fuzz import harness
from tests.fuzz.targets import REGRESSIONS, TARGETS, Target

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMOKE_RUNS = 2000


def _inputs():
    cases = []
    for name, target in sorted(TARGETS.items()):
        for i, _ in enumerate(target.seeds()):
            cases.append(pytest.param(name, ("seed", i), id=f"{name}-seed{i}"))
        for path in sorted(glob.glob(os.path.join(REGRESSIONS, name, "*.bin"))):
            cases.append(pytest.param(name, ("file", path), id=f"{name}-{os.path.basename(path)[:-4]}"))
    return cases


@pytest.mark.parametrize(("name", "source"), _inputs())
def test_replay(name, source):
    """Seeds and saved findings: each ends cleanly or with a torchmeta error, within the time limit."""
    target = TARGETS[name]
    kind, which = source
    if kind == "seed":
        data = target.seeds()[which]
    else:
        with open(which, "rb") as f:
            data = f.read()
    runner = harness.Runner(target, timeout=30, save=False)
    try:
        assert runner.run(data) is None, runner.findings
    finally:
        runner.close()


def _spin(data, work):
    end = time.process_time() + 5
    while time.process_time() < end:
        pass


def _hang(data, work):
    time.sleep(5)


def test_runner_limits_cpu_time_and_wall_time():
    """The per-input limit counts CPU time (load does not make findings); a hang that burns no CPU is
    caught by the wall-clock limit, WALL_FACTOR times longer."""
    for fn, timeout in ((_spin, 0.2), (_hang, 0.2 / harness.WALL_FACTOR * 5)):
        runner = harness.Runner(Target("limits", fn), timeout=timeout, save=False)
        try:
            start = time.monotonic()
            assert runner.run(b"").startswith("timeout at"), fn
            assert time.monotonic() - start < 4, fn
        finally:
            runner.close()
    sleeper = harness.Runner(Target("limits", lambda data, work: time.sleep(0.3)), timeout=0.1, save=False)
    try:
        assert sleeper.run(b"") is None  # 0.3 s asleep is within 0.1 s of CPU and 1 s of wall clock
    finally:
        sleeper.close()


def test_every_target_has_seeds_from_both_writers():
    for name, target in TARGETS.items():
        files = os.listdir(target.seed_dir)
        assert any(f.startswith("tf") for f in files), name
        assert any(f.startswith("torchmeta") for f in files), name


@pytest.mark.slow
def test_fuzz_smoke():
    """A few thousand mutated inputs per target under the memory cap: no finding."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.harness", "--runs", str(SMOKE_RUNS), "--no-save", "--timeout", "20"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(summary) == set(TARGETS)
    for name, result in summary.items():
        assert result["runs"] >= SMOKE_RUNS, (name, result)
        assert not result["findings"], (name, result["findings"], proc.stderr[-3000:])
    assert proc.returncode == 0, proc.stderr[-3000:]
